#!/usr/bin/env python3
"""Where a generator's held-out render error lies (docs/design.md §2.2): the
median test PSNR as `render_quality.py` measures it (seed = index), then
after an oracle per-image affine intensity fit (a·render + b against the
truth), then with a smooth multiplicative field as well (a cubic polynomial
in x, y times the render, + b). What those fits recover is the scan
variation (contrast, bias field) no label map can predict; the rest is local.

  MEDAUG_LIBRARY=.build/release/libMedaugC.so \
  scripts/trials/render_error_split.py DATA_FOLDER GENERATOR [recorded|running]"""
import json, os, sys
import numpy as np, tifffile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import medaug
data, weights = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "recorded"
m = json.load(open(f"{data}/manifest.json"))
model = medaug.load_model(weights)
tests = [i for i in m["items"] if i["split"] == "test" and not i["synthetic"]]
raw, aff, smooth = [], [], []
for index, item in enumerate(tests):
    mask = tifffile.imread(f"{data}/{item['mask']}").astype(np.int32)
    truth = tifffile.imread(f"{data}/{item['image']}").astype(np.float64) / 65535 * 2 - 1
    kw = {} if mode == 'recorded' else dict(normalization='running', dropout=False)
    fake = model.generate(mask[None], seed=index, **kw)[0, 0].astype(np.float64)
    p = lambda e: 10*np.log10(4/np.mean(e**2))
    raw.append(p(fake-truth))
    A = np.stack([fake.ravel(), np.ones(fake.size)], 1)
    coef, *_ = np.linalg.lstsq(A, truth.ravel(), rcond=None)
    aff.append(p(A@coef - truth.ravel()))
    # smooth multiplicative field: truth ≈ fake * poly3(x, y) + c, inside the head
    h, w = fake.shape; yy, xx = np.mgrid[0:h, 0:w] / max(h, w) * 2 - 1
    terms = [xx**i * yy**j for i in range(4) for j in range(4 - i)]
    B = np.stack([fake.ravel() * t.ravel() for t in terms] + [np.ones(fake.size)], 1)
    c2, *_ = np.linalg.lstsq(B, truth.ravel(), rcond=None)
    smooth.append(p(B@c2 - truth.ravel()))
print(f"{os.path.basename(weights)} {mode}: raw {np.median(raw):.2f}, per-image affine {np.median(aff):.2f}, + smooth field {np.median(smooth):.2f} dB")
