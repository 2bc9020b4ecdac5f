#!/usr/bin/env bash
# MPI integration test (real mpirun, ranks oversubscribed on this machine).
#   1. Determinism, the main test: every pipeline of the golden manifests
#      (every filter, their parameters, inputs down to 4x3 and 13x9 so blocks
#      are thinner than the halos) through the distributed executor, both ways
#      of reading, bit-identical to one process, for N = 1 to 8 ranks, and
#      with 2 threads per rank.
#   2. `pixpipe mpi apply` on files: PNM (ranks read their rows, MPI-IO
#      writes), PNG (rank 0 scatters and gathers), baseline JPEG; equal to
#      `pixpipe apply`; per-rank report; a bad input fails cleanly.
#   3. `pixpipe mpi batch`: outputs equal to `pixpipe apply`; killed halfway,
#      then rerun with --state: every image has exactly one output, the
#      journal shows every job done, no temporary file is left; two inputs
#      with one output name fail one of them, once.
# Usage: mpi.sh PIXPIPE MPI_CHECK PPGEN
set -u
PIXPIPE=$(realpath "$1")
CHECK=$(realpath "$2")
PPGEN=$(realpath "$3")
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
source "$(dirname "$0")/check_lib.sh"
mpi() { timeout 300 mpirun --oversubscribe -n "$@"; }

