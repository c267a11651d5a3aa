"""Self-checks of scripts/parity/onnx_reference.py (no Swift binary needed).

The ONNX graph is the yardstick for the Swift engine, so it is checked
against a second, independent implementation: a float64 numpy forward pass
written directly from docs/weights-format.md, with ConvTranspose defined by
its scatter form (out[i*s + a - p] += x[i] * w[a]) rather than ONNX's formula.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "parity"))
import onnx_reference as R  # noqa: E402

PAPER_DOWN = [64, 128, 256, 512, 512, 512, 512]
PAPER_UP = [512, 512, 512, 512, 256, 128, 64]


def example_config(kind, size, classes=4, channels=1, **overrides):
    """A config with every key docs/weights-format.md lists, paper defaults."""
    c = dict(format_version=1, kind=kind, image_size=size, kernel_size=4, stride=2,
             padding=1, conv_bias=False, batchnorm_epsilon=1e-5, batchnorm_momentum=0.1,
             leaky_relu_slope=0.2, classes=[f"class{i}" for i in range(classes)],
             label_values=list(range(classes)), channel_names=["T1"] * channels,
             intensity_range=[-1, 1], inference={"normalization": "running", "dropout": False})
    if kind == "generator":
        c.update(input_channels=classes, output_channels=channels, down_filters=PAPER_DOWN,
                 bottleneck_filters=512, up_filters=PAPER_UP, batchnorm_first_block=False,
                 batchnorm_up_blocks=True, bottleneck_activation="relu", dropout=0.3,
                 dropout_up_blocks=7, output_activation="tanh")
    elif kind == "discriminator":
        c.update(input_channels=classes + channels, output_channels=1,
                 filters=[64, 128, 256, 512, 512], batchnorm_first_block=False,
                 output_activation="sigmoid", condition_channels=classes,
                 image_channels=channels)
    else:
        c.update(input_channels=channels, output_channels=classes, depth=4, base_filters=32,
                 output_activation="softmax")
        del c["leaky_relu_slope"]   # optional for segmenters: absent is ReLU
    c.update(overrides)
    return c


def doc_block_names(c):
    """Block output names, in order, spelled out from the docs' list."""
    if c["kind"] == "generator":
        n = len(c["down_filters"])
        return ([f"down.{i}" for i in range(n)] + ["bottleneck"]
                + [f"up.{j}" for j in range(n)] + ["out"])
    if c["kind"] == "discriminator":
        return [f"down.{i}" for i in range(len(c["filters"]))] + ["out"]
    d, names = c["depth"], []
    for l in range(d):
        names += [f"enc.{l}.conv1", f"enc.{l}.conv2"]
    names += ["bottom.conv1", "bottom.conv2"]
    for l in reversed(range(d)):
        names += [f"dec.{l}.up", f"dec.{l}.conv1", f"dec.{l}.conv2"]
    return names + ["out"]


def random_input(c, batch, seed=0):
    rng = np.random.default_rng(seed)
    s = c["image_size"]
    if c["kind"] == "generator":               # one-hot label map
        labels = rng.integers(0, c["input_channels"], (batch, s, s))
        return np.eye(c["input_channels"], dtype=np.float32)[labels].transpose(0, 3, 1, 2).copy()
    return rng.normal(size=(batch, c["input_channels"], s, s)).astype(np.float32)


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


# ------------------------------------------------------ numpy float64 net --

def np_conv(x, w, b, s, p):
    """Cross-correlation, OIHW weights, zero padding p, stride s."""
    n, _, h, wd = x.shape
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    out = np.zeros((n, w.shape[0], ho, wo))
    for a in range(k):
        for e in range(k):
            patch = xp[:, :, a:a + s * (ho - 1) + 1:s, e:e + s * (wo - 1) + 1:s]
            out += np.einsum("oc,nchw->nohw", w[:, :, a, e], patch)
    return out if b is None else out + b[None, :, None, None]


def np_convt(x, w, b, s, p):
    """Transposed conv by its scatter definition, IOHW weights, crop p per side."""
    n, _, h, wd = x.shape
    k = w.shape[2]
    full = np.zeros((n, w.shape[1], (h - 1) * s + k, (wd - 1) * s + k))
    for a in range(k):
        for e in range(k):
            full[:, :, a:a + s * (h - 1) + 1:s, e:e + s * (wd - 1) + 1:s] += \
                np.einsum("nchw,co->nohw", x, w[:, :, a, e])
    out = full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]
    return out if b is None else out + b[None, :, None, None]


