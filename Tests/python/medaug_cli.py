"""Running the `medaug` CLI from the Python tests: where the binary is, a
skip mark for when it is not built, and a runner that reports stderr."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("MEDAUG_BIN", os.path.join(ROOT, ".build", "debug", "medaug"))
requires_binary = pytest.mark.skipif(not os.path.exists(BIN), reason=f"medaug binary not built at {BIN}")


def medaug(*args, check=True):
    """Runs `medaug ARGS…`; with `check`, a non-zero exit fails the test with its stderr."""
    out = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"medaug {' '.join(map(str, args))} failed: {out.stderr}")
    return out


def nested_labels():
    """A 20x20x36 label volume: tissue (1) in a box, a core (2) inside it."""
    import numpy as np
    x, y, z = np.meshgrid(np.arange(20), np.arange(20), np.arange(36), indexing="ij")
    labels = np.zeros((20, 20, 36), np.uint8)
    labels[3:17, 3:17, 1:35] = 1
    labels[(x - 10) ** 2 + (y - 10) ** 2 < 16] = 2
    labels[:, :, :1] = 0
    return labels


def gan_dataset(tmp_path):
    """`medaug prepare` on the nested volume: a 16x16 dataset folder with 6
    train pairs and val/test splits, for training tests."""
    import nibabel
    import numpy as np
    labels = nested_labels()
    nibabel.save(nibabel.Nifti1Image((50 + 60 * labels).astype(np.int16), np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,core", "--plane", "axial", "--size", 16, "--train-count", 6,
           "--gap", 1, "--out", tmp_path / "data")
    return tmp_path / "data"
