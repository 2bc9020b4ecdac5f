#!/bin/sh
# Regenerates the bad-input corpus in this folder: files pixpipe must refuse,
# each with the status, exit code and message listed in MANIFEST.
#
# Run once by a developer; the outputs are committed (each is a few KB).
# Needs python3, cjpeg/djpeg (libjpeg-turbo-progs) and a built pixpipe:
#
#   tests/data/bad/make-corpus.sh [PIXPIPE]     (default: build/src/cli/pixpipe)
#
# The script is deterministic: the same tools give the same bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
pixpipe=${1:-$root/build/src/cli/pixpipe}
case $pixpipe in /*) ;; *) pixpipe=$(pwd)/$pixpipe ;; esac
[ -x "$pixpipe" ] || { echo "make-corpus: no pixpipe at $pixpipe" >&2; exit 1; }
for t in python3 cjpeg djpeg; do
    command -v $t >/dev/null || { echo "make-corpus: needs $t" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A small real photograph: rocket.jpg scaled to 1/8 (80x54), and a 16x16 crop
# of it for the many-scans file (every scan costs bytes, so keep it tiny).
djpeg -scale 1/8 -ppm "$root/examples/rocket.jpg" > small.ppm
python3 - <<'PY'
data = open("small.ppm", "rb").read()
# P6\n80 54\n255\n + pixels
parts = data.split(b"\n", 3)
w, h = map(int, parts[1].split())
px = parts[3]
rows = [px[(y * w) * 3:(y * w + 16) * 3] for y in range(16)]
open("tiny.ppm", "wb").write(b"P6\n16 16\n255\n" + b"".join(rows))
PY
cjpeg -quality 85 small.ppm > small.jpg
"$pixpipe" convert small.ppm small.png
"$pixpipe" convert --lossless small.ppm small.webp

# Many-scans progressive JPEG. cjpeg takes at most 100 scans per script, so
# six scripts each send the DC scan plus 33 (component, coefficient) triples:
# one coefficient per scan (spectral selection), each sent in three passes of
# successive approximation (Al 2, then 2->1, then 1->0). Optimised Huffman
# tables are written before every scan, so the scans of the six files can be
# spliced into one file: 1 DC + 3*63*3 AC = 568 scans, a legitimate JPEG whose
# coefficients equal a baseline encoding at the same quality.
python3 - <<'PY'
triples = [(c, k) for c in range(3) for k in range(1, 64)]
for n in range(0, len(triples), 33):
    lines = ["0,1,2: 0 0 0 0;"]
    for c, k in triples[n:n + 33]:
        lines += ["%d: %d %d 0 2;" % (c, k, k), "%d: %d %d 2 1;" % (c, k, k),
                  "%d: %d %d 1 0;" % (c, k, k)]
    open("scans%d.txt" % (n // 33), "w").write("\n".join(lines) + "\n")
PY
for s in scans*.txt; do
    cjpeg -quality 85 -sample 1x1 -scans "$s" tiny.ppm > "${s%.txt}.jpg"
done
cjpeg -quality 85 -sample 1x1 tiny.ppm > tiny-baseline.jpg

PIXPIPE_ROOT=$root python3 - "$here" <<'PY'
import os, struct, sys, zlib

out = sys.argv[1]

def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def jpeg_segments(b):
    """(marker, start, end) for each segment; SOS segments include their
    entropy-coded data."""
    assert b[:2] == b"\xff\xd8"
    i, segs = 2, []
    while i < len(b):
        assert b[i] == 0xFF
        m = b[i + 1]
        if m == 0xD9:
            segs.append((m, i, i + 2))
            break
        end = i + 2 + (b[i + 2] << 8 | b[i + 3])
        if m == 0xDA:
            while not (b[end] == 0xFF and b[end + 1] != 0 and not 0xD0 <= b[end + 1] <= 0xD7):
                end += 1
        segs.append((m, i, end))
        i = end
    return segs

def png_chunks(b):
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    i, chunks = 8, []
    while i < len(b):
        n = struct.unpack(">I", b[i:i + 4])[0]
        chunks.append((b[i + 4:i + 8], i, i + 12 + n))
        i += 12 + n
    return chunks

def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

jpg = open("small.jpg", "rb").read()
png = open("small.png", "rb").read()
webp = open("small.webp", "rb").read()

# --- format detection ---
put("empty.jpg", b"")
put("text.jpg", b"This is a text file with a .jpg name, not an image.\n")

# --- truncation: a real sample cut in half ---
put("truncated.jpg", jpg[:len(jpg) // 2])
put("truncated.png", png[:len(png) // 2])
put("truncated.webp", webp[:len(webp) // 2])
# The JPEG header itself is cut (inside the second quantisation table).
put("truncated-header.jpg", jpg[:100])
# Only the RIFF/WEBP/VP8L chunk headers, no bitstream.
put("header-only.webp", webp[:20])

# --- absurd dimensions, declared by otherwise valid headers ---
def set_sof_size(b, w, h):
    for m, s, e in jpeg_segments(b):
        if m in (0xC0, 0xC1, 0xC2):
            return b[:s + 5] + struct.pack(">HH", h, w) + b[s + 9:]
    raise SystemExit("no SOF")
put("huge-dims.jpg", set_sof_size(jpg, 65000, 65000))
put("zero-height.jpg", set_sof_size(jpg, 80, 0))

def set_ihdr(b, w, h):
    (kind, s, e) = png_chunks(b)[0]
    assert kind == b"IHDR"
    ihdr = struct.pack(">II", w, h) + b[s + 16:s + 21]
    return b[:s] + png_chunk(b"IHDR", ihdr) + b[e:]
put("huge-dims.png", set_ihdr(png, 100000, 100000))
put("zero-width.png", set_ihdr(png, 0, 54))

put("huge-dims.ppm", b"P6\n100000 100000\n255\n" + b"\x80" * 64)

# --- too many progressive scans (see the shell part above) ---
parts = [open("scans%d.jpg" % i, "rb").read() for i in range(6)]
first = parts[0]
segs = jpeg_segments(first)
sos = [k for k, (m, s, e) in enumerate(segs) if m == 0xDA]
# Header and the DC scan (with its Huffman tables) from the first file.
head = first[:segs[sos[0]][2]]
body = []
for p in parts:
    segs = jpeg_segments(p)
    sos = [k for k, (m, s, e) in enumerate(segs) if m == 0xDA]
    for k in sos[1:]:
        # Every AC scan carries its own DHT just before it.
        assert segs[k - 1][0] == 0xC4, "AC scan without its own Huffman table"
        body.append(p[segs[k - 1][1]:segs[k][2]])
many = head + b"".join(body) + b"\xff\xd9"
assert sum(1 for m, s, e in jpeg_segments(many) if m == 0xDA) == 568
put("many-scans.jpg", many)

# --- corrupt entropy-coded data ---
# FF 00 is a stuffed FF byte: the bit stream becomes all ones, which is no
# valid Huffman code (the all-ones code is reserved).
segs = jpeg_segments(jpg)
m, s, e = [x for x in segs if x[0] == 0xDA][0]
hdr_end = s + 2 + (jpg[s + 2] << 8 | jpg[s + 3])
mid = hdr_end + (e - hdr_end) // 3
bad = bytearray(jpg)
for i in range(mid, mid + 256, 2):
    bad[i:i + 2] = b"\xff\x00"
put("bad-huffman.jpg", bytes(bad))

# --- CRC errors in critical chunks ---
chunks = png_chunks(png)
kind, s, e = chunks[0]
b = bytearray(png)
b[e - 1] ^= 0xFF
put("bad-ihdr-crc.png", bytes(b))
# The image data re-chunked into four IDATs (valid CRCs), then one CRC broken:
# the first IDAT's is checked when the next chunk header is read; the last
# one's only if the decoder reads on to IEND after the final row.
idat = b"".join(png[s + 8:e - 4] for kind, s, e in chunks if kind == b"IDAT")
q = (len(idat) + 3) // 4
idats = [png_chunk(b"IDAT", idat[i:i + q]) for i in range(0, len(idat), q)]
assert len(idats) == 4
ihdr_end = chunks[0][2]
def with_idats(parts):
    return png[:ihdr_end] + b"".join(parts) + png_chunk(b"IEND", b"")
def break_crc(c):
    return c[:-1] + bytes([c[-1] ^ 0xFF])
put("bad-idat-crc.png", with_idats([break_crc(idats[0])] + idats[1:]))
put("bad-last-idat-crc.png", with_idats(idats[:3] + [break_crc(idats[3])]))

# A tEXt chunk declaring 2 GiB - 16 bytes before IDAT (over the 64 MiB cache
# for ancillary chunks); only a few bytes follow. The limit must stop the read
# before any chunk-sized allocation or read.
kind, s, e = chunks[0]
big = struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"Comment\0" + b"x" * 400
put("huge-chunk.png", png[:e] + big)

# --- PNM ---
put("zero-maxval.ppm", b"P6\n4 4\n0\n" + b"\0" * 48)
put("big-maxval.pgm", b"P5\n4 4\n70000\n" + b"\0" * 32)
put("truncated.ppm", b"P6\n64 64\n255\n" + bytes(range(256)) * 4)

# --- TIFF ---
# Valid header whose first-IFD offset points far past the end of the file.
put("garbage-ifd.tif", b"II*\0" + struct.pack("<I", 0x7FFFFFF0) + b"\0" * 56)

def tiff(w, h, data, declared):
    """Little-endian, uncompressed 8-bit gray, one strip of `declared` bytes
    of which only `data` is present."""
    tags = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 1),
            (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, h),
            (279, 4, 1, declared)]
    ifd_len = 2 + 12 * len(tags) + 4
    data_off = 8 + ifd_len
    ifd = struct.pack("<H", len(tags))
    for tag, typ, count, val in tags:
        if tag == 273:
            val = data_off
        if typ == 3:
            ifd += struct.pack("<HHIHH", tag, typ, count, val, 0)
        else:
            ifd += struct.pack("<HHII", tag, typ, count, val)
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", 8) + ifd + data
put("huge-dims.tif", tiff(100000, 100000, b"\x80" * 64, 64))
put("truncated-strip.tif", tiff(64, 64, bytes(range(256)) * 4, 64 * 64))
PY

# The spliced many-scans file must be a valid JPEG: djpeg decodes it without a
# warning, to the same pixels as a baseline encoding of the same image.
djpeg -strict -ppm "$here/many-scans.jpg" > many.ppm
djpeg -strict -ppm tiny-baseline.jpg > baseline.ppm
cmp many.ppm baseline.ppm

ls -l "$here"
