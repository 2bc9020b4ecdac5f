#!/usr/bin/env bash
# SLURM integration test: starts a private single-node SLURM cluster on this
# machine (its own munged socket and key copy, slurmctld and slurmd on free
# ports, all state in a temporary folder), submits deploy/slurm/batch.sbatch
# with `sbatch --wait`, and checks that every image has its output, equal to
# `pixpipe apply`. Needs root (slurmd and munged switch users) and Debian's
# slurm-wlm, munge and openmpi-bin (installed by `make deps`).
# Usage: slurm.sh PIXPIPE
set -u
PIXPIPE=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/check_lib.sh"

for prog in slurmctld slurmd sbatch sinfo munged mpirun; do
    command -v "$prog" >/dev/null || PATH=$PATH:/usr/sbin
    command -v "$prog" >/dev/null || { echo "FAIL: $prog is not installed (make deps)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: the SLURM test must run as root (slurmd, munged)"; exit 1; }

t=$(mktemp -d /tmp/pp-slurm.XXXXXX)
chmod 755 "$t"
pids=()
cleanup() {
    for f in "$t/slurmd.pid" "$t/slurmctld.pid" "$t/munge/pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.5
    rm -rf "$t"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- munge: a private daemon on its own socket with a copy of the key
mkdir -p "$t/munge" "$t/state" "$t/spool" "$t/log"
chown munge:munge "$t/munge"
chmod 700 "$t/munge"
key=/etc/munge/munge.key
[ -f "$key" ] || { echo "FAIL: $key missing (munge not installed?)"; exit 1; }
install -o munge -g munge -m 400 "$key" "$t/munge/key"
runuser -u munge -- "$(command -v munged)" --force -S "$t/munge/sock" --pid-file="$t/munge/pid" \
    --key-file="$t/munge/key" --log-file="$t/munge/log" --seed-file="$t/munge/seed"
check "munged started" test -f "$t/munge/pid"

# ---- slurm.conf
host=$(hostname -s)
p1=$(free_port)
p2=$(free_port)
while [ "$p2" = "$p1" ]; do p2=$(free_port); done
cat >"$t/slurm.conf" <<EOF
ClusterName=pixpipe-test
SlurmctldHost=$host
SlurmctldPort=$p1
SlurmdPort=$p2
AuthType=auth/munge
AuthInfo=socket=$t/munge/sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/log/slurmctld.log
SlurmdLogFile=$t/log/slurmd.log
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$t/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
up=0
for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then up=1; break; fi
    sleep 0.5
done
check "the node becomes idle" test "$up" = 1
if [ "$up" != 1 ]; then
    tail -20 "$t/log/slurmctld.log" "$t/log/slurmd.log"
    finish slurm.sh
    exit 1
fi

# ---- the job: batch.sbatch on a folder of images, 2 ranks
in=$t/in
out=$t/out
mkdir -p "$in/sub"
cp "$root"/examples/rocket.jpg "$root"/examples/camera.png "$root"/examples/coffee.png "$in/"
cp "$root"/examples/chelsea.png "$in/sub/"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export IN_DIR=$in OUT_DIR=$out PIPELINE='g=grayscale | gaussian sigma=1.5' PIXPIPE
export PIXPIPE_ARGS="-p e='grayscale | canny'" MPIRUN_ARGS="--oversubscribe"
timeout 300 sbatch --wait --export=ALL --ntasks=2 --output="$t/job.out" \
    "$root/deploy/slurm/batch.sbatch" >"$t/sbatch.out" 2>&1
rc=$?
check "sbatch --wait returns the job's success (rc $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { cat "$t/sbatch.out" "$t/job.out" 2>/dev/null; tail -20 "$t/log/slurmd.log"; }
check "job ran on 2 ranks" grep -q "pixpipe batch: 2 ranks" "$t/job.out"
check "job summary printed" grep -q "4 images x 2 pipelines: 8 done, 0 failed" "$t/job.out"
check "per-rank table printed" grep -q "load imbalance" "$t/job.out"
for f in rocket.jpg camera.png coffee.png sub/chelsea.png; do
    check "g/$f exists" test -f "$out/g/$f"
    check "e/$f exists" test -f "$out/e/$f"
    "$PIXPIPE" apply -j 1 -p 'grayscale | canny' "$in/$f" "$t/ref.${f##*.}" 2>/dev/null
    check "e/$f equals pixpipe apply" cmp -s "$t/ref.${f##*.}" "$out/e/$f"
done

finish slurm.sh
