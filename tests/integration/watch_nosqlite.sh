#!/usr/bin/env bash
# pixpipe built without SQLite: watch and jobs say so and exit 69
# (registered only in such builds).
# Usage: watch_nosqlite.sh PIXPIPE
set -u
PIXPIPE=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
mkdir -p "$tmp/in"
"$PIXPIPE" watch "$tmp/in" "$tmp/out" -p a=invert 2>"$tmp/err"
check "watch exits 69" test $? -eq 69
check "watch says why" grep -q 'built without SQLite' "$tmp/err"
"$PIXPIPE" jobs "$tmp/out" 2>"$tmp/err"
check "jobs exits 69" test $? -eq 69
check "jobs says why" grep -q 'built without SQLite' "$tmp/err"
finish watch_nosqlite.sh
