#!/usr/bin/env bash
# pixpipe watch and jobs: the rest of the contract. OUT_DIR inside IN_DIR
# (outputs, _failed/ and .pixpipe/ are never taken as input), the ignore
# rules, changed inputs (new content: new jobs; same content: none), --threads,
# --state, the JSON event log, `pixpipe jobs` (list, filter, JSON, stats), one
# watch per journal, two inputs naming one output, a restart that reads only
# new or changed files, and usage errors.
# Usage: watch_features.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

A='grayscale | gaussian sigma=1.5'
in=$tmp/in
out=$in/out # inside IN_DIR on purpose
state=$tmp/state
gen_images "$in" 4
gen_images "$in/sub" 2 s
head -c 3000 "$root/examples/rocket.jpg" >"$in/broken.jpg"
echo "notes" >"$in/README.txt"
cp "$in/img0.png" "$in/.hidden.png"
cp "$in/img0.png" "$in/partial.png.part"
cp "$in/img0.png" "$in/upload.png.tmp"
cp "$in/img0.png" "$in/backup.png~"
mkfifo "$in/fifo.png"

start_watch "$tmp/watch.log" "$in" "$out" -p a="$A" -p b=invert --workers 2 --threads 2 \
    --settle 0.3 --retry-delay 0.1 --state "$state" --log "$tmp/events.jsonl" --log-format json
check "--state puts the journal there" wait_until 20 test -f "$state/journal.db"
# njobs [jobs options]: how many jobs of this journal match
njobs() { "$PIXPIPE" jobs --state "$state" --json "$@" | grep -c '"id":'; }
njobs_is() { # N [jobs options]
    local n=$1
    shift
    [ "$(njobs "$@")" -eq "$n" ]
}
check "the 6 images complete for both pipelines" wait_until 60 njobs_is 12 --state-filter done
check "the broken image fails (bad data, both pipelines)" wait_until 30 njobs_is 2 --state-filter failed
check "it is quarantined inside OUT_DIR" wait_until 20 test -f "$out/_failed/broken.jpg.error.json"
sleep 1.5 # anything taken from OUT_DIR or the ignored names would be queued by now
list=$("$PIXPIPE" jobs --state "$state" --json)
check "exactly 14 jobs: nothing from OUT_DIR, _failed, .pixpipe or ignored names" \
    test "$(grep -c '"id":' <<<"$list")" -eq 14
check "no job source lies under OUT_DIR" test "$(grep -c '"source": "out/' <<<"$list")" -eq 0
for f in .hidden.png partial.png.part upload.png.tmp backup.png~ README.txt fifo.png; do
    check "ignored: $f" test "$(grep -c "\"source\": \"$f\"" <<<"$list")" -eq 0
done
eq_apply() { # PIPE NAME REL
    "$PIXPIPE" apply -j 1 -p "$1" "$in/$3" "$tmp/ref.png" 2>/dev/null && cmp -s "$tmp/ref.png" "$out/$2/$3"
}
for f in img0.png img3.png sub/s1.png; do
    check "a/$f equals apply (workers on 2 threads)" eq_apply "$A" a "$f"
    check "b/$f equals apply" eq_apply invert b "$f"
done

# --- changed inputs ---
"$PPGEN" --channels 1 70 50 "$tmp/other.png" >/dev/null
cp "$tmp/other.png" "$in/img1.png" # new content, written in place
check "changed content makes new jobs" wait_until 30 njobs_is 4 --source img1.png
check "the new jobs complete" wait_until 30 njobs_is 4 --source img1.png --state-filter done
check "the output follows the new content" eq_apply "$A" a img1.png
cp "$in/img2.png" "$tmp/same.png"
cp "$tmp/same.png" "$in/img2.png" # same bytes rewritten
touch "$in/img3.png"              # same bytes, new mtime
sleep 1.5
check "the same content is not processed again" njobs_is 16
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