# ---------------------------------------------------------------- 1. determinism
for n in 1 2 3 4 5 6 7 8; do
    mpi "$n" "$CHECK" "$root"/tests/golden/*.manifest >"$tmp/check.out" 2>&1
    rc=$?
    check "mpi_check on $n ranks (rc $rc): $(tail -1 "$tmp/check.out")" \
        grep -q "^mpi_check: $n ranks x 1 threads: [1-9][0-9]* cases, 0 mismatches" "$tmp/check.out"
    [ "$rc" -eq 0 ] || grep MISMATCH "$tmp/check.out" | head -5
done
mpi 3 "$CHECK" "$root"/tests/golden/*.manifest --threads 2 >"$tmp/check.out" 2>&1
check "mpi_check on 3 ranks x 2 threads: $(tail -1 "$tmp/check.out")" \
    grep -q "^mpi_check: 3 ranks x 2 threads: [1-9][0-9]* cases, 0 mismatches" "$tmp/check.out"

# ---------------------------------------------------------------- 2. mpi apply
"$PIXPIPE" convert "$root/examples/retina.jpg" "$tmp/retina.ppm"
"$PIXPIPE" convert -q 92 "$root/examples/coffee.png" "$tmp/coffee.jpg"
cp "$root/examples/chelsea.png" "$tmp/chelsea.png"
P='gaussian sigma=2 | median ksize=5 | equalize | rotate angle=20 expand=true | canny'
for f in retina.ppm chelsea.png coffee.jpg; do
    ext=${f##*.}
    [ "$ext" = jpg ] && ext=png # a lossless output to compare bytes
    "$PIXPIPE" apply -j 1 -p "$P" "$tmp/$f" "$tmp/ref.$ext"
    for n in 1 3 8; do
        mpi "$n" "$PIXPIPE" mpi apply -p "$P" "$tmp/$f" "$tmp/out.$ext" >"$tmp/apply.out" 2>&1
        check "mpi apply $f on $n ranks exits 0" test $? -eq 0
        check "mpi apply $f on $n ranks equals apply" cmp -s "$tmp/ref.$ext" "$tmp/out.$ext"
    done
    check "mpi apply $f: per-rank memory reported" grep -q "peak RSS MB" "$tmp/apply.out"
done
check "PNM is read by every rank and written with MPI-IO" \
    sh -c "timeout 300 mpirun --oversubscribe -n 2 '$PIXPIPE' mpi apply -p invert '$tmp/retina.ppm' '$tmp/o.ppm' | grep -q 'read by every rank (own rows), output written by every rank'"
check "PNG is scattered and gathered" \
    sh -c "timeout 300 mpirun --oversubscribe -n 2 '$PIXPIPE' mpi apply -p invert '$tmp/chelsea.png' '$tmp/o.png' | grep -q 'read by rank 0 and scattered, output gathered'"
for n in 2 5; do
    mpi "$n" "$PIXPIPE" mpi apply --quiet --scatter --gather -p "$P" "$tmp/retina.ppm" "$tmp/sg.ppm"
    check "--scatter --gather on $n ranks equals apply" cmp -s "$tmp/ref.ppm" "$tmp/sg.ppm"
done
mkdir "$tmp/outdir"
mpi 3 "$PIXPIPE" mpi apply -p invert "$root/tests/data/bad/truncated.jpg" "$tmp/outdir/x.png" \
    >/dev/null 2>"$tmp/err"
rc=$?
check "bad input fails (rc $rc)" test "$rc" -ne 0
check "bad input named" grep -q "truncated.jpg" "$tmp/err"
check "bad input leaves nothing" test -z "$(ls -A "$tmp/outdir")"

# ---------------------------------------------------------------- 3. mpi batch
in=$tmp/in
mkdir -p "$in/sub"
for i in $(seq 1 24); do
    "$PPGEN" --channels 3 1600 1200 "$in/img$i.jpg" >/dev/null 2>&1
done
cp "$root/examples/rocket.jpg" "$root/examples/camera.png" "$in/sub/"
B='gaussian sigma=6 | median ksize=7'
mpi 3 "$PIXPIPE" mpi batch "$in" "$tmp/b1" -p g="$B" -p e='grayscale | canny' --quiet
check "mpi batch exits 0" test $? -eq 0
for f in img3.jpg sub/rocket.jpg sub/camera.png; do
    "$PIXPIPE" apply -j 1 -p "$B" "$in/$f" "$tmp/ref.${f##*.}"
    check "mpi batch g/$f equals apply" cmp -s "$tmp/ref.${f##*.}" "$tmp/b1/g/$f"
done
check "mpi batch made every output" test "$(find "$tmp/b1/g" "$tmp/b1/e" -type f | wc -l)" -eq 52

# killed halfway, then rerun with the journal
out=$tmp/b2
state=$tmp/state
mpirun --oversubscribe -n 3 "$PIXPIPE" mpi batch "$in" "$out" -p g="$B" --state "$state" \
    --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    n=$(find "$out/g" -type f 2>/dev/null | wc -l)
    [ "$n" -ge 4 ] && break
    sleep 0.05
done
kill -9 $pid
pkill -9 -f "pixpipe mpi batch $in $out" 2>/dev/null
wait $pid 2>/dev/null
sleep 0.5
before=$(find "$out/g" -type f | wc -l)
check "the first run was killed halfway ($before of 26 outputs)" test "$before" -lt 26
mpi 3 "$PIXPIPE" mpi batch "$in" "$out" -p g="$B" --state "$state" >"$tmp/rerun.out" 2>&1
check "the rerun exits 0" test $? -eq 0
check "the rerun skipped what was done" grep -Eq "[1-9][0-9]* up to date" "$tmp/rerun.out"
check "every image has exactly one output" test "$(find "$out/g" -type f | wc -l)" -eq 26
check "no temporary file is left" test -z "$(find "$out" -name '.*.pp-*.tmp')"
"$PIXPIPE" jobs --state "$state" --stats >"$tmp/stats" 2>&1
check "the journal shows every job done" grep -q "jobs: 26 (queued 0, running 0, done 26, retrying 0, failed 0)" "$tmp/stats"
for f in img1.jpg img17.jpg sub/rocket.jpg; do
    "$PIXPIPE" apply -j 1 -p "$B" "$in/$f" "$tmp/ref.${f##*.}"
    check "after restart g/$f equals apply" cmp -s "$tmp/ref.${f##*.}" "$out/g/$f"
done

# Two inputs with one output name: one fails once, in the run and in the
# journal, and a rerun does not count or run it again.
coll=$tmp/coll
mkdir -p "$coll"
cp "$root/examples/rocket.jpg" "$coll/x.jpg"
"$PIXPIPE" apply -p grayscale "$coll/x.jpg" "$coll/x.png"
for run in 1 2; do
    mpi 2 "$PIXPIPE" mpi batch "$coll" "$tmp/collout" --format webp -p invert \
        --state "$tmp/collstate" >"$tmp/coll.out" 2>&1
    check "collision run $run exits 65" test $? -eq 65
    check "collision run $run: one failed, named" \
        grep -Eq "x.png: its output .*x.webp is also the output of .*x.jpg" "$tmp/coll.out"
    check "collision run $run: counted once" grep -Eq "[01] done, 1 failed" "$tmp/coll.out"
done
"$PIXPIPE" jobs --state "$tmp/collstate" --stats >"$tmp/stats" 2>&1
check "the journal has the collision failed once" \
    grep -q "jobs: 2 (queued 0, running 0, done 1, retrying 0, failed 1)" "$tmp/stats"

# A journal that also holds a waiting job of another run (an input changed
# or removed since): the rerun still does all of its own work and leaves the
# other job as it found it.
fj=$tmp/foreign
mkdir -p "$fj/in"
cp "$root/examples/rocket.jpg" "$root/examples/camera.png" "$fj/in/"
mpi 2 "$PIXPIPE" mpi batch "$fj/in" "$fj/out" -p invert --state "$fj/state" --quiet
python3 - "$fj/state/journal.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO jobs (source, hash, size, name, pipeline, opts, output, state, queued_ms) "
           "VALUES ('gone.jpg', 'stat:1:1', 1, '-', 'invert', '', 'gone.jpg', 'queued', 0)")
db.commit()
PY
rm -rf "$fj/out"
mpi 2 "$PIXPIPE" mpi batch "$fj/in" "$fj/out2" -p grayscale --state "$fj/state" >"$tmp/fj.out" 2>&1
check "a foreign waiting job does not stop the run" grep -q "2 done, 0 failed" "$tmp/fj.out"
check "every output of the run is made" test -f "$fj/out2/rocket.jpg" -a -f "$fj/out2/camera.png"
check "the foreign job is left waiting" test "$(python3 -c "import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute(\"SELECT state, attempts FROM jobs WHERE source='gone.jpg'\").fetchone())" "$fj/state/journal.db")" = "('queued', 0)"

finish mpi.sh
