#!/usr/bin/env bash
# Integration test for `pixpipe batch`: layout, named pipelines, outputs equal
# to `pixpipe apply`, failures, up-to-date skipping, --force, thread-count
# invariance, progress on a terminal and in a pipe, --quiet, and Ctrl-C.
# Usage: batch.sh PIXPIPE PPGEN
set -u
PIXPIPE=$1
PPGEN=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"

in=$tmp/in
mkdir -p "$in/sub/deeper"
cp "$root"/examples/rocket.jpg "$root"/examples/camera.png "$root"/examples/coffee.png "$in/"
cp "$root"/examples/chelsea.png "$in/sub/"
cp "$root"/examples/hubble_deep_field.jpg "$in/sub/deeper/"
head -c 4000 "$root/examples/rocket.jpg" >"$in/sub/broken.jpg"
echo "notes" >"$in/README.txt"
cp "$root/examples/rocket.jpg" "$in/.hidden.jpg"
cp "$root/examples/rocket.jpg" "$in/partial.jpg.part"
ln -s "$root/examples/retina.jpg" "$in/link.jpg"

# ---------------------------------------------------------------- first run
out=$tmp/out
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray=grayscale -p soft='gaussian sigma=2' \
    -p edges='grayscale | gaussian sigma=1.4 | canny' >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
check "exit 65 when an image fails (got $rc)" test "$rc" -eq 65
for p in gray soft edges; do
    for f in rocket.jpg camera.png coffee.png sub/chelsea.png sub/deeper/hubble_deep_field.jpg; do
        check "$p/$f exists" test -f "$out/$p/$f"
    done
    check "$p: broken image has no output" test ! -e "$out/$p/sub/broken.jpg"
    check "$p: text file ignored" test ! -e "$out/$p/README.txt"
    check "$p: hidden file ignored" test ! -e "$out/$p/.hidden.jpg"
    check "$p: .part file ignored" test ! -e "$out/$p/partial.jpg.part"
    check "$p: symlink not followed" test ! -e "$out/$p/link.jpg"
done
check "failure named on stderr" grep -q "broken.jpg: JPEG" "$tmp/stderr"
check "summary counts" grep -q "6 images x 3 pipelines: 15 done, 3 failed, 0 up to date" "$tmp/stdout"
check "summary latency" grep -Eq "latency per image: p50 [0-9.]+ ms, p95 [0-9.]+ ms, max [0-9.]+ ms" "$tmp/stdout"
check "summary throughput" grep -Eq "wall [0-9.]+ s, [0-9.]+ jobs/s, [0-9.]+ MB/s" "$tmp/stdout"
check "failure listed in summary" grep -q "  edges: .*broken.jpg" "$tmp/stdout"
check "plain progress lines when not a terminal" grep -Eq "^batch: [0-9]+/18 \([0-9]+%\)" "$tmp/stderr"
check "no temporary files left" test -z "$(find "$out" -name '.*.pp-*.tmp')"

# Each output equals `pixpipe apply` on that image.
same_as_apply() { # PIPELINE-TEXT NAME REL
    "$PIXPIPE" apply -j 1 -p "$1" "$in/$3" "$tmp/apply.${3##*.}" 2>/dev/null &&
        cmp -s "$tmp/apply.${3##*.}" "$out/$2/$3"
}
for f in rocket.jpg camera.png sub/deeper/hubble_deep_field.jpg; do
    check "gray/$f equals apply" same_as_apply grayscale gray "$f"
    check "edges/$f equals apply" same_as_apply 'grayscale | gaussian sigma=1.4 | canny' edges "$f"
done
# --no-sync skips the fsync only: the same bytes land under the same name.
"$PIXPIPE" apply --no-sync -p grayscale "$in/rocket.jpg" "$tmp/nosync.jpg" 2>/dev/null
check "apply --no-sync writes the same output" cmp -s "$tmp/nosync.jpg" "$out/gray/rocket.jpg"

