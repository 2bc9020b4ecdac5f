#!/usr/bin/python3
"""pixpipe against OpenCV, libvips, ImageMagick and the libjpeg-turbo floor.

Run by bench/run_bench.sh (`make bench`), which installs the peers first:

    bench/bench.py --build BUILD_DIR [--out bench/RESULTS.md]

Environment:
    BENCH_QUICK=1          smoke run: 8 images, fewer repetitions,
                           no workload 3 (RESULTS go to bench/work/RESULTS-quick.md
                           unless --out is given)
    BENCH_SCALING="1 2 4"  thread counts of the batch scaling table
                           (default "1 2 4 8 16"; "" skips the table)
    BENCH_JOBS=N           cores used by workload 2 (default: online cores)
    BENCH_W3=0             skip workload 3 in a full run

Everything runs side by side in one process tree, in this order: corpus
(generated once under bench/work/, reused), workload 1 (pixpipe and OpenCV
alternate filter by filter), workload 2 (every tool on every pipeline,
repetitions interleaved), the scaling table, workload 3. Wall time is
measured around each command; peak RSS is ru_maxrss from wait4(), which for
a tree of processes (xargs, a Python pool) is the largest single process,
not the sum.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
QUALITY = 90
CORPUS_VERSION = "3"  # bump when the generator changes: the corpus is rebuilt

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
NCORES = os.cpu_count() or 1
JOBS = int(os.environ.get("BENCH_JOBS", "0") or 0) or NCORES
SCALING = [int(x) for x in os.environ.get(
    "BENCH_SCALING", "1 2" if QUICK else "1 2 4 8 16").split()]
RUN_W3 = not QUICK and os.environ.get("BENCH_W3", "1") != "0"

W1_REPS = 2 if QUICK else 7      # best-of inside one process
W1_ROUNDS = 1 if QUICK else 5    # alternating rounds (pixpipe, OpenCV, pixpipe, ...)
W2_REPS = 1 if QUICK else 5      # pixpipe and the codec floor
W2_PEER_REPS = 1 if QUICK else 2 # OpenCV pool and vips
W2_IM_REPS = 1                   # ImageMagick is an order of magnitude slower
W2_PAIRS = 1 if QUICK else 8     # codec-floor rounds, each pixpipe, floor, floor, pixpipe
SCALING_REPS = 1 if QUICK else 2
W3_REPS = 1

PY = "/usr/bin/python3"  # Debian's, where python3-opencv lives


def out_root():
    """Where the tools write: a tmpfs when there is one with room (outputs then
    never wait for a disk that other work on the machine keeps busy), else
    bench/work/out. BENCH_OUT_DIR overrides."""
    if os.environ.get("BENCH_OUT_DIR"):
        return os.environ["BENCH_OUT_DIR"]
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize > (4 << 30) and os.access("/dev/shm", os.W_OK):
            return "/dev/shm/pixpipe-bench-%d" % os.getuid()
    except OSError:
        pass
    return os.path.join(WORK, "out")


OUT = out_root()


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# --------------------------------------------------------------------------
# running and measuring
# --------------------------------------------------------------------------

class Run:
    def __init__(self, wall, rss_kb, cpu, other, rc, out, err):
        self.wall, self.rss_kb, self.cpu, self.other = wall, rss_kb, cpu, other
        self.rc, self.out, self.err = rc, out, err


PEAKRSS = None  # BUILD/tests/tools/peakrss, set in main()
HZ = os.sysconf("SC_CLK_TCK")
QUIET_MAX = float(os.environ.get("BENCH_QUIET_WAIT", "15"))      # per timed run, seconds
QUIET_BUDGET = [float(os.environ.get("BENCH_QUIET_BUDGET", "180"))]  # for the whole run
QUIET_WAITED = [0.0]
QUIET_LOAD = 0.3  # cores busy with other work that count as "not quiet"


def busy_s():
    """CPU seconds all cores have spent busy since boot (idle and iowait excluded)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / HZ


def wait_quiet():
    """Waits (within the budgets) until other processes leave the cores alone,
    so that a timed run does not share them with someone's compiler."""
    t_end = time.monotonic() + min(QUIET_MAX, QUIET_BUDGET[0])
    t0 = time.monotonic()
    while True:
        b0, w0 = busy_s(), time.monotonic()
        time.sleep(0.5)
        load = (busy_s() - b0) / (time.monotonic() - w0)
        if load < QUIET_LOAD or time.monotonic() >= t_end:
            break
    waited = time.monotonic() - t0 - 0.5
    QUIET_WAITED[0] += max(0.0, waited)
    QUIET_BUDGET[0] = max(0.0, QUIET_BUDGET[0] - max(0.0, waited))


def run(cmd, env=None, cwd=None, check=True, timed=True):
    """Runs cmd (a list) under peakrss. Returns Run: wall seconds, peak RSS in
    KiB (the largest process of the tree), CPU seconds of the whole tree, and
    `other`: the CPU seconds per second that other processes on the machine
    used meanwhile (0 on a quiet machine)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    if timed:
        wait_quiet()
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, \
            tempfile.NamedTemporaryFile() as fr:
        # peakrss, a small C program, forks the command: the child's peak RSS
        # then starts from peakrss's few pages, not from this Python's.
        b0 = busy_s()
        t0 = time.perf_counter()
        p = subprocess.Popen([PEAKRSS, "-o", fr.name] + cmd, stdout=fo, stderr=fe, env=full_env,
                             cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        busy = busy_s() - b0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        try:
            rss = int(open(fr.name).read().strip() or 0)
        except ValueError:
            rss = 0
        cpu = ru.ru_utime + ru.ru_stime
        r = Run(wall, rss, cpu, max(0.0, (busy - cpu) / wall) if wall > 0 else 0.0, p.returncode,
                fo.read().decode(errors="replace"), fe.read().decode(errors="replace"))
    if check and r.rc != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), r.rc, (r.err or r.out)[-800:]))
    return r


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()


def jpeg_header(path):
    """(width, height, components) from a JPEG's SOF marker, or None."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        m = data[i + 1]
        if m == 0xFF:
            i += 1
            continue
        ln = struct.unpack(">H", data[i + 2:i + 4])[0]
        if m in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h, data[i + 9])
        i += 2 + ln
    return None


PERF = shutil.which("perf")


def perf_profile(cmd, env=None):
    """Samples cmd with perf (cpu-clock: works without a PMU, as in a VM).
    Returns {"dso": [(pct, dso)], "sym": [(pct, dso, sym)]} or None when perf
    is missing or refuses."""
    if not PERF:
        return None
    with tempfile.NamedTemporaryFile(suffix=".perf") as f:
        full_env = dict(os.environ)
        full_env.update(env or {})
        r = subprocess.run([PERF, "record", "-q", "-e", "cpu-clock", "-F", "2000", "-o", f.name,
                            "--"] + cmd, capture_output=True, env=full_env)
        if r.returncode != 0:
            return None
        out = {}
        for key, sort in (("dso", "dso"), ("sym", "dso,sym")):
            rep = subprocess.run([PERF, "report", "-i", f.name, "--stdio", "--no-children",
                                  "--sort", sort], capture_output=True, text=True).stdout
            rows = []
            for line in rep.splitlines():
                m = re.match(r"^\s*([\d.]+)%\s+(\S+)(?:\s+\[(.)\]\s+(.*?))?\s*$", line)
                if m:
                    rows.append((float(m.group(1)), m.group(2), (m.group(4) or "").strip()))
            out[key] = rows
        return out


def perf_summary(prof, own):
    """One line: the top symbols of `own` (a dso name), the kernel's share."""
    if not prof:
        return "no profile (perf missing)"
    kern = sum(p for p, d, _ in prof["dso"] if d.startswith("[kernel"))
    tops = [(p, d, sym) for p, d, sym in prof["sym"] if not d.startswith("[kernel")][:4]
    parts = ["%s %.0f%%" % (sym if d == own else "%s:%s" % (d, sym), p) for p, d, sym in tops]
    return "%s; kernel (page faults, zeroing) %.0f%%" % (", ".join(parts), kern)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def mib(kb):
    return kb / 1024.0


# --------------------------------------------------------------------------
# corpus
# --------------------------------------------------------------------------

# Typical camera and phone frame sizes, 2 to 12 megapixels, landscape and portrait.
SIZES = [(4000, 3000), (2048, 1536), (3264, 2448), (1920, 1280), (3000, 2000), (2448, 3264),
         (4032, 3024), (2592, 1944), (3840, 2160), (2400, 1600), (3024, 4032), (2816, 2112)]
