"""Shared by test_onnx_parity.py, test_onnx_export.py and test_convert.py: the built CLI (the
importing test module is skipped with a message when it is missing), the
parity helpers of scripts/parity/onnx_reference.py, the pure-Python modules
of bindings/python/medaug, `medaug run` on an input batch, `python3 -m
medaug.convert`, and the relative-error comparison that prints its numbers
(pytest -s).

The converter and exporter modules are loaded the way onnx_reference.py
loads them (without the package's __init__, which loads libmedaug): they do
not use the C library, so their tests need only the CLI for the engine's
outputs. The `python3 -m medaug.convert` tests import the real package and
are skipped with the reason when it does not import (library not built or
not matching the binding)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("MEDAUG_BIN") or ROOT / ".build" / "debug" / "medaug")
LIBRARY = Path(os.environ.get("MEDAUG_LIBRARY") or ROOT / ".build" / "debug" / "libMedaugC.so")
TOLERANCE = 1e-4
TIMEOUT = 1800

if not BIN.exists():
    pytest.skip(f"the medaug CLI is not built at {BIN}: run swift build or set MEDAUG_BIN",
                allow_module_level=True)
sys.path.insert(0, str(ROOT / "scripts" / "parity"))

import onnx_reference as R  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402


def package_module(name):
    """medaug.<name> (pure Python), loaded without the package's __init__."""
    return R._medaug_module(name)


_package_import = []


def medaug(*args, writes=None, cpu_tier=None, binary=None):
    """Run the CLI (`binary`, default MEDAUG_BIN; with MEDAUG_CPU=cpu_tier
    when given); fail with its output on a non-zero exit or a missing output
    file."""
    cmd = [str(binary or BIN), *map(str, args)]
    env = dict(os.environ, MEDAUG_CPU=cpu_tier) if cpu_tier else None
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    if p.returncode != 0 or (writes is not None and not Path(writes).exists()):
        pytest.fail(f"{' '.join(cmd)}: exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def python_cli(*args, check=True):
    """`python3 -m medaug.convert ARGS` with the package and library of the tests."""
    path = os.pathsep.join(p for p in (str(ROOT / "bindings" / "python"), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, MEDAUG_LIBRARY=str(LIBRARY))
    if not _package_import:
        probe = subprocess.run([sys.executable, "-c", "import medaug"], capture_output=True, text=True,
                               env=env, timeout=TIMEOUT)
        _package_import.append((probe.stderr.strip().splitlines() or [""])[-1] if probe.returncode else "")
    if _package_import[0]:
        pytest.skip(f"the medaug package does not import here, so neither does medaug.convert: "
                    f"{_package_import[0]}")
    p = subprocess.run([sys.executable, "-m", "medaug.convert", *map(str, args)],
                       capture_output=True, text=True, env=env, timeout=TIMEOUT)
    if check and p.returncode != 0:
        pytest.fail(f"medaug-convert {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
    return p


def init_model(path, kind, size, *flags):
    medaug("model", "init", "--kind", kind, "--image-size", size, *flags, "--seed", 3,
           "--output", path, writes=path)
    return R.load_model(path)


def engine_output(model_path, x, normalization, workdir, tag):
    """The engine's "out" for input batch x (NCHW), dropout off."""
    inp, out = Path(workdir) / f"{tag}-in.safetensors", Path(workdir) / f"{tag}-out.safetensors"
    save_file({"input": np.ascontiguousarray(x, dtype=np.float32)}, str(inp))
    medaug("run", "--model", model_path, "--input", inp, "--output", out,
           "--normalization", normalization, "--dropout", "off", writes=out)
    return R.load_tensors(out)["out"]


def one_hot_input(classes, size, batch, seed):
    labels = np.random.default_rng(seed).integers(0, classes, (batch, size, size))
    return np.ascontiguousarray(np.eye(classes, dtype=np.float32)[labels].transpose(0, 3, 1, 2))


def compare(tag, got, ref, tolerance=TOLERANCE):
    """Print and return (max|a-b|, max|a-b|/max|b|); fail above tolerance."""
    assert got.shape == ref.shape, f"{tag}: shape {got.shape} != reference {ref.shape}"
    diff = float(np.max(np.abs(got.astype(np.float64) - ref)))
    scale = float(np.max(np.abs(ref)))
    rel = diff / scale if scale > 0 else diff
    print(f"\n{tag:48s} max|a-b| {diff:.3e}  max|ref| {scale:.3e}  rel {rel:.3e}")
    assert np.all(np.isfinite(got)) and rel <= tolerance, f"{tag}: rel {rel:.3e} > {tolerance:g}"
    return diff, rel
