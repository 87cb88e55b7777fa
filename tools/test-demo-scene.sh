#!/bin/bash
# test-demo-scene: the animated desktop (fills, chunked copies, COPY_BITS scrolling) reaches a SPICE client pixel for pixel.
# Usage: test-demo-scene.sh PATH-TO-spice-demo-vm LIBDIR PORT
# Runs the demo with LD_LIBRARY_PATH=LIBDIR (upstream's /usr/lib/x86_64-linux-gnu, or our build's
# server/), lets the terminal scroll, freezes the scene, and compares spice-gtk's picture
# (spicy-screenshot) with the frame the demo says it drew (--dump-frame).
set -u
demo=${1:?usage: test-demo-scene.sh PATH-TO-spice-demo-vm LIBDIR PORT}
libdir=${2:?usage: test-demo-scene.sh PATH-TO-spice-demo-vm LIBDIR PORT}
port=${3:?usage: test-demo-scene.sh PATH-TO-spice-demo-vm LIBDIR PORT}
for tool in spicy-screenshot cmp; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh installs it)"; exit 77; }
done
[ -e "$libdir/libspice-server.so.1" ] || { echo "SKIP: no libspice-server.so.1 in $libdir"; exit 77; }
work=$(mktemp -d)
demo_pid=
cleanup() {
    [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "--- demo stdout"; cat "$work/out" 2>/dev/null
    echo "--- demo stderr (last 20 lines)"; grep -v Spice-DEBUG "$work/err" 2>/dev/null | tail -20
    exit 1
}

# A short screen makes the terminal scroll within a few seconds.
LD_LIBRARY_PATH=$libdir "$demo" --noauth --port "$port" --size 1024x360 --freeze-after 16 \
    --dump-frame "$work/frame.ppm" >"$work/out" 2>"$work/err" &
demo_pid=$!
for _ in $(seq 250); do
    grep -q '^spice-demo-vm: frozen' "$work/out" && break
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo exited early"
    sleep 0.1
done
grep -q '^spice-demo-vm: frozen, frame written' "$work/out" || fail "the scene did not freeze and dump its frame"
# Let the library catch up with the last frame, then look with a client.
sleep 1
timeout 20 spicy-screenshot -h 127.0.0.1 -p "$port" -o "$work/client.ppm" >"$work/client.log" 2>&1 \
    || fail "spicy-screenshot failed: $(tail -2 "$work/client.log")"
if ! cmp -s "$work/frame.ppm" "$work/client.ppm"; then
    cp "$work/frame.ppm" "${TMPDIR:-/tmp}/test-demo-scene-expected.ppm"
    cp "$work/client.ppm" "${TMPDIR:-/tmp}/test-demo-scene-client.ppm"
    fail "the client's picture differs from the demo's frame (kept as ${TMPDIR:-/tmp}/test-demo-scene-{expected,client}.ppm)"
fi
kill -TERM "$demo_pid"
wait "$demo_pid"
status=$?
demo_pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
if grep -q 'warning: the library fetched' "$work/err"; then
    fail "the library did not release every command exactly once"
fi
echo "PASS: the desktop scene on $libdir reached spice-gtk pixel for pixel (scrolled terminal included)"
