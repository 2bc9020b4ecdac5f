# Shared by the integration scripts (sourced): counting checks, the summary
# line, and a bounded wait. A script ends with `finish NAME`, which prints
# "NAME: N checks passed, N failed" and fails when a check failed or none ran.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}
finish() { # finish NAME
    echo "$1: $pass checks passed, $fail failed"
    [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

# wait_bounded PID [SECONDS]: waits for a child process, killing it after
# SECONDS (default 60) so a test never hangs; sets $wrc (137 when killed).
wait_bounded() {
    local pid=$1 limit=${2:-60}
    (sleep "$limit" && kill -KILL "$pid") >/dev/null 2>&1 &
    local dog=$!
    wait "$pid" 2>/dev/null
    wrc=$?
    pkill -P "$dog" sleep 2>/dev/null # the dog then ends without killing
    wait "$dog" 2>/dev/null
}
