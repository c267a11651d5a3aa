"""medaug-convert: Keras (TensorFlow pix2pix tutorial) and PyTorch (junyanz
UnetGenerator) generators to medaug, checked against the source framework's
own forward pass, through `medaug run` on the converted file, within
max|a-b|/max|b| <= 1e-4 (pytest -s prints the numbers).

Modes: the source's inference (Keras training=False, junyanz eval) against
`--normalization running`; the source's batch statistics at batch 1 with
dropout off (Keras training=True on a twin model whose Dropout rate is 0,
junyanz train mode) against `--normalization instance`; batch 3 runs the
reference image by image.

Keras tests need TensorFlow (not a CI dependency: skipped without it). The
PyTorch tests need no torch: the state dict is numpy, named by the module
structure of Tests/python/junyanz_reference.py, whose float64 forward is the
reference; reading a real .pth is tested only where torch is installed.
"""
import json

import numpy as np
import pytest

from interop_helpers import R, compare, engine_output, one_hot_input, package_module, python_cli
import junyanz_reference as J

K, P, IO = package_module("_keras"), package_module("_pytorch"), package_module("_safetensors_io")

SIZE, CLASSES = 64, 3


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("convert")


# ------------------------------------------------------------------ Keras --

@pytest.fixture(scope="module")
def keras():
    # exc_type: a TensorFlow that is present but fails to import also skips.
    pytest.importorskip("tensorflow", exc_type=ImportError,
                        reason="Keras conversion tests need TensorFlow "
                               "(pip install tensorflow-cpu; not installed by scripts/bootstrap)")
    import keras
    return keras


def tutorial_generator(keras, dropout_rate=0.5, concat_skip_first=False, down_kernel=4):
    """The tutorial's Generator() at 64x64: 6 down blocks, 5 up blocks
    (Dropout in the first 3), Keras defaults (LeakyReLU 0.3, BatchNorm
    epsilon 1e-3, momentum 0.99)."""
    L = keras.layers

    def downsample(filters, batchnorm=True):
        block = keras.Sequential()
        block.add(L.Conv2D(filters, down_kernel, strides=2, padding="same", use_bias=False))
        if batchnorm:
            block.add(L.BatchNormalization())
        block.add(L.LeakyReLU())
        return block

    def upsample(filters, dropout):
        block = keras.Sequential()
        block.add(L.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False))
        block.add(L.BatchNormalization())
        if dropout:
            block.add(L.Dropout(dropout_rate))
        block.add(L.ReLU())
        return block

    inputs = L.Input(shape=[SIZE, SIZE, CLASSES])
    down_stack = [downsample(f, i > 0) for i, f in enumerate([8, 16, 32, 32, 32, 32])]
    up_stack = [upsample(f, j < 3) for j, f in enumerate([32, 32, 32, 16, 8])]
    last = L.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")
    x, skips = inputs, []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    for up, skip in zip(up_stack, reversed(skips[:-1])):
        x = up(x)
        x = L.Concatenate()([skip, x] if concat_skip_first else [x, skip])
    return keras.Model(inputs=inputs, outputs=last(x))


def randomize(keras, model, seed=0):
    """He-scaled kernels, BatchNorm (incl. moving statistics) far from identity."""
    rng = np.random.default_rng(seed)
    layers = [l for block in model.layers for l in getattr(block, "layers", [block])]
    for layer in layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            kh, kw, a, b = layer.kernel.shape
            transposed = isinstance(layer, keras.layers.Conv2DTranspose)
            fan_in = kh * kw * (b / 4 if transposed else a)
            gain = 1.0 if layer.activation.__name__ == "tanh" else 2.0 / 1.21
            ws = [rng.standard_normal(layer.kernel.shape) * np.sqrt(gain / fan_in)]
            ws += [rng.standard_normal(layer.filters) * 0.1] if layer.use_bias else []
            layer.set_weights([w.astype(np.float32) for w in ws])
        elif isinstance(layer, keras.layers.BatchNormalization):
            c = layer.moving_mean.shape[0]
            sign = np.where(rng.random(c) < 0.5, -1.0, 1.0)
            layer.set_weights([w.astype(np.float32) for w in (
                rng.uniform(0.5, 1.5, c) * sign, rng.standard_normal(c) * 0.3,
                rng.standard_normal(c) * 0.3, rng.uniform(0.3, 2.0, c))])
    return model


@pytest.fixture(scope="module")
def tutorial(keras, workdir):
    """(model, twin without dropout, converted config and tensors, medaug file)."""
    model = randomize(keras, tutorial_generator(keras))
    twin = tutorial_generator(keras, dropout_rate=0.0)
    config, tensors = K.from_keras(model, classes=["background", "tissue", "lesion"])
    path = workdir / "keras.safetensors"
    IO.save(path, config, tensors)
    return model, twin, config, tensors, path


