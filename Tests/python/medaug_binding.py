"""Shared set-up of the binding tests: finds the debug library and CLI, skips
the importing test module with a message when they are not built, imports
the package from bindings/python, and makes the small models the tests use."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEBUG = os.path.join(ROOT, ".build", "debug")
# MEDAUG_TEST_INSTALLED=1 (scripts/test-wheel): test the installed package
# and the library inside it, not the source tree and the build folder.
INSTALLED = os.environ.get("MEDAUG_TEST_INSTALLED") == "1"
LIBRARY = os.environ.get("MEDAUG_LIBRARY") or os.path.join(DEBUG, "libMedaugC.so")
MEDAUG_BIN = os.environ.get("MEDAUG_BIN") or os.path.join(DEBUG, "medaug")

if INSTALLED:
    assert "MEDAUG_LIBRARY" not in os.environ, "MEDAUG_TEST_INSTALLED tests the library inside the package"
else:
    if not os.path.isfile(LIBRARY):
        pytest.skip(f"libmedaug is not built ({LIBRARY} missing; run swift build or set MEDAUG_LIBRARY)",
                    allow_module_level=True)
    os.environ["MEDAUG_LIBRARY"] = LIBRARY
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import medaug  # noqa: E402,F401

if INSTALLED:
    assert not os.path.abspath(medaug.__file__).startswith(os.path.join(ROOT, "bindings")), medaug.__file__
    LIBRARY = medaug.library_path()      # the one inside the installed package

SIDE = 32
GENERATOR_VALUES = (0, 1, 4)
SEGMENTER_VALUES = (0, 2, 5)


def cli(*args):
    """Runs the medaug CLI; skips when it is not built, fails on a non-zero exit."""
    if not os.access(MEDAUG_BIN, os.X_OK):
        pytest.skip(f"the medaug CLI is not built ({MEDAUG_BIN} missing; set MEDAUG_BIN)")
    result = subprocess.run([MEDAUG_BIN, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def make_models(folder):
    """A 32x32 generator (label values 0, 1, 4) and segmenter (0, 2, 5), random weights."""
    generator, segmenter = str(folder / "g.safetensors"), str(folder / "s.safetensors")
    common = ["--image-size", str(SIDE), "--classes", "3"]
    cli("model", "init", "--kind", "generator", *common, "--down-filters", "8,16",
        "--label-values", ",".join(map(str, GENERATOR_VALUES)), "--output", generator)
    cli("model", "init", "--kind", "segmenter", *common, "--depth", "2", "--base-filters", "4",
        "--label-values", ",".join(map(str, SEGMENTER_VALUES)), "--output", segmenter)
    return {"generator": generator, "segmenter": segmenter, "folder": folder}


def make_dataset(folder, pairs=3, test_pairs=0):
    """A dataset folder of SIDE x SIDE pairs the test generator knows: a tissue
    disk (1) with a lesion (4) on every other pair; ``pairs`` train items, then
    ``test_pairs`` test items. Returns the folder."""
    import json
    import numpy as np
    import tifffile
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    items = []
    for i in range(pairs + test_pairs):
        mask = np.zeros((SIDE, SIDE), np.uint8)
        mask[(y - 16) ** 2 + (x - 16) ** 2 < 150] = 1
        if i % 2 == 0:
            mask[(y - 12 - i % 5) ** 2 + (x - 14) ** 2 < 9] = 4
        tifffile.imwrite(folder / "images" / f"p{i}.tif", ((mask / 4.0 + 0.5) * 1000).astype(np.uint16))
        tifffile.imwrite(folder / "masks" / f"p{i}.tif", mask)
        items.append({"id": f"p{i}", "image": f"images/p{i}.tif", "mask": f"masks/p{i}.tif",
                      "split": "train" if i < pairs else "test", "synthetic": False, "source": {}})
    manifest = {"format": "medaug-dataset", "version": 1, "classes": ["background", "tissue", "lesion"],
                "label_values": list(GENERATOR_VALUES), "channels": ["T1"], "spacing_mm": [1, 1],
                "intensity": {"stored": "uint16", "stored_range": [0, 2000], "network_range": [-1, 1]},
                "items": items}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def folder_bytes(folder):
    """Every file under ``folder``, relative path -> bytes (for byte-identity checks)."""
    import pathlib
    root = pathlib.Path(folder)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
