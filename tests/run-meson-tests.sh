#!/bin/sh
# Runs the meson test suite of a build folder and ends with "N passed, N failed".
# Usage: tests/run-meson-tests.sh BUILD_DIR [meson test args...]
# Passed counts tests that ran and succeeded; skipped, failed and timed-out
# tests all count as failed, so a test that could not run is never green.
set -u
build=$1
shift
log="$build/meson-logs/testlog.json"
rm -f "$log" # a run that writes no log must not be read from an older one
meson test -C "$build" --print-errorlogs "$@"
status=$?
if [ ! -f "$log" ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
counts=$(python3 - "$log" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    else:
        bad += 1
        print("not passed: %s (%s)" % (json.loads(line).get("name"), r), file=sys.stderr)
print(ok, bad)
PY
)
set -- $counts
echo "$1 passed, $2 failed"
[ "$status" -eq 0 ] && [ "$2" -eq 0 ]
