#!/usr/bin/env bash
# pixpipe watch: worker deaths. 300 images arrive in batches for 2 pipelines
# while a random worker is killed with kill -9 every 0.5 s. Afterwards every
# image has exactly one output per pipeline, each bit-identical to
# `pixpipe apply`, no temporary file is left, and the journal shows every job
# done (600 jobs, no duplicates).
# Usage: watch_worker_deaths.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

N=300
A='grayscale | gaussian sigma=1.5'
B='median ksize=3 | sharpen'
in=$tmp/in
out=$tmp/out
stage=$tmp/stage
mkdir -p "$in"
gen_images "$stage" $N

# Kills counted against the journal: a crash costs the job an attempt, so the
# test allows enough attempts that no job can run out of them by bad luck.
start_watch "$tmp/watch.log" "$in" "$out" -p a="$A" -p b="$B" --workers 3 --settle 0.2 \
    --max-attempts 20 --retry-delay 0.05
check "watch started" wait_until 20 test -f "$out/.pixpipe/journal.db"

# the killer: every 0.5 s, kill -9 one random worker of this watch
killer() {
    local i kids victim
    for ((i = 0; i < 600; i++)); do
        [ -e "$tmp/stop-killer" ] && return
        sleep 0.5
        kids=($(children_of "$wpid"))
        [ "${#kids[@]}" -eq 0 ] && continue
        victim=${kids[RANDOM % ${#kids[@]}]}
        kill -KILL "$victim" 2>/dev/null && echo "$victim" >>"$tmp/kills"
    done
}
killer &
killer_pid=$!

# images arrive in 15 batches of 20, renamed into place (IN_MOVED_TO)
for ((b = 0; b < N / 20; b++)); do
    for ((i = b * 20; i < b * 20 + 20; i++)); do
        mv "$stage/img$i.png" "$in/img$i.png"
    done
    sleep 0.3
done

check "all $((2 * N)) jobs done while workers were being killed" wait_until 150 count_is "$out" done $((2 * N))
touch "$tmp/stop-killer"
wait "$killer_pid"
kills=$(wc -l <"$tmp/kills" 2>/dev/null || echo 0)
deaths=$(grep -c 'event=worker_died' "$tmp/watch.log")
retried=$("$PIXPIPE" jobs "$out" --json | grep -c '"attempts": [2-9]')
echo "killed $kills workers; the supervisor saw $deaths deaths; $retried jobs needed more than one attempt"
check "workers were killed (got $kills)" test "$kills" -ge 5
check "the supervisor noticed the deaths (got $deaths)" test "$deaths" -ge 1
check "workers were respawned" test "$(grep -c 'event=worker_started' "$tmp/watch.log")" -gt 3
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

check "journal: exactly $((2 * N)) jobs" test "$(total_jobs "$out")" = $((2 * N))
for s in queued running retrying failed; do
    check "journal: no job $s" count_is "$out" $s 0
done
check "no temporary files left" no_temps "$out"
mkdir -p "$tmp/cmp"
check "pipeline a: one output per image, equal to apply" outputs_match "$in" "$out" a "$A" $N
check "pipeline b: one output per image, equal to apply" outputs_match "$in" "$out" b "$B" $N

finish watch_worker_deaths
