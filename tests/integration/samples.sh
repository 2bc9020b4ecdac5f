#!/usr/bin/env bash
# The slow filter test: every golden case (tests/golden/cases/*.py) on every
# sample photo in examples/, against references OpenCV makes now, the same
# way tests/golden/make_golden.py makes the committed ones. The photos are
# first decoded once by pixpipe into PNGs, so OpenCV and pixpipe filter the
# same pixels. Needs Debian's python3-opencv (installed by `make deps`).
# Usage: samples.sh TEST_GOLDEN PIXPIPE
set -u
GOLDEN=$(realpath "$1")
PIXPIPE=$(realpath "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
if ! "$py" -c 'import cv2' 2>/dev/null; then
    echo "FAIL: $py cannot import cv2: install python3-opencv (make deps)"
    exit 1
fi
mkdir -p "$tmp/photos" "$tmp/ref"
for f in "$root"/examples/*.jpg "$root"/examples/*.png; do
    base=$(basename "${f%.*}")
    "$PIXPIPE" convert --strip "$f" "$tmp/photos/$base.png" || { echo "FAIL: cannot decode $f"; exit 1; }
done
"$py" "$root/tests/golden/make_golden.py" --samples "$tmp/ref" "$tmp"/photos/*.png || {
    echo "FAIL: reference generation"
    exit 1
}
cases=$(grep -c . "$tmp/ref/samples.manifest")
echo "samples.sh: $cases references made with OpenCV"
"$GOLDEN" "$tmp/ref/samples.manifest" --quick