# ---------------------------------------------------------------- re-runs
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray=grayscale -p soft='gaussian sigma=2' \
    -p edges='grayscale | gaussian sigma=1.4 | canny' >"$tmp/stdout" 2>"$tmp/stderr"
check "re-run skips what is up to date" grep -q "0 done, 3 failed, 15 up to date" "$tmp/stdout"
touch -d '2001-01-01' "$in/coffee.png"
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray=grayscale >"$tmp/stdout" 2>"$tmp/stderr"
check "changed input is redone" grep -q "1 done, 1 failed, 4 up to date" "$tmp/stdout"
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray='grayscale | invert' >"$tmp/stdout" 2>"$tmp/stderr"
check "changed pipeline redoes every image" grep -q "5 done, 1 failed, 0 up to date" "$tmp/stdout"
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray='grayscale | invert' --force >"$tmp/stdout" 2>"$tmp/stderr"
check "--force redoes everything" grep -q "5 done, 1 failed, 0 up to date" "$tmp/stdout"
rm "$out/gray/camera.png"
"$PIXPIPE" batch "$in" "$out" -j 2 -p gray='grayscale | invert' >"$tmp/stdout" 2>"$tmp/stderr"
check "deleted output is redone" grep -q "1 done, 1 failed, 4 up to date" "$tmp/stdout"

# ---------------------------------------------------------------- threads
rm "$in/sub/broken.jpg"
for j in 1 2 3 8; do
    "$PIXPIPE" batch "$in" "$tmp/j$j" -j $j --quiet -p 'gaussian sigma=2 | median ksize=5' \
        -p e='grayscale | canny' >/dev/null 2>&1
    check "-j $j exits 0" test $? -eq 0
done
for j in 2 3 8; do
    check "-j $j output identical to -j 1" diff -r "$tmp/j1" "$tmp/j$j" -x .pixpipe
done

# ---------------------------------------------------------------- options
"$PIXPIPE" batch "$in" "$tmp/fmt" --quiet --format png -p invert >"$tmp/stdout" 2>&1
check "--format changes the extension" test -f "$tmp/fmt/rocket.png"
check "--quiet prints nothing" test ! -s "$tmp/stdout"
"$PIXPIPE" batch "$in" "$in" -p invert >/dev/null 2>"$tmp/stderr"
check "same input and output folder refused" test $? -eq 64
"$PIXPIPE" batch "$tmp/nowhere" "$tmp/x" -p invert >/dev/null 2>"$tmp/stderr"
check "missing input folder gives 66" test $? -eq 66
"$PIXPIPE" batch "$in" "$tmp/x" -p invert -p invert >/dev/null 2>"$tmp/stderr"
check "two unnamed pipelines refused" test $? -eq 64
for bad_name in .. . .pixpipe _failed; do
    "$PIXPIPE" batch "$in" "$tmp/x" -p "$bad_name=invert" >/dev/null 2>"$tmp/stderr"
    check "pipeline name '$bad_name' refused" test $? -eq 64
done
check "refused names write nothing" test ! -e "$tmp/x"
"$PIXPIPE" batch "$in" "$tmp/x" -p 'gausian' >/dev/null 2>"$tmp/stderr"
check "bad pipeline gives 64" test $? -eq 64
check "bad pipeline suggests" grep -q 'did you mean "gaussian"' "$tmp/stderr"

# Two inputs with one output name (x.jpg and x.png with --format webp): the
# first by name keeps it, the other fails with both names, nothing is lost.
coll=$tmp/coll
mkdir -p "$coll"
cp "$in/rocket.jpg" "$coll/x.jpg"
"$PIXPIPE" apply -p grayscale "$in/rocket.jpg" "$coll/x.png" # other pixels than x.jpg
"$PIXPIPE" batch "$coll" "$tmp/collout" --format webp -p invert >"$tmp/stdout" 2>"$tmp/stderr"
check "an output collision exits 65" test $? -eq 65
check "the collision names both inputs" \
    grep -q "x.png: its output .*/x.webp is also the output of .*/x.jpg" "$tmp/stdout"
