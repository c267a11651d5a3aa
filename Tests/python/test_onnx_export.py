"""ONNX export (medaug/onnx_export.py, `medaug-convert onnx`) against the engine.

Small models from `medaug model init`, re-randomised with the parity weights
(BatchNorm far from identity, non-zero biases), exported once per
normalization; ONNX Runtime runs the exported file at batch 1 and 3 (one
session: the batch dimension is symbolic) and must match `medaug run` within
max|a-b|/max|b| <= 1e-4. Hostile files must raise ValueError and leave no
output file. Needs the built CLI (skipped otherwise); the `python3 -m
medaug.convert` parts also need the package to import (libmedaug).
"""
import json
import os

import numpy as np
import pytest
from safetensors.numpy import save_file

from interop_helpers import R, compare, engine_output, init_model, one_hot_input, package_module, python_cli

E = package_module("onnx_export")
atomic_write = package_module("_safetensors_io").atomic_write

onnx = pytest.importorskip("onnx", reason="ONNX export tests need the onnx package")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime")

# name -> (kind, size, init flags, config overrides)
MODELS = {
    "generator": ("generator", 64, ["--classes", 4, "--down-filters", "16,32,64,64,64"], {}),
    # The three optional layout keys (TensorFlow tutorial / junyanz).
    "generator-layouts": ("generator", 64, ["--classes", 4, "--down-filters", "16,32,64,64,64"],
                          {"bottleneck_batchnorm": True, "bottleneck_activation": "leaky_relu",
                           "skip_activation": "relu", "dropout_first_up_block": 1,
                           "dropout_up_blocks": 2}),
    "segmenter": ("segmenter", 64, ["--classes", 3, "--depth", 3, "--base-filters", 8], {}),
    # LeakyReLU hidden layers (the experiment's segmenter recipe).
    "segmenter-leaky": ("segmenter", 32, ["--classes", 3, "--depth", 2, "--base-filters", 4], {"leaky_relu_slope": 0.1}),
    "discriminator": ("discriminator", 64, ["--classes", 3, "--filters", "16,32,32,64,64"], {}),
}
CASES = [(m, norm) for m in MODELS for norm in ("running", "instance")]
_made = {}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-export")


def model(name, workdir):
    """(config, parity tensors, path) of a named model, made once."""
    if name not in _made:
        kind, size, flags, overrides = MODELS[name]
        config, tensors = init_model(workdir / f"{name}-init.safetensors", kind, size, *flags)
        config = {**config, **overrides}
        parity = R.make_tensors(config, seed=sorted(MODELS).index(name) + 300)
        path = workdir / f"{name}.safetensors"
        R.save_model(path, config, parity)
        _made[name] = (config, parity, path)
    return _made[name]


def network_input(config, batch, seed):
    if config["kind"] == "generator":
        return one_hot_input(config["input_channels"], config["image_size"], batch, seed)
    rng = np.random.default_rng(seed)
    s = config["image_size"]
    return rng.standard_normal((batch, config["input_channels"], s, s), dtype=np.float32)


@pytest.mark.parametrize("name,norm", CASES)
def test_exported_model_matches_the_engine_at_batch_1_and_3(name, norm, workdir):
    config, _, path = model(name, workdir)
    out = workdir / f"{name}-{norm}.onnx"
    E.to_onnx(path, out, normalization=norm)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    for batch in (1, 3):
        x = network_input(config, batch, seed=batch + 7 * (norm == "instance"))
        (ref,) = session.run(["output"], {"input": x})
        got = engine_output(path, x, norm, workdir, f"{name}-{norm}-b{batch}")
        compare(f"onnx export {name} {norm} batch {batch}", got, ref)


@pytest.mark.parametrize("name", list(MODELS))
def test_exported_graph_has_symbolic_batch_metadata_and_no_dropout(name, workdir):
    config, parity, _ = model(name, workdir)
    for norm in ("running", "instance"):
        m = E.export_model(config, parity, norm)
        onnx.checker.check_model(m)
        assert m.producer_name == "medaug" and m.ir_version == 8
        assert [(o.domain, o.version) for o in m.opset_import] == [("", E.OPSET)]
        (inp,), (out,) = m.graph.input, m.graph.output
        assert (inp.name, out.name) == ("input", "output")
        dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
        s = config["image_size"]
        assert dims == ["N", config["input_channels"], s, s]
        out_dims = [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim]
        assert out_dims[:2] == ["N", config["output_channels"]]
        props = {p.key: p.value for p in m.metadata_props}
        assert json.loads(props["medaug"]) == config and props["normalization"] == norm
        ops = [n.op_type for n in m.graph.node]
        bn_count = sum(k.endswith(".running_var") for k in parity)
        assert "Dropout" not in ops
        assert ops.count("BatchNormalization") == (bn_count if norm == "running" else 0)
        assert ops.count("InstanceNormalization") == (bn_count if norm == "instance" else 0)
        assert m.graph.node[-1].op_type == {"generator": "Tanh", "segmenter": "Softmax",
                                            "discriminator": "Sigmoid"}[config["kind"]]


