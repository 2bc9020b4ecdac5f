#!/bin/sh
# make bench: pixpipe against OpenCV, libvips, ImageMagick and the
# libjpeg-turbo codec floor; writes bench/RESULTS.md (see bench/bench.py).
#
#   bench/run_bench.sh [BUILD_DIR]      (default: build)
#
# Environment: BENCH_QUICK=1 (smoke run), BENCH_SCALING="1 2 4 8 16",
# BENCH_JOBS=N, BENCH_W3=0 -- documented in bench/bench.py.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}

# The peers, from Debian (apt-get as root, else sudo apt-get), only when missing.
PEERS="python3-opencv python3-numpy libvips-tools imagemagick"
missing=""
for p in $PEERS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "bench: installing$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# The bench's own programs (kernel_bench, codec_floor) are part of the build.
ninja -C "$BUILD" src/cli/pixpipe bench/kernel_bench bench/codec_floor tests/tools/peakrss >/dev/null

# Debian's python3: python3-opencv lives there, not in another python on PATH.
exec /usr/bin/python3 bench/bench.py --build "$BUILD"
