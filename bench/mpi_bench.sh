#!/usr/bin/env bash
# make bench-mpi: scaling of `pixpipe mpi batch` and `pixpipe mpi apply` at
# 1, 2, 4 and 8 ranks (one thread each) on this machine. Ranks beyond the
# physical cores are oversubscribed and marked so. Writes the MPI section of
# bench/RESULTS.md (between <!-- mpi --> and <!-- /mpi -->).
#
#   bench/mpi_bench.sh BUILD_DIR            full: ~900 MP image for apply
#   BENCH_QUICK=1 bench/mpi_bench.sh BUILD  quick: small corpus and image
#   RANKS="1 2 4 8 16" bench/mpi_bench.sh   other rank counts
set -euo pipefail
shopt -s inherit_errexit # a failed run stops the bench, even inside $(...)
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PIXPIPE=$root/$build/src/cli/pixpipe
PPGEN=$root/$build/tests/tools/ppgen
work=$here/work/mpi
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
RANKS=${RANKS:-1 2 4 8}
cores=$(lscpu -p=CORE 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[ "$cores" -ge 1 ] || cores=$(nproc)
quick=${BENCH_QUICK:-0}

# ---- corpus for mpi batch: 64 photo-like JPEGs of 2-4 MP
corpus=$work/corpus
if [ ! -f "$corpus/.done" ]; then
    rm -rf "$corpus"
    mkdir -p "$corpus"
    n=$([ "$quick" = 1 ] && echo 16 || echo 64)
    for i in $(seq 1 "$n"); do
        w=$((1600 + (i * 137) % 800)) h=$((1200 + (i * 71) % 600))
        "$PPGEN" --channels 3 -q 90 "$w" "$h" "$corpus/img$i.jpg" >/dev/null
    done
    touch "$corpus/.done"
fi
BATCH_PIPE='gaussian sigma=2 | median ksize=3'

# ---- one big PNM for mpi apply: ranks read their rows, write with MPI-IO
if [ "$quick" = 1 ]; then W=8000 H=6000; else W=30720 H=29296; fi
big=$work/big-$W.ppm
[ -f "$big" ] || "$PPGEN" --channels 3 "$W" "$H" "$big" >/dev/null
APPLY_PIPE='gaussian sigma=1.1'

now() { date +%s.%N; }
# best of `reps` runs of a command, in seconds
time_cmd() {
    local reps=$1 best=
    shift
    for _ in $(seq 1 "$reps"); do
        local t0 t1 d
        t0=$(now)
        "$@" >/dev/null 2>&1 || { echo "command failed: $*" >&2; exit 1; }
        t1=$(now)
        d=$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')
        if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then best=$d; fi
    done
    echo "$best"
}

table() { # NAME reps CMD-with-@N@
    local name=$1 reps=$2
    shift 2
    local t1=
    echo "| ranks | oversubscribed | wall s | speedup | efficiency per rank | efficiency per physical core |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for n in $RANKS; do
        local cmd=()
        for a in "$@"; do cmd+=("${a//@N@/$n}"); done
        rm -rf "$work/out"
        local t
        t=$(time_cmd "$reps" "${cmd[@]}")
        [ -n "$t1" ] || t1=$t
        local sp eff effc phys over
        sp=$(awk -v a="$t1" -v b="$t" 'BEGIN { print a / b }')
        eff=$(awk -v s="$sp" -v n="$n" 'BEGIN { print 100 * s / n }')
        phys=$((n < cores ? n : cores))
        effc=$(awk -v s="$sp" -v n="$phys" 'BEGIN { print 100 * s / n }')
        over=$([ "$n" -gt "$cores" ] && echo "yes ($n ranks on $cores cores)" || echo no)
        printf "| %d | %s | %.2f | %.2f | %.0f%% | %.0f%% |\n" "$n" "$over" "$t" "$sp" "$eff" "$effc"
    done
}

reps=$([ "$quick" = 1 ] && echo 1 || echo 3)
batch_table=$(table "mpi batch" "$reps" mpirun --oversubscribe -n @N@ "$PIXPIPE" mpi batch --quiet \
    --force "$corpus" "$work/out" -p "$BATCH_PIPE" --threads 1)
apply_cmd=(mpirun --oversubscribe -n @N@ "$PIXPIPE" mpi apply --quiet --max-pixels 2000000000
    --max-bytes 8000000000)
apply_table=$(table "mpi apply" 2 "${apply_cmd[@]}" -p "$APPLY_PIPE" "$big" "$work/out.ppm")
# The same run with `invert`, whose compute is negligible: what is left is
# reading, writing and syncing the file, the part more ranks on one disk
# cannot divide.
floor_table=$(table "mpi apply invert" 2 "${apply_cmd[@]}" -p invert "$big" "$work/out.ppm")
rm -f "$work/out.ppm"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
mem=$(free -g | awk '/^Mem:/ {print $2}')
imgs=$(find "$corpus" -name '*.jpg' | wc -l)
mb=$(du -sm --apparent-size "$corpus" | cut -f1)
section=$(cat <<EOF
<!-- mpi -->
## MPI scaling (make bench-mpi)

Measured $(date -u +%Y-%m-%d) on this machine: $cpu, $(nproc) logical CPUs
($cores physical cores), ${mem} GiB. Open MPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}').
One thread per rank. Speedup is against 1 rank; efficiency per physical
core divides the speedup by min(ranks, physical cores), so oversubscribed
runs are judged by the cores they really had.

**mpi batch**: $imgs JPEGs ($mb MB, 2-4 MP each), \`$BATCH_PIPE\`, best of $reps:

$batch_table

**mpi apply**: one ${W}x${H} PPM ($((W * H / 1000000)) MP), \`$APPLY_PIPE\`, every rank
reading its own rows and writing them with MPI-IO:

$apply_table

The same image through \`invert\`, whose compute is negligible, measures the
input/output floor (read $((W * H * 3 / 1000000)) MB, write and fsync as much):

$floor_table

Targets (issue 6): at least 85% efficiency per physical core for \`mpi
batch\`, at least 75% for \`mpi apply\` of a ~900 MP image. On this machine
only the 1 and 2 rank rows say anything about scaling; rows past the
physical cores show the cost of oversubscription. Ranks on one node share one
disk and one page cache, so the \`invert\` floor bounds what \`mpi apply\` can
gain here; across nodes with a parallel file system each rank brings its own
bandwidth.

Reproduce: \`make bench-mpi\` (\`BENCH_QUICK=1\` for a small run, \`RANKS="1 2 4
8 16"\` for other counts).
<!-- /mpi -->
EOF
)
results=$here/RESULTS.md
touch "$results"
printf '%s\n' "$section" >"$work/section.md"
python3 - "$results" "$work/section.md" <<'PY'
import re, sys
results, section = sys.argv[1], sys.argv[2]
s = open(results).read()
new = open(section).read().strip()
if "<!-- mpi -->" in s:
    s = re.sub(r"<!-- mpi -->.*?<!-- /mpi -->", lambda m: new, s, flags=re.S)
else:
    s = s.rstrip() + "\n\n" + new + "\n"
open(results, "w").write(s)
PY
echo "$section"