SOURCES = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png",
           "hubble_deep_field.jpg", "retina.jpg", "rocket.jpg"]
N_FULL, N_QUICK = 40, 8


def vips(*args):
    subprocess.run(["vips"] + [str(a) for a in args], check=True, capture_output=True)


class Corpus:
    """Photos made from examples/ with vips: scaled up (Lanczos) to a camera
    frame size, cropped at a random place, maybe mirrored, with film-grain-like
    Gaussian noise (sigma 4 or 7 per channel) so that the JPEGs carry about as
    many bits per pixel as real camera photos, saved at quality 85-95 with
    4:2:0 chroma."""

    def __init__(self):
        self.gen = os.path.join(WORK, "gen")
        os.makedirs(self.gen, exist_ok=True)
        stamp = os.path.join(self.gen, "version")
        if not os.path.exists(stamp) or open(stamp).read() != CORPUS_VERSION:
            for d in ("gen", "corpus", "corpus-quick", "w1", "big"):
                shutil.rmtree(os.path.join(WORK, d), ignore_errors=True)
            os.makedirs(self.gen)
            open(stamp, "w").write(CORPUS_VERSION)
        self.srcs = []
        for s in SOURCES:
            v = os.path.join(self.gen, os.path.splitext(s)[0] + ".v")
            if not os.path.exists(v):
                vips("colourspace", os.path.join(ROOT, "examples", s), v, "srgb")
            self.srcs.append(v)
        self.noise = []
        for sigma in (4, 7):
            v = os.path.join(self.gen, "noise%d.v" % sigma)
            if not os.path.exists(v):
                planes = []
                for k in range(3):
                    f = os.path.join(self.gen, "n%d.v" % k)
                    c = os.path.join(self.gen, "nc%d.v" % k)
                    vips("gaussnoise", f, 4096, 4096, "--sigma", sigma, "--mean", 0)
                    vips("cast", f, c, "char")
                    planes.append(c)
                vips("bandjoin", " ".join(planes), v + ".tmp.v")
                os.rename(v + ".tmp.v", v)
                for k in range(3):
                    os.unlink(os.path.join(self.gen, "n%d.v" % k))
                    os.unlink(os.path.join(self.gen, "nc%d.v" % k))
            self.noise.append(v)

    def make(self, dst, w, h, seed, quality=None):
        """One photo of w x h (w, h <= 4096) at dst, deterministic in seed."""
        if os.path.exists(dst):
            return
        rnd = random.Random(seed)
        k = seed % len(self.srcs)
        src = self.srcs[k]
        sw, sh_ = [int(x) for x in subprocess.run(
            ["vipsheader", "-f", "width", src], capture_output=True, text=True).stdout.split()
                   + subprocess.run(["vipsheader", "-f", "height", src], capture_output=True,
                                    text=True).stdout.split()]
        scale = max(w / sw, h / sh_) * rnd.uniform(1.02, 1.35)
        tmp = tempfile.mkdtemp(dir=self.gen)
        try:
            up, cr, nc, s = (os.path.join(tmp, n) for n in ("up.v", "cr.v", "nc.v", "s.v"))
            vips("resize", src, up, "%.6f" % scale, "--kernel", "lanczos3")
            uw = int(subprocess.run(["vipsheader", "-f", "width", up], capture_output=True,
                                    text=True).stdout)
            uh = int(subprocess.run(["vipsheader", "-f", "height", up], capture_output=True,
                                    text=True).stdout)
            x, y = rnd.randint(0, max(0, uw - w)), rnd.randint(0, max(0, uh - h))
            vips("crop", up, cr, x, y, w, h)
            if rnd.random() < 0.5:
                vips("flip", cr, up, "horizontal")
                cr, up = up, cr
            noise = self.noise[rnd.randrange(2)]
            vips("crop", noise, nc, rnd.randint(0, 4096 - w), rnd.randint(0, 4096 - h), w, h)
            vips("add", cr, nc, s)
            q = quality or rnd.choice((85, 90, 92, 95))
            vips("cast", s, "%s.tmp.jpg[Q=%d,subsample-mode=on,strip]" % (dst, q), "uchar")
            os.rename(dst + ".tmp.jpg", dst)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def folder(self, n):
        full = os.path.join(WORK, "corpus")
        os.makedirs(full, exist_ok=True)
        specs = []
        for i in range(n):
            w, h = SIZES[i % len(SIZES)]
            specs.append((os.path.join(full, "photo%02d.jpg" % i), w, h, 1000 + i))
        todo = [s for s in specs if not os.path.exists(s[0])]
        if todo:
            log("corpus: generating %d JPEGs with vips (once; kept in bench/work/corpus)" % len(todo))
            with ThreadPoolExecutor(NCORES) as ex:
                list(ex.map(lambda s: self.make(*s), todo))
        if n == N_FULL:
            return full
        part = fresh(os.path.join(WORK, "corpus-quick"))
        for path, *_ in specs:
            os.link(path, os.path.join(part, os.path.basename(path)))
        return part

    def w1_image(self, pixpipe):
        """A 4000x3000 photo decoded once to PPM and PGM (both tools read the
        same pixels)."""
        d = os.path.join(WORK, "w1")
        os.makedirs(d, exist_ok=True)
        jpg, ppm, pgm = (os.path.join(d, n) for n in ("photo.jpg", "rgb.ppm", "gray.pgm"))
        self.make(jpg, 4000, 3000, 7, quality=90)
        if not os.path.exists(ppm):
            run([pixpipe, "convert", jpg, ppm], timed=False)
        if not os.path.exists(pgm):
            run([pixpipe, "apply", "-p", "grayscale", ppm, pgm], timed=False)
        return ppm, pgm

    def big(self):
        """A 30720x28800 (885 MP) JPEG: a 3840x3600 photo tiled 8x8 by vips replicate."""
        d = os.path.join(WORK, "big")
        os.makedirs(d, exist_ok=True)
        tile, big = os.path.join(d, "tile.jpg"), os.path.join(d, "big.jpg")
        self.make(tile, 3840, 3600, 11, quality=90)
        if not os.path.exists(big):
            log("workload 3: generating the 30720x28800 JPEG (once)")
            vips("replicate", tile, big + ".tmp.jpg[Q=90,subsample-mode=on,strip]", 8, 8)
            os.rename(big + ".tmp.jpg", big)
        return big


def folder_stats(d):
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jpg"))
    px = 0
    size = 0
    for f in files:
        w, h, _ = jpeg_header(f)
        px += w * h
        size += os.path.getsize(f)
    return files, px, size


# --------------------------------------------------------------------------
# workload 1: per-filter single-thread throughput
# --------------------------------------------------------------------------

W1 = [
    # name, pixpipe pipeline, input (rgb|gray), OpenCV expression (img is RGB or gray)
    ("grayscale", "grayscale", "rgb", "cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)"),
    ("gaussian 5x5 RGB", "gaussian ksize=5", "rgb", "cv2.GaussianBlur(img, (5, 5), 0)"),
    ("gaussian sigma=3 RGB", "gaussian sigma=3", "rgb", "cv2.GaussianBlur(img, (0, 0), 3)"),
    ("box 5", "box ksize=5", "rgb", "cv2.blur(img, (5, 5))"),
    ("median 5", "median ksize=5", "rgb", "cv2.medianBlur(img, 5)"),
    ("sobel (gray)", "sobel", "gray",
     "cv2.convertScaleAbs(cv2.Sobel(img, cv2.CV_16S, 1, 0))"),
    ("canny 50/150 (gray)", "canny low=50 high=150", "gray", "cv2.Canny(img, 50, 150)"),
    ("sharpen", "sharpen", "rgb",
     "cv2.filter2D(img, -1, np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32))"),
    ("open 3x3", "open size=3", "rgb",
     "cv2.morphologyEx(img, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))"),
    ("rotate 30", "rotate angle=30", "rgb",
     "cv2.warpAffine(img, cv2.getRotationMatrix2D(((img.shape[1] - 1) / 2, "
     "(img.shape[0] - 1) / 2), -30, 1), (img.shape[1], img.shape[0]))"),
    ("rotate 90", "rotate angle=90", "rgb", "cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)"),
    ("resize 1/2 area", "resize scale=0.5 interp=area", "rgb",
     "cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)"),
    ("enhance 1.2/10", "enhance alpha=1.2 beta=10", "rgb",
     "cv2.convertScaleAbs(img, alpha=1.2, beta=10)"),
]


