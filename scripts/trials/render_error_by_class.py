#!/usr/bin/env python3
"""Where a generator's held-out render error lies, per label class
(docs/design.md §2.2): every test mask rendered as `render_quality.py` does
(recorded inference mode, seed = SEED + index), then per class its share of
the pixels, its share of the squared error, the render's RMSE, and the RMSE
of an oracle that paints each pixel with its own test image's class mean
(what no label-conditioned renderer can beat without predicting texture
inside a class).

  MEDAUG_LIBRARY=.build/release/libMedaugC.so \
  scripts/trials/render_error_by_class.py DATA_FOLDER GENERATOR [SEED]"""
import json, os, sys
import numpy as np, tifffile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import medaug
data, weights = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
m = json.load(open(f"{data}/manifest.json"))
model = medaug.load_model(weights)
tests = [i for i in m["items"] if i["split"] == "test" and not i["synthetic"]]
values, names = m["label_values"], m["classes"]
render_se, oracle_se, pixels = np.zeros(len(values)), np.zeros(len(values)), np.zeros(len(values))
psnr = []
for index, item in enumerate(tests):
    mask = tifffile.imread(f"{data}/{item['mask']}").astype(np.int32)
    truth = tifffile.imread(f"{data}/{item['image']}").astype(np.float64) / 65535 * 2 - 1
    fake = model.generate(mask[None], seed=seed + index)[0, 0].astype(np.float64)
    se = (fake - truth) ** 2
    psnr.append(10 * np.log10(4 / se.mean()))
    for i, v in enumerate(values):
        inside = mask == v
        if not inside.any(): continue
        render_se[i] += se[inside].sum()
        oracle_se[i] += ((truth[inside] - truth[inside].mean()) ** 2).sum()
        pixels[i] += inside.sum()
print(f"median PSNR {np.median(psnr):.2f} dB over {len(psnr)} test images")
print("class           pixels  squared error  render RMSE  class-mean oracle RMSE")
for i in range(len(values)):
    if pixels[i] == 0: continue
    print(f"{names[i]:14s} {pixels[i] / pixels.sum() * 100:6.1f}%  {render_se[i] / render_se.sum() * 100:12.1f}%"
          f"  {np.sqrt(render_se[i] / pixels[i]):11.3f}  {np.sqrt(oracle_se[i] / pixels[i]):22.3f}")
