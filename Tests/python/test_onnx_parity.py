"""Per-layer parity of the Swift `medaug` CLI against ONNX Runtime (CPU).

Flow per case: `medaug model init` writes a model with its full config; the
weights are re-randomised with parity_weights (so BatchNorm is far from
identity, biases are non-zero and every block carries O(1) signal) and saved
with the same config; a random input goes through `medaug run --all-layers`
and through an ONNX graph built from the same file (scripts/parity/
onnx_reference.py); every block output must agree to
max|swift - ort| / max|ort| <= 1e-4. ORT float32 itself is within ~6e-6 of a
float64 reference on these nets (Tests/python/test_onnx_reference.py), so
the bound leaves the Swift engine room for its own summation order and
BatchNorm folding, and still catches any real wiring mistake.

Every case runs once per CPU tier the host supports (MEDAUG_CPU), against
one ONNX Runtime reference: each tier's kernels meet the same bound.

Needs the Swift CLI: MEDAUG_BIN (default .build/debug/medaug under the repo
root). Without it the whole file is skipped (interop_helpers). With
MEDAUG_REFERENCE_BIN, `model init` runs on that binary instead: the AVX2
emulation (scripts/test-avx2-emulation) passes the native one, since
initialisation is the same code on every tier and took QEMU minutes per
model; the runs compared stay MEDAUG_BIN's.
"""
import os

import numpy as np
import pytest
from safetensors.numpy import save_file

# The CLI runner (skips this module when the CLI is not built), the reference
# and the one-hot inputs are shared with the export and converter tests.
from interop_helpers import R, medaug, one_hot_input
# The tiers this host runs (/proc/cpuinfo, or MEDAUG_TEST_CPUINFO): every
# case runs once per tier (MEDAUG_CPU).
from host_cpu import supported_tiers

TOLERANCE = 1e-4
CLASSES, IMAGE_CHANNELS = 4, 1

# name -> (kind, image size, extra init flags, expected config values)
MODELS = {
    # --down-filters not given: the paper's 64..512 truncated to 5 blocks.
    "generator-64": ("generator", 64, [], {"down_filters": [64, 128, 256, 512, 512]}),
    "generator-256": ("generator", 256, [], {
        "down_filters": [64, 128, 256, 512, 512, 512, 512], "bottleneck_filters": 512,
        "up_filters": [512, 512, 512, 512, 256, 128, 64], "conv_bias": False,
        "batchnorm_first_block": False, "batchnorm_up_blocks": True}),
    "discriminator-64": ("discriminator", 64, [], {}),
    "discriminator-256": ("discriminator", 256, [], {"filters": [64, 128, 256, 512, 512]}),
    "segmenter-64": ("segmenter", 64, ["--depth", "3", "--base-filters", "16"],
                     {"depth": 3, "base_filters": 16}),
    "segmenter-256": ("segmenter", 256, [], {"depth": 4, "base_filters": 32}),
}
# Generator layouts of models trained elsewhere (GeneratorConfig's optional
# keys): a model above with its config edited and fresh parity tensors.
VARIANTS = {
    # TensorFlow tutorial: the innermost down block has BatchNorm + LeakyReLU.
    "generator-64-tutorial": ("generator-64", {"bottleneck_batchnorm": True,
                                               "bottleneck_activation": "leaky_relu"}),
    # junyanz UnetGenerator: ReLU over the whole concatenation (skips too).
    "generator-64-junyanz": ("generator-64", {"skip_activation": "relu", "dropout_first_up_block": 1,
                                              "dropout_up_blocks": 2}),
}
IO_CHANNELS = {"generator": (CLASSES, IMAGE_CHANNELS),
               "discriminator": (CLASSES + IMAGE_CHANNELS, 1),
               "segmenter": (IMAGE_CHANNELS, CLASSES)}

# 64x64 models at batch 1 and 3 (batch 3 catches per-image instance statistics
# and batch-stride bugs); 256x256 models at batch 1 to bound the run time.
CASES = [(m, norm, batch)
         for m in [*MODELS, *VARIANTS]
         for norm in ("running", "instance")
         for batch in ((1, 3) if m.endswith("-64") else (1,))]


TIERS = supported_tiers()
INIT_BIN = os.environ.get("MEDAUG_REFERENCE_BIN")
_references = {}


_prepared = {}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("parity")


def prepared(name, workdir):
    """(config, init tensors, parity tensors, parity model path); once per model."""
    if name in VARIANTS and name not in _prepared:
        base, overrides = VARIANTS[name]
        config = {**prepared(base, workdir)[0], **overrides}
        parity = R.make_tensors(config, seed=sorted(VARIANTS).index(name) + 200)
        path = workdir / f"{name}-parity.safetensors"
        R.save_model(path, config, parity)
        _prepared[name] = (config, None, parity, path)
    if name not in _prepared:
        kind, size, flags, _ = MODELS[name]
        init = workdir / f"{name}-init.safetensors"
        medaug("model", "init", "--kind", kind, "--image-size", size, "--classes", CLASSES,
               "--image-channels", IMAGE_CHANNELS, *flags, "--seed", 17, "--output", init, writes=init,
               binary=INIT_BIN)
        config, tensors = R.load_model(init)
        # A fixed per-model seed keeps failures reproducible run to run.
        parity = R.parity_weights(config, tensors, seed=sorted(MODELS).index(name) + 100)
        path = workdir / f"{name}-parity.safetensors"
        R.save_model(path, config, parity)
        _prepared[name] = (config, tensors, parity, path)
    return _prepared[name]