def parse_kb(out):
    """(best_ms, median_ms, mpx_per_s, best_cpu_ms or None, best_reuse_ms or None)."""
    m = re.search(r"best_ms=([\d.]+) median_ms=([\d.]+) mpx_per_s=([\d.]+)"
                  r"(?: best_cpu_ms=([\d.]+))?(?: best_reuse_ms=([\d.]+))?", out)
    if not m:
        return None
    return (float(m.group(1)), float(m.group(2)), float(m.group(3)),
            float(m.group(4)) if m.group(4) else None,
            float(m.group(5)) if m.group(5) else None)


def compare_images(a, b):
    x = cv2.imread(a, cv2.IMREAD_UNCHANGED)
    y = cv2.imread(b, cv2.IMREAD_UNCHANGED)
    if x is None or y is None:
        return "unreadable output"
    if x.shape != y.shape:
        return "shape %s vs %s" % ("x".join(map(str, x.shape)), "x".join(map(str, y.shape)))
    d = np.abs(x.astype(np.int16) - y.astype(np.int16))
    if d.max() == 0:
        return "identical"
    n = int(np.count_nonzero(d.max(axis=2) if d.ndim == 3 else d))
    return "%.4f%% px differ, max %d" % (100.0 * n / (x.shape[0] * x.shape[1]), int(d.max()))


def w1_keep(r, who, x):
    """Folds one run of kernel_bench (who "pp") or cv_kernel_bench ("cv") into
    r: its best run, least CPU time and (pixpipe) least time into a reused
    output, or the error it printed."""
    v = parse_kb(x.out) if x.rc == 0 else None
    if not v:
        r[who + "_err"] = (x.err or x.out).strip().splitlines()[-1:] or ["exit %d" % x.rc]
        return
    if r[who] is None or v[0] < r[who][0]:
        r[who] = v
    for key, k in ((who + "_cpu", 3), (who + "_reuse", 4)):
        if key in r and v[k] is not None:
            r[key] = min(r[key] or v[k], v[k])


def workload1(b, ppm, pgm):
    log("workload 1: %d filters, %d round(s) alternating pixpipe / OpenCV, best of %d each"
        % (len(W1), W1_ROUNDS, W1_REPS))
    outd = fresh(os.path.join(OUT, "w1"))
    best = {}
    others = []
    for rnd in range(W1_ROUNDS):
        for i, (name, pipe, kind, expr) in enumerate(W1):
            img = ppm if kind == "rgb" else pgm
            ext = ".ppm" if kind == "rgb" and pipe != "grayscale" else ".pgm"
            r = best.setdefault(name, {"pp": None, "cv": None, "pp_err": None, "cv_err": None,
                                       "pp_cpu": None, "cv_cpu": None, "pp_reuse": None})
            pp_out = os.path.join(outd, "%02d-pp%s" % (i, ext)) if rnd == 0 else None
            cv_out = os.path.join(outd, "%02d-cv%s" % (i, ext)) if rnd == 0 else None
            pp_cmd = [b.kernel_bench, img, pipe, str(W1_REPS), "1"] + ([pp_out] if pp_out else [])
            cv_cmd = [PY, os.path.join(HERE, "cv_kernel_bench.py"), img, expr, str(W1_REPS)] + \
                ([cv_out] if cv_out else [])
            for who, cmd in (("pp", pp_cmd), ("cv", cv_cmd)):
                x = run(cmd, check=False)
                others.append(x.other)
                w1_keep(r, who, x)
            if rnd == 0:
                r["match"] = compare_images(pp_out, cv_out) if r["pp"] and r["cv"] else "-"
    rows = []
    h, w = cv2.imread(ppm, cv2.IMREAD_UNCHANGED).shape[:2]
    mpx = w * h / 1e6
    for name, pipe, kind, expr in W1:
        r = best[name]
        rows.append(dict(name=name, pipe=pipe, kind=kind, expr=expr,
                         pp_ms=r["pp"][0] if r["pp"] else None,
                         cv_ms=r["cv"][0] if r["cv"] else None,
                         pp_cpu=r["pp_cpu"], cv_cpu=r["cv_cpu"], pp_reuse=r["pp_reuse"],
                         pp_err=r["pp_err"], cv_err=r["cv_err"], match=r.get("match", "-")))
    other = sum(others) / max(1, len(others))
    # Where the time of the kernels slower than OpenCV goes (perf, cpu-clock).
    by_cpu = other >= QUIET_LOAD
    for r in rows:
        pk, ck = ("pp_cpu", "cv_cpu") if by_cpu and r["pp_cpu"] and r["cv_cpu"] else \
            ("pp_ms", "cv_ms")
        if r[pk] and r[ck] and r[pk] > r[ck]:
            img = ppm if r["kind"] == "rgb" else pgm
            r["profile"] = perf_summary(perf_profile([b.kernel_bench, img, r["pipe"], "20"]),
                                        "kernel_bench")
    return dict(rows=rows, width=w, height=h, mpx=mpx, other=other)


# --------------------------------------------------------------------------
# workload 2: a folder of JPEGs on every core
# --------------------------------------------------------------------------

PIPES = {
    "a": ("decode + encode", ""),
    "b": ("gaussian 5x5", "gaussian ksize=5"),
    "c": ("grayscale | gaussian sigma=1.4 | canny", "grayscale | gaussian sigma=1.4 | canny"),
}

VIPS_ENV = {"VIPS_CONCURRENCY": "1"}
IM_ENV = {"MAGICK_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1",
          "MAGICK_CONFIGURE_PATH": os.path.join(HERE, "imagemagick")}
VIPS_SAVE = "[Q=%d,subsample-mode=on,strip]" % QUALITY


class Tools:
    def __init__(self, build):
        self.pixpipe = os.path.join(build, "src", "cli", "pixpipe")
        self.kernel_bench = os.path.join(build, "bench", "kernel_bench")
        self.codec_floor = os.path.join(build, "bench", "codec_floor")
        self.peakrss = os.path.join(build, "tests", "tools", "peakrss")
        for p in (self.pixpipe, self.kernel_bench, self.codec_floor, self.peakrss):
            if not os.access(p, os.X_OK):
                sys.exit("bench: %s is missing: build first (make bench builds it)" % p)


def xargs_cmd(jobs_file, per_job, njobs, cmd):
    return ["xargs", "-a", jobs_file, "-d", "\n", "-n", str(per_job), "-P", str(njobs)] + cmd


def write_jobs(path, jobs):
    with open(path, "w") as f:
        for j in jobs:
            f.write("\n".join(j) + "\n")


def peer_commands(pipe, files, outd, njobs):
    """{tool: (cmd, env)} for the peers of one pipeline, outputs under outd/<tool>/."""
    cmds = {}
    jobsd = os.path.join(OUT, "jobs")
    os.makedirs(jobsd, exist_ok=True)
    # OpenCV: process pool, one single-threaded worker per core.
    cmds["OpenCV pool"] = ([PY, os.path.join(HERE, "cv_batch.py"), pipe, str(njobs), str(QUALITY),
                            "{in}", "{out}"], {})
    # vips: one single-threaded vips process per core.
    def o(tool, f):
        return os.path.join(outd, tool, os.path.basename(f))
    jf = os.path.join(jobsd, "vips-%s" % pipe)
    if pipe == "a":
        write_jobs(jf, [(f, o("vips", f) + VIPS_SAVE) for f in files])
        cmds["vips"] = (xargs_cmd(jf, 2, njobs, ["vips", "copy"]), VIPS_ENV)
    elif pipe == "b":
        write_jobs(jf, [(f, o("vips", f) + VIPS_SAVE, "1.1") for f in files])
        cmds["vips"] = (xargs_cmd(jf, 3, njobs, ["vips", "gaussblur", "--min-ampl", "0.1"]),
                        VIPS_ENV)
    else:
        write_jobs(jf, [(f, o("vips", f)) for f in files])
        script = ('vips colourspace "$1" "$2.v" b-w && vips canny "$2.v" "$2%s" --sigma 1.4 '
                  '&& rm -f "$2.v"' % VIPS_SAVE)
        cmds["vips"] = (xargs_cmd(jf, 2, njobs, ["sh", "-c", script, "_"]), VIPS_ENV)
    # ImageMagick: one convert per image, per core, one thread each.
    jf = os.path.join(jobsd, "im-%s" % pipe)
    enc = ["-quality", str(QUALITY), "-sampling-factor", "2x2"]
    if pipe == "a":
        ops = []
    elif pipe == "b":
        ops = ["-gaussian-blur", "2x1.1"]
    else:
        ops = ["-colorspace", "gray", "-canny", "0x1.4+10%+30%"]
    write_jobs(jf, [[f] + ops + enc + [o("ImageMagick", f)] for f in files])
    cmds["ImageMagick"] = (xargs_cmd(jf, 2 + len(ops) + len(enc), njobs, ["convert"]), IM_ENV)
    return cmds


