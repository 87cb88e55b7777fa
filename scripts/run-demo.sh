#!/bin/sh
# Installs what is needed, builds, serves the demo VM through our libspice-server.so.1 on
# 127.0.0.1:5900 and views it with our spice-viewer (VIEWER=remote-viewer: upstream's instead).
# Extra arguments go to spice-demo-vm (e.g. --image photo.png --port 5901 --password pw).
# UPSTREAM=1 serves it through upstream's /usr/lib/x86_64-linux-gnu/libspice-server.so.1 instead,
# to compare the two libraries with the same VM.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    ./scripts/install-deps.sh
fi
builddir=${BUILDDIR:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir"
ninja -C "$builddir"

port=5900
auth=--noauth
password=
prev=""
for arg in "$@"; do
    case "$arg" in
        --port=*) port=${arg#--port=} ;;
        --password=*) auth=""; password=${arg#--password=} ;;
        --password) auth="" ;;
        --noauth) auth="" ;;
    esac
    [ "$prev" = "--port" ] && port=$arg
    [ "$prev" = "--password" ] && password=$arg
    prev=$arg
done

log=$(mktemp)
if [ "${UPSTREAM:-0}" = 1 ]; then
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu "$builddir/tools/spice-demo-vm" $auth "$@" >"$log" &
else
    "$builddir/tools/spice-demo-vm" $auth "$@" >"$log" &
fi
demo=$!
trap 'kill $demo 2>/dev/null; rm -f "$log"' EXIT INT TERM
# Wait for the demo to say it listens (it names the cause on stderr if it cannot).
i=0
until grep -q "listening on" "$log"; do
    kill -0 $demo 2>/dev/null || { wait $demo || true; echo "run-demo.sh: spice-demo-vm did not start (see its message above)"; exit 1; }
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "run-demo.sh: spice-demo-vm did not listen within 10 s"; exit 1; }
    sleep 0.1
done
tail -f "$log" &
tailer=$!
trap 'kill $demo $tailer 2>/dev/null; rm -f "$log"' EXIT INT TERM
uri="spice://127.0.0.1:$port"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    if [ -n "$password" ]; then
        echo "run-demo.sh: the viewer will ask for the password"
    fi
    viewer=${VIEWER:-$builddir/client/spice-viewer}
    "$viewer" "$uri"
else
    echo "run-demo.sh: no display; the demo VM serves $uri -- connect a viewer, Ctrl+C to stop"
    wait $demo
fi
