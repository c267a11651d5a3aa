"""A FIFO (or any non-regular file) where a file is expected is refused with a
clear error at once, never read or waited on: a model, a label map, a
manifest."""
import os
import subprocess

import pytest

from medaug_cli import BIN, requires_binary

pytestmark = requires_binary


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def run(*args):
    # A blocking open would hang: the timeout turns that into a failure.
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=60)


def test_a_fifo_model_is_refused(fifo):
    result = run("model", "info", fifo)
    assert result.returncode != 0
    assert "not a regular file" in result.stderr and "FIFO" in result.stderr, result.stderr


def test_a_fifo_label_map_is_refused(fifo, tmp_path):
    result = run("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
                 "--label-map", fifo, "--out", tmp_path / "out")
    assert result.returncode != 0
    assert "FIFO" in result.stderr and "not a regular file" in result.stderr, result.stderr
