#!/bin/bash
# Integration tests of the pixpipe command line: help and version, usage
# errors and exit codes, the bad-input corpus (tests/data/bad/MANIFEST),
# atomic output (nothing left behind after a failure), the input never
# overwritten, info text and JSON, every encoder option, EXIF orientation and
# Ctrl-C.
#
#   tests/integration/cli.sh PIXPIPE [PPGEN]
#
# PPGEN (tests/tools/ppgen) makes the big image for the Ctrl-C test; without
# it the script looks beside PIXPIPE's build folder. Needs bash and python3.
# Every check counts; the script fails when any check fails or none ran. No
# check depends on timing: waits are bounded by a count of short sleeps and
# only guard against hanging.
set -u

PIXPIPE=${1:?usage: cli.sh PIXPIPE [PPGEN]}
PPGEN=${2:-}
case $PIXPIPE in /*) ;; *) PIXPIPE=$PWD/$PIXPIPE ;; esac
if [ -z "$PPGEN" ]; then
    PPGEN=$(dirname "$PIXPIPE")/../../tests/tools/ppgen
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=$root/tests/data/bad
ex=$root/examples

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pixpipe-cli.XXXXXX") || exit 1
bgpid=
cleanup() {
    if [ -n "$bgpid" ]; then
        kill -CONT "$bgpid" 2>/dev/null
        kill -KILL "$bgpid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "$0")/check_lib.sh"

# run ARGS...: runs pixpipe; sets rc, stdout in $tmp/stdout, stderr in $tmp/stderr.
run() {
    "$PIXPIPE" "$@" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
}
stderr_text() { head -c 600 "$tmp/stderr"; }
expect_rc() {
    local want=$1 desc=$2
    if [ "$rc" -eq "$want" ]; then
        ok
    else
        bad "$desc: exit $rc, want $want; stderr: $(stderr_text)"
    fi
}
stdout_has() { grep -qF -- "$1" "$tmp/stdout"; }
stderr_has() { grep -qF -- "$1" "$tmp/stderr"; }
# One line on stderr, starting with "pixpipe: FILE: ".
one_line_error() {
    local file=$1 n line
    n=$(wc -l <"$tmp/stderr")
    line=$(cat "$tmp/stderr")
    [ "$n" -eq 1 ] && [[ $line == "pixpipe: $file: "?* ]]
}
# A fresh, empty output folder.
newdir() { mktemp -d "$tmp/out.XXXXXX"; }
is_empty() { [ -z "$(ls -A "$1")" ]; }
# Exactly the named entries (hidden ones included), nothing else.
only_has() {
    local dir=$1
    shift
    # shellcheck disable=SC2012 # test file names are plain
    [ "$(ls -A "$dir" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]
}
# Fragment list "a|b|c": true when the file contains one of them (plain text).
has_one_of() {
    local file=$1 frags=$2 f
    local IFS='|'
    for f in $frags; do
        grep -qF -- "$f" "$file" && return 0
    done
    return 1
}
# The info line of one file, e.g. "x.png: png, 10x10, ...".
info_of() { "$PIXPIPE" info "$@" 2>/dev/null; }

# ---------------------------------------------------------------- help
run --help
expect_rc 0 "--help"
check "--help lists the commands" stdout_has "Usage: pixpipe COMMAND"
check "--help lists info" stdout_has "info "
check "--help lists convert" stdout_has "convert "
check "--help prints nothing on stderr" test ! -s "$tmp/stderr"
for h in -h help; do
    run $h
    expect_rc 0 "pixpipe $h"
    check "pixpipe $h prints usage" stdout_has "Usage: pixpipe COMMAND"
done
run
expect_rc 64 "no command"
check "no command prints usage on stderr" stderr_has "Usage: pixpipe COMMAND"

for cmd in info convert; do
    for h in --help -h; do
        run $cmd $h
        expect_rc 0 "$cmd $h"
        check "$cmd $h shows its usage" stdout_has "Usage: pixpipe $cmd"
        check "$cmd $h shows the input options" stdout_has "--max-scans"
    done
done
run info --help
check "info --help shows --json" stdout_has "--json"
run convert --help
for o in --format --quality --subsampling --progressive --png-level --lossless \
    --tiff-compression --strip --no-autorotate; do
    check "convert --help shows $o" stdout_has "$o"
done

run --version
expect_rc 0 "--version"
check "--version prints the version" grep -qE '^pixpipe [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/stdout"
check "--version lists jpeg and png" grep -qE '^codecs:.* jpeg.* png' "$tmp/stdout"
run -V
expect_rc 0 "-V"

# ---------------------------------------------------------------- usage errors
run frobnicate
expect_rc 64 "unknown command"
check "unknown command is named" stderr_has 'unknown command "frobnicate"'

d=$(newdir)
usage_case() { # DESC ARGS...: exit 64, a hint to --help, nothing written
    local desc=$1
    shift
    run "$@"
    expect_rc 64 "$desc"
    check "$desc: hint to --help" stderr_has "--help'"
    check "$desc: no output" is_empty "$d"
}
usage_case "convert bad option" convert --bogus "$ex/rocket.jpg" "$d/o.png"
usage_case "info bad option" info --bogus "$ex/rocket.jpg"
usage_case "convert one argument" convert "$ex/rocket.jpg"
usage_case "convert three arguments" convert "$ex/rocket.jpg" "$d/a.png" "$d/b.png"
usage_case "info no files" info
usage_case "quality 0" convert -q 0 "$ex/rocket.jpg" "$d/o.jpg"
usage_case "quality 101" convert --quality 101 "$ex/rocket.jpg" "$d/o.jpg"
usage_case "quality text" convert -q high "$ex/rocket.jpg" "$d/o.jpg"
usage_case "quality missing" convert "$ex/rocket.jpg" "$d/o.jpg" -q
usage_case "subsampling 411" convert --subsampling 411 "$ex/rocket.jpg" "$d/o.jpg"
usage_case "format gif" convert --format gif "$ex/rocket.jpg" "$d/o.gif"
usage_case "png-level 10" convert --png-level 10 "$ex/rocket.jpg" "$d/o.png"
usage_case "tiff-compression zip" convert --tiff-compression zip "$ex/rocket.jpg" "$d/o.tif"
usage_case "max-pixels negative" convert --max-pixels -5 "$ex/rocket.jpg" "$d/o.png"
usage_case "max-scans 0" info --max-scans 0 "$ex/rocket.jpg"
usage_case "unknown output extension" convert "$ex/rocket.jpg" "$d/o.xyz"
usage_case "no output extension" convert "$ex/rocket.jpg" "$d/o"

# ---------------------------------------------------------------- missing or odd inputs
d=$(newdir)
run convert "$tmp/no-such.jpg" "$d/o.png"
expect_rc 66 "missing input"
check "missing input: pixpipe: FILE: reason" one_line_error "$tmp/no-such.jpg"
check "missing input: nothing written" is_empty "$d"
run info "$tmp/no-such.jpg"
expect_rc 66 "info missing input"
check "info missing input: one line" one_line_error "$tmp/no-such.jpg"

mkdir "$tmp/adir"
run convert "$tmp/adir" "$d/o.png"
expect_rc 66 "folder as input"
check "folder as input: named" stderr_has "folder"
ln -s "$ex/rocket.jpg" "$tmp/link.jpg"
run convert "$tmp/link.jpg" "$d/o.png"
expect_rc 66 "symbolic link as input"
check "symbolic link as input: named" stderr_has "symbolic link"
check "odd inputs: nothing written" is_empty "$d"

# Special files are refused without blocking (a FIFO with no writer would
# hang a plain open); `timeout` only guards against a hang.
mkfifo "$tmp/fifo"
timeout 60 "$PIXPIPE" info "$tmp/fifo" </dev/null >/dev/null 2>"$tmp/stderr"
rc=$?
expect_rc 66 "FIFO as input"
check "FIFO as input: not a regular file" stderr_has "not a regular file"
run info /dev/null
expect_rc 66 "/dev/null as input"
check "/dev/null as input: one line" one_line_error /dev/null

# ---------------------------------------------------------------- bad-input corpus
# Every file must fail with its manifest exit code, one line on stderr naming
# the file, and leave the output folder empty. info reads headers only, so it
# may accept a file whose damage is in the pixel data, but must never crash.
ncorpus=0
while read -r file status code frags; do
    case $file in '' | '#'*) continue ;; esac
    ncorpus=$((ncorpus + 1))
    f=$corpus/$file
    for ext in png jpg; do
        d=$(newdir)
        run convert "$f" "$d/out.$ext"
        expect_rc "$code" "corpus $file -> $ext ($status)"
        check "corpus $file -> $ext: one line 'pixpipe: FILE: reason'" one_line_error "$f"
        check "corpus $file -> $ext: message has '$frags' (got: $(stderr_text))" \
            has_one_of "$tmp/stderr" "$frags"
        check "corpus $file -> $ext: output folder empty" is_empty "$d"
    done
    run info "$f"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne "$code" ]; then
        bad "info $file: exit $rc, want 0 or $code"
    else
        ok
    fi
done <"$corpus/MANIFEST"
check "the corpus manifest lists files" test "$ncorpus" -ge 10

# The many-scans file is legitimate: a higher limit lets it through.
d=$(newdir)
run convert --max-scans 1000 "$corpus/many-scans.jpg" "$d/o.png"
expect_rc 0 "many-scans.jpg under --max-scans 1000"
check "many-scans.jpg decodes to 16x16" test "$(info_of "$d/o.png" | grep -c ', 16x16,')" -eq 1

# Limits from the command line.
run info --max-pixels 1000 "$ex/rocket.jpg"
expect_rc 65 "--max-pixels 1000"
check "--max-pixels names the limit" stderr_has "max-pixels"
run convert --max-bytes 1000 "$ex/rocket.jpg" "$d/o2.png"
expect_rc 65 "--max-bytes 1000"
check "--max-bytes names the limit" stderr_has "max-bytes"
check "--max-bytes: nothing written" test ! -e "$d/o2.png"

# ---------------------------------------------------------------- outputs
# Output in a folder that does not exist: 73, nothing created.
run convert "$ex/rocket.jpg" "$tmp/no/such/dir/o.png"
expect_rc 73 "output folder missing"
check "output folder missing: one line" one_line_error "$tmp/no/such/dir/o.png"
check "output folder missing: not created" test ! -e "$tmp/no"

# Output onto a folder: refused after the work, nothing left.
d=$(newdir)
mkdir "$d/sub.png"
run convert "$ex/rocket.jpg" "$d/sub.png"
expect_rc 73 "output onto a folder"
check "output onto a folder: only the folder" only_has "$d" sub.png
check "output onto a folder: folder still empty" is_empty "$d/sub.png"

# The output format cannot hold the image: refused by the encoder (after the
# temporary was created), the message names the output, nothing is left.
if [ -x "$PPGEN" ]; then
    "$PPGEN" 17000 16 "$tmp/wide.png" && "$PPGEN" 70000 16 "$tmp/wider.png"
    check "ppgen made the wide images" test -s "$tmp/wide.png" -a -s "$tmp/wider.png"
    for c in "wide.png webp 16383" "wider.png jpg 65500"; do
        read -r src ext side <<<"$c"
        d=$(newdir)
        run convert "$tmp/$src" "$d/out.$ext"
        expect_rc 65 "$src -> $ext (over the format's side)"
        check "$src -> $ext: message names the output" one_line_error "$d/out.$ext"
        check "$src -> $ext: message names the side limit" stderr_has "$side"
        check "$src -> $ext: output folder empty" is_empty "$d"
    done
    rm -f "$tmp/wide.png" "$tmp/wider.png"
fi

# The input is never overwritten, whatever the spelling of the same file.
d=$(newdir)
cp "$ex/rocket.jpg" "$d/a.jpg"
ln "$d/a.jpg" "$d/hard.jpg"
ln -s a.jpg "$d/soft.jpg"
sum_before=$(cksum <"$d/a.jpg")
for out in "$d/a.jpg" "$d/./a.jpg" "$d/hard.jpg" "$d/soft.jpg"; do
    run convert "$d/a.jpg" "$out"
    expect_rc 64 "convert a.jpg onto $out"
    check "convert onto the input: says why" stderr_has "overwrite the input"
    check "convert onto the input: input unchanged" test "$(cksum <"$d/a.jpg")" = "$sum_before"
    check "convert onto the input: nothing else written" only_has "$d" a.jpg hard.jpg soft.jpg
done
check "convert onto the input: symlink kept" test -L "$d/soft.jpg"
(cd "$d" && "$PIXPIPE" convert a.jpg a.jpg 2>/dev/null)
check "convert a.jpg a.jpg (relative) refused" test $? -eq 64
check "convert a.jpg a.jpg (relative): input unchanged" test "$(cksum <"$d/a.jpg")" = "$sum_before"

# A success leaves exactly the output: no temporary.
d=$(newdir)
run convert "$ex/rocket.jpg" "$d/o.png"
expect_rc 0 "plain convert"
check "plain convert: exactly one file" only_has "$d" o.png
check "plain convert: quiet" test ! -s "$tmp/stderr"
# Relative output in the current folder.
(cd "$d" && "$PIXPIPE" convert "$ex/rocket.jpg" rel.png)
check "relative output: exit 0" test $? -eq 0
check "relative output: written" only_has "$d" o.png rel.png

# ---------------------------------------------------------------- info
run info "$ex/rocket.jpg" "$ex/camera.png" "$ex/astronaut.png"
expect_rc 0 "info on samples"
check "info: one line per file" test "$(wc -l <"$tmp/stdout")" -eq 3
check "info rocket.jpg" stdout_has "$ex/rocket.jpg: jpeg, 640x427, 3 channels (RGB), 8-bit, YCbCr 4:4:4, orientation 1, ICC profile (560 bytes)"
check "info camera.png" stdout_has "$ex/camera.png: png, 512x512, 1 channel (gray), 8-bit, gray, orientation 1, no ICC profile"
check "info astronaut.png" stdout_has "$ex/astronaut.png: png, 512x512, 3 channels (RGB), 8-bit"

samples=("$ex"/*.jpg "$ex"/*.png)
run info --json "${samples[@]}"
expect_rc 0 "info --json on samples"
check "info --json parses and matches" python3 - "$tmp/stdout" "${#samples[@]}" "$ex" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert isinstance(doc, list) and len(doc) == int(sys.argv[2]), doc
by = {d["file"].rsplit("/", 1)[-1]: d for d in doc}
keys = {"file", "format", "width", "height", "channels", "layout", "bit_depth", "color",
        "progressive", "interlaced", "orientation", "oriented", "icc", "icc_bytes"}
for d in doc:
    assert keys <= set(d), (d, keys - set(d))
    assert d["width"] > 0 and d["height"] > 0 and d["bit_depth"] in (8, 16), d
r = by["rocket.jpg"]
assert (r["format"], r["width"], r["height"], r["channels"]) == ("jpeg", 640, 427, 3), r
assert r["icc"] is True and r["icc_bytes"] == 560 and r["progressive"] is False, r
c = by["camera.png"]
assert (c["format"], c["width"], c["height"], c["channels"], c["layout"]) == \
    ("png", 512, 512, 1, "gray"), c
assert c["icc"] is False and c["icc_bytes"] == 0, c
assert by["hubble_deep_field.jpg"]["color"] == "YCbCr 4:4:4"
assert by["retina.jpg"]["color"] == "YCbCr 4:2:0"
PY

# A bad file among good ones: the good ones are still reported, the exit code
# is the bad one's.
run info --json "$ex/rocket.jpg" "$corpus/text.jpg"
expect_rc 65 "info --json with a bad file"
check "info --json reports the error in the array" python3 - "$tmp/stdout" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc) == 2 and doc[0]["format"] == "jpeg", doc
assert "error" in doc[1] and "not a supported image" in doc[1]["error"], doc
PY
run info "$ex/rocket.jpg" "$corpus/empty.jpg"
expect_rc 65 "info with a bad file"
check "info with a bad file: good line printed" stdout_has "$ex/rocket.jpg: jpeg, 640x427"
check "info with a bad file: one error line" one_line_error "$corpus/empty.jpg"

# ---------------------------------------------------------------- EXIF orientation
# rocket.jpg with an APP1 Exif block saying orientation 6 (rotate 90 degrees
# clockwise to display).
"$PIXPIPE" convert "$ex/rocket.jpg" "$tmp/plain.jpg"
python3 - "$tmp/plain.jpg" "$tmp/rot6.jpg" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
tiff = b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", 1) + \
    struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\0\0" + tiff
open(sys.argv[2], "wb").write(b[:2] + app1 + b[2:])
PY
run info "$tmp/rot6.jpg"
expect_rc 0 "info on the rotated JPEG"
check "rotated JPEG: delivered 427x640, orientation applied" \
    grep -qE ': jpeg, 427x640, 3 channels .*, orientation 6 \(applied\), ' "$tmp/stdout"
run info --no-autorotate "$tmp/rot6.jpg"
check "--no-autorotate: stored 640x427, orientation not applied" \
    grep -qE '640x427, .*orientation 6, ' "$tmp/stdout"
run info --json --no-autorotate "$tmp/rot6.jpg"
check "--no-autorotate JSON: oriented false" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert (d["width"], d["height"], d["orientation"], d["oriented"]) == (640, 427, 6, False), d
' "$tmp/stdout"
d=$(newdir)
run convert "$tmp/rot6.jpg" "$d/rot.ppm"
expect_rc 0 "convert rotated"
run convert --no-autorotate "$tmp/rot6.jpg" "$d/raw.ppm"
expect_rc 0 "convert --no-autorotate"
check "rotated output is 427x640, orientation 1" \
    test "$(info_of "$d/rot.ppm" | grep -c ', 427x640, .*orientation 1,')" -eq 1
check "--no-autorotate output is 640x427" test "$(info_of "$d/raw.ppm" | grep -c ', 640x427,')" -eq 1
check "rotated pixels are the stored ones turned 90 degrees clockwise" \
    python3 - "$d/raw.ppm" "$d/rot.ppm" <<'PY'
import sys
def ppm(p):
    b = open(p, "rb").read()
    magic, dims, maxval, px = b.split(b"\n", 3)
    w, h = map(int, dims.split())
    assert magic == b"P6" and maxval == b"255" and len(px) == w * h * 3
    return w, h, px
rw, rh, raw = ppm(sys.argv[1])
ow, oh, rot = ppm(sys.argv[2])
assert (ow, oh) == (rh, rw)
out = bytearray(len(raw))
for y in range(oh):
    for x in range(ow):
        s = ((rh - 1 - x) * rw + y) * 3
        o = (y * ow + x) * 3
        out[o:o + 3] = raw[s:s + 3]
assert bytes(out) == rot, "pixels differ"
PY

# ---------------------------------------------------------------- encoder options
d=$(newdir)
# --format wins over the extension; the format is then read back from the bytes.
run convert --format png "$ex/rocket.jpg" "$d/f1.jpg"
expect_rc 0 "--format png into .jpg"
check "--format png: info says png" test "$(info_of "$d/f1.jpg" | grep -c ': png, 640x427,')" -eq 1
run convert --format tiff "$ex/rocket.jpg" "$d/f2.bin"
expect_rc 0 "--format tiff into .bin"
check "--format tiff: info says tiff" test "$(info_of "$d/f2.bin" | grep -c ': tiff, 640x427,')" -eq 1
run convert --format pnm "$ex/camera.png" "$d/f3.out"
expect_rc 0 "--format pnm"
check "--format pnm: PGM for gray" test "$(info_of "$d/f3.out" | grep -c ': pnm, 512x512, 1 channel .*PGM maxval 255')" -eq 1
run convert --format webp "$ex/rocket.jpg" "$d/f4.x"
expect_rc 0 "--format webp"
check "--format webp: info says webp" test "$(info_of "$d/f4.x" | grep -c ': webp, 640x427,')" -eq 1

# -q: the luminance quantisation table is libjpeg's standard table scaled by
# quality (first entry 16 at q50, 2 at q95); a higher quality is a bigger file.
dqt0() {
    python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = 2
while i < len(b):
    m, n = b[i + 1], b[i + 2] << 8 | b[i + 3]
    if m == 0xDB and b[i + 4] & 0x0F == 0:
        print(b[i + 5])
        break
    i += 2 + n
PY
}
run convert -q 50 "$ex/astronaut.png" "$d/q50.jpg"
expect_rc 0 "-q 50"
run convert --quality 95 "$ex/astronaut.png" "$d/q95.jpg"
expect_rc 0 "--quality 95"
check "-q 50: quantiser 16" test "$(dqt0 "$d/q50.jpg")" = 16
check "--quality 95: quantiser 2" test "$(dqt0 "$d/q95.jpg")" = 2
check "-q 95 file bigger than -q 50" test "$(stat -c %s "$d/q95.jpg")" -gt "$(stat -c %s "$d/q50.jpg")"
check "-q output is a valid JPEG" test "$(info_of "$d/q50.jpg" | grep -c ': jpeg, 512x512,')" -eq 1

# --subsampling (the input is a PNG, so nothing is inherited).
for s in 444 422 420; do
    run convert --subsampling $s "$ex/astronaut.png" "$d/s$s.jpg"
    expect_rc 0 "--subsampling $s"
    want="YCbCr ${s:0:1}:${s:1:1}:${s:2:1}"
    check "--subsampling $s: info says $want" \
        test "$(info_of "$d/s$s.jpg" | grep -cF "$want")" -eq 1
done
run convert "$ex/astronaut.png" "$d/sdef.jpg"
check "default subsampling is 4:2:0" test "$(info_of "$d/sdef.jpg" | grep -cF 'YCbCr 4:2:0')" -eq 1

# --progressive
run convert --progressive "$ex/rocket.jpg" "$d/p.jpg"
expect_rc 0 "--progressive"
check "--progressive: info says progressive" test "$(info_of "$d/p.jpg" | grep -c ', progressive,')" -eq 1
check "default is not progressive" test "$(info_of "$d/sdef.jpg" | grep -c 'progressive')" -eq 0
run info --json "$d/p.jpg"
check "--progressive: JSON progressive true" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))[0]["progressive"] is True' "$tmp/stdout"

# --png-level: the zlib header's FLEVEL says how hard deflate worked (0 for
# levels 0-1, 3 for 7-9), and level 0 stores the data uncompressed.
flevel() {
    python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = 8
while i < len(b):
    n = struct.unpack(">I", b[i:i + 4])[0]
    if b[i + 4:i + 8] == b"IDAT":
        print(b[i + 9] >> 6)
        break
    i += 12 + n
PY
}
run convert --png-level 0 "$ex/astronaut.png" "$d/l0.png"
expect_rc 0 "--png-level 0"
run convert --png-level 9 "$ex/astronaut.png" "$d/l9.png"
expect_rc 0 "--png-level 9"
check "--png-level 0: FLEVEL 0" test "$(flevel "$d/l0.png")" = 0
check "--png-level 9: FLEVEL 3" test "$(flevel "$d/l9.png")" = 3
check "--png-level 0 file bigger than level 9" \
    test "$(stat -c %s "$d/l0.png")" -gt "$(stat -c %s "$d/l9.png")"
check "--png-level 0 is at least the raw pixel size" test "$(stat -c %s "$d/l0.png")" -ge $((512 * 512 * 3))
check "--png-level output decodes" test "$(info_of "$d/l0.png" "$d/l9.png" | grep -c ': png, 512x512,')" -eq 2

# --lossless WebP: info says lossless and the pixels round-trip exactly.
run convert --lossless "$ex/astronaut.png" "$d/ll.webp"
expect_rc 0 "--lossless"
check "--lossless: info says lossless" test "$(info_of "$d/ll.webp" | grep -c ': webp, 512x512, .*lossless RGB')" -eq 1
run convert "$ex/astronaut.png" "$d/lossy.webp"
check "default WebP is lossy" test "$(info_of "$d/lossy.webp" | grep -c 'lossy RGB')" -eq 1
"$PIXPIPE" convert "$d/ll.webp" "$d/ll.ppm" && "$PIXPIPE" convert "$ex/astronaut.png" "$d/src.ppm"
check "--lossless: pixels round-trip" cmp -s "$d/ll.ppm" "$d/src.ppm"

# --tiff-compression: the Compression tag (259) of the first IFD.
tiff_compression() {
    python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
e = "<" if b[:2] == b"II" else ">"
off = struct.unpack(e + "I", b[4:8])[0]
n = struct.unpack(e + "H", b[off:off + 2])[0]
for k in range(n):
    tag, typ, cnt = struct.unpack(e + "HHI", b[off + 2 + 12 * k:off + 10 + 12 * k])
    if tag == 259:
        print(struct.unpack(e + "H", b[off + 10 + 12 * k:off + 12 + 12 * k])[0])
PY
}
for c in none:1 lzw:5 packbits:32773 deflate:8 jpeg:7; do
    name=${c%%:*} tag=${c##*:}
    run convert --tiff-compression "$name" "$ex/astronaut.png" "$d/t-$name.tif"
    expect_rc 0 "--tiff-compression $name"
    check "--tiff-compression $name: tag 259 = $tag" test "$(tiff_compression "$d/t-$name.tif")" = "$tag"
    check "--tiff-compression $name: decodes" test "$(info_of "$d/t-$name.tif" | grep -c ': tiff, 512x512, 3 channels')" -eq 1
done
run convert "$ex/astronaut.png" "$d/tdef.tif"
check "default TIFF compression is deflate" test "$(tiff_compression "$d/tdef.tif")" = 8
"$PIXPIPE" convert "$d/t-lzw.tif" "$d/lzw.ppm"
check "--tiff-compression lzw: lossless" cmp -s "$d/lzw.ppm" "$d/src.ppm"

# --strip drops the ICC profile; without it the profile is kept.
for ext in jpg png tif webp; do
    run convert "$ex/astronaut.png" "$d/icc.$ext"
    expect_rc 0 "ICC kept ($ext)"
    check "ICC kept ($ext)" test "$(info_of "$d/icc.$ext" | grep -c 'ICC profile (3144 bytes)')" -eq 1
    run convert --strip "$ex/astronaut.png" "$d/strip.$ext"
    expect_rc 0 "--strip ($ext)"
    check "--strip ($ext): no ICC profile" test "$(info_of "$d/strip.$ext" | grep -c 'no ICC profile')" -eq 1
done

# ---------------------------------------------------------------- Ctrl-C
# convert a big image; once its temporary output exists and has grown, stop
# it, send the signal, let it go on. It must notice between strips, exit 130
# and remove its temporary. SIGSTOP makes "mid-way" certain rather than a
# matter of timing.
interrupt_case() { # SIGNAL
    local sig=$1 d i tmpfile status
    d=$(newdir)
    "$PIXPIPE" convert --png-level 9 "$tmp/big.jpg" "$d/big.png" 2>"$tmp/sig.err" &
    bgpid=$!
    tmpfile=
    for ((i = 0; i < 1200; i++)); do
        tmpfile=$(find "$d" -maxdepth 1 -name '.big.png.pp-*.tmp' -size +0 2>/dev/null | head -1)
        [ -n "$tmpfile" ] && break
        kill -0 "$bgpid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$tmpfile" ]; then
        if kill -0 "$bgpid" 2>/dev/null; then
            kill -KILL "$bgpid"
            bad "$sig: no temporary output appeared while convert ran"
        else
            bad "$sig: convert ended before it could be interrupted (make the image bigger)"
        fi
        wait "$bgpid"
        bgpid=
        return
    fi
    if ! kill -STOP "$bgpid" 2>/dev/null; then
        bad "$sig: convert ended before it could be interrupted (make the image bigger)"
        wait "$bgpid"
        bgpid=
        return
    fi
    ok
    check "$sig: temporary exists mid-way" test -s "$tmpfile"
    kill -"$sig" "$bgpid"
    kill -CONT "$bgpid"
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$bgpid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$bgpid" 2>/dev/null; then
        kill -KILL "$bgpid"
        bad "$sig: convert did not stop"
    fi
    wait "$bgpid"
    status=$?
    bgpid=
    if [ "$status" -eq 130 ]; then ok; else bad "$sig: exit $status, want 130; $(head -c 300 "$tmp/sig.err")"; fi
    check "$sig: says canceled" grep -qF "canceled" "$tmp/sig.err"
    check "$sig: one error line" test "$(wc -l <"$tmp/sig.err")" -eq 1
    check "$sig: no output and no temporary" is_empty "$d"
}
if [ -x "$PPGEN" ]; then
    if "$PPGEN" 6000 6000 "$tmp/big.jpg"; then
        ok
        interrupt_case INT
        interrupt_case TERM
    else
        bad "ppgen could not make the big image"
    fi
    rm -f "$tmp/big.jpg"
else
    bad "no ppgen at $PPGEN: cannot run the Ctrl-C test"
fi

# ---------------------------------------------------------------- summary
finish cli.sh
