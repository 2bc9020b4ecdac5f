#!/usr/bin/env bash
# In a build without MPI (-Dmpi=disabled), `pixpipe mpi` says so and exits 69;
# the rest of pixpipe works. Registered only in such builds.
# Usage: mpi_disabled.sh PIXPIPE
set -u
PIXPIPE=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$PIXPIPE" mpi batch "$tmp" "$tmp/out" -p invert >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 69 ] || { echo "FAIL: mpi batch exit $rc, want 69"; fail=1; }
grep -q "built without MPI" "$tmp/err" || { echo "FAIL: no 'built without MPI' message"; fail=1; }
"$PIXPIPE" apply -p invert "$root/examples/rocket.jpg" "$tmp/o.png" ||
    { echo "FAIL: apply does not work without MPI"; fail=1; }
echo "mpi_disabled.sh: $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