def keras_reference(tutorial, x, mode):
    model, twin = tutorial[:2]
    nhwc = x.transpose(0, 2, 3, 1)
    if mode == "running":
        return np.asarray(model(nhwc, training=False)).transpose(0, 3, 1, 2)
    twin.set_weights(model.get_weights())     # training=True also moves the twin's statistics
    return np.concatenate([np.asarray(twin(nhwc[i:i + 1], training=True)) for i in range(len(x))]
                          ).transpose(0, 3, 1, 2)


def test_keras_config_records_the_tutorial_layout(tutorial):
    config = tutorial[2]
    expected = dict(image_size=SIZE, input_channels=CLASSES, output_channels=1,
                    down_filters=[8, 16, 32, 32, 32], bottleneck_filters=32, up_filters=[32, 32, 32, 16, 8],
                    conv_bias=False, leaky_relu_slope=0.3, batchnorm_epsilon=1e-3, batchnorm_momentum=0.01,
                    batchnorm_first_block=False, batchnorm_up_blocks=True, bottleneck_batchnorm=True,
                    bottleneck_activation="leaky_relu", skip_activation="identity", dropout=0.5,
                    dropout_first_up_block=0, dropout_up_blocks=3,
                    inference={"normalization": "instance", "dropout": True},
                    classes=["background", "tissue", "lesion"], label_values=[0, 1, 2],
                    channel_names=["channel_0"])
    assert {k: config[k] for k in expected} == expected


@pytest.mark.parametrize("mode", ["running", "instance"])
def test_keras_generator_matches_keras(tutorial, mode, workdir):
    for batch in (1, 3):
        x = one_hot_input(CLASSES, SIZE, batch, seed=batch)
        ref = keras_reference(tutorial, x, mode)
        got = engine_output(tutorial[4], x, mode, workdir, f"keras-{mode}-b{batch}")
        compare(f"keras {'training=True' if mode == 'instance' else 'training=False'} "
                f"vs medaug {mode} batch {batch}", got, ref)


def test_keras_files_and_cli(keras, tutorial, workdir):
    model, _, config, tensors, path = tutorial
    for suffix in ("keras", "h5"):
        source = workdir / f"tutorial.{suffix}"
        model.save(source)
        c, t = K.from_keras(source, classes=["background", "tissue", "lesion"])
        assert c == config and sorted(t) == sorted(tensors)
        assert all(np.array_equal(t[k], tensors[k]) for k in t), suffix
    out = workdir / "cli-keras.safetensors"
    p = python_cli("keras", workdir / "tutorial.keras", "--output", out, "--classes", "bg,wm,gm",
                   "--label-values", "0,2,5", "--channel-names", "T1", "--normalization", "running",
                   "--dropout", "off")
    assert "wrote" in p.stdout
    c, t = IO.load(out)
    assert (c["classes"], c["label_values"], c["channel_names"]) == (["bg", "wm", "gm"], [0, 2, 5], ["T1"])
    assert c["inference"] == {"normalization": "running", "dropout": False}
    assert all(np.array_equal(t[k], tensors[k]) for k in tensors)
    x = one_hot_input(CLASSES, SIZE, 1, seed=11)
    compare("keras .keras file via CLI, running", engine_output(out, x, "running", workdir, "cli-keras"),
            keras_reference(tutorial, x, "running"))


def test_keras_refuses_other_layouts(keras):
    cases = [
        (tutorial_generator(keras, concat_skip_first=True), r"Concatenate\(\)\(\[x, skip\]\)"),
        (tutorial_generator(keras, down_kernel=3), r"kernel \(3, 3\)"),
        (keras.Sequential([keras.layers.Input((SIZE, SIZE, 3)), keras.layers.Dense(4)]), "down block's Conv2D at layer 'dense'"),
    ]
    for model, message in cases:
        with pytest.raises(ValueError, match=message):
            K.from_keras(model)
    with pytest.raises(ValueError, match="label values"):
        K.from_keras(tutorial_generator(keras), label_values=[0, 1, 1])


# ---------------------------------------------------------------- PyTorch --

def junyanz(norm="batch", num_downs=6, track=False, use_dropout=True, seed=5):
    levels = J.unet_levels(3, 1, num_downs, 8, norm, use_dropout)
    return levels, J.random_state_dict(levels, norm, track_running_stats=track, seed=seed)


def junyanz_reference(levels, sd, x, mode, norm):
    if mode == "running":
        return J.forward(levels, sd, x, train=False, norm=norm)
    return np.concatenate([J.forward(levels, sd, x[i:i + 1], train=True, norm=norm) for i in range(len(x))])


