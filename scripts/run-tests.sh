#!/bin/sh
# Installs what is needed, builds with warnings as errors under ASan+UBSan, and runs every test.
# Ends with one line: "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    ./scripts/install-deps.sh
else
    echo "run-tests.sh: not root, assuming the packages of scripts/install-deps.sh are installed"
fi
builddir=${BUILDDIR:-build-test}
if [ -f "$builddir/build.ninja" ]; then
    meson setup --reconfigure "$builddir" >/dev/null
else
    meson setup "$builddir" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$builddir"
status=0
meson test -C "$builddir" --print-errorlogs --num-processes "${TEST_JOBS:-2}" "$@" || status=$?
/usr/bin/python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
with open(sys.argv[1]) as log:
    for line in log:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif result == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $status
