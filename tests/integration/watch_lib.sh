# Shared helpers for the `pixpipe watch` integration tests (sourced).
# The sourcing script is called as: SCRIPT PIXPIPE PPGEN.
# Every wait is bounded; a test never passes or fails on how fast things run,
# only on whether they happen within generous limits.
set -u
PIXPIPE=$1
PPGEN=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
watch_pids=()

cleanup() {
    local p
    for p in "${watch_pids[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT


# gen_images DIR N [PREFIX]: N small distinct images (every size differs).
gen_images() {
    local dir=$1 n=$2 prefix=${3:-img} i
    mkdir -p "$dir"
    for ((i = 0; i < n; i++)); do
        "$PPGEN" --channels 3 $((64 + i % 20)) $((48 + i / 20)) "$dir/$prefix$i.png" >/dev/null ||
            bad "ppgen $prefix$i.png"
    done
}

# start_watch LOGFILE ARGS...: starts `pixpipe watch ARGS` in the background;
# sets $wpid.
start_watch() {
    local log=$1
    shift
    "$PIXPIPE" watch "$@" 2>>"$log" &
    wpid=$!
    watch_pids+=("$wpid")
}

# stop_watch [SIGNAL]: signals $wpid (default TERM) and waits; sets $wrc.
stop_watch() {
    kill -"${1:-TERM}" "$wpid" 2>/dev/null
    wait_bounded "$wpid" 60 # a watcher that does not stop is killed (wrc 137)
}

# state_count OUT STATE: jobs of the journal in OUT/.pixpipe in STATE.
state_count() {
    "$PIXPIPE" jobs "$1" --stats --json 2>/dev/null |
        sed -n "s/.*\"$2\": \([0-9][0-9]*\).*/\1/p" | head -n 1
}

# total_jobs OUT: all jobs of the journal.
total_jobs() {
    "$PIXPIPE" jobs "$1" --stats --json 2>/dev/null | sed -n 's/^  "jobs": \([0-9]*\),/\1/p'
}

# wait_until SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_until() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

# count_is OUT STATE N: the journal has exactly N jobs in STATE.
count_is() { [ "$(state_count "$1" "$2")" = "$3" ]; }
# count_at_least OUT STATE N
count_at_least() {
    local c
    c=$(state_count "$1" "$2")
    [ -n "$c" ] && [ "$c" -ge "$3" ]
}

# children_of PID: the process ids whose parent is PID (read from /proc
# with shell builtins only).
children_of() {
    local parent=$1 s line
    for s in /proc/[0-9]*/stat; do
        { read -r line <"$s"; } 2>/dev/null || continue
        set -- ${line##*) }
        if [ "${2:-}" = "$parent" ]; then
            s=${s#/proc/}
            echo "${s%/stat}"
        fi
    done
}

# alive PID: the process exists and is not a zombie.
alive() {
    local line
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

# no_temps DIR: no temporary output is left anywhere under DIR.
no_temps() { [ -z "$(find "$1" -name '.*.pp-*.tmp' 2>/dev/null)" ]; }

# outputs_match IN OUT NAME PIPE N: OUT/NAME holds exactly N images, each
# bit-identical to `pixpipe apply PIPE` on the input of the same name.
outputs_match() {
    local in=$1 out=$2 name=$3 pipe=$4 n=$5 f rel got bad_n=0
    got=$(find "$out/$name" -type f | wc -l)
    if [ "$got" -ne "$n" ]; then
        echo "  $out/$name holds $got files, expected $n"
        return 1
    fi
    while IFS= read -r f; do
        rel=${f#"$in"/}
        if ! "$PIXPIPE" apply -j 1 -p "$pipe" "$f" "$tmp/apply.png" 2>/dev/null ||
            ! cmp -s "$tmp/apply.png" "$out/$name/$rel"; then
            echo "  $name/$rel differs from pixpipe apply"
            bad_n=$((bad_n + 1))
        fi
    done < <(find "$in" -type f -name '*.png')
    [ "$bad_n" -eq 0 ]
}

# jobs_for OUT SOURCE: the JSON list of jobs for one source key.
jobs_for() { "$PIXPIPE" jobs "$1" --source "$2" --json 2>/dev/null; }
# njobs_for OUT SOURCE: how many jobs one source has.
njobs_for() { jobs_for "$1" "$2" | grep -c '"id":'; }