# --- the JSON event log ---
check "the event log has lines" test -s "$tmp/events.jsonl"
check "every log line is a JSON object with ts and event" python3 - "$tmp/events.jsonl" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert "ts" in o and "event" in o, o
    if "job" in o:
        assert {"file", "pipeline", "state"} <= set(o), o
    if o["event"] == "done":
        assert all(k in o for k in ("decode_ms", "filter_ms", "encode_ms", "total_ms")), o
        n += 1
assert n == 14, n
PY
for e in queued started done failed quarantined; do
    check "log has $e events" grep -q "\"event\":\"$e\"" "$tmp/events.jsonl"
done

# --- pixpipe jobs ---
"$PIXPIPE" jobs --state "$state" >"$tmp/jobs.txt"
check "jobs lists a header and 16 jobs" test "$(wc -l <"$tmp/jobs.txt")" -eq 17
check "jobs shows outputs of done jobs" grep -q ' done .* a/sub/s1.png' "$tmp/jobs.txt"
check "jobs shows the error of failed jobs" grep -q ' failed .*broken.jpg: JPEG' "$tmp/jobs.txt"
"$PIXPIPE" jobs --state "$state" --state-filter failed >"$tmp/failed.txt"
check "--state-filter failed" test "$(grep -c ' failed ' "$tmp/failed.txt")" -eq 2
check "--json is valid JSON" eval '"$PIXPIPE" jobs --state "$state" --json | python3 -m json.tool >/dev/null'
"$PIXPIPE" jobs --state "$state" --stats >"$tmp/stats.txt"
check "--stats counts by state" grep -q 'jobs: 16 (queued 0, running 0, done 14, retrying 0, failed 2)' "$tmp/stats.txt"
check "--stats throughput" grep -Eq '^throughput: [0-9.]+ jobs/s' "$tmp/stats.txt"
for m in decode filter encode; do
    check "--stats latency p50/p95/max of $m" grep -Eq "^  $m +[0-9.]+ +[0-9.]+ +[0-9.]+$" "$tmp/stats.txt"
