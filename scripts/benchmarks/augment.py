#!/usr/bin/env python3
"""Augmentation benchmark: medaug vs albumentations (release build, not in CI).

  scripts/bench augment [--json] [--pairs N] [--rounds R] [--cpu avx2]

Milliseconds per 256x256 image+mask pair for the same pipelines, every
operation at probability 1 with the same parameter ranges, one thread each,
each engine in its own process, alternating for R rounds (median of all runs):
  paper          rotate ±15°, shift ±10%, zoom 0.9-1.1, both flips, brightness ±0.1
  paper+elastic  the same plus an elastic deformation
ratio = medaug ms / albumentations ms (< 1: medaug faster).
albumentations comes from `scripts/bootstrap --bench`. --cpu avx2 on an
AVX-512 CPU runs both under the AVX2-only view of cpu_view.py (medaug's warp
and OpenCV's kernels on AVX2 code; this host's cores: not an AVX2 host), or,
without CPUID faulting, forces medaug's tier only.
Env: MEDAUG_SKIP_BUILD=1 uses the existing .build/release/medaug.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import cpu_view

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZE = 256

# medaug pipelines (probability 1 everywhere); geometric steps compose into one
# resampling in medaug, as Affine does in albumentations.
PAPER = [
    {"type": "rotate", "probability": 1, "degrees": [-15, 15]},
    {"type": "shift", "probability": 1, "fraction": [-0.1, 0.1]},
    {"type": "zoom", "probability": 1, "scale": [0.9, 1.1]},
    {"type": "flip", "probability": 1, "axis": "horizontal"},
    {"type": "flip", "probability": 1, "axis": "vertical"},
    {"type": "brightness", "probability": 1, "delta": [-0.1, 0.1]},
]
# Elastic: albumentations' alpha/sigma are in pixels (1 mm pixels here).
ELASTIC = {"type": "elastic", "probability": 1, "alpha_mm": [0, 8], "sigma_mm": 16}
PIPELINES = {"paper": PAPER, "paper+elastic": PAPER + [ELASTIC]}


def albumentations_worker(name, pairs):
    import cv2
    import numpy as np
    import albumentations as A
    import time
    cv2.setNumThreads(1)
    ops = [A.Affine(rotate=(-15, 15), translate_percent=(-0.1, 0.1), scale=(0.9, 1.1),
                    interpolation=cv2.INTER_LINEAR, mask_interpolation=cv2.INTER_NEAREST,
                    border_mode=cv2.BORDER_CONSTANT, p=1),
           A.HorizontalFlip(p=1), A.VerticalFlip(p=1),
           A.RandomBrightnessContrast(brightness_limit=0.1, contrast_limit=0, p=1)]
    if name == "paper+elastic":
        ops.append(A.ElasticTransform(alpha=8, sigma=16, interpolation=cv2.INTER_LINEAR,
                                      mask_interpolation=cv2.INTER_NEAREST, p=1))
    pipeline = A.Compose(ops, seed=0)
    u = np.linspace(0, 1, SIZE, dtype=np.float32)
    image = (np.sin(6 * u)[None, :] * np.cos(4 * u)[:, None]).astype(np.float32)
    r = np.hypot(u[None, :] - 0.5, u[:, None] - 0.5)
    mask = np.where(r < 0.15, 2, np.where(r < 0.35, 1, 0)).astype(np.uint8)
    times = []
    for i in range(pairs + 1):
        start = time.perf_counter()
        pipeline(image=image, mask=mask)
        if i:
            times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"ms_per_pair": statistics.median(times)}))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpu", choices=["avx2"], help="emulate an AVX2-only CPU for both engines")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._worker:
        return albumentations_worker(a._worker, a.pairs)
    medaug = os.environ.get("MEDAUG_BIN", os.path.join(ROOT, ".build", "release", "medaug"))
    if not os.environ.get("MEDAUG_SKIP_BUILD"):
        if subprocess.run(["swift", "build", "-c", "release", "--product", "medaug"], cwd=ROOT,
                          stdout=sys.stderr).returncode != 0:
            sys.exit("bench: release build failed")
    results, view = [], None
    with tempfile.TemporaryDirectory() as tmp:
        m_env = a_env = None
        if a.cpu == "avx2":
            m_env = dict(os.environ, MEDAUG_CPU="avx2")
            library, view = cpu_view.avx2_emulation(tmp, "medaug's tier forced, albumentations on this CPU's kernels")
            if view == "cpuid":
                m_env, a_env = cpu_view.preloaded(m_env, library), cpu_view.preloaded(os.environ, library)
        for name, ops in PIPELINES.items():
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as f:
                json.dump({"border": {"mode": "constant", "value": 0}, "operations": ops}, f)
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(run_json([medaug, "augment", "--pipeline", path, "--benchmark", str(a.pairs),
                                      "--size", str(SIZE), "--json"], m_env)["ms_per_pair"])
                theirs.append(run_json([sys.executable, os.path.abspath(__file__), "--_worker", name,
                                        "--pairs", str(a.pairs)], a_env)["ms_per_pair"])
            m, t = statistics.median(ours), statistics.median(theirs)
            results.append({"pipeline": name, "medaug_ms_per_pair": m, "albumentations_ms_per_pair": t,
                            "ratio": m / t})
    if a.json:
        print(json.dumps({"emulation": view, "results": results}))
        return
    print(f"{a.rounds} rounds x {a.pairs} pairs of {SIZE}x{SIZE}, 1 thread; ratio = medaug / albumentations")
    if view == "cpuid":
        print("emulated AVX2-only CPU for both (scripts/benchmarks/cpuid_avx2.c): not an AVX2-host measurement")
    print(f"{'pipeline':<15} {'medaug ms':>10} {'albumentations ms':>18} {'ratio':>7}")
    for r in results:
        print(f"{r['pipeline']:<15} {r['medaug_ms_per_pair']:>10.3f} {r['albumentations_ms_per_pair']:>18.3f} {r['ratio']:>7.3f}")


if __name__ == "__main__":
    main()