def check_outputs(files, d, channels, full_decode=False):
    """Every input has an output of the same size with the expected channels."""
    bad = []
    for f in files:
        g = os.path.join(d, os.path.basename(f))
        if not os.path.exists(g):
            bad.append("%s: missing" % os.path.basename(g))
            continue
        hi, ho = jpeg_header(f), jpeg_header(g)
        if not ho or ho[:2] != hi[:2] or ho[2] != channels:
            bad.append("%s: header %s, expected %dx%d with %d channel(s)"
                       % (os.path.basename(g), ho, hi[0], hi[1], channels))
            continue
        if full_decode:
            im = cv2.imread(g, cv2.IMREAD_UNCHANGED)
            if im is None or im.shape[1] != hi[0] or im.shape[0] != hi[1]:
                bad.append("%s: does not decode" % os.path.basename(g))
    return bad


def mean_diff(files, d1, d2, k=3):
    """Mean absolute difference between two tools' decoded outputs (first k images)."""
    ds = []
    for f in files[:k]:
        x = cv2.imread(os.path.join(d1, os.path.basename(f)), cv2.IMREAD_UNCHANGED)
        y = cv2.imread(os.path.join(d2, os.path.basename(f)), cv2.IMREAD_UNCHANGED)
        if x is None or y is None or x.shape != y.shape:
            return None
        ds.append(float(np.mean(np.abs(x.astype(np.int16) - y.astype(np.int16)))))
    return sum(ds) / len(ds) if ds else None


def pixpipe_batch_cmd(t, pipe_text, ind, outd, threads, sync=False, quiet=True):
    cmd = [t.pixpipe, "batch", ind, outd, "-p", pipe_text, "-j", str(threads), "-q", str(QUALITY),
           "--subsampling", "420"]
    if quiet:
        cmd.append("--quiet")
    if not sync:
        cmd.append("--no-sync")
    return cmd


def workload2(t, corpus_dir, files, px):
    log("workload 2: %d JPEGs, %.0f Mpx, %d jobs" % (len(files), px / 1e6, JOBS))
    res = {}
    outroot = os.path.join(OUT, "w2")
    for key, (label, text) in PIPES.items():
        chans = 1 if key == "c" else 3
        outd = fresh(os.path.join(outroot, key))
        # Correctness first: an untimed pixpipe run whose outputs must all decode
        # at the input's size. Its summary shows where the time goes.
        d = fresh(os.path.join(outd, "check"))
        chk = run(pixpipe_batch_cmd(t, text, corpus_dir, d, JOBS, quiet=False), check=False,
                  timed=False)
        bad = check_outputs(files, d, chans, full_decode=True) if chk.rc == 0 else \
            ["pixpipe batch exited %d: %s" % (chk.rc, chk.err.strip()[-300:])]
        inside = re.search(r"time inside: (.*)", chk.out)
        entry = dict(label=label, text=text, tools={}, check=bad,
                     inside=inside.group(1) if inside else "", errors={})
        if bad:
            log("workload 2%s: pixpipe outputs are wrong, not timing it: %s" % (key, bad[:3]))
        tools = {}
        if not bad:
            tools["pixpipe batch"] = (pixpipe_batch_cmd(t, text, corpus_dir, "{out}", JOBS), {},
                                      W2_REPS)
            if key == "a":
                # what writing to the disk, and pixpipe's default fsync, cost here
                tools["pixpipe batch, output on disk"] = (
                    pixpipe_batch_cmd(t, text, corpus_dir, "{disk}", JOBS), {}, W2_REPS)
                tools["pixpipe batch, output on disk, default fsync"] = (
                    pixpipe_batch_cmd(t, text, corpus_dir, "{disk}", JOBS, sync=True), {},
                    W2_REPS)
        floor = [t.codec_floor, "-j", str(JOBS), "-q", str(QUALITY), "-s", "420"] + \
            (["-g"] if key == "c" else []) + ["-o", "{out}"] + files
        tools["codec floor (libjpeg-turbo)"] = (floor, {}, W2_REPS)
        for name, (cmd, env) in peer_commands(key, files, outd, JOBS).items():
            tools[name] = (cmd, env, W2_IM_REPS if name == "ImageMagick" else W2_PEER_REPS)
        maxreps = max(v[2] for v in tools.values())
        for rep in range(maxreps):  # interleaved: every tool once per round
            for name, (cmd, env, reps) in tools.items():
                if rep >= reps or name in entry["errors"]:
                    continue
                slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
                od = os.path.join(outd, {"vips": "vips", "ImageMagick": "ImageMagick"}.get(name, slug))
                fresh(od)
                disk = fresh(os.path.join(WORK, "out-disk", slug))
                c = [x.replace("{in}", corpus_dir).replace("{out}", od).replace("{disk}", disk)
                     for x in cmd]
                r = run(c, env=env, check=False)
                if r.rc != 0:
                    entry["errors"][name] = "exit %d: %s" % (r.rc, (r.err or r.out).strip()[-300:])
                    log("workload 2%s: %s failed: %s" % (key, name, entry["errors"][name]))
                    continue
                if rep == 0:
                    bad = check_outputs(files, disk if "{disk}" in cmd else od, chans)
                    if bad:
                        entry["errors"][name] = "wrong outputs: " + "; ".join(bad[:3])
                        log("workload 2%s: %s: %s" % (key, name, entry["errors"][name]))
                        continue
                tr = entry["tools"].setdefault(name, dict(walls=[], cpus=[], others=[], rss=0))
                tr["walls"].append(r.wall)
                tr["cpus"].append(r.cpu)
                tr["others"].append(r.other)
                tr["rss"] = max(tr["rss"], r.rss_kb)
                log("workload 2%s: %-30s %7.2f s  cpu %6.2f s  %6.1f MiB  (others used %.2f cores)"
                    % (key, name, r.wall, r.cpu, mib(r.rss_kb), r.other))
        if "pixpipe batch" in entry["tools"] and "codec floor (libjpeg-turbo)" in entry["tools"]:
            fr = floor_rounds(tools["pixpipe batch"][0], tools["codec floor (libjpeg-turbo)"][0],
                              outd, W2_PAIRS, key)
            if fr:
                entry["pairs"], entry["pairs_redone"] = fr
        # Where pixpipe's CPU time goes, one thread (perf, cpu-clock); outputs to tmpfs.
        if "pixpipe batch" in entry["tools"]:
            pd = fresh(os.path.join(outd, "profile"))
            entry["profile"] = perf_profile(pixpipe_batch_cmd(t, text, corpus_dir, pd, 1))
        # how close pixpipe's pixels are to OpenCV's (same libjpeg, same settings)
        if "pixpipe batch" in entry["tools"] and "OpenCV pool" in entry["tools"]:
            entry["diff_cv"] = mean_diff(files, os.path.join(outd, "pixpipe-batch"),
                                         os.path.join(outd, "opencv-pool"))
        res[key] = entry
    return res


def floor_rounds(cmd_p, cmd_f, outd, n, key):
    """The codec-floor ratio, n rounds of pixpipe, floor, floor, pixpipe (ABBA):
    a drift of the machine's speed within a round weighs on both tools alike.
    Other work does not: a round during which other processes used more than
    QUIET_LOAD cores (in any of its four runs) is done again, at most n times
    in all, since its ratio then says more about that work than about
    pixpipe. Returns (each kept round's (wall ratio, CPU ratio), how many
    rounds were done again), or None when a run failed."""
    rounds, redone = [], 0
    while len(rounds) < n:
        wall = {"p": 0.0, "f": 0.0}
        cpu = {"p": 0.0, "f": 0.0}
        other = 0.0
        for who in ("p", "f", "f", "p"):
            od = fresh(os.path.join(outd, "pairs-" + who))
            r = run([x.replace("{out}", od) for x in (cmd_p if who == "p" else cmd_f)],
                    check=False)
            if r.rc != 0:
                log("workload 2%s: codec-floor round %d: exit %d" % (key, len(rounds) + 1, r.rc))
                return None
            wall[who] += r.wall
            cpu[who] += r.cpu
            other = max(other, r.other)
        ratio = wall["p"] / wall["f"]
        if other > QUIET_LOAD and redone < n:
            redone += 1
            log("workload 2%s: codec-floor round %d: %.2f×, but others used %.2f cores: "
                "done again" % (key, len(rounds) + 1, ratio, other))
            continue
        rounds.append((ratio, cpu["p"] / cpu["f"] if cpu["f"] else 0.0))
        log("workload 2%s: codec-floor round %d: pixpipe %.2f s, floor %.2f s (two runs each): "
            "%.2f× (others used up to %.2f cores)" % (key, len(rounds), wall["p"], wall["f"],
                                                      ratio, other))
    return rounds, redone


