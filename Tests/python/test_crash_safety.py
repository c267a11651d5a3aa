"""Crash safety of training (issue 7): `medaug train-gan` is killed with SIGKILL
at random moments, at least 20 times, across checkpoint writes. After every
kill each file under a final name must load (no partial checkpoint or weights
file), and resuming to the end must give the same weights as a run that was
never interrupted."""
import json
import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest
from medaug_cli import BIN, medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402

pytestmark = requires_binary


def dataset(tmp_path):
    x, y, z = np.meshgrid(np.arange(20), np.arange(20), np.arange(36), indexing="ij")
    labels = np.zeros((20, 20, 36), np.uint8)
    labels[3:17, 3:17, 1:35] = 1
    labels[(x - 10) ** 2 + (y - 10) ** 2 < 16] = 2
    labels[:, :, :1] = 0
    nibabel.save(nibabel.Nifti1Image((50 + 60 * labels).astype(np.int16), np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,core", "--plane", "axial", "--size", 16, "--train-count", 6,
           "--gap", 1, "--out", tmp_path / "data")
    return tmp_path / "data"


def loads(path):
    """Opens a safetensors file and reads every tensor (a partial file fails)."""
    with safe_open(str(path), framework="numpy") as f:
        for key in f.keys():
            f.get_tensor(key)
        return f.metadata() or {}


def test_sigkill_during_training_never_leaves_a_broken_file_and_resume_matches(tmp_path):
    data = dataset(tmp_path)
    args = ["train-gan", "--data", str(data), "--down-filters", "4,8", "--discriminator-filters", "4,8,8",
            "--learning-rate", "0.002", "--seed", "5", "--epochs", "300", "--sample-count", "1"]
    medaug(*args, "--out", tmp_path / "whole.safetensors")

    out = tmp_path / "killed" / "g.safetensors"
    out.parent.mkdir()
    checkpoint = out.parent / "g.checkpoint.safetensors"
    rng = random.Random(11)
    kills = 0
    finished = False
    while kills < 20 and not finished:
        process = subprocess.Popen([BIN, *args, "--out", str(out), "--resume"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.03, 0.35))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        else:
            finished = process.returncode == 0
        # Every file under a final name is complete.
        for path in out.parent.iterdir():
            if path.name.startswith("."):
                continue        # temporaries of an interrupted write (never under a final name)
            if path.suffix == ".safetensors":
                metadata = loads(path)
                if path == checkpoint:
                    state = json.loads(metadata["medaug_checkpoint"])
                    assert state["epochsDone"] == len(state["history"])
    assert kills >= 20, f"the run finished after {kills} kills; it needs more epochs to be killed 20 times"
    # Resume to the end: the same weights as the run that was never interrupted.
    medaug(*args, "--out", out, "--resume")
    assert out.read_bytes() == (tmp_path / "whole.safetensors").read_bytes()
