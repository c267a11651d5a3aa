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


def python_call(code, tmp_path):
    """Runs `code` with the binding in a child process (a hang fails the test, not the run)."""
    import sys
    from medaug_binding import LIBRARY, ROOT
    env = dict(os.environ, MEDAUG_LIBRARY=LIBRARY, PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    return subprocess.run([sys.executable, "-c", "import medaug\n" + code], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)


@pytest.mark.parametrize("name,call", [
    ("image.tif", "medaug.read_image(PATH)"),
    ("volume.nii.gz", "medaug.read_volume(PATH)"),
    ("volume.nii", "medaug.read_volume(PATH)"),
    ("slice.dcm", "medaug.read_volume(PATH)"),
])
def test_fifo_images_and_volumes_are_refused_in_python(tmp_path, name, call):
    path = tmp_path / name
    os.mkfifo(path)
    result = python_call(f"PATH = {str(path)!r}\ntry:\n    {call}\nexcept medaug.Error as e:\n    print(e)\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "FIFO" in result.stdout and "not a regular file" in result.stdout, result.stdout


def test_fifo_volume_and_labels_are_refused_by_prepare(tmp_path):
    os.mkfifo(tmp_path / "t1.nii.gz")
    result = run("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
                 "--classes", "a,b", "--out", tmp_path / "out")
    assert result.returncode != 0 and "FIFO" in result.stderr, result.stderr