def scaling(t, corpus_dir, files, px):
    if not SCALING:
        return None
    log("scaling: pixpipe batch and the codec floor at %s threads" % SCALING)
    rows = []
    outd = os.path.join(OUT, "scaling")
    def best(old, r):
        if r.rc != 0:
            return old
        return r.wall if old is None else min(old, r.wall)
    for n in SCALING:
        row = dict(threads=n, a=None, b=None, c=None, floor=None, floor_gray=None)
        for _ in range(SCALING_REPS):
            for key, (label, text) in PIPES.items():
                od = fresh(outd)
                r = run(pixpipe_batch_cmd(t, text, corpus_dir, od, n), check=False)
                row[key] = best(row[key], r)
                row["other"] = max(row.get("other", 0), r.other)
            for key, gray in (("floor", False), ("floor_gray", True)):
                od = fresh(outd)
                r = run([t.codec_floor, "-j", str(n), "-q", str(QUALITY)]
                        + (["-g"] if gray else []) + ["-o", od] + files, check=False)
                row[key] = best(row[key], r)
                row["other"] = max(row.get("other", 0), r.other)
        log("scaling: %2d threads: %s" % (n, ", ".join(
            "%s %.2f s" % (k, row[k]) for k in ("a", "b", "c", "floor") if row[k])))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------
# workload 3: one 885 MP JPEG
# --------------------------------------------------------------------------

def workload3(t, big):
    w, h, _ = jpeg_header(big)
    log("workload 3: %dx%d (%.0f MP), gaussian sigma=1.1" % (w, h, w * h / 1e6))
    outd = fresh(os.path.join(OUT, "w3"))
    out_pp, out_v = os.path.join(outd, "pixpipe.jpg"), os.path.join(outd, "vips.jpg")
    tools = {
        "pixpipe apply": ([t.pixpipe, "apply", "-p", "gaussian sigma=1.1", "--max-pixels",
                           "1000000000", "-q", str(QUALITY), "--subsampling", "420", big, out_pp],
                          {}, out_pp),
        "vips gaussblur": (["vips", "gaussblur", big, out_v + VIPS_SAVE, "1.1",
                            "--min-ampl", "0.001"], {}, out_v),
    }
    res = dict(width=w, height=h, tools={}, errors={})
    for rep in range(W3_REPS):
        for name, (cmd, env, out) in tools.items():
            if name in res["errors"]:
                continue
            if os.path.exists(out):
                os.unlink(out)
            r = run(cmd, env=env, check=False)
            if r.rc != 0:
                res["errors"][name] = "exit %d: %s" % (r.rc, (r.err or r.out).strip()[-300:])
                log("workload 3: %s failed: %s" % (name, res["errors"][name]))
                continue
            hd = jpeg_header(out)
            if not hd or hd[:2] != (w, h):
                res["errors"][name] = "output header %s" % (hd,)
                continue
            tr = res["tools"].setdefault(name, dict(walls=[], cpus=[], others=[], rss=0))
            tr["walls"].append(r.wall)
            tr["cpus"].append(r.cpu)
            tr["others"].append(r.other)
            tr["rss"] = max(tr["rss"], r.rss_kb)
            log("workload 3: %-16s %7.2f s  cpu %6.2f s  %7.1f MiB  (others used %.2f cores)"
                % (name, r.wall, r.cpu, mib(r.rss_kb), r.other))
    res["sizes"] = {n: os.path.getsize(o) for n, (_, _, o) in tools.items() if os.path.exists(o)}
    for o in (out_pp, out_v):
        if os.path.exists(o):
            os.unlink(o)
    return res


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

def machine():
    cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1") or platform.processor()
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    flags = sh("grep -m1 '^flags' /proc/cpuinfo")
    simd = [x for x in ("avx2", "avx512f", "avx512bw") if " %s " % x in flags + " "]
    virt = sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'")
    return dict(cpu=cpu, cores=NCORES, mem_gib=mem, simd=simd, virt=virt,
                kernel=platform.release(), os=sh(". /etc/os-release && echo $PRETTY_NAME"))


def versions(t):
    v = {}
    lines = run([t.pixpipe, "--version"], check=False, timed=False).out.splitlines()
    v["pixpipe"] = lines[0] if lines else "?"
    kernels = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("kernels:")]
    if kernels:
        v["pixpipe"] += ", %s kernels" % kernels[0]
    commit = sh("cd %s && git rev-parse --short HEAD 2>/dev/null" % ROOT)
    dirty = sh("cd %s && git status --porcelain --untracked-files=no 2>/dev/null | head -1" % ROOT)
    if commit:
        v["pixpipe"] += " (git %s%s)" % (commit, ", with uncommitted changes" if dirty else "")
    v["OpenCV"] = cv2.__version__
    v["NumPy"] = np.__version__
    v["vips"] = sh("vips --version")
    v["ImageMagick"] = sh("convert --version | head -1 | sed 's/^Version: //; s/ https.*//'")
    v["libjpeg-turbo"] = sh("dpkg-query -W -f='${Version}' libjpeg62-turbo 2>/dev/null") or "?"
    m = re.match(r"(?:\d+:)?([\d.]+)", v["libjpeg-turbo"])
    if m:
        v["libjpeg-turbo"] = "%s (Debian libjpeg62-turbo %s)" % (m.group(1), v["libjpeg-turbo"])
    v["compiler"] = sh("cc --version | head -1")
    return v


def fmt_s(x):
    return "%.2f" % x if x is not None else "-"


def status(ok):
    return "**REACHED**" if ok else "**MISSED**"