def np_forward(c, t, x, norm):
    """Every block output of the documented network, float64."""
    t = {k: v.astype(np.float64) for k, v in t.items()}
    eps, outs = c["batchnorm_epsilon"], {}

    def bn(y, pre):
        g, b = t[pre + ".weight"][None, :, None, None], t[pre + ".bias"][None, :, None, None]
        if norm == "instance":
            m, v = y.mean(axis=(2, 3), keepdims=True), y.var(axis=(2, 3), keepdims=True)
        else:
            m = t[pre + ".running_mean"][None, :, None, None]
            v = t[pre + ".running_var"][None, :, None, None]
        return g * (y - m) / np.sqrt(v + eps) + b

    conv = lambda y, pre, s, p: np_conv(y, t[pre + ".weight"], t.get(pre + ".bias"), s, p)
    convt = lambda y, pre, s, p: np_convt(y, t[pre + ".weight"], t.get(pre + ".bias"), s, p)
    relu = lambda y: np.maximum(y, 0)
    leaky = lambda y: np.where(y > 0, y, c.get("leaky_relu_slope", 0) * y)
    y = x.astype(np.float64)
    if c["kind"] in ("generator", "discriminator"):
        s, p = c["stride"], c["padding"]
        filters = c["down_filters"] if c["kind"] == "generator" else c["filters"]
        for i in range(len(filters)):
            y = conv(y, f"down.{i}.conv", s, p)
            y = bn(y, f"down.{i}.bn") if f"down.{i}.bn.weight" in t else y
            y = outs[f"down.{i}"] = leaky(y)
        if c["kind"] == "discriminator":
            outs["out"] = 1 / (1 + np.exp(-conv(y, "out.conv", 1, 1)))
            return outs
        n = len(filters)
        y = outs["bottleneck"] = relu(conv(y, "bottleneck.conv", s, p))
        for j in range(n):
            y = convt(y, f"up.{j}.convt", s, p)
            y = bn(y, f"up.{j}.bn") if c["batchnorm_up_blocks"] else y
            y = outs[f"up.{j}"] = relu(y)
            y = np.concatenate([y, outs[f"down.{n - 1 - j}"]], axis=1)
        outs["out"] = np.tanh(convt(y, "out.convt", s, p))
        return outs

    def double(y, pre):
        hidden = leaky if c.get("leaky_relu_slope", 0) > 0 else relu
        y = outs[pre + ".conv1"] = hidden(bn(conv(y, pre + ".conv1", 1, 1), pre + ".bn1"))
        y = outs[pre + ".conv2"] = hidden(bn(conv(y, pre + ".conv2", 1, 1), pre + ".bn2"))
        return y

    for l in range(c["depth"]):
        y = double(y, f"enc.{l}")
        n_, ch, h, w = y.shape
        y = y.reshape(n_, ch, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    y = double(y, "bottom")
    for l in reversed(range(c["depth"])):
        y = outs[f"dec.{l}.up"] = convt(y, f"dec.{l}.up", 2, 0)
        y = double(np.concatenate([y, outs[f"enc.{l}.conv2"]], axis=1), f"dec.{l}")
    z = conv(y, "out.conv", 1, 0)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    outs["out"] = z / z.sum(axis=1, keepdims=True)
    return outs


# ------------------------------------------------------------------ tests --

def test_numpy_layer_definitions_known_answers():
    """Pin the reference ops themselves on impulses, so they cannot share a
    padding or layout mistake with the ONNX builder."""
    w = np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4)
    # ConvTranspose k4 s2 p1 from a 1x1 input: output 2x2 = centre of the kernel.
    x = np.zeros((1, 2, 1, 1)); x[0, 1] = 1
    np.testing.assert_array_equal(np_convt(x, w, None, 2, 1)[0], w[1, :, 1:3, 1:3])
    # Conv k4 s2 p1 on a 2x2 input to 1x1: sees kernel taps 1..2 only.
    x = np.zeros((1, 3, 2, 2)); x[0, 2, 0, 1] = 1
    # (input pixel (0, 1) sits at padded (1, 2): tap row 1, column 2)
    assert np_conv(x, w, None, 2, 1)[0, :, 0, 0].tolist() == w[:, 2, 1, 2].tolist()


