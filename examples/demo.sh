#!/usr/bin/env bash
# make demo: pixpipe as a service. `pixpipe watch` runs on a demo inbox, the
# sample photos from examples/ are dropped into it, and every photo goes
# through three named pipelines. The demo waits (bounded) until every job is
# done, shows the outputs and `pixpipe jobs --stats`, then stops the watcher
# with SIGTERM, the way a service manager would.
# Usage: examples/demo.sh PATH/TO/pixpipe
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-$here/../demo-out}
rm -rf "$out"
mkdir -p "$out/inbox" "$out/staging"
out=$(realpath "$out")
inbox=$out/inbox
results=$out/results
photos=("$here"/*.jpg "$here"/*.png)
pipes=3

echo "== pixpipe demo: the sample photos in examples/ =="
"$bin" info "${photos[@]}"

echo
echo "== starting: pixpipe watch inbox/ results/ with $pipes pipelines =="
"$bin" watch "$inbox" "$results" --settle 0.5 --log "$out/events.log" \
    -p gray='grayscale' \
    -p edges='grayscale | gaussian sigma=1.4 | canny' \
    -p soft='gaussian sigma=3 | enhance alpha=1.1' &
watch_pid=$!
trap 'kill -KILL $watch_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    [ -f "$results/.pixpipe/journal.db" ] && break
    sleep 0.1
done

echo "== dropping ${#photos[@]} photos into the inbox (copied aside, then renamed in) =="
for f in "${photos[@]}"; do
    cp "$f" "$out/staging/"
    mv "$out/staging/$(basename "$f")" "$inbox/"
done

want=$((${#photos[@]} * pipes))
done_jobs() {
    "$bin" jobs "$results" --stats --json 2>/dev/null | sed -n 's/.*"done": \([0-9]*\).*/\1/p'
}
for _ in $(seq 1 600); do # at most 2 minutes
    [ "$(done_jobs)" = "$want" ] && break
    sleep 0.2
done
if [ "$(done_jobs)" != "$want" ]; then
    echo "demo: only $(done_jobs) of $want jobs finished in time; see $out/events.log" >&2
    exit 1
fi

echo
echo "== outputs =="
(cd "$results" && find . -path ./.pixpipe -prune -o -type f -print | sort | sed 's|^\./|  |')
echo
echo "== pixpipe jobs results/ =="
"$bin" jobs "$results"
echo
echo "== pixpipe jobs results/ --stats =="
"$bin" jobs "$results" --stats

echo
echo "== stopping the watcher (SIGTERM) =="
kill -TERM "$watch_pid"
wrc=0
wait "$watch_pid" || wrc=$?
echo "watch exited with status $wrc"
trap - EXIT
echo
echo "Outputs are in $results; the event log is $out/events.log"
exit "$wrc" # a watcher that did not stop cleanly fails the demo
