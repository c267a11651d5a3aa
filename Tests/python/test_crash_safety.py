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
from medaug_cli import BIN, gan_dataset as dataset, medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402

pytestmark = requires_binary


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


def complete_or_absent(folder):
    """A dataset folder under its final name is complete: its manifest parses
    and every file it lists exists. Returns whether it exists."""
    if not folder.exists():
        return False
    manifest = json.loads((folder / "manifest.json").read_text())
    for item in manifest["items"]:
        assert (folder / item["image"]).stat().st_size > 0 and (folder / item["mask"]).stat().st_size > 0
    return True


def kill_repeatedly(command, folder, kills, rng):
    """Starts `command` until it has been killed `kills` times (or finishes),
    checking the output folder after each kill."""
    done = 0
    while done < kills:
        process = subprocess.Popen([BIN, *map(str, command)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.01, 0.25))
        if process.poll() is not None:
            return done
        process.send_signal(signal.SIGKILL)
        process.wait()
        done += 1
        complete_or_absent(folder)
    return done


def test_sigkill_during_expand_and_prepare_leaves_complete_folders_or_none(tmp_path):
    data = dataset(tmp_path)
    rng = random.Random(3)
    out = tmp_path / "expanded"
    expand = ["expand", "--data", data, "--target", 3000, "--generated-share", 0, "--out", out, "--overwrite"]
    killed = kill_repeatedly(expand, out, 10, rng)
    assert killed >= 5, "expand finished too fast to be killed"
    medaug(*expand)
    assert complete_or_absent(out)
    assert len(json.loads((out / "manifest.json").read_text())["items"]) >= 3000

    x, y, z = np.meshgrid(np.arange(64), np.arange(64), np.arange(160), indexing="ij")
    labels = ((x - 32) ** 2 + (y - 32) ** 2 < 500).astype(np.uint8)
    nibabel.save(nibabel.Nifti1Image((40 + 80 * labels).astype(np.int16), np.eye(4)), tmp_path / "big.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "big-seg.nii.gz")
    prepared = tmp_path / "prepared"
    prepare = ["prepare", "--image", tmp_path / "big.nii.gz", "--labels", tmp_path / "big-seg.nii.gz",
               "--classes", "background,tissue", "--plane", "axial", "--size", 64, "--out", prepared, "--overwrite"]
    kill_repeatedly(prepare, prepared, 10, rng)
    medaug(*prepare)
    assert complete_or_absent(prepared)
