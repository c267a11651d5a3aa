"""A loaded model that nothing can corrupt: load_model copies the file's
bytes (medaug_model_load_file), so overwriting the file in place (what `cp`
does) or truncating it cannot reach the loaded weights; mmap=True maps the
file instead (medaug_model_load_file_mapped), with the risk the header
documents."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from medaug_binding import medaug


def labels():
    return (np.arange(32 * 32).reshape(32, 32) // 200 % 3).astype(np.int32)


def models(tmp_path):
    a = medaug.init_model(tmp_path / "a.safetensors", "generator", image_size=32, classes=3, seed=1)
    b = medaug.init_model(tmp_path / "b.safetensors", "generator", image_size=32, classes=3, seed=2)
    assert os.path.getsize(a) == os.path.getsize(b)
    return a, b


def render(model):
    return model.generate(labels(), seed=0, dropout=False)


def overwrite_in_place(path, data):
    with open(path, "r+b") as f:   # the same inode, as `cp new old` does
        f.write(data)


def test_overwriting_or_truncating_the_file_cannot_reach_a_loaded_model(tmp_path):
    a, b = models(tmp_path)
    model = medaug.load_model(a)
    before = render(model)
    other = render(medaug.load_model(b))
    assert not np.array_equal(before, other)

    overwrite_in_place(a, open(b, "rb").read())
    assert np.array_equal(render(model), before)
    assert np.array_equal(render(medaug.load_model(a)), other), "the file really changed"

    os.truncate(a, 0)
    assert np.array_equal(render(model), before)
    with pytest.raises(medaug.FormatError):
        medaug.load_model(a)


def test_a_mapped_model_runs_and_its_documented_risk_is_real(tmp_path):
    a, _ = models(tmp_path)
    assert np.array_equal(render(medaug.load_model(a, mmap=True)), render(medaug.load_model(a)))
    with pytest.raises(TypeError):
        medaug.load_model(a, mmap="yes")
    with pytest.raises(medaug.InvalidArgumentError, match="needs a file path"):
        medaug.load_model(open(a, "rb").read(), mmap=True)
    # Truncating a mapped file under a loaded model kills the process (SIGBUS):
    # why copying is the default.
    script = textwrap.dedent(f"""
        import os, numpy as np, medaug
        model = medaug.load_model({str(a)!r}, mmap=True)
        os.truncate({str(a)!r}, 8)
        model.generate(np.zeros((32, 32), np.int32), seed=0)
    """)
    # The package this test imported, installed or from the source tree.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(medaug.__file__))))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == -7, (out.returncode, out.stderr)   # SIGBUS