def random_input(config, batch, seed):
    c, s = config["input_channels"], config["image_size"]
    if config["kind"] == "generator":        # one-hot label map, 0/1 channels
        return one_hot_input(c, s, batch, seed)
    return np.random.default_rng(seed).standard_normal((batch, c, s, s), dtype=np.float32)


def compare(swift, ref, order):
    """Per-layer table and the list of failing lines (execution order)."""
    rows, failures = [], []
    for name in order:
        a, b = swift[name], ref[name]
        if a.shape != b.shape:
            line = f"{name:14s} shape swift {a.shape} != onnx {b.shape}"
            rows.append(line); failures.append(line)
            continue
        diff = float(np.max(np.abs(a.astype(np.float64) - b)))
        scale = float(np.max(np.abs(b)))
        rel = diff / scale if scale > 0 else diff
        bad = not np.isfinite(rel) or rel > TOLERANCE or not np.all(np.isfinite(a))
        line = (f"{name:14s} {str(b.shape):20s} max|a-b| {diff:.3e}  max|ref| {scale:.3e}"
                f"  rel {rel:.3e}{'  FAIL' if bad else ''}")
        rows.append(line)
        if bad:
            failures.append(line)
    return rows, failures


@pytest.mark.parametrize("name", list(MODELS))
def test_init_writes_the_documented_config_and_tensors(name, workdir):
    """The Swift writer follows docs/weights-format.md: config keys, defaults,
    and exactly the tensor names and shapes derived from the config."""
    kind, size, _, expected = MODELS[name]
    config, tensors, _, _ = prepared(name, workdir)
    assert config["format_version"] == 1 and config["kind"] == kind
    assert config["image_size"] == size
    assert (config["input_channels"], config["output_channels"]) == IO_CHANNELS[kind]
    for key, value in expected.items():
        assert config[key] == value, f"{key}: {config[key]!r}, expected {value!r}"
    want = R.expected_shapes(config)
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    assert sorted(set(want) - set(got)) == [], "missing tensors"
    assert sorted(set(got) - set(want)) == [], "unexpected tensors"
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not wrong, f"shape (file, expected): {wrong}"
    assert all(v.dtype == np.float32 for v in tensors.values())


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name,norm,batch", CASES)
def test_every_block_output_matches_onnx_runtime(name, norm, batch, tier, workdir):
    config, _, parity, path = prepared(name, workdir)
    x = random_input(config, batch, seed=batch * 10 + (norm == "instance"))
    tag = f"{name}-{norm}-b{batch}"
    inp, out = workdir / f"{tag}-in.safetensors", workdir / f"{tag}-{tier}-swift.safetensors"
    save_file({"input": x}, str(inp))
    medaug("run", "--model", path, "--input", inp, "--output", out,
           "--normalization", norm, "--all-layers", writes=out, cpu_tier=tier)
    swift = R.load_tensors(out)
    tag = f"{tag} ({tier})"

    if (name, norm, batch) not in _references:
        model = R.build_onnx(config, parity, norm, batch)
        _references[(name, norm, batch)] = (R.block_names(model), R.run_onnx(model, x))
    order, ref = _references[(name, norm, batch)]

    missing, extra = sorted(set(order) - set(swift)), sorted(set(swift) - set(order))
    assert not missing and not extra, f"{tag}: block names differ: missing {missing}, extra {extra}"
    rows, failures = compare(swift, ref, order)
    print(f"\n{tag} (tolerance {TOLERANCE:g})\n" + "\n".join(rows))
    assert not failures, (f"{tag}: {len(failures)} block(s) over tolerance; first in "
                          f"execution order:\n{failures[0]}\n" + "\n".join(rows))


def test_run_without_all_layers_writes_only_out(workdir):
    """Default dump is just the network output, same values."""
    config, _, parity, path = prepared("generator-64", workdir)
    x = random_input(config, 1, seed=99)
    inp, out = workdir / "only-out-in.safetensors", workdir / "only-out.safetensors"
    save_file({"input": x}, str(inp))
    medaug("run", "--model", path, "--input", inp, "--output", out, "--normalization", "running",
           writes=out)
    swift = R.load_tensors(out)
    assert set(swift) == {"out"}
    ref = R.run_onnx(R.build_onnx(config, parity, "running", 1), x)
    _, failures = compare(swift, ref, ["out"])
    assert not failures, failures
