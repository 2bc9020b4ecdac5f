#!/usr/bin/env bash
# pixpipe watch: slow writers and renames. A file written slowly over 5 s
# (one open descriptor, a chunk a second) is never processed before it is
# complete: with inotify (taken on IN_CLOSE_WRITE) and with --poll (taken once
# size and mtime have settled). A file renamed into IN_DIR, from outside or
# from a temporary name inside, is processed exactly once.
# Usage: watch_slow_writer.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

P='grayscale | gaussian sigma=1'
"$PPGEN" --channels 3 400 300 "$tmp/big.png" >/dev/null || bad "ppgen big.png"
size=$(stat -c %s "$tmp/big.png")
chunk=$(((size + 4) / 5))

# slow_write DEST: writes big.png to DEST in 5 chunks, 1 s apart, through one
# descriptor, checking after each chunk that no job exists for it yet.
slow_write() {
    local dest=$1 out=$2 key=$3 k early=0
    exec 7>"$dest"
    for ((k = 0; k < 5; k++)); do
        dd if="$tmp/big.png" bs="$chunk" skip=$k count=1 status=none >&7
        sleep 1
        [ "$(njobs_for "$out" "$key")" -eq 0 ] || early=1
    done
    exec 7>&-
    return $early
}

# both_done OUT KEY: the two jobs of KEY are done
both_done() { [ "$(jobs_for "$1" "$2" | grep -c '"state": "done"')" -eq 2 ]; }

run_mode() { # MODE-NAME EXTRA-ARGS...
    local mode=$1
    shift
    local in=$tmp/$mode/in out=$tmp/$mode/out
    mkdir -p "$in" "$tmp/$mode/stage"
    start_watch "$tmp/$mode.log" "$in" "$out" -p a="$P" -p b=invert --workers 2 "$@"
    check "$mode: watch started" wait_until 20 test -f "$out/.pixpipe/journal.db"
    sleep 0.5 # let it finish its (empty) first scan
    check "$mode: no job while the file is being written" slow_write "$in/slow.png" "$out" slow.png
    check "$mode: the complete file is processed" wait_until 30 both_done "$out" slow.png
    check "$mode: exactly one job per pipeline, first attempt" \
        test "$(jobs_for "$out" slow.png | grep -c '"attempts": 1,')" -eq 2
    check "$mode: output equals apply on the complete file" \
        eval '"$PIXPIPE" apply -j 1 -p "$P" "$in/slow.png" "$tmp/ref.png" && cmp -s "$tmp/ref.png" "$out/a/slow.png"'

    # renamed in from outside
    cp "$tmp/big.png" "$tmp/$mode/stage/moved.png"
    mv "$tmp/$mode/stage/moved.png" "$in/moved.png"
    # written under a temporary name inside IN_DIR, then renamed
    cp "$tmp/big.png" "$in/inside.png.part"
    "$PPGEN" --channels 1 90 70 "$in/.hidden.png" >/dev/null
    mv "$in/inside.png.part" "$in/inside.png"
    mv "$in/.hidden.png" "$in/unhidden.png"
    for f in moved.png inside.png unhidden.png; do
        check "$mode: renamed $f is processed" wait_until 30 both_done "$out" $f
    done
    sleep 1 # any duplicate would be queued by now
    for f in moved.png inside.png unhidden.png; do
        check "$mode: renamed $f is processed once" test "$(njobs_for "$out" $f)" -eq 2
    done
    check "$mode: temporary and hidden names never queued" \
        test "$(njobs_for "$out" inside.png.part)$(njobs_for "$out" .hidden.png)" = 00
    check "$mode: no job failed" count_is "$out" failed 0
    stop_watch TERM
    check "$mode: SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0
}

run_mode inotify --settle 2
run_mode poll --poll 0.3 --settle 2

finish watch_slow_writer
