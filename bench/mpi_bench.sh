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
# Untimed, before every run: no output of an earlier run to delete (renaming
# over a 2.7 GB file frees it inside the timed run) and no dirty pages of it
# still being written.
fresh_start() {
    rm -rf "$work/out" "$work/out.ppm"
    sync
}
# One run of a command: "MPIRUN_S PIXPIPE_S", the wall time of the whole
# mpirun and the wall time rank 0 reports (its "wall N s" line: from after
# MPI start-up to the output in place).
time_once() {
    fresh_start
    local t0 t1 inner
    t0=$(now)
    "$@" >"$work/run.log" 2>&1 || { echo "command failed: $*" >&2; tail "$work/run.log" >&2; exit 1; }
    t1=$(now)
    inner=$(sed -n 's/^wall \([0-9.]*\) s.*/\1/p' "$work/run.log" | tail -n 1)
    [ -n "$inner" ] || { echo "no wall line from: $*" >&2; exit 1; }
    awk -v a="$t1" -v b="$t0" -v i="$inner" 'BEGIN { printf "%.2f %.2f", a - b, i }'
}

pct() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f%%", 100 * a / b / n }'; }

# `reps` rounds, each running every rank count once, so a slow spell of this
# shared machine falls on all counts alike. Per count the run with the best
# pixpipe wall time is kept; every run is listed.
table() { # NAME reps CMD-with-@N@ (NAME: file for the target verdict)
    local name=$1 reps=$2
    shift 2
    local -A runs best outer
    local n
    for _ in $(seq 1 "$reps"); do
        for n in $RANKS; do
            local cmd=() a r o i
            for a in "$@"; do cmd+=("${a//@N@/$n}"); done
            r=$(time_once "${cmd[@]}")
            o=${r% *} i=${r#* }
            runs[$n]="${runs[$n]:-}${runs[$n]:+ }$i"
            if [ -z "${best[$n]:-}" ] || awk -v d="$i" -v b="${best[$n]}" 'BEGIN { exit !(d < b) }'; then
                best[$n]=$i outer[$n]=$o
            fi
        done
    done
    local first=${RANKS%% *}
    local t1=${best[$first]} o1=${outer[$first]}
    echo "| ranks | oversubscribed | pixpipe wall s (best) | every run s | speedup | efficiency per rank | efficiency per physical core | mpirun wall s | efficiency per physical core, mpirun wall |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for n in $RANKS; do
        local phys=$((n < cores ? n : cores)) over
        over=$([ "$n" -gt "$cores" ] && echo "yes ($n ranks on $cores cores)" || echo no)
        printf "| %d | %s | %.2f | %s | %.2f | %s | %s | %.2f | %s |\n" "$n" "$over" "${best[$n]}" \
            "${runs[$n]}" "$(awk -v a="$t1" -v b="${best[$n]}" 'BEGIN { print a / b }')" \
            "$(pct "$t1" "${best[$n]}" "$n")" "$(pct "$t1" "${best[$n]}" "$phys")" "${outer[$n]}" \
            "$(pct "$o1" "${outer[$n]}" "$phys")"
        # the verdict: the largest count that is not oversubscribed
        [ "$n" -gt "$cores" ] || echo "$n $(pct "$t1" "${best[$n]}" "$phys") $(pct "$o1" "${outer[$n]}" "$phys")" \
            >"$work/eff-$name"
    done
}

# verdict NAME TARGET-PERCENT: one line on the target from table NAME.
verdict() {
    local n e o
    read -r n e o <"$work/eff-$1"
    local status=MISSED
    [ "${e%\%}" -ge "$2" ] && status=REACHED
    echo "$n ranks: $e per physical core (by mpirun wall $o), target $2%: **$status**"
}

reps=$([ "$quick" = 1 ] && echo 1 || echo 3)
rm -f "$work"/eff-*
batch_table=$(table batch "$reps" mpirun --oversubscribe -n @N@ "$PIXPIPE" mpi batch \
    --force "$corpus" "$work/out" -p "$BATCH_PIPE" --threads 1)
apply_cmd=(mpirun --oversubscribe -n @N@ "$PIXPIPE" mpi apply --max-pixels 2000000000
    --max-bytes 8000000000)
apply_table=$(table apply "$reps" "${apply_cmd[@]}" -p "$APPLY_PIPE" "$big" "$work/out.ppm")
# The same run with `invert`, whose compute is negligible: what is left is
# reading, writing and syncing the file, the part more ranks on one disk
# cannot divide.
floor_table=$(table floor "$reps" "${apply_cmd[@]}" -p invert "$big" "$work/out.ppm")
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

Each table is $reps rounds; a round runs every rank count once, and per count
the run with the best pixpipe wall time is kept (every run is listed).
*pixpipe wall* is what rank 0 reports: from after MPI start-up until the
outputs are in place, synced. *mpirun wall* is the whole command, with
mpirun starting and stopping the ranks (about 0.3 s here, the same at any
count); the last column gives the efficiency by it. Before every run
(untimed) the previous output is removed and \`sync\` writes out what is
still dirty. Outputs are fsynced, as by default: the disk is in every figure.

**mpi batch**: $imgs JPEGs ($mb MB, 2-4 MP each), \`$BATCH_PIPE\`:

$batch_table

**mpi apply**: one ${W}x${H} PPM ($((W * H / 1000000)) MP), \`$APPLY_PIPE\`, every rank
reading its own rows and writing them with MPI-IO:

$apply_table

The same image through \`invert\`, whose compute is negligible, measures the
input/output floor (read $((W * H * 3 / 1000000)) MB, write and fsync as much):

$floor_table

Targets (issue 6), judged on pixpipe wall at the largest rank count this
machine runs without oversubscription:

- \`mpi batch\`, at least 85%: $(verdict batch 85)
- \`mpi apply\` of a ~900 MP image, at least 75%: $(verdict apply 75)

On this machine only the rows up to $cores ranks say anything about scaling;
rows past the physical cores show the cost of oversubscription. Ranks on one
node share one disk and one page cache, so the \`invert\` floor bounds what
\`mpi apply\` can gain here; across nodes with a parallel file system each
rank brings its own bandwidth. Every rank starts the disk writeback of each
strip as soon as it is written (sync_file_range), so the disk works while the
ranks compute instead of in one fsync at the end; before that change (and
with the bench timing the removal of the previous 2.7 GB output inside each
run) \`mpi apply\` measured 67% here.

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