PYTORCH_CASES = {          # name -> (norm, running stats tracked, modes compared)
    "batch": ("batch", False, ("running", "instance")),
    "instance": ("instance", False, ("instance",)),
    "instance-tracked": ("instance", True, ("running", "instance")),
}


@pytest.mark.parametrize("name", list(PYTORCH_CASES))
def test_junyanz_unet_matches_its_own_forward(name, workdir):
    norm, track, modes = PYTORCH_CASES[name]
    levels, sd = junyanz(norm, track=track)
    config, tensors = P.from_pytorch_state_dict(sd, classes=["background", "tissue", "lesion"])
    dropout_levels = {i for i, mods in enumerate(levels) if ("dropout",) in mods}
    n = len(levels) - 1
    first, count = config["dropout_first_up_block"], config["dropout_up_blocks"]
    assert {n - level for level in dropout_levels} == set(range(first, first + count)) == {1}
    assert (config["skip_activation"], config["bottleneck_activation"]) == ("relu", "relu")
    assert config["conv_bias"] == (norm == "instance") and config["image_size"] == 64
    assert config["inference"] == {"normalization": "instance", "dropout": True}
    path = workdir / f"junyanz-{name}.safetensors"
    IO.save(path, config, tensors)
    for mode in modes:
        for batch in (1, 3):
            x = one_hot_input(CLASSES, SIZE, batch, seed=20 + batch)
            ref = junyanz_reference(levels, sd, x, mode, norm)
            got = engine_output(path, x, mode, workdir, f"junyanz-{name}-{mode}-b{batch}")
            compare(f"junyanz {name} {'eval' if mode == 'running' else 'train'} vs medaug {mode} "
                    f"batch {batch}", got, ref)


def test_junyanz_state_dict_variants():
    levels, sd = junyanz(num_downs=7, use_dropout=True)
    config, tensors = P.from_pytorch_state_dict({f"module.{k}": v for k, v in sd.items()})
    assert (config["image_size"], config["dropout_first_up_block"], config["dropout_up_blocks"]) == (128, 1, 2)
    assert config["classes"] == ["class_0", "class_1", "class_2"]
    plain, _ = P.from_pytorch_state_dict(sd, image_size=256, use_dropout=False, normalization="running")
    assert (plain["image_size"], plain["dropout_up_blocks"]) == (256, 0)
    assert plain["inference"] == {"normalization": "running", "dropout": False}


def test_junyanz_hostile_state_dicts_name_the_key():
    _, sd = junyanz()
    inner = "model.model.1.model.3.model.3.model.3.model."
    key = "model.model.1.model.5.weight"
    cases = {
        "missing": ({k: v for k, v in sd.items() if k != key}, f"lacks '{key}'"),
        "extra": ({**sd, "model.model.1.model.9.weight": np.zeros(3, np.float32)},
                  "model.model.1.model.9.weight"),
        "shape": ({**sd, key: sd[key][:, :-1]}, key),
        "norm shape": ({**sd, f"{inner}6.running_var": np.ones(5, np.float32)}, f"{inner}6.running_var"),
        "not unet": ({"model.0.weight": np.zeros((4, 3, 7, 7), np.float32)}, "not a junyanz UnetGenerator"),
        "norm none": (junyanz(norm="none")[1], "norm='none'"),
    }
    for case, (state, message) in cases.items():
        with pytest.raises(ValueError, match=message):
            P.from_pytorch_state_dict(state)
    with pytest.raises(ValueError, match="2 class names given, the model has 3"):
        P.from_pytorch_state_dict(sd, classes=["a", "b"])


def test_pth_files_need_torch_or_convert(workdir):
    _, sd = junyanz()
    path = workdir / "latest_net_G.pth"
    try:
        import torch
    except ImportError:
        path.write_bytes(b"not read")
        with pytest.raises(ImportError, match="needs PyTorch"):
            P.load_pth(path)
        p = python_cli("pytorch", path, "--output", workdir / "pth.safetensors", check=False)
        assert p.returncode == 1 and "needs PyTorch" in p.stderr
        return
    bad = workdir / "not-a-checkpoint.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="cannot read"):
        P.load_pth(bad)
    p = python_cli("pytorch", bad, "--output", workdir / "bad.safetensors", check=False)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and "cannot read" in p.stderr
    assert not (workdir / "bad.safetensors").exists()
    torch.save({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}, str(path))
    out = workdir / "pth.safetensors"
    python_cli("pytorch", path, "--output", out, "--classes", "a,b,c")
    config, tensors = IO.load(out)
    want_config, want = P.from_pytorch_state_dict(sd, classes=["a", "b", "c"])
    assert config == want_config and all(np.array_equal(tensors[k], want[k]) for k in want)
