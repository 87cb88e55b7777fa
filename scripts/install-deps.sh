#!/bin/sh
# Installs every Debian 12 package the build, the demo and the test suites need.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -eu
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: run as root (apt-get needs it), e.g. sudo $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
PACKAGES="
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  libspice-protocol-dev libpixman-1-dev libssl-dev libglib2.0-dev
  libgdk-pixbuf-2.0-dev libjpeg-dev liblz4-dev zlib1g-dev libopus-dev
  libgtk-3-dev
  libspice-server1 libspice-server-dev
  qemu-system-x86 qemu-utils
  spice-client-gtk virt-viewer gir1.2-spiceclientglib-2.0 gir1.2-spiceclientgtk-3.0
  python3 python3-gi python3-gi-cairo gir1.2-gdkpixbuf-2.0 python3-cryptography
  xvfb xauth xdotool imagemagick x11-utils
  binutils file
  busybox-static kmod libdrm-dev
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps.sh: all packages already installed"
    exit 0
fi
echo "install-deps.sh: installing:$missing"
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
