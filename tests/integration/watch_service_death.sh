#!/usr/bin/env bash
# pixpipe watch: service death. The whole watch process is killed with
# kill -9 halfway through; its workers die with it. More images arrive while
# it is down. After a restart every image (old and new) has exactly one
# output per pipeline, bit-identical to `pixpipe apply`, no temporary file is
# left, and the journal shows every job done, none twice.
# Usage: watch_service_death.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

N=200
LATE=20
A='grayscale | gaussian sigma=1.5'
B='median ksize=3 | sharpen'
in=$tmp/in
out=$tmp/out
gen_images "$in" $N

start_watch "$tmp/watch1.log" "$in" "$out" -p a="$A" -p b="$B" --workers 2 --settle 0.2
check "first run gets halfway" wait_until 120 count_at_least "$out" done $((N / 2))
workers=($(children_of "$wpid"))
stop_watch KILL
check "kill -9 ends the watch (status $wrc)" test "$wrc" -eq 137
dead_workers() {
    local p
    for p in "${workers[@]}"; do
        alive "$p" && return 1
    done
    return 0
}
check "its ${#workers[@]} workers die with it" wait_until 10 dead_workers
done1=$(state_count "$out" done)
running1=$(state_count "$out" running)
echo "killed the service with $done1 of $((2 * N)) jobs done, $running1 running"
check "it was killed before the end" test "$done1" -lt $((2 * N))

# files that arrive while the service is down
gen_images "$in/late" $LATE late

start_watch "$tmp/watch2.log" "$in" "$out" -p a="$A" -p b="$B" --workers 2 --settle 0.2
check "restart finishes every job, old and new" wait_until 120 count_is "$out" done $((2 * (N + LATE)))
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0
check "restart re-queues the $running1 jobs left running (expired leases)" \
    test "$(grep -c 'event=lease_expired' "$tmp/watch2.log")" -eq "$running1"
check "finished jobs are not redone: each unfinished job starts once" \
    test "$(grep -c 'event=started' "$tmp/watch2.log")" -eq $((2 * (N + LATE) - done1))
check "journal: exactly $((2 * (N + LATE))) jobs" test "$(total_jobs "$out")" = $((2 * (N + LATE)))
for s in queued running retrying failed; do
    check "journal: no job $s" count_is "$out" $s 0
done
check "no temporary files left" no_temps "$out"
check "pipeline a: one output per image, equal to apply" outputs_match "$in" "$out" a "$A" $((N + LATE))
check "pipeline b: one output per image, equal to apply" outputs_match "$in" "$out" b "$B" $((N + LATE))

finish watch_service_death