def report(path, mach, ver, corpus_info, w1, w2, sc, w3, elapsed, date=None):
    L = []
    add = L.append
    add("# pixpipe benchmark results")
    add("")
    add("Generated by `make bench` (bench/run_bench.sh, bench/bench.py) on %s in %.0f s%s. "
        "Do not edit by hand: run it again." % (
            date or datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(), elapsed,
            " — **BENCH_QUICK smoke run: smaller corpus, fewer repetitions, no workload 3**"
            if QUICK else ""))
    add("")
    add("## Machine and versions")
    add("")
    add("| | |")
    add("| --- | --- |")
    add("| CPU | %s, %d cores online%s; %s |" % (
        mach["cpu"], mach["cores"], ", %s virtual machine" % mach["virt"] if mach["virt"] else "",
        "/".join(mach["simd"]) or "no AVX2"))
    add("| memory | %.1f GiB |" % mach["mem_gib"])
    add("| system | %s, Linux %s |" % (mach["os"], mach["kernel"]))
    for k in ("pixpipe", "OpenCV", "NumPy", "vips", "ImageMagick", "libjpeg-turbo", "compiler"):
        add("| %s | %s |" % (k, ver.get(k, "?")))
    add("")
    add("**Machine load.** This machine is shared: other work (compilers, test suites) may run "
        "during the bench. Before every timed command the bench waits, up to %.0f s each and "
        "%.0f s in all, until other processes use under %.1f core (it waited %.0f s in all this "
        "run), and every table gives the *other load*: the CPU seconds per second that other "
        "processes used while that command ran (from /proc/stat minus the command's own "
        "rusage). Figures with other load well above 0 are slower than this machine can do; "
        "best-of-N keeps the least disturbed run." % (
            QUIET_MAX, float(os.environ.get("BENCH_QUIET_BUDGET", "180")), QUIET_LOAD,
            QUIET_WAITED[0]))
    add("")

    # ---- targets
    add("## Targets (issue 4)")
    add("")
    add("All ratios are pixpipe ÷ peer for time, measured side by side in this run; below 1 "
        "means pixpipe is faster.")
    add("")
    add("| target | figure | status |")
    add("| --- | --- | --- |")
    # On a quiet machine the best wall time is the figure; when other work
    # shared the cores, the CPU time of the best run is the fairer one.
    by_cpu = w1["other"] >= QUIET_LOAD and all(
        r["pp_cpu"] and r["cv_cpu"] for r in w1["rows"] if r["pp_ms"] and r["cv_ms"])
    pk, ck = ("pp_cpu", "cv_cpu") if by_cpu else ("pp_ms", "cv_ms")
    ok_rows = [r for r in w1["rows"] if r["pp_ms"] and r["cv_ms"]]
    missing = [r["name"] for r in w1["rows"] if not (r["pp_ms"] and r["cv_ms"])]
    slow = [r for r in ok_rows if r[pk] > r[ck]]
    worst = max(ok_rows, key=lambda r: r[pk] / r[ck]) if ok_rows else None
    fig = "%d of %d kernels at least as fast (judged on %s)" % (
        len(ok_rows) - len(slow), len(W1),
        "CPU time: other work used %.2f cores during workload 1" % w1["other"] if by_cpu
        else "best wall time")
    if slow:
        fig += "; slower: " + ", ".join("%s %.2f×" % (r["name"], r[pk] / r[ck])
                                        for r in sorted(slow, key=lambda r: -r[pk] / r[ck]))
    elif worst:
        fig += "; worst ratio %.2f× (%s)" % (worst[pk] / worst[ck], worst["name"])
    if missing:
        fig += "; not measured: " + ", ".join(missing)
    add("| W1: every kernel ≥ OpenCV speed on 1 thread | %s | %s |"
        % (fig, status(not slow and not missing)))
    for key in PIPES:
        e = w2[key]
        tools = e["tools"]
        pp = min(tools["pixpipe batch"]["walls"]) if "pixpipe batch" in tools else None
        peers = {n: min(v["walls"]) for n, v in tools.items()
                 if n in ("OpenCV pool", "vips", "ImageMagick")}
        if pp is None:
            add("| W2%s %s: faster than every peer | pixpipe not measured (%s) | **MISSED** |"
                % (key, e["label"].replace("|", "\\|"), "; ".join(e["check"][:2]) or "failed"))
        else:
            best = min(peers.items(), key=lambda kv: kv[1]) if peers else None
            fig = ", ".join("%s %.2f×" % (n, pp / v) for n, v in peers.items())
            failed = [n for n in ("OpenCV pool", "vips", "ImageMagick") if n not in peers]
            if failed:
                fig += "; peer failed: " + ", ".join(failed)
            add("| W2%s %s: faster than every peer | %s | %s |" % (
                key, e["label"].replace("|", "\\|"), fig, status(best is not None and pp < best[1])))
        fl = tools.get("codec floor (libjpeg-turbo)")
        if pp is not None and fl:
            best_ratio = pp / min(fl["walls"])
            # Judged on the codec-floor rounds (pixpipe, floor, floor,
            # pixpipe): a round's ratio shares the machine's state of the
            # moment, and the median of the rounds is not swayed by one lucky
            # run of either tool, as the ratio of the two best runs is. An
            # older run without them pairs the interleaved runs instead.
            if e.get("pairs"):
                paired = sorted(w for w, _ in e["pairs"])
                how = "ABBA rounds"
                if e.get("pairs_redone"):
                    how += ", %d more done again for other load" % e["pairs_redone"]
            else:
                paired = sorted(a / b for a, b in zip(tools["pixpipe batch"]["walls"],
                                                      fl["walls"]))
                how = "rounds"
            ratio = statistics.median(paired)
            ppc = tools["pixpipe batch"]["cpus"][tools["pixpipe batch"]["walls"].index(pp)]
            flc = fl["cpus"][fl["walls"].index(min(fl["walls"]))]
            why = ""
            prof = e.get("profile")
            if max(ratio, best_ratio) > 1.2 and prof:
                own = sum(p for p, d in ((p, d) for p, d, _ in prof["dso"]) if d == "pixpipe")
                jpeg = sum(p for p, d, _ in prof["dso"] if "jpeg" in d)
                why = ("; at 1 thread pixpipe's own code (the filters) takes %.0f%% of its CPU "
                       "samples, libjpeg-turbo %.0f%%" % (own, jpeg))
            add("| W2%s: within 1.2× of the codec floor | %.2f× the floor, median of %d %s "
                "(%s; best runs %.2f s vs %.2f s: %.2f×, by CPU time %.2f×%s) | %s |"
                % (key, ratio, len(paired), how, " ".join("%.2f" % r for r in paired), pp,
                   min(fl["walls"]), best_ratio, ppc / flc if flc else 0, why,
                   status(ratio <= 1.2)))
        else:
            add("| W2%s: within 1.2× of the codec floor | not measured | **MISSED** |" % key)
    if w3:
        tp = w3["tools"].get("pixpipe apply")
        tv = w3["tools"].get("vips gaussblur")
        if tp and tv:
            r = min(tp["walls"]) / min(tv["walls"])
            add("| W3: faster than vips | %.2f× (%.1f s vs %.1f s) | %s |"
                % (r, min(tp["walls"]), min(tv["walls"]), status(r < 1)))
        else:
            add("| W3: faster than vips | not measured (%s) | **MISSED** |"
                % "; ".join("%s: %s" % kv for kv in w3["errors"].items()))
        if tp:
            add("| W3: peak RSS ≤ 128 MB | %.1f MiB | %s |" % (mib(tp["rss"]),
                                                            status(mib(tp["rss"]) <= 128)))
        else:
            add("| W3: peak RSS ≤ 128 MB | not measured | **MISSED** |")
    else:
        add("| W3: faster than vips; peak RSS ≤ 128 MB | not run (BENCH_QUICK or BENCH_W3=0) | - |")
    add("")

    # ---- corpus
    add("## Corpus")
    add("")
    add("- Workload 1: one %dx%d photo (%.1f MP), decoded once to PPM and to PGM "
        "(pixpipe's BT.601 grayscale) so both tools time the same pixels; no codec in the timing."
        % (w1["width"], w1["height"], w1["mpx"]))
    add("- Workload 2: `%s`: %d JPEGs, %.0f megapixels, %.1f MB, %.2f bits per pixel on average "
        "(camera photos at quality 90 carry about 1.5-4), 1.9 to 12.2 MP each, quality 85-95, "
        "4:2:0. Made from the photos in examples/ by `vips resize` (Lanczos 3) to camera frame "
        "sizes, a random crop, maybe a mirror, and film-grain-like Gaussian noise (sigma 4 or 7)."
        % (os.path.relpath(corpus_info["dir"], ROOT), corpus_info["n"], corpus_info["px"] / 1e6,
           corpus_info["bytes"] / 1e6, corpus_info["bytes"] * 8 / corpus_info["px"]))
    if w3:
        add("- Workload 3: `bench/work/big/big.jpg`, %dx%d (%.0f MP, %.0f MB): a 3840x3600 photo "
            "made the same way, tiled 8x8 by `vips replicate`, quality 90, 4:2:0."
            % (w3["width"], w3["height"], w3["width"] * w3["height"] / 1e6,
               os.path.getsize(os.path.join(WORK, "big", "big.jpg")) / 1e6))
    add("- Everything lives in bench/work/ (git-ignored), is generated once and reused.")
    add("")

    # ---- workload 1
    add("## Workload 1: per-filter throughput, one thread")
    add("")
    add("`bench/kernel_bench IMAGE PIPELINE %d 1` (pixpipe's plan run on the decoded image) and "
        "`bench/cv_kernel_bench.py IMAGE EXPR %d` (OpenCV %s, `cv2.setNumThreads(1)`), "
        "alternating filter by filter, %d round(s); best of %d runs per round, best round kept. "
        "Mpx/s counts input pixels. CPU ms is the least process CPU time of one run (what the "
        "kernel itself cost, even when other work took time slices). *Output reused*: "
        "kernel_bench's second loop, the same plan run into one output image allocated once "
        "(in the first loop, as in OpenCV's, each run's fresh output mostly comes back from "
        "malloc's heap, where the previous one was freed, so the two loops differ little); its "
        "ratio is against OpenCV's best time. *Output vs OpenCV* "
        "compares the two results pixel by pixel. Other load during this workload: %.2f cores "
        "on average."
        % (W1_REPS, W1_REPS, ver["OpenCV"], W1_ROUNDS, W1_REPS, w1["other"]))
    add("")
    add("| filter | pixpipe | OpenCV call | pixpipe ms | OpenCV ms | pixpipe Mpx/s | OpenCV Mpx/s "
        "| ratio (pixpipe ÷ OpenCV time) | pixpipe CPU ms | OpenCV CPU ms | ratio by CPU time "
        "| pixpipe ms, output reused | its ratio | output vs OpenCV |")
    add("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| --- |")
    for r in w1["rows"]:
        pp, cv = r["pp_ms"], r["cv_ms"]
        ratio = "%.2f" % (pp / cv) if pp and cv else "-"
        if pp and cv and pp > cv:
            ratio = "**%s**" % ratio
        expr = r["expr"].replace("|", "\\|")
        if len(expr) > 70:
            expr = expr[:67] + "..."
        pc, cc = r["pp_cpu"], r["cv_cpu"]
        cratio = "%.2f" % (pc / cc) if pc and cc else "-"
        if pc and cc and pc > cc:
            cratio = "**%s**" % cratio
        pu = r["pp_reuse"]
        add("| %s | `%s` | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r["pipe"], expr,
            "%.1f" % pp if pp else "error: %s" % " ".join(r["pp_err"] or []).replace("|", "\\|"),
            "%.1f" % cv if cv else "error: %s" % " ".join(r["cv_err"] or []).replace("|", "\\|"),
            "%.0f" % (w1["mpx"] / pp * 1e3) if pp else "-",
            "%.0f" % (w1["mpx"] / cv * 1e3) if cv else "-", ratio,
            "%.1f" % pc if pc else "-", "%.1f" % cc if cc else "-", cratio,
            "%.1f" % pu if pu else "-", "%.2f" % (pu / cv) if pu and cv else "-", r["match"]))
    add("")

    prof = [r for r in w1["rows"] if r.get("profile")]
    if prof:
        add("Where pixpipe's time goes in the kernels slower than OpenCV (`perf record -e "
            "cpu-clock` of `kernel_bench IMAGE PIPELINE 20`, share of samples; the image "
            "decode at start-up is included):")
        add("")
        for r in prof:
            add("- %s: %s" % (r["name"], r["profile"]))
        add("")

    # ---- workload 2
    add("## Workload 2: a folder of JPEGs on %d cores" % JOBS)
    add("")
    add("Every tool reads the same %d JPEGs and writes JPEG quality %d with 4:2:0 chroma (grey for "
        "(c)). Time is the wall time of the whole command (process start, pool start, all "
        "images). Best of %d for pixpipe and the floor, %d for OpenCV and vips, %d for "
        "ImageMagick; the tools take turns. Peak RSS: pixpipe and the floor are one process; for "
        "the OpenCV pool, xargs+vips and xargs+convert it is the **largest single process** "
        "(ru_maxrss of the tree), not the sum over the %d concurrent processes. CPU s is the "
        "user+system time of the whole process tree: the work done, whatever the cores. "
        "The tables show each tool's best run. The codec-floor target is judged separately, after "
        "those runs, on %d rounds of pixpipe, floor, floor, pixpipe back to back (ABBA, so a "
        "drift of this shared machine's speed within a round weighs on both alike): a round's "
        "ratio is pixpipe's two runs ÷ the floor's two, and the target is the median round, "
        "because one lucky run of either tool moves the ratio of the two best runs by 10-20%%. "
        "A round during which other processes used more than %.1f core is done again (at most "
        "as many times as there are rounds; the summary says how many were). "
        "The summary gives every kept round's ratio and the best-run ratio too."
        % (corpus_info["n"], QUALITY, W2_REPS, W2_PEER_REPS, W2_IM_REPS, JOBS, W2_PAIRS,
           QUIET_LOAD))
    add("")
    for key, e in w2.items():
        add("### 2%s: %s" % (key, e["label"]))
        add("")
        if e["check"]:
            add("pixpipe's outputs failed the check, so pixpipe was not timed: %s"
                % "; ".join(e["check"][:5]))
        else:
            line = ("Checked before timing: all %d pixpipe outputs decode, at the input's size, "
                    "with %d channel(s). pixpipe's own split (untimed check run): %s."
                    % (corpus_info["n"], 1 if key == "c" else 3, e["inside"] or "n/a"))
            if e.get("diff_cv") is not None:
                line += (" Mean absolute difference between pixpipe's and OpenCV's decoded "
                         "outputs (first 3 images): %.3f grey levels." % e["diff_cv"])
            prof = e.get("profile")
            if prof:
                share = {d: p for p, d, _ in prof["dso"]}
                jpeg = sum(p for d, p in share.items() if "jpeg" in d)
                own = share.get("pixpipe", 0.0)
                kern = sum(p for d, p in share.items() if d.startswith("[kernel"))
                tops = [(p, sym) for p, d, sym in prof["sym"] if d == "pixpipe"][:5]
                line += (" Profile of `pixpipe batch -j 1` (perf, share of CPU samples): "
                         "libjpeg-turbo %.0f%%, pixpipe's own code %.0f%% (%s), kernel %.0f%%, "
                         "the rest %.0f%%." % (
                             jpeg, own, ", ".join("%s %.1f%%" % (sym, p) for p, sym in tops)
                             or "-", kern, max(0.0, 100 - jpeg - own - kern)))
            add(line)
        add("")
        pp = min(e["tools"]["pixpipe batch"]["walls"]) if "pixpipe batch" in e["tools"] else None
        add("| tool | time s | CPU s | images/s | Mpx/s | peak RSS MiB | other load | "
            "pixpipe ÷ tool (time) |")
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, v in e["tools"].items():
            i = v["walls"].index(min(v["walls"]))
            wt = v["walls"][i]
            add("| %s | %.2f | %.2f | %.1f | %.0f | %.1f | %.2f | %s |" % (
                name, wt, v["cpus"][i], corpus_info["n"] / wt, corpus_info["px"] / 1e6 / wt,
                mib(v["rss"]), v["others"][i], "%.2f" % (pp / wt) if pp else "-"))
        for name, why in e["errors"].items():
            add("| %s | failed: %s | | | | | | |"
                % (name, why.replace("|", "\\|").replace("\n", " ")))
        add("")
    add("Commands (`IN`: the corpus folder, `OUT`: a fresh folder per run, `N`: %d):" % JOBS)
    add("")
    add("```sh")
    add("pixpipe batch IN OUT -p PIPE -j N -q 90 --subsampling 420 --quiet --no-sync"
        "   # PIPE: '' | 'gaussian ksize=5' | 'grayscale | gaussian sigma=1.4 | canny'")
    add("pixpipe batch ... [--no-sync]   # 2a only, output on disk (bench/work/out-disk): "
        "with and without pixpipe's default fsync")
    add("codec_floor -j N -q 90 -s 420 [-g for (c)] -o OUT IN/*.jpg   # bench/codec_floor.c")
    add("cv_batch.py a|b|c N 90 IN OUT   # bench/cv_batch.py: multiprocessing.Pool(N), "
        "setNumThreads(1); imread, [GaussianBlur((5,5),0) | cvtColor, GaussianBlur((0,0),1.4), "
        "Canny(50,150)], imwrite q90")
    add("VIPS_CONCURRENCY=1 xargs -P N -n ... vips copy IN/x.jpg 'OUT/x.jpg%s'" % VIPS_SAVE)
    add("VIPS_CONCURRENCY=1 xargs -P N -n ... vips gaussblur --min-ampl 0.1 IN/x.jpg 'OUT/x.jpg%s' "
        "1.1   # 5 taps, like 5x5" % VIPS_SAVE)
    add("VIPS_CONCURRENCY=1 xargs -P N -n ... sh -c 'vips colourspace IN/x.jpg OUT/x.jpg.v b-w && "
        "vips canny OUT/x.jpg.v \"OUT/x.jpg%s\" --sigma 1.4 && rm OUT/x.jpg.v'" % VIPS_SAVE)
    add("MAGICK_THREAD_LIMIT=1 MAGICK_CONFIGURE_PATH=bench/imagemagick xargs -P N -n ... convert "
        "IN/x.jpg [-gaussian-blur 2x1.1 | -colorspace gray -canny 0x1.4+10%+30%] "
        "-quality 90 -sampling-factor 2x2 OUT/x.jpg")
    add("```")
    add("")
    add("Notes on the peers:")
    add("")
    add("- Outputs go to `%s`%s. pixpipe is timed with `--no-sync` because no peer fsyncs its "
        "outputs; the two 2a rows *output on disk* show what the disk and pixpipe's safe default "
        "(fsync each output before the rename) cost here." % (
            OUT, " (tmpfs), so that the disk, busy with other work on this machine, does not "
            "stall any tool" if OUT.startswith("/dev/shm") else ""))
    add("- vips (c) is not the same operation: libvips 8.14's `canny` has no thresholds and no "
        "hysteresis (it writes the thinned gradient magnitude), and blurs with its own Gaussian "
        "(sigma 1.4, min_ampl 0.2: 5 taps in float) where OpenCV and pixpipe use 9 taps. It does "
        "less work than the others.")
    add("- ImageMagick 6 (Q16) runs with bench/imagemagick/policy.xml, which raises the Debian "
        "policy's 256 MiB memory / 128 MP area limits; with the stock policy a 12 MP canny spills "
        "its pixel cache to disk and takes minutes. Its `-canny` thresholds are percentages, not "
        "gradient values; its output is 16-bit internally.")
    add("- OpenCV 4.6's Python binding has no JPEG sampling-factor flag; its default is 4:2:0, "
        "as pixpipe's.")
    add("")
    if sc:
        add("### Batch scaling (pixpipe batch, all three pipelines, and the codec floor)")
        add("")
        add("Best of %d runs each, `-j N` (the floor: `codec_floor -j N`). This machine has %d "
            "cores: rows above %d threads are **oversubscribed** and show only what extra threads "
            "cost." % (SCALING_REPS, NCORES, NCORES))
        add("")
        add("| threads | 2a s | 2b s | 2c s | floor s | floor (grey out) s | 2a ÷ floor | 2b ÷ floor "
            "| 2c ÷ floor (grey) | 2b speed-up vs 1 thread | other load (max) |")
        add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        base = sc[0]["b"] if sc and sc[0]["threads"] == 1 else None
        for r in sc:
            def ratio(a, b):
                return "%.2f" % (r[a] / r[b]) if r.get(a) and r.get(b) else "-"
            add("| %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f |" % (
                r["threads"], " (oversubscribed)" if r["threads"] > NCORES else "",
                fmt_s(r["a"]), fmt_s(r["b"]), fmt_s(r["c"]), fmt_s(r["floor"]),
                fmt_s(r["floor_gray"]), ratio("a", "floor"), ratio("b", "floor"),
                ratio("c", "floor_gray"),
                "%.2f×" % (base / r["b"]) if base and r["b"] else "-", r.get("other", 0)))
        add("")
        add("No 16-core machine was lent to this run; the 1-16 thread table on real cores is "
            "still to be recorded.")
        add("")

    # ---- workload 3
    add("## Workload 3: one %s JPEG through `gaussian sigma=1.1`" % (
        "%dx%d" % (w3["width"], w3["height"]) if w3 else "885 MP"))
    add("")
    if not w3:
        add("Not run (BENCH_QUICK or BENCH_W3=0).")
    else:
        add("| tool | time s | CPU s | Mpx/s | peak RSS MiB | output MB | other load | "
            "pixpipe ÷ tool (time) |")
        add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        tp = w3["tools"].get("pixpipe apply")
        for name, v in w3["tools"].items():
            i = v["walls"].index(min(v["walls"]))
            wt = v["walls"][i]
            add("| %s | %.2f | %.2f | %.0f | %.1f | %.0f | %.2f | %s |" % (
                name, wt, v["cpus"][i], w3["width"] * w3["height"] / 1e6 / wt, mib(v["rss"]),
                w3["sizes"].get(name, 0) / 1e6, v["others"][i],
                "%.2f" % (min(tp["walls"]) / wt) if tp else "-"))
        for name, why in w3["errors"].items():
            add("| %s | failed: %s | | | | | | |" % (name, why.replace("|", "\\|")))
        add("")
        add("```sh")
        add("pixpipe apply -p 'gaussian sigma=1.1' --max-pixels 1000000000 -q 90 --subsampling 420 "
            "big.jpg out.jpg   # -j: all %d cores" % NCORES)
        add("vips gaussblur big.jpg 'out.jpg%s' 1.1 --min-ampl 0.001   # default VIPS_CONCURRENCY"
            % VIPS_SAVE)
        add("```")
        add("")
        add("Kernels: pixpipe builds OpenCV's kernel for sigma 1.1 on 8-bit data, 9 taps "
            "(radius 4 = round(3 sigma)). libvips' `gaussblur` stops its mask where the Gaussian "
            "falls below `min_ampl` of the peak: the default 0.2 gives only 3 taps at sigma 1.1, "
            "so the bench passes `--min-ampl 0.001` (the smallest vips allows) for the same 9-tap "
            "support. vips still rounds the mask to integers scaled to 20 at the centre (its "
            "default integer precision): `0 0 4 13 20 13 4 0 0`/54, so the outer taps are zero.")
        add("")
        add("Outputs go to `%s`. `pixpipe apply` always fsyncs its output before renaming it; "
            "vips does not%s." % (OUT, ", but on tmpfs an fsync costs nothing"
                                  if OUT.startswith("/dev/shm") else
                                  ": pixpipe's time includes writing the file back to disk"))
    add("")
    add("## Reproduce")
    add("")
    add("```sh")
    add("make bench                     # this file: %.0f minutes here (+2 the first time, to "
        "make the corpus)" % (elapsed / 60))
    add("BENCH_QUICK=1 make bench       # smoke run: 8 images, no workload 3 "
        "(writes bench/work/RESULTS-quick.md)")
    add("BENCH_SCALING='1 2 4 8 16' make bench   # thread counts of the scaling table")
    add("```")
    add("")
    # `make bench-mpi` owns the section between its markers: keep it.
    old = open(path).read() if os.path.exists(path) else ""
    m = re.search(r"<!-- mpi -->.*?<!-- /mpi -->", old, flags=re.S)
    if m:
        add(m.group(0))
        add("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from bench/work/last-run.json, measure nothing")
    a = ap.parse_args()
    out = a.out or (os.path.join(WORK, "RESULTS-quick.md") if QUICK
                    else os.path.join(HERE, "RESULTS.md"))
    if a.report_only:
        with open(os.path.join(WORK, "last-run.json")) as f:
            d = json.load(f)
        QUIET_WAITED[0] = d.get("quiet_waited", 0.0)
        report(out, d["machine"], d["versions"], d["corpus"], d["w1"], d["w2"], d["scaling"],
               d["w3"], d.get("elapsed", 0.0), d.get("date"))
        log("rewrote %s from bench/work/last-run.json" % os.path.relpath(out, ROOT))
        return
    t0 = time.time()
    t = Tools(os.path.abspath(a.build))
    global PEAKRSS
    PEAKRSS = os.path.join(os.path.abspath(a.build), "tests", "tools", "peakrss")
    os.makedirs(WORK, exist_ok=True)
    mach, ver = machine(), versions(t)
    corpus = Corpus()
    cdir = corpus.folder(N_QUICK if QUICK else N_FULL)
    files, px, size = folder_stats(cdir)
    files.sort(key=lambda f: -os.path.getsize(f))
    ppm, pgm = corpus.w1_image(t.pixpipe)
    big = corpus.big() if RUN_W3 else None
    cinfo = dict(dir=cdir, n=len(files), px=px, bytes=size)
    w1 = workload1(t, ppm, pgm)
    w2 = workload2(t, cdir, files, px)
    sc = scaling(t, cdir, files, px)
    w3 = workload3(t, big) if big else None
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.rmtree(os.path.join(WORK, "out-disk"), ignore_errors=True)
    elapsed = time.time() - t0
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip()
    report(out, mach, ver, cinfo, w1, w2, sc, w3, elapsed, date)
    with open(os.path.join(WORK, "last-run.json"), "w") as f:
        json.dump(dict(machine=mach, versions=ver, corpus=cinfo, w1=w1, w2=w2, scaling=sc, w3=w3,
                       elapsed=elapsed, date=date, quiet_waited=QUIET_WAITED[0], quick=QUICK), f,
                  indent=1,
                  default=str)
    log("wrote %s" % os.path.relpath(out, ROOT))
    # the targets, for the terminal
    with open(out) as f:
        text = f.read()
    i = text.find("| target |")
    if i >= 0:
        print(text[i:text.find("\n\n", i)])


if __name__ == "__main__":
    main()
