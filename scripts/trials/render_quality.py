#!/usr/bin/env python3
"""Held-out render quality as the experiment's synthetic checks measure it
(docs/design.md §2.2): every test mask of a dataset folder rendered with
seed = SEED + index, in the generator's recorded inference mode (or, with
MODE `running`, running BatchNorm statistics and no dropout); PSNR over the
whole image, data range 2; SSIM (scikit-image, data range 2); and the RMSE
inside the brain (pixels whose label is not 0, pooled over the split), which
does not depend on how much of a slice is background. SPLIT (default test)
scores another split's masks instead; --per-item prints every item.

  MEDAUG_LIBRARY=.build/release/libMedaugC.so \
  scripts/trials/render_quality.py DATA_FOLDER GENERATOR [SEED [MODE [SPLIT]]] [--per-item]"""
import json, os, sys
import numpy as np, tifffile
from skimage.metrics import structural_similarity
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import medaug
per_item = "--per-item" in sys.argv
args = [a for a in sys.argv[1:] if a != "--per-item"]
data, weights = args[0], args[1]
seed = int(args[2]) if len(args) > 2 else 0
mode = args[3] if len(args) > 3 else 'recorded'
split = args[4] if len(args) > 4 else 'test'
m = json.load(open(f"{data}/manifest.json"))
model = medaug.load_model(weights)
tests = [i for i in m["items"] if i["split"] == split and not i["synthetic"]]
psnr, ssim = [], []
brain_squares, brain_pixels = 0.0, 0
for index, item in enumerate(tests):
    mask = tifffile.imread(f"{data}/{item['mask']}").astype(np.int32)
    truth = tifffile.imread(f"{data}/{item['image']}").astype(np.float64) / 65535 * 2 - 1
    kw = {} if mode == 'recorded' else dict(normalization='running', dropout=False)
    fake = model.generate(mask[None], seed=seed + index, **kw)[0, 0].astype(np.float64)
    mse = np.mean((fake - truth) ** 2)
    brain_squares += np.sum((fake - truth)[mask > 0] ** 2)
    brain_pixels += np.count_nonzero(mask)
    psnr.append(10 * np.log10(4 / mse))
    ssim.append(structural_similarity(fake + 1, truth + 1, data_range=2))
    if per_item:
        print(f"{item['id']} PSNR {psnr[-1]:.2f} dB, SSIM {ssim[-1]:.3f}")
print(f"{mode}, {split}: median PSNR {np.median(psnr):.2f} dB (min {np.min(psnr):.2f}, max {np.max(psnr):.2f}), median SSIM {np.median(ssim):.3f}, brain RMSE {np.sqrt(brain_squares / brain_pixels):.4f}, n={len(psnr)}")
