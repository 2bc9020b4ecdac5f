#!/usr/bin/env bash
# pixpipe watch: poison input. Through the test-only fault switch
# (PIXPIPE_FAULT), one file crashes its worker (SIGSEGV), one fails with a
# transient error, and one hangs past --task-timeout; a corrupt JPEG is bad
# input data. Each poisoned job is tried --max-attempts times (the corrupt
# one only once: bad data is permanent), then quarantined: the source is
# copied to OUT/_failed/<path> with a .error.json beside it (reason,
# attempts, timestamps). Meanwhile the other images complete.
# Usage: watch_poison.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

A='grayscale'
B='gaussian sigma=2'
in=$tmp/in
out=$tmp/out
gen_images "$in/good" 10
gen_images "$tmp/bad" 3 bad
mv "$tmp/bad/bad0.png" "$in/poison.png"
mv "$tmp/bad/bad1.png" "$in/flaky.png"
mkdir -p "$in/sub"
mv "$tmp/bad/bad2.png" "$in/sub/stuck.png"
head -c 3000 "$root/examples/rocket.jpg" >"$in/corrupt.jpg"

PIXPIPE_FAULT=crash:poison.png,fail:flaky.png,hang:stuck.png \
    start_watch "$tmp/watch.log" "$in" "$out" -p a="$A" -p b="$B" --workers 2 --settle 0.2 \
    --max-attempts 3 --retry-delay 0.2 --task-timeout 1
check "the good images complete" wait_until 90 count_is "$out" done 20
check "the 4 poisoned inputs fail for both pipelines" wait_until 90 count_is "$out" failed 8
check "nothing is left to retry" count_is "$out" retrying 0
quarantined_is() { [ "$("$PIXPIPE" jobs "$out" --json | grep -c '"quarantine": "_failed/')" -eq "$1" ]; }
check "every failure is quarantined" wait_until 20 quarantined_is 8
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

attempts_are() { # SOURCE N: both jobs of SOURCE failed after N attempts
    local j
    j=$(jobs_for "$out" "$1")
    [ "$(grep -c '"state": "failed"' <<<"$j")" -eq 2 ] && [ "$(grep -c "\"attempts\": $2," <<<"$j")" -eq 2 ]
}
check "crashing input: failed after 3 attempts" attempts_are poison.png 3
check "transient failure: failed after 3 attempts" attempts_are flaky.png 3
check "hanging input: failed after 3 attempts" attempts_are sub/stuck.png 3
check "bad input data: failed at once (1 attempt)" attempts_are corrupt.jpg 1

check "each crash killed a worker (3 per job)" \
    test "$(grep -c 'event=worker_lost.*file=poison.png' "$tmp/watch.log")" -eq 6
check "transient failures were retried with backoff (2 per job)" \
    test "$(grep -c 'event=retrying.*file=flaky.png' "$tmp/watch.log")" -eq 4
check "hung workers were killed after --task-timeout" \
    test "$(grep -c 'event=worker_killed.*task timed out' "$tmp/watch.log")" -eq 6
check "bad input data was never retried" \
    test "$(grep -c 'event=retrying.*file=corrupt.jpg' "$tmp/watch.log")" -eq 0

for f in poison.png flaky.png sub/stuck.png corrupt.jpg; do
    check "$f copied to _failed/" cmp -s "$in/$f" "$out/_failed/$f"
    j=$out/_failed/$f.error.json
    check "$f.error.json exists" test -f "$j"
    check "$f.error.json is valid JSON" python3 -m json.tool "$j" >/dev/null
    check "$f.error.json names the source" grep -q "\"source\": \"$f\"" "$j"
    check "$f.error.json has the timestamps" grep -Eq '"queued": "20[0-9-]+T[0-9:.]+Z"' "$j"
    check "$f.error.json has when it failed" grep -Eq '"failed": "20[0-9-]+T[0-9:.]+Z"' "$j"
    check "$f.error.json lists both pipelines" test "$(grep -c '"pipeline": "[ab]"' "$j")" -eq 2
    for p in a b; do
        check "$f has no output in $p/" test ! -e "$out/$p/$f"
    done
done
check "crash reason recorded" grep -q '"reason": ".*killed by signal 11' "$out/_failed/poison.png.error.json"
check "crash attempts recorded" grep -q '"attempts": 3' "$out/_failed/poison.png.error.json"
check "transient reason recorded" grep -q 'injected transient failure' "$out/_failed/flaky.png.error.json"
check "timeout reason recorded" grep -q 'task timed out after 1.0 s' "$out/_failed/sub/stuck.png.error.json"
check "bad data reason recorded" grep -q '"reason": ".*corrupt.jpg: JPEG' "$out/_failed/corrupt.jpg.error.json"
check "bad data attempts recorded" grep -q '"attempts": 1' "$out/_failed/corrupt.jpg.error.json"
check "failed jobs listed by --state-filter" \
    test "$("$PIXPIPE" jobs "$out" --state-filter failed | grep -c ' failed ')" -eq 8
check "no temporary files left" no_temps "$out"
check "good images: outputs equal to apply (a)" outputs_match "$in/good" "$out/a" good "$A" 10
check "good images: outputs equal to apply (b)" outputs_match "$in/good" "$out/b" good "$B" 10

finish watch_poison
