#!/usr/bin/env python3
"""Held-out render quality as the experiment's synthetic checks measure it
(docs/design.md §2.2): every test mask of a dataset folder rendered with
seed = SEED + index, in the generator's recorded inference mode (or, with
MODE `running`, running BatchNorm statistics and no dropout); PSNR over the
whole image, data range 2; SSIM (scikit-image, data range 2).

  MEDAUG_LIBRARY=.build/release/libMedaugC.so \
  scripts/trials/render_quality.py DATA_FOLDER GENERATOR [SEED [MODE]]"""
import json, os, sys
import numpy as np, tifffile
from skimage.metrics import structural_similarity
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import medaug
data, weights = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
mode = sys.argv[4] if len(sys.argv) > 4 else 'recorded'
m = json.load(open(f"{data}/manifest.json"))
model = medaug.load_model(weights)
tests = [i for i in m["items"] if i["split"] == "test" and not i["synthetic"]]
psnr, ssim = [], []
for index, item in enumerate(tests):
    mask = tifffile.imread(f"{data}/{item['mask']}").astype(np.int32)
    truth = tifffile.imread(f"{data}/{item['image']}").astype(np.float64) / 65535 * 2 - 1
    kw = {} if mode == 'recorded' else dict(normalization='running', dropout=False)
    fake = model.generate(mask[None], seed=seed + index, **kw)[0, 0].astype(np.float64)
    mse = np.mean((fake - truth) ** 2)
    psnr.append(10 * np.log10(4 / mse))
    ssim.append(structural_similarity(fake + 1, truth + 1, data_range=2))
print(f"{mode}: median PSNR {np.median(psnr):.2f} dB (min {np.min(psnr):.2f}, max {np.max(psnr):.2f}), median SSIM {np.median(ssim):.3f}, n={len(psnr)}")
