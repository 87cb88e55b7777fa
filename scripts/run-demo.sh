#!/bin/sh
# Installs what is needed, builds, serves the demo VM through our libspice-server.so.1 on
# 127.0.0.1:5900 and views it with upstream remote-viewer (until our own viewer exists).
# Extra arguments go to spice-demo-vm (e.g. --image photo.png --port 5901).
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    ./scripts/install-deps.sh
fi
builddir=${BUILDDIR:-build}
[ -f "$builddir/build.ninja" ] || meson setup "$builddir"
ninja -C "$builddir"
port=5900
prev=""
for arg in "$@"; do
    [ "$prev" = "--port" ] && port=$arg
    prev=$arg
done
"$builddir/tools/spice-demo-vm" --noauth "$@" &
demo=$!
trap 'kill $demo 2>/dev/null' EXIT INT TERM
sleep 1
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    remote-viewer "spice://127.0.0.1:$port"
else
    echo "run-demo.sh: no display; the demo VM serves spice://127.0.0.1:$port -- connect a viewer, Ctrl+C to stop"
    wait $demo
fi
