#!/bin/sh
# /init of the interop test guest: loads the QXL DRM driver, then gives a shell on tty1.
#
# Built into the initramfs by build-guest.py, which also writes /etc/guest-modules (the .ko files
# in dependency order). Every milestone goes to the serial port (QEMU -serial file:LOG) as a line
# "GUEST-..." so the test knows where the boot is without reading the screen:
#   GUEST-INIT             /init started
#   GUEST-MODULE-FAILED m  insmod of m failed (dmesg follows on the serial port)
#   GUEST-NO-FB0           the driver made no /dev/fb0 within 10 s (dmesg follows)
#   GUEST-READY WxH        fbcon runs on the QXL framebuffer, the shell on tty1 is starting
#   GUEST-SHELL pid        the shell on tty1 runs and is about to print its prompt
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
serial=/dev/ttyS0
echo "GUEST-INIT" > $serial

while read -r module; do
    if ! insmod "/lib/modules/$module" 2> $serial; then
        echo "GUEST-MODULE-FAILED $module" > $serial
        dmesg > $serial
    fi
done < /etc/guest-modules

tries=0
while [ ! -e /dev/fb0 ] && [ $tries -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
if [ ! -e /dev/fb0 ]; then
    echo "GUEST-NO-FB0" > $serial
    dmesg > $serial
fi

# A steady picture when idle: the fbcon cursor stops blinking (it is drawn, not toggled every
# 200 ms), and the console never blanks during a test.
echo 0 > /sys/class/graphics/fbcon/cursor_blink
printf '\033[9;0]' > /dev/tty1
size=$(cat /sys/class/graphics/fb0/modes 2>/dev/null)
dmesg | grep -i -E 'qxl|drm|fb0' > $serial
echo "GUEST-READY ${size:-unknown}" > $serial

# The shell: on tty1 (the QXL console), as a session leader so tty1 becomes its controlling
# terminal. After it exits (or is killed) a new one starts, so the test never loses its console.
# Each interactive shell reads $ENV first: it says on the serial port that it is about to prompt.
echo 'echo "GUEST-SHELL $$" > /dev/ttyS0' > /etc/shellrc
export PS1='guest# ' HOME=/ TERM=linux ENV=/etc/shellrc
while true; do
    setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1'
    sleep 0.2
done
