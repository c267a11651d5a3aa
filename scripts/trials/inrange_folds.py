#!/usr/bin/env python3
"""Folds that hold out training slices from inside the training range
(docs/design.md §2.2, "Is it the texture or the split?"): fold k of a
dataset folder keeps its train and val items, marks every fifth training
slice by position, starting at the k-th, as `test`, and drops the original
test items. The folds share the folder's images and masks (symlinks); only
the manifests differ. The frozen data are not changed.

  scripts/trials/inrange_folds.py DATA_FOLDER OUT_FOLDER [FOLDS]   (default 3)

then per fold k:
  medaug train-gan --data OUT/fold<k> --down-filters 32,64,128,256,256,256 \\
      --discriminator-filters 32,64,128,128 --learning-rate 0.0002 --threads 2 \\
      --seed 0 --epochs 60 --decay-share 0.5 --l1-weight 1000 \\
      --out OUT/g<k>.safetensors --last OUT/g<k>-last.safetensors
  scripts/trials/render_quality.py OUT/fold<k> OUT/g<k>-last.safetensors 0 running
  scripts/trials/render_quality.py DATA_FOLDER OUT/g<k>-last.safetensors 0 running"""
import json, os, sys

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__)
source, out = os.path.abspath(sys.argv[1]), sys.argv[2]
folds = int(sys.argv[3]) if len(sys.argv) == 4 else 3
stride = 5
if not 1 <= folds <= stride:
    sys.exit(f"FOLDS must be 1...{stride}")
manifest = json.load(open(os.path.join(source, "manifest.json")))
train = sorted((i for i in manifest["items"] if i["split"] == "train" and not i["synthetic"]),
               key=lambda i: i["source"]["slice"])
for k in range(folds):
    held_items = train[k::stride]
    held = {i["id"] for i in held_items}
    folder = os.path.join(out, f"fold{k}")
    os.makedirs(folder, exist_ok=True)
    for sub in ("images", "masks"):
        link = os.path.join(folder, sub)
        if not os.path.lexists(link):
            os.symlink(os.path.join(source, sub), link)
    items = [dict(i, split="test") if i["id"] in held else i
             for i in manifest["items"] if i["split"] != "test"]
    temporary = os.path.join(folder, "manifest.json.tmp")
    with open(temporary, "w") as f:
        json.dump(dict(manifest, items=items), f)
    os.replace(temporary, os.path.join(folder, "manifest.json"))
    print(f"fold{k}: {len(held)} training slices held out: {[i['source']['slice'] for i in held_items]}")
