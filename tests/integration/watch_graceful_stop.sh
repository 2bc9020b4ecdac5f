#!/usr/bin/env bash
# pixpipe watch: graceful stop. SIGTERM during a run stops taking jobs, lets
# the running ones finish, exits 0 and leaves no job running; a restart
# completes the rest and loses nothing (one output per image per pipeline,
# equal to `pixpipe apply`). A job still running when the grace period ends
# is killed and re-queued with its attempt given back.
# Usage: watch_graceful_stop.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

N=150
A='grayscale | gaussian sigma=1.5'
B='median ksize=3 | sharpen'
in=$tmp/in
out=$tmp/out
gen_images "$in" $N

start_watch "$tmp/watch1.log" "$in" "$out" -p a="$A" -p b="$B" --workers 2 --settle 0.2
check "the run gets going" wait_until 120 count_at_least "$out" done 40
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0
done1=$(state_count "$out" done)
echo "stopped with $done1 of $((2 * N)) jobs done"
check "stopped before the end" test "$done1" -lt $((2 * N))
check "no job left running" count_is "$out" running 0
check "no job failed or waits for a retry" test "$(state_count "$out" failed)$(state_count "$out" retrying)" = 00
check "every started job finished (no worker was cut off)" \
    test "$(grep -c 'event=started' "$tmp/watch1.log")" -eq "$done1"
check "no temporary files left" no_temps "$out"
check "the log says it stopped" grep -q 'event=stopped' "$tmp/watch1.log"

start_watch "$tmp/watch2.log" "$in" "$out" -p a="$A" -p b="$B" --workers 2 --settle 0.2
check "restart completes every job" wait_until 120 count_is "$out" done $((2 * N))
stop_watch INT
check "SIGINT exits 0 too (got $wrc)" test "$wrc" -eq 0
check "journal: exactly $((2 * N)) jobs" test "$(total_jobs "$out")" = $((2 * N))
check "restart did not redo finished jobs" \
    test "$(grep -c 'event=started' "$tmp/watch2.log")" -eq $((2 * N - done1))
check "pipeline a: one output per image, equal to apply" outputs_match "$in" "$out" a "$A" $N
check "pipeline b: one output per image, equal to apply" outputs_match "$in" "$out" b "$B" $N
check "no temporary files left after the restart" no_temps "$out"

# --- a job that outlives the grace period ---
in2=$tmp/in2
out2=$tmp/out2
gen_images "$in2" 1 stuck
PIXPIPE_FAULT=hang:stuck0.png start_watch "$tmp/watch3.log" "$in2" "$out2" -p a=invert \
    --workers 1 --settle 0.1 --grace 1
check "the stuck job is running" wait_until 30 count_is "$out2" running 1
t0=$(date +%s)
stop_watch TERM
t1=$(date +%s)
check "SIGTERM still exits 0 (got $wrc)" test "$wrc" -eq 0
check "it did not wait for the stuck job much past the grace period" test $((t1 - t0)) -le 10
check "the stuck job is queued again" count_is "$out2" queued 1
check "its attempt was given back" \
    test "$(jobs_for "$out2" stuck0.png | grep -c '"attempts": 0,')" -eq 1
check "the worker was killed when the grace period ended" \
    grep -q 'event=worker_killed.*grace period' "$tmp/watch3.log"
check "no temporary files left" no_temps "$out2"
# a restart without the fault finishes it
start_watch "$tmp/watch4.log" "$in2" "$out2" -p a=invert --workers 1 --settle 0.1
check "the re-queued job completes after a restart" wait_until 30 count_is "$out2" done 1
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

finish watch_graceful_stop
