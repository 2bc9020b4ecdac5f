#!/bin/bash
# Memory bound of the streaming path: `pixpipe convert` of a 20000x20000 JPEG
# (400 megapixels, 1.2 GB of RGB) to JPEG must stay under 64 MB peak RSS,
# because rows stream strip by strip from decoder to encoder.
#
#   tests/integration/memory.sh PIXPIPE PPGEN PEAKRSS
#
# PPGEN writes the input by streaming too; PEAKRSS reports the child's
# ru_maxrss. The check is on memory only, never on time. Files live in a
# temporary folder removed on exit (the input is a few hundred MB).
set -u

PIXPIPE=${1:?usage: memory.sh PIXPIPE PPGEN PEAKRSS}
PPGEN=${2:?usage: memory.sh PIXPIPE PPGEN PEAKRSS}
PEAKRSS=${3:?usage: memory.sh PIXPIPE PPGEN PEAKRSS}
SIZE=20000
LIMIT_KB=65536
# 400 megapixels is over the default max-pixels (2^28): raise it explicitly.
LIMITS=(--max-pixels 1000000000)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pixpipe-mem.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

source "$(dirname "$0")/check_lib.sh"

# The generator is measured too: it must stream as well.
"$PEAKRSS" -o "$tmp/gen.kb" "$PPGEN" "$SIZE" "$SIZE" "$tmp/in.jpg"
check "ppgen wrote the ${SIZE}x${SIZE} JPEG" test $? -eq 0 -a -s "$tmp/in.jpg"
info=$("$PIXPIPE" info "${LIMITS[@]}" "$tmp/in.jpg")
check "input is ${SIZE}x${SIZE}: $info" grep -qF ": jpeg, ${SIZE}x${SIZE}, 3 channels" <<<"$info"
# Without the raised limit the same file is refused from its header.
"$PIXPIPE" info "$tmp/in.jpg" >/dev/null 2>"$tmp/err"
check "default max-pixels refuses it (exit 65)" test $? -eq 65
check "the refusal names max-pixels" grep -qF max-pixels "$tmp/err"
gen_kb=$(cat "$tmp/gen.kb" 2>/dev/null || echo 0)
echo "ppgen peak RSS: $gen_kb KB; input $(stat -c %s "$tmp/in.jpg") bytes"
check "ppgen peak RSS $gen_kb KB < $LIMIT_KB KB" test "$gen_kb" -gt 0 -a "$gen_kb" -lt "$LIMIT_KB"

"$PEAKRSS" -o "$tmp/conv.kb" "$PIXPIPE" convert "${LIMITS[@]}" "$tmp/in.jpg" "$tmp/out.jpg"
check "convert exits 0" test $? -eq 0
conv_kb=$(cat "$tmp/conv.kb" 2>/dev/null || echo 0)
echo "pixpipe convert peak RSS: $conv_kb KB"
check "convert peak RSS $conv_kb KB < $LIMIT_KB KB" test "$conv_kb" -gt 0 -a "$conv_kb" -lt "$LIMIT_KB"
info=$("$PIXPIPE" info "${LIMITS[@]}" "$tmp/out.jpg")
check "output is a ${SIZE}x${SIZE} baseline JPEG: $info" \
    grep -qF ": jpeg, ${SIZE}x${SIZE}, 3 channels (RGB), 8-bit, YCbCr 4:2:0, orientation 1," <<<"$info"
check "no temporary left" test -z "$(find "$tmp" -name '.*.tmp')"
rm -f "$tmp/out.jpg"

# The fused strip executor: neighbourhood stages keep only the rows their
# halos need, so memory grows with the width, not the height (96 MB bound).
PIPE='gaussian sigma=3 | median ksize=5 | sharpen'
APPLY_LIMIT_KB=98304
"$PEAKRSS" -o "$tmp/apply.kb" "$PIXPIPE" apply -j 1 "${LIMITS[@]}" -p "$PIPE" "$tmp/in.jpg" "$tmp/out.jpg"
check "apply '$PIPE' exits 0" test $? -eq 0
apply_kb=$(cat "$tmp/apply.kb" 2>/dev/null || echo 0)
echo "pixpipe apply '$PIPE' peak RSS: $apply_kb KB"
check "apply peak RSS $apply_kb KB < $APPLY_LIMIT_KB KB" test "$apply_kb" -gt 0 -a "$apply_kb" -lt "$APPLY_LIMIT_KB"
info=$("$PIXPIPE" info "${LIMITS[@]}" "$tmp/out.jpg")
check "apply output is ${SIZE}x${SIZE}: $info" grep -qF ": jpeg, ${SIZE}x${SIZE}, 3 channels" <<<"$info"
check "no temporary left after apply" test -z "$(find "$tmp" -name '.*.tmp')"

rm -f "$tmp/in.jpg" "$tmp/out.jpg"
finish memory.sh