def test_expected_shapes_follow_the_docs_tables():
    g = R.expected_shapes(example_config("generator", 256))
    assert g["down.0.conv.weight"] == (64, 4, 4, 4) and "down.0.bn.weight" not in g
    assert g["down.1.bn.running_var"] == (128,)
    assert g["bottleneck.conv.weight"] == (512, 512, 4, 4)
    assert g["up.0.convt.weight"] == (512, 512, 4, 4)           # IOHW, in = bottleneck
    assert g["up.4.convt.weight"] == (512 + 512, 256, 4, 4)     # up_filters[3] + down_filters[3]
    assert g["out.convt.weight"] == (64 + 64, 1, 4, 4) and g["out.convt.bias"] == (1,)
    assert [k for k in g if k.endswith(".bias") and ".bn" not in k] == ["out.convt.bias"]
    d = R.expected_shapes(example_config("discriminator", 256))
    assert d["down.0.conv.weight"] == (64, 5, 4, 4) and d["out.conv.weight"] == (1, 512, 4, 4)
    s = R.expected_shapes(example_config("segmenter", 256))
    assert s["enc.0.conv1.weight"] == (32, 1, 3, 3) and s["bottom.conv1.weight"] == (512, 256, 3, 3)
    assert s["dec.3.up.weight"] == (512, 256, 2, 2) and s["dec.3.up.bias"] == (256,)
    assert s["dec.0.conv1.weight"] == (32, 64, 3, 3) and s["out.conv.weight"] == (4, 32, 1, 1)
    sb = R.expected_shapes(example_config("segmenter", 64, conv_bias=True))
    assert "bottom.conv2.bias" in sb and "dec.0.conv1.bias" in sb


@pytest.mark.parametrize("norm", ["running", "instance"])
@pytest.mark.parametrize("kind", ["generator", "discriminator", "segmenter"])
def test_full_size_graph_checks_shapes_and_activation_scale(kind, norm):
    c = example_config(kind, 256)
    batch = 2
    model = R.build_onnx(c, R.make_tensors(c, seed=1), norm, batch)
    onnx.checker.check_model(model)
    assert R.block_names(model) == doc_block_names(c)
    outs = R.run_onnx(model, random_input(c, batch))
    assert list(outs) == doc_block_names(c)
    shapes = {k: v.shape for k, v in outs.items()}
    if kind == "generator":
        assert shapes["down.0"] == (2, 64, 128, 128) and shapes["down.6"] == (2, 512, 2, 2)
        assert shapes["bottleneck"] == (2, 512, 1, 1) and shapes["up.0"] == (2, 512, 2, 2)
        assert shapes["up.6"] == (2, 64, 128, 128) and shapes["out"] == (2, 1, 256, 256)
    elif kind == "discriminator":
        assert shapes["down.4"] == (2, 512, 8, 8) and shapes["out"] == (2, 1, 7, 7)
    else:
        assert shapes["bottom.conv2"] == (2, 512, 16, 16) and shapes["dec.0.up"] == (2, 32, 256, 256)
        assert shapes["out"] == (2, 4, 256, 256)
        np.testing.assert_allclose(outs["out"].sum(axis=1), 1, atol=1e-5)
    # Parity weights must keep every block alive and unsaturated, or a
    # mismatch deep in the net would be hidden (all-zero ReLU, tanh at +-1).
    # (The segmenter in running mode settles near RMS 4: each max-pool raises
    # the second moment and running-stat BN does not renormalise.)
    for name, v in outs.items():
        rms = float(np.sqrt(np.mean(v.astype(np.float64) ** 2)))
        assert 0.1 < rms < 8, f"{name}: rms {rms:.3g}"
        if name != "out":                      # sigmoid/softmax are all positive
            assert 0.3 < np.mean(v > 0) < 0.7, f"{name}: {np.mean(v > 0):.2f} positive"
    assert np.mean(np.abs(outs["out"]) > 0.999) < 0.01, "output activation saturated"


SMALL = {
    # paper widths truncated to 5 down blocks (what the 64x64 parity case uses)
    "gen64": example_config("generator", 64, down_filters=PAPER_DOWN[:5],
                            up_filters=PAPER_UP[2:]),
    # the options paths: conv bias, BN on the first block, no BN in up blocks
    "gen32-options": example_config("generator", 32, classes=3, channels=2,
                                    down_filters=[8, 16, 16, 24], up_filters=[24, 16, 16, 8],
                                    bottleneck_filters=12, conv_bias=True,
                                    batchnorm_first_block=True, batchnorm_up_blocks=False,
                                    leaky_relu_slope=0.1, batchnorm_epsilon=1e-3),
    "disc64": example_config("discriminator", 64, filters=[16, 32, 32, 48, 48]),
    "seg64": example_config("segmenter", 64, depth=3, base_filters=16),
    "seg32-bias": example_config("segmenter", 32, depth=2, base_filters=8, conv_bias=True,
                                 classes=3, channels=2),
    "seg32-leaky": example_config("segmenter", 32, depth=2, base_filters=8, leaky_relu_slope=0.1),
}


