#!/bin/bash
# test-demo-smoke: spice-demo-vm runs unchanged on upstream's libspice-server.so.1, listens, answers a SPICE link, and stops cleanly.
# Usage: test-demo-smoke.sh PATH-TO-spice-demo-vm [PORT]   (port within 5910-5919; default 5911)
set -u
demo=${1:?usage: test-demo-smoke.sh PATH-TO-spice-demo-vm [PORT]}
port=${2:-5911}
upstream_dir=/usr/lib/x86_64-linux-gnu
if [ ! -e "$upstream_dir/libspice-server.so.1" ]; then
    echo "SKIP: upstream libspice-server.so.1 not installed (apt-get install libspice-server1)"
    exit 77
fi
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
    echo "--- demo stderr (last 20 lines)"; tail -20 "$work/err" 2>/dev/null
    exit 1
}

LD_LIBRARY_PATH=$upstream_dir "$demo" --noauth --port "$port" >"$work/out" 2>"$work/err" &
demo_pid=$!

for _ in $(seq 100); do
    grep -q "^spice-demo-vm: listening on 127.0.0.1:$port\$" "$work/out" && break
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo exited before listening"
    sleep 0.1
done
grep -q "^spice-demo-vm: listening on 127.0.0.1:$port\$" "$work/out" || fail "no 'listening on 127.0.0.1:$port' line within 10 s"

# The binary must really be running on upstream's library, not ours.
maps=$(grep -o '/[^ ]*libspice-server\.so[^ ]*' "/proc/$demo_pid/maps" | sort -u)
case "$maps" in
    "$upstream_dir"/libspice-server.so.1*) ;;
    *) fail "the demo loaded '$maps' instead of $upstream_dir/libspice-server.so.1" ;;
esac

# A main-channel link request; the reply header must start with the SPICE magic and version 2.
/usr/bin/python3 - "$port" <<'PY' || fail "no SPICE link reply"
import socket, struct, sys
port = int(sys.argv[1])
mess = struct.pack("<IBBHII", 0, 1, 0, 0, 0, 18)  # connection_id, main channel, id 0, no caps, caps_offset
header = struct.pack("<4sIII", b"REDQ", 2, 2, len(mess))
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(header + mess)
    reply = b""
    while len(reply) < 16:
        chunk = s.recv(16 - len(reply))
        if not chunk:
            break
        reply += chunk
magic, major, minor, size = struct.unpack("<4sIII", reply) if len(reply) == 16 else (b"", 0, 0, 0)
if magic != b"REDQ" or major != 2 or size < 4:
    print("bad link reply %r" % reply)
    sys.exit(1)
print("link reply: magic %s version %d.%d, %d bytes follow" % (magic.decode(), major, minor, size))
PY

kill -TERM "$demo_pid"
for _ in $(seq 100); do
    kill -0 "$demo_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$demo_pid" 2>/dev/null && fail "the demo did not stop within 10 s of SIGTERM"
wait "$demo_pid"
status=$?
demo_pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM, expected 0"
grep -q '^spice-demo-vm: stopped$' "$work/out" || fail "no 'stopped' line after SIGTERM"
if grep -q 'warning: the library fetched' "$work/err"; then
    fail "upstream's library did not release every command exactly once"
fi
echo "PASS: spice-demo-vm on upstream's library listened on $port, answered the link, stopped cleanly"