check "the collision counts one done, one failed" grep -q "1 done, 1 failed" "$tmp/stdout"
"$PIXPIPE" apply -p invert "$coll/x.jpg" "$tmp/x-ref.webp"
check "the kept output is x.jpg's" cmp -s "$tmp/collout/x.webp" "$tmp/x-ref.webp"

# ---------------------------------------------------------------- terminal progress
if command -v script >/dev/null; then
    script -qec "$PIXPIPE batch '$in' '$tmp/tty' -j 1 -p invert" "$tmp/typescript" >/dev/null 2>&1
    check "progress bar drawn on a terminal" grep -q $'\r' "$tmp/typescript"
    check "progress bar shows ETA" grep -q "ETA" "$tmp/typescript"
else
    bad "script(1) missing: cannot test terminal progress"
fi

# ---------------------------------------------------------------- Ctrl-C
big=$tmp/big
mkdir -p "$big"
for i in 1 2 3 4 5 6; do
    "$PPGEN" --channels 3 3000 3000 "$big/img$i.png" >/dev/null 2>&1 || bad "ppgen failed"
done
"$PIXPIPE" batch "$big" "$tmp/int" -j 2 -p 'gaussian sigma=4' >/dev/null 2>"$tmp/stderr" &
pid=$!
# wait (bounded) until a temporary output exists, i.e. work is mid-way
for _ in $(seq 1 200); do
    [ -n "$(find "$tmp/int" -name '.*.pp-*.tmp' 2>/dev/null)" ] && break
    sleep 0.05
done
kill -INT $pid
wait_bounded $pid 60 # 137 if Ctrl-C were ignored
rc=$wrc
check "Ctrl-C exits 130 (got $rc)" test "$rc" -eq 130
check "Ctrl-C leaves no temporary files" test -z "$(find "$tmp/int" -name '.*.pp-*.tmp')"
for f in "$tmp"/int/*.png; do
    [ -e "$f" ] || continue
    check "finished output $f is whole" "$PIXPIPE" info "$f"
done

# ------------------------------------------------- another writer in OUT
# A batch starts by sweeping the temporaries killed runs left in OUT, but
# never a live writer's: here another batch into the same folder, stopped
# mid-way (SIGSTOP makes "mid-way" certain), must finish once resumed.
shared=$tmp/shared
"$PIXPIPE" batch "$big" "$shared" -j 1 -p 'gaussian sigma=4' --quiet 2>"$tmp/a.err" &
apid=$!
live=
for _ in $(seq 1 400); do
    live=$(find "$shared" -name '.*.pp-*.tmp' 2>/dev/null | head -1)
    [ -n "$live" ] && break
    kill -0 $apid 2>/dev/null || break
    sleep 0.05
done
if [ -n "$live" ] && kill -STOP $apid 2>/dev/null; then
    host=$(basename "$live" | sed -E 's/.*\.pp-([0-9a-f]{8})-[0-9]+-.*/\1/')
    true &
    gone=$! # a pid that no longer runs: a killed writer's
    wait $gone
    dead="$shared/.gone.png.pp-$host-$gone-abcdef.tmp"
    : >"$dead"
    "$PIXPIPE" batch "$in/sub" "$shared" -p grayscale --quiet >/dev/null 2>"$tmp/b.err"
    rc=$?
    check "a second batch into the same folder exits 0 (got $rc)" test "$rc" -eq 0
    check "it keeps the live writer's temporary" test -e "$live"
    check "it sweeps a dead writer's temporary" test ! -e "$dead"
    kill -CONT $apid
    wait_bounded $apid 120
    check "the stopped batch then finishes (exit $wrc)" test "$wrc" -eq 0
    check "all its outputs are there" test "$(find "$shared" -maxdepth 1 -name 'img*.png' | wc -l)" -eq 6
    check "no temporary files left in the shared folder" \
        test -z "$(find "$shared" -name '.*.pp-*.tmp')"
else
    kill -KILL $apid 2>/dev/null
    wait $apid 2>/dev/null
    bad "no temporary output appeared while the first batch ran"
fi

finish batch.sh