@pytest.mark.parametrize("norm", ["running", "instance"])
@pytest.mark.parametrize("name", list(SMALL))
def test_ort_matches_numpy_float64_every_block(name, norm):
    """The whole ONNX graph equals the doc-derived numpy network. ORT float32
    versus float64 also shows what 1e-4 leaves for the Swift engine."""
    c = SMALL[name]
    t = R.make_tensors(c, seed=3)
    x = random_input(c, 3, seed=4)
    ort_out = R.run_onnx(R.build_onnx(c, t, norm, 3), x)
    ref = np_forward(c, t, x, norm)
    assert list(ref) == list(ort_out) == doc_block_names(c)
    errs = {k: rel_err(ort_out[k], ref[k]) for k in ref}
    worst = max(errs, key=errs.get)
    assert errs[worst] < 1e-5, f"{name}/{norm}: {worst} rel err {errs[worst]:.3g}"


def test_parity_weights_ranges_and_determinism():
    c = SMALL["seg32-bias"]
    zeros = {k: np.zeros(s, np.float32) for k, s in R.expected_shapes(c).items()}
    a, b = R.parity_weights(c, zeros, 7), R.parity_weights(c, zeros, 7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["enc.0.conv1.weight"], R.parity_weights(c, zeros, 8)["enc.0.conv1.weight"])
    for k, v in a.items():
        assert v.dtype == np.float32 and v.shape == zeros[k].shape and np.all(v != 0), k
        if ".bn" in k and k.endswith(".weight"):
            assert np.all((np.abs(v) >= 0.5) & (np.abs(v) <= 1.5)) and np.any(v < 0), k
        if k.endswith("running_var"):
            assert np.all((v >= 0.3) & (v <= 2.0)), k


def test_save_load_roundtrip_keeps_metadata(tmp_path):
    c = SMALL["disc64"]
    t = R.make_tensors(c, seed=5)
    path = tmp_path / "m.safetensors"
    R.save_model(path, c, t)
    header = json.loads(path.read_bytes()[8:8 + int.from_bytes(path.read_bytes()[:8], "little")])
    assert isinstance(header["__metadata__"]["medaug"], str)   # a JSON *string*
    c2, t2 = R.load_model(path)
    assert c2 == c and set(t2) == set(t)
    assert all(t2[k].dtype == np.float32 and np.array_equal(t2[k], t[k]) for k in t)


def test_builder_rejects_a_tensor_set_that_does_not_match_the_config():
    c = SMALL["disc64"]
    t = R.make_tensors(c, seed=0)
    for broken, what in [({k: v for k, v in t.items() if k != "down.1.bn.running_var"}, "missing"),
                         ({**t, "down.0.conv.bias": np.zeros(16, np.float32)}, "unexpected"),
                         ({**t, "out.conv.weight": np.zeros((1, 48, 3, 3), np.float32)}, "shape")]:
        with pytest.raises(ValueError, match=what):
            R.build_onnx(c, broken, "running", 1)


def test_cli_writes_every_block_output(tmp_path):
    c = SMALL["gen32-options"]
    R.save_model(tmp_path / "m.safetensors", c, R.make_tensors(c, seed=2))
    x = random_input(c, 2)
    from safetensors.numpy import save_file
    save_file({"input": x}, str(tmp_path / "in.safetensors"))
    subprocess.run([sys.executable, str(ROOT / "scripts/parity/onnx_reference.py"),
                    "--model", str(tmp_path / "m.safetensors"),
                    "--input", str(tmp_path / "in.safetensors"),
                    "--output", str(tmp_path / "ref.safetensors"),
                    "--normalization", "instance"], check=True)
    got = R.load_tensors(tmp_path / "ref.safetensors")
    assert set(got) == set(doc_block_names(c))
    ref = np_forward(c, R.make_tensors(c, seed=2), x, "instance")
    assert max(rel_err(got[k], ref[k]) for k in ref) < 1e-5
