#!/usr/bin/env python3
"""ONNX Runtime reference for medaug models (per-layer parity check).

Reads a medaug safetensors file (docs/weights-format.md), rebuilds the same
network as an ONNX graph with onnx.helper (independent of the Swift engine:
no BatchNorm folding, no fused epilogues, ORT's own kernels) and exposes every
documented block output as a graph output under its block name, so the Swift
`medaug run --all-layers` dump can be compared layer by layer. The graph
builder is the medaug package's (bindings/python/medaug/onnx_export.py, also
behind `medaug-convert onnx`); this script adds the parity weights, the
ONNX Runtime run and the CLI.

CLI:
  python3 scripts/parity/onnx_reference.py --model M.safetensors \
      --input IN.safetensors --output REF.safetensors \
      --normalization running|instance
"""
import argparse
import importlib
import json
import sys
import types
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def _medaug_module(name):
    """A pure-Python module of bindings/python/medaug, without running the
    package's __init__ (which loads libmedaug through ctypes): the reference
    must work before anything Swift is built. The folder is mounted as a
    namespace package of its own name, so relative imports inside resolve."""
    package = "_medaug_python"
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(Path(__file__).resolve().parents[2] / "bindings" / "python" / "medaug")]
        sys.modules[package] = module
    return importlib.import_module(f"{package}.{name}")


_export = _medaug_module("onnx_export")
expected_shapes = _medaug_module("_layout").expected_shapes
build_onnx = _export.build_onnx
OPSET = _export.OPSET


# ---------------------------------------------------------------- file I/O --

def load_model(path):
    """Return (config dict, {name: float32 ndarray}) from a medaug file."""
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata() or {}
        if "medaug" not in meta:
            raise ValueError(f"{path}: no __metadata__['medaug'] string")
        config = json.loads(meta["medaug"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return config, tensors


def save_model(path, config, tensors):
    """Write tensors with the config as the JSON string __metadata__['medaug']."""
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    save_file(arrays, str(path), metadata={"medaug": json.dumps(config)})


def load_tensors(path):
    """Plain safetensors read (inputs and per-layer dumps)."""
    with safe_open(str(path), framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


# ------------------------------------------------- naming / shapes / graph --
# expected_shapes (the tensor set a config implies) and build_onnx (the ONNX
# graph with every block output) live in the medaug package
# (bindings/python/medaug/_layout.py, onnx_export.py), shared with
# `medaug-convert onnx`.

def make_tensors(config, seed=0):
    """A complete, well-named tensor set for config with parity values."""
    zeros = {k: np.zeros(v, np.float32) for k, v in expected_shapes(config).items()}
    return parity_weights(config, zeros, seed)


# --------------------------------------------------------- parity weights --

def _role(name):
    """Classify a tensor by its module name: ('conv'|'convt'|'bn', param)."""
    module, param = name.rsplit(".", 1)
    last = module.rsplit(".", 1)[-1]
    if last.startswith("bn"):
        return "bn", param
    # ConvTranspose modules: generator `*.convt`, segmenter `dec.{l}.up`.
    if last == "convt" or (module.startswith("dec.") and last == "up"):
        return "convt", param
    if last.startswith("conv"):
        return "conv", param
    raise ValueError(f"cannot classify tensor {name!r}")


def _bn_after(weight_name):
    """Name of the BN gamma that follows a conv weight (may not exist)."""
    module = weight_name.rsplit(".", 1)[0]
    head, last = module.rsplit(".", 1)
    suffix = last[4:] if last.startswith("conv") and last != "convt" else ""
    return f"{head}.bn{suffix}.weight"


def parity_weights(config, tensors, seed):
    """Replace every tensor with values under which every layer matters.

    Real init (std 0.02, gamma 1, beta 0, mean 0, var 1) makes BatchNorm an
    identity and shrinks activations towards zero, so a wrong epsilon, a
    swapped gamma/beta or a skipped layer could pass a parity test. Here
    weights are He-scaled (activations stay O(1) through 7+ blocks), BN
    parameters are far from identity (gamma may be negative), and biases are
    non-zero. Deterministic in (seed, tensor names, shapes).
    """
    rng = np.random.default_rng(seed)
    stride = config.get("stride", 2)
    out = {}
    for name in sorted(tensors):               # sorted: order-independent
        shape = tensors[name].shape
        role, param = _role(name)
        # float32 draws: the paper generator has 54M weights.
        normal = lambda std: rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        uniform = lambda lo, hi: rng.uniform(lo, hi, shape).astype(np.float32)
        if role in ("conv", "convt") and param == "weight":
            kh, kw = shape[2], shape[3]
            if role == "conv":
                fan_in = shape[1] * kh * kw
            else:
                # IOHW: each output pixel of a stride-s ConvTranspose receives
                # about in*kh*kw/s^2 taps (s = kernel for the 2x2 segmenter up).
                s = kh if name.startswith("dec.") else stride
                fan_in = max(1, shape[0] * kh * kw // (s * s))
            # He gain 2 where a (leaky) ReLU follows and halves the variance;
            # 1 where none does: the segmenter's `dec.{l}.up` (straight into
            # the concat) and the output layers (tanh/sigmoid/softmax must
            # not saturate, or they would hide upstream mismatches).
            no_relu = name.startswith("out.") or (role == "convt" and name.startswith("dec."))
            gain = 1.0 if no_relu else 2.0
            if _bn_after(name) in tensors:
                # Running-mode BN multiplies the variance by about
                # E[gamma^2] * E[1/var] = 1.083 * 1.116 = 1.21 with the
                # ranges below; without this the 23-conv segmenter grows to
                # RMS ~15 and saturates its softmax.
                gain /= 1.21
            v = normal(np.sqrt(gain / fan_in))
        elif role in ("conv", "convt") and param == "bias":
            v = normal(0.1)
        elif param == "weight":                # BN gamma, random sign
            v = uniform(0.5, 1.5) * np.where(rng.random(shape) < 0.5, -1, 1).astype(np.float32)
        elif param in ("bias", "running_mean"):
            v = normal(0.3)
        elif param == "running_var":
            v = uniform(0.3, 2.0)
        else:
            raise ValueError(f"unknown parameter {name!r}")
        out[name] = np.ascontiguousarray(v, dtype=np.float32)
    return out


def run_onnx(model, input_array):
    """Run on ORT CPU (2 intra-op threads, all optimisations): {name: array}."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    x = np.ascontiguousarray(input_array, dtype=np.float32)
    return dict(zip(names, sess.run(names, {"input": x})))


def block_names(model):
    """Graph output names in execution order."""
    return [o.name for o in model.graph.output]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True, help="safetensors with tensor 'input' (NCHW)")
    ap.add_argument("--output", required=True, help="safetensors with every block output")
    ap.add_argument("--normalization", choices=["running", "instance"], required=True)
    a = ap.parse_args(argv)
    config, tensors = load_model(a.model)
    x = load_tensors(a.input)["input"]
    model = build_onnx(config, tensors, a.normalization, x.shape[0])
    outs = run_onnx(model, x)
    save_file({k: np.ascontiguousarray(v) for k, v in outs.items()}, a.output,
              metadata={"normalization": a.normalization})


if __name__ == "__main__":
    main()
