#!/usr/bin/env bash
# make demo: runs pixpipe on the bundled sample photos and shows the results.
# Usage: examples/demo.sh PATH/TO/pixpipe
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=${DEMO_OUT:-$here/../demo-out}
rm -rf "$out"
mkdir -p "$out/convert"
out=$(realpath "$out")

echo "== pixpipe demo: the sample photos in examples/ =="
"$bin" info "$here"/*.jpg "$here"/*.png

echo
echo "== converting every sample to PNG, WebP, TIFF and progressive JPEG =="
for f in "$here"/*.jpg "$here"/*.png; do
    name=$(basename "${f%.*}")
    "$bin" convert "$f" "$out/convert/$name.png"
    "$bin" convert "$f" "$out/convert/$name.webp"
    "$bin" convert "$f" "$out/convert/$name.tif"
    "$bin" convert --progressive -q 85 "$f" "$out/convert/$name.jpg"
done
"$bin" info "$out"/convert/*
echo
echo "Outputs are in $out"