done
check "--stats --json" eval '"$PIXPIPE" jobs --state "$state" --stats --json | python3 -c "
import json, sys
o = json.load(sys.stdin)
assert o[\"states\"][\"done\"] == 14 and o[\"states\"][\"failed\"] == 2
assert all(set(o[\"latency_ms\"][m]) == {\"p50\", \"p95\", \"max\"} for m in (\"decode\", \"filter\", \"encode\"))
"'

# --- one watch per journal ---
start_watch "$tmp/first.log" "$in" "$out" -p a="$A" --workers 1 --state "$state"
check "first watch runs" wait_until 20 grep -q 'event=watching' "$tmp/first.log"
timeout 30 "$PIXPIPE" watch "$in" "$out" -p a="$A" --workers 1 --state "$state" 2>"$tmp/second.log"
rc=$?
check "a second watch on the same journal is refused (got $rc)" test "$rc" -eq 74
check "it says why" grep -q 'another pixpipe watch uses this state folder' "$tmp/second.log"
stop_watch TERM

# --- two inputs naming one output (--format): the first keeps it ---
cin=$tmp/cin
cout=$tmp/cout
mkdir -p "$cin"
"$PPGEN" --channels 3 64 48 "$cin/x.png" >/dev/null
start_watch "$tmp/coll.log" "$cin" "$cout" -p a=invert --format webp --workers 1 --settle 0.2
cjobs_is() { # N STATE
    [ "$("$PIXPIPE" jobs "$cout" --state-filter "$2" --json | grep -c '"id":')" -eq "$1" ]
}
check "the first input completes" wait_until 30 cjobs_is 1 done
"$PPGEN" --channels 3 -q 90 80 60 "$tmp/x.jpg" >/dev/null
mv "$tmp/x.jpg" "$cin/x.jpg"
check "the second input naming a/x.webp fails" wait_until 30 cjobs_is 1 failed
check "its error names the output and the first input" \
    eval '"$PIXPIPE" jobs "$cout" --state-filter failed | grep -q "a/x.webp is already the output of x.png"'
check "the output is still the first input's (64x48)" \
    eval '"$PIXPIPE" info "$cout/a/x.webp" | grep -q "64x48"'
check "the second input is quarantined" wait_until 20 test -f "$cout/_failed/x.jpg.error.json"
stop_watch TERM
check "SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

# --- a restart reads only new or changed files ---
# The journal remembers each file's hash with its size and modification time;
# a restart's scan takes that hash without reading the file again. Proof: new
# bytes of the same size with the old mtime restored go unnoticed by the
# restart (as by make or rsync); a new mtime makes the file read, and its new
# content makes new jobs.
rin=$tmp/rin
rout=$tmp/rout
mkdir -p "$rin"
pgm() { printf 'P5\n4 2\n255\n%s' "$1" >"$2"; } # 8 pixel bytes
rjobs_is() { [ "$("$PIXPIPE" jobs "$rout" --source r.pgm --json | grep -c '"id":')" -eq "$1" ]; }
pgm abcdefgh "$rin/r.pgm"
start_watch "$tmp/r1.log" "$rin" "$rout" -p a=invert --workers 1 --settle 0.2
check "restart: the first run processes r.pgm" wait_until 30 rjobs_is 1
stop_watch TERM
cp -p "$rin/r.pgm" "$tmp/r.ref"
pgm abcdefgX "$rin/r.pgm"
touch -r "$tmp/r.ref" "$rin/r.pgm"
start_watch "$tmp/r2.log" "$rin" "$rout" -p a=invert --workers 1 --settle 0.2
sleep 1.5 # the scan has delivered r.pgm by now
check "restart: same size and mtime: the remembered hash, no new job" rjobs_is 1
touch "$rin/r.pgm"
check "restart: a new mtime makes it read: new content, a new job" wait_until 30 rjobs_is 2
stop_watch TERM
check "restart: SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0

# --- usage ---
timeout 30 "$PIXPIPE" watch "$in" "$tmp/o" -p "$A" 2>/dev/null
check "an unnamed pipeline is refused" test $? -eq 64
timeout 30 "$PIXPIPE" watch "$in" "$tmp/o" -p _failed=invert 2>/dev/null
check "the name _failed is refused" test $? -eq 64
timeout 30 "$PIXPIPE" watch "$in" "$tmp/o" 2>/dev/null
check "no pipeline is refused" test $? -eq 64
timeout 30 "$PIXPIPE" watch "$in" "$in" -p a=invert 2>/dev/null
check "OUT_DIR = IN_DIR is refused" test $? -eq 64
timeout 30 "$PIXPIPE" watch "$in/sub" "$in" -p a=invert 2>/dev/null
check "IN_DIR inside OUT_DIR is refused" test $? -eq 64
timeout 30 "$PIXPIPE" watch "$tmp/nowhere" "$tmp/o" -p a=invert 2>/dev/null
check "a missing IN_DIR gives 66" test $? -eq 66
timeout 30 "$PIXPIPE" watch "$in" "$tmp/o" -p a=invert --log-format xml 2>/dev/null
check "a bad --log-format is refused" test $? -eq 64
"$PIXPIPE" jobs "$tmp/nowhere" 2>/dev/null
check "jobs without a journal gives 66" test $? -eq 66
"$PIXPIPE" jobs --state "$state" --state-filter sleeping 2>/dev/null
check "a bad --state-filter is refused" test $? -eq 64
"$PIXPIPE" __worker 2>/dev/null
check "the worker command is not for people" test $? -eq 64
check "watch --help" eval '"$PIXPIPE" watch --help | grep -q -- --task-timeout'
check "jobs --help" eval '"$PIXPIPE" jobs --help | grep -q -- --stats'

finish watch_features
