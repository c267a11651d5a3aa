#!/usr/bin/env python3
"""Trial behind the experiment's post-processing (docs/design.md §2.1): do
left-right mirroring at test time and/or a small-component filter chosen on
the validation split remove the spurious class predictions that make test
mean Dice jump between seeds? Independent of medaug's own filter (scipy).

  MEDAUG_LIBRARY=.build/release/libMedaugC.so \
  scripts/trials/postprocessing.py RUN_FOLDER ARM SEEDS

RUN_FOLDER is a `medaug experiment` report folder (e.g. `--preset quick
--arms real --seeds 5`); its data/ and weights/ are read. Prints, per seed,
validation and test mean Dice (classes present in truth or prediction) for
each variant, and the pixels predicted of classes absent from the test truth."""
import json, sys, os
import numpy as np, tifffile
from scipy import ndimage
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import medaug

run, arm, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = json.load(open(f"{run}/data/manifest.json"))
values = m["label_values"]; K = len(values)
lut = {v: i for i, v in enumerate(values)}

def load(split):
    items = [it for it in m["items"] if it["split"] == split and not it["synthetic"]]
    x = np.stack([tifffile.imread(f"{run}/data/{it['image']}").astype(np.float32) / 65535 * 2 - 1 for it in items])
    y = np.stack([np.vectorize(lut.get)(tifffile.imread(f"{run}/data/{it['mask']}")) for it in items])
    return x[:, None], y

def micro(pred, truth):
    dice = []
    for k in range(K):
        d = np.sum(pred == k) + np.sum(truth == k)
        dice.append(None if d == 0 else 2 * np.sum((pred == k) & (truth == k)) / d)
    present = [v for v in dice if v is not None]
    return float(np.mean(present)), dice

def remove_small(pred, k, t):
    out = pred.copy()
    if t == 0: return out
    for n in range(pred.shape[0]):
        lab, count = ndimage.label(pred[n] == k, structure=np.ones((3, 3)))
        if count == 0: continue
        sizes = ndimage.sum(np.ones_like(lab), lab, range(1, count + 1))
        for c, s in enumerate(sizes, 1):
            if s >= t: continue
            comp = lab == c
            ring = ndimage.binary_dilation(comp, structure=np.ones((3, 3))) & ~comp
            neighbours = out[n][ring]
            neighbours = neighbours[neighbours != k]
            out[n][comp] = np.bincount(neighbours).argmax() if neighbours.size else 0
    return out

def choose(pred_val, y_val):
    rules = {}
    best, _ = micro(pred_val, y_val)
    for k in range(1, K):
        for t in [4, 8, 16, 32, 64]:
            cand = remove_small(pred_val, k, t)
            score, _ = micro(cand, y_val)
            if score > best + 1e-9:
                best, rules[k] = score, t
        if k in rules: pred_val = remove_small(pred_val, k, rules[k])
    return rules

def apply(pred, rules):
    for k, t in rules.items(): pred = remove_small(pred, k, t)
    return pred

xv, yv = load("val"); xt, yt = load("test")
rows = []
for s in range(seeds):
    model = medaug.load_model(f"{run}/weights/segmenter-{arm}-seed{s}.safetensors")
    def probs(x):
        _, p = model.segment(x, probabilities=True)
        _, q = model.segment(np.ascontiguousarray(x[..., ::-1]), probabilities=True)
        return p, (p + q[..., ::-1]) / 2
    pv, pv_tta = probs(xv); pt, pt_tta = probs(xt)
    for name, v, t in [("plain", pv, pt), ("lr-flip tta", pv_tta, pt_tta)]:
        a_v, a_t = v.argmax(1), t.argmax(1)
        rules = choose(a_v, yv)
        for post, tv, tt in [("none", a_v, a_t), (f"rules {rules}", apply(a_v, rules), apply(a_t, rules))]:
            sv, _ = micro(tv, yv); st, dt = micro(tt, yt)
            fp = {k: int(np.sum(tt == k)) for k in range(K) if np.sum(yt == k) == 0 and np.sum(tt == k) > 0}
            rows.append((s, name, post, sv, st, fp))
            print(f"seed {s} {name:12s} {post:28s} val {sv:.4f} test {st:.4f} absent-class px {fp} per-class {[None if d is None else round(d,3) for d in dt]}", flush=True)
