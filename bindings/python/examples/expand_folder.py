#!/usr/bin/env python3
"""Expand a folder of (image, mask) TIFF pairs with medaug: the paper's 30 -> 300.

    python3 expand_folder.py --pairs data/ --generator generator.safetensors \
        --target 300 --edit-labels 1,2,4 --out expanded/

Input: PAIRS/images/NAME.tif (one page per channel, any intensity scale) and
PAIRS/masks/NAME.tif (integer labels: the generator's label values), matched by
NAME. Images are mapped to the generator's [-1, 1] by the folder's own
intensity range (its 0.5th and 99.5th percentiles) and the new images mapped
back, so the output pairs share the input's scale.

Output: OUT/images/NNNN.tif and OUT/masks/NNNN.tif (float32 images, uint8/16
masks), written through medaug's atomic TIFF writer, and OUT/pairs.csv with
each pair's name, origin (real, classic, generated, generated_edited) and
source. A progress line shows the work.
"""
import argparse
import csv
import os
import sys

import numpy as np

import medaug


def read_pairs(folder):
    names = sorted(n for n in os.listdir(os.path.join(folder, "images")) if n.lower().endswith((".tif", ".tiff")))
    if not names:
        sys.exit(f"expand_folder: no .tif files in {folder}/images")
    images, masks = [], []
    for name in names:
        mask_path = os.path.join(folder, "masks", name)
        if not os.path.exists(mask_path):
            sys.exit(f"expand_folder: {mask_path} is missing (every image needs a mask of the same name)")
        path = os.path.join(folder, "images", name)
        pages = [medaug.read_image(path, page) for page in range(medaug.image_page_count(path))]
        images.append(np.stack([p if p.ndim == 2 else p[0] for p in pages]))
        masks.append(medaug.read_image(mask_path).astype(np.int32))
    return names, np.stack(images), np.stack(masks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", required=True, help="folder with images/ and masks/")
    parser.add_argument("--generator", help="generator weights (.safetensors); omit with --generated-share 0")
    parser.add_argument("--target", type=int, default=300, help="pairs in the result (default 300)")
    parser.add_argument("--generated-share", type=float, default=0.5)
    parser.add_argument("--edit-labels", default="", help="comma-separated label values edits move (e.g. 1,2,4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    names, images, masks = read_pairs(args.pairs)
    low, high = np.percentile(images, [0.5, 99.5])
    scale = max(high - low, 1e-6)
    network = np.clip((images - low) / scale * 2 - 1, -1, 1).astype(np.float32)
    edit_labels = [int(v) for v in args.edit_labels.split(",") if v.strip()]

    def progress(done, total):
        print(f"\rexpand_folder: {done}/{total} new pairs", end="", file=sys.stderr, flush=True)

    result = medaug.expand(network, masks, args.target, args.generator, generated_share=args.generated_share,
                           edit_labels=edit_labels, seed=args.seed, progress=progress)
    print(file=sys.stderr)
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "masks"), exist_ok=True)
    width = len(str(args.target))
    with open(os.path.join(args.out, "pairs.csv"), "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["name", "origin", "source"])
        for index, (image, mask, origin) in enumerate(zip(result.images, result.masks, result.origins)):
            name = f"{index:0{width}d}.tif"
            medaug.write_image(os.path.join(args.out, "images", name), (image + 1) / 2 * scale + low)
            mask_type = np.uint8 if mask.max() < 256 and mask.min() >= 0 else np.uint16
            medaug.write_image(os.path.join(args.out, "masks", name), mask, dtype=mask_type)
            writer.writerow([name, origin, names[index] if index < len(names) else ""])
    counts = {o: int(np.sum(result.origins == o)) for o in sorted(set(result.origins))}
    print(f"expand_folder: wrote {len(result.origins)} pairs to {args.out}: {counts}")


if __name__ == "__main__":
    main()
