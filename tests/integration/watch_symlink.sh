#!/usr/bin/env bash
# pixpipe watch: symbolic links are never followed. A link to an image
# outside IN_DIR and a link to a folder of images outside IN_DIR are ignored,
# whether they exist when watch starts (scan) or appear while it runs
# (inotify, and in a second run, polling); real images next to them are
# processed.
# Usage: watch_symlink.sh PIXPIPE PPGEN
source "$(dirname "$0")/watch_lib.sh"

outside=$tmp/outside
gen_images "$outside" 3 secret
gen_images "$outside/dir" 2 deep

# only_real_jobs OUT N: the journal has N jobs, none of them for a link
only_real_jobs() {
    local j
    j=$("$PIXPIPE" jobs "$1" --json)
    [ "$(grep -c '"id":' <<<"$j")" -eq "$2" ] && ! grep -q '"source": "[^"]*\(link\|secret\|deep\)' <<<"$j"
}

run_mode() { # MODE EXTRA-ARGS...
    local mode=$1
    shift
    local in=$tmp/$mode/in out=$tmp/$mode/out
    gen_images "$in" 2 real
    ln -s "$outside/secret0.png" "$in/link-at-start.png"
    ln -s "$outside/dir" "$in/linkdir-at-start"
    start_watch "$tmp/$mode.log" "$in" "$out" -p a=invert --workers 1 --settle 0.2 "$@"
    check "$mode: real images processed" wait_until 30 count_is "$out" done 2
    # links appear while it runs; a real marker image comes after them
    ln -s "$outside/secret1.png" "$in/link-later.png"
    ln -s "$outside/dir" "$in/linkdir-later"
    ln -s "$outside/secret2.png" "$tmp/$mode/link-moved.png"
    mv "$tmp/$mode/link-moved.png" "$in/"
    mkdir -p "$in/sub"
    ln -s "$outside/secret0.png" "$in/sub/link-in-new-folder.png"
    "$PPGEN" --channels 3 64 48 "$in/sub/marker.png" >/dev/null
    check "$mode: the marker after the links is processed" wait_until 30 count_is "$out" done 3
    sleep 1 # anything queued for the links would be queued by now
    check "$mode: no job for any link" only_real_jobs "$out" 3
    check "$mode: no output for any link" \
        test -z "$(find "$out/a" -name '*link*' -o -name 'secret*' -o -name 'deep*')"
    check "$mode: outside files untouched" test "$(ls "$outside" | wc -l)" -eq 4
    stop_watch TERM
    check "$mode: SIGTERM exits 0 (got $wrc)" test "$wrc" -eq 0
}

run_mode inotify
run_mode poll --poll 0.3

finish watch_symlink