def _hostile(workdir, name, config, tensors):
    path = workdir / f"hostile-{name}.safetensors"
    R.save_model(path, config, tensors)
    return path


def _no_output(out):
    assert not out.exists(), f"{out} was written"
    strays = [p.name for p in out.parent.iterdir() if p.name.startswith("." + out.name)]
    assert not strays, f"temporary files left: {strays}"


def test_hostile_files_raise_value_error_and_write_nothing(workdir):
    config, parity, _ = model("generator", workdir)
    folder = workdir / "hostile"
    folder.mkdir(exist_ok=True)
    missing = {k: v for k, v in parity.items() if k != "down.2.bn.running_var"}
    reshaped = {**parity, "up.1.convt.weight": parity["up.1.convt.weight"][:, :-1]}
    extra = {**parity, "down.9.conv.weight": np.zeros((1, 1, 4, 4), np.float32)}
    plain = folder / "plain.safetensors"
    save_file({"x": np.zeros(3, np.float32)}, str(plain))
    garbage = folder / "garbage.safetensors"
    garbage.write_bytes(os.urandom(200))
    truncated = folder / "truncated.safetensors"
    truncated.write_bytes(model("generator", workdir)[2].read_bytes()[:50_000])
    bad_config = _hostile(folder, "bad-config", {**config, "up_filters": [8]}, parity)
    cases = {
        "missing": (_hostile(folder, "missing", config, missing), "missing down.2.bn.running_var"),
        "shape": (_hostile(folder, "shape", config, reshaped), "up.1.convt.weight: shape"),
        "extra": (_hostile(folder, "extra", config, extra), "unexpected down.9.conv.weight"),
        "not medaug": (plain, "not a medaug model"),
        "garbage": (garbage, "not a safetensors file"),
        "truncated": (truncated, "data offsets"),
        "config": (bad_config, "up_filters"),
    }
    for case, (source, message) in cases.items():
        out = folder / f"{case.replace(' ', '-')}.onnx"
        with pytest.raises(ValueError, match=message):
            E.to_onnx(source, out)
        _no_output(out)
    with pytest.raises(ValueError, match="normalization"):
        E.export_model(config, parity, "batch")
    for case, (source, message) in cases.items():       # the CLI: one line, exit 1
        out = folder / f"{case.replace(' ', '-')}-cli.onnx"
        p = python_cli("onnx", source, "--output", out, check=False)
        assert p.returncode == 1 and "medaug-convert: error:" in p.stderr and message in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        _no_output(out)


def test_failed_export_keeps_the_previous_file_and_interrupted_writes_leave_nothing(workdir):
    config, parity, _ = model("generator", workdir)
    folder = workdir / "atomic"
    folder.mkdir(exist_ok=True)
    out = folder / "g.onnx"
    out.write_bytes(b"previous")
    broken = {k: v for k, v in parity.items() if k != "out.convt.bias"}
    with pytest.raises(ValueError, match="missing out.convt.bias"):
        E.to_onnx((config, broken), out)
    assert out.read_bytes() == b"previous"

    def half_then_fail(f):
        f.write(b"partial data")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(folder / "new.onnx", half_then_fail)
    _no_output(folder / "new.onnx")
    assert sorted(p.name for p in folder.iterdir()) == ["g.onnx"]


def test_cli_writes_the_same_model_as_the_api(workdir):
    _, _, path = model("generator-layouts", workdir)
    out = workdir / "cli.onnx"
    p = python_cli("onnx", path, "--output", out, "--normalization", "instance")
    assert "wrote" in p.stdout and out.exists()
    api = E.to_onnx(path, workdir / "api.onnx", normalization="instance")
    assert out.read_bytes() == api.SerializeToString()
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask        # not mkstemp's private 0600
