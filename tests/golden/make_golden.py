#!/usr/bin/python3
"""Makes the golden references for the filter tests with OpenCV.

Needs Debian's python3-opencv (run with /usr/bin/python3). Run once after
adding cases; the outputs are committed:

    tests/golden/make_golden.py            # writes inputs/, ref/, *.manifest
    tests/golden/make_golden.py FAMILY...  # only those families' references

Each family's cases live in cases/<family>.py as a list CASES of dicts:
    name      unique within the family
    pipeline  the pixpipe pipeline text
    ref       function(img: numpy RGB/gray array) -> reference array
    tol       ("max", N): max |pixpipe - OpenCV| <= N
              ("agree", P): at least P percent of pixels identical
    inputs    optional list of input names (default: all but EXTRA_INPUTS)

With --samples DIR [--inputs a.png,b.png] it instead writes references for
the given photos into DIR (used by the slow sample test, made the same way).
"""
import importlib.util
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise SystemExit("cannot read %s" % path)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    return img


def save(path, img, level=9):
    """PNG; level 9 for committed references, a fast level for temporary ones."""
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    if not cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, level]):
        raise SystemExit("cannot write %s" % path)


def synthetic(w, h, colour, seed):
    """Gradients, shapes with hard edges, texture and noise: something for
    every filter to chew on, deterministic from the seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for c in range(3 if colour else 1):
        base = 40 + 150 * (xx / max(w - 1, 1)) * (0.6 + 0.4 * c / 2.0)
        base += 30 * np.sin(yy / 3.0 + c) * np.cos(xx / 5.0)
        chans.append(base)
    img = np.stack(chans, axis=-1)
    cv2.rectangle(img, (w // 5, h // 4), (w // 2, h // 2 + 3), (230, 20, 120), -1)
    cv2.circle(img, (2 * w // 3, 2 * h // 3), max(2, min(w, h) // 5), (15, 200, 60), -1)
    cv2.line(img, (0, h - 1), (w - 1, 0), (250, 250, 250), 1)
    img += rng.normal(0, 6, img.shape)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return img if colour else img[:, :, 0]


def make_inputs():
    inputs = {
        "g61x47": synthetic(61, 47, False, 1),
        "c61x47": synthetic(61, 47, True, 2),
        "g13x9": synthetic(13, 9, False, 3),
        "c4x3": synthetic(4, 3, True, 4),
    }
    root = os.path.dirname(os.path.dirname(HERE))
    cat = load(os.path.join(root, "examples", "chelsea.png"))
    inputs["chelsea96x80"] = np.ascontiguousarray(cat[100:180, 180:276])
    cam = load(os.path.join(root, "examples", "camera.png"))
    inputs["camera96x80"] = np.ascontiguousarray(cam[60:140, 200:296])
    # only for cases that name it (see EXTRA_INPUTS): one colour everywhere
    inputs["red9x7"] = np.full((7, 9, 3), (255, 0, 0), np.uint8)
    return inputs


# Inputs a case gets only when its "inputs" names them.
EXTRA_INPUTS = {"red9x7"}


def load_families():
    fams = {}
    cdir = os.path.join(HERE, "cases")
    if cdir not in sys.path:
        sys.path.insert(0, cdir)  # case files share helpers: from _cv import gray
    for fn in sorted(os.listdir(cdir)):
        if not fn.endswith(".py") or fn.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(cdir, fn))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        fams[fn[:-3]] = mod.CASES
    return fams


def write_goldens(only):
    inputs = make_inputs()
    os.makedirs(os.path.join(HERE, "inputs"), exist_ok=True)
    for name, img in inputs.items():
        path = os.path.join(HERE, "inputs", name + ".png")
        if not os.path.exists(path):
            save(path, img)
    for fam, cases in load_families().items():
        if only and fam not in only:
            continue
        rdir = os.path.join(HERE, "ref", fam)
        os.makedirs(rdir, exist_ok=True)
        for old in os.listdir(rdir):
            os.remove(os.path.join(rdir, old))
        names = set()
        lines = ["# made by make_golden.py from cases/%s.py: do not edit" % fam,
                 "# name\tinput\treference\tmode\ttolerance\tpipeline"]
        for case in cases:
            assert case["name"] not in names, case["name"]
            names.add(case["name"])
            for iname in case.get("inputs", [n for n in inputs if n not in EXTRA_INPUTS]):
                ref = case["ref"](inputs[iname].copy())
                rname = "%s_%s.png" % (case["name"], iname)
                save(os.path.join(rdir, rname), np.ascontiguousarray(ref))
                mode, tol = case["tol"]
                lines.append("\t".join([case["name"], "inputs/%s.png" % iname,
                                        "ref/%s/%s" % (fam, rname), mode, str(tol),
                                        case["pipeline"]]))
        with open(os.path.join(HERE, fam + ".manifest"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("%s: %d references" % (fam, len(lines) - 2))


def write_samples(outdir, photos):
    os.makedirs(outdir, exist_ok=True)
    lines = []
    images = {photo: load(photo) for photo in photos}
    for fam, cases in load_families().items():
        for case in cases:
            if case.get("samples", True) is False:
                continue
            for photo in photos:
                img = images[photo]
                base = os.path.splitext(os.path.basename(photo))[0]
                rname = "%s_%s_%s.png" % (fam, case["name"], base)
                save(os.path.join(outdir, rname), np.ascontiguousarray(case["ref"](img.copy())), 1)
                mode, tol = case["tol"]
                lines.append("\t".join([case["name"], photo, rname, mode, str(tol),
                                        case["pipeline"]]))
    with open(os.path.join(outdir, "samples.manifest"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    cv2.setNumThreads(1)
    if len(sys.argv) >= 3 and sys.argv[1] == "--samples":
        write_samples(sys.argv[2], sys.argv[3:])
    else:
        write_goldens(sys.argv[1:])
