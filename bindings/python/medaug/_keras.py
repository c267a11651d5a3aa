"""Keras generator of the TensorFlow pix2pix tutorial -> medaug generator.

The tutorial's Generator(): `down_stack` of `downsample` blocks (Conv2D 4x4
stride 2 'same' [+ BatchNormalization, not on the first] + LeakyReLU),
`up_stack` of `upsample` blocks (Conv2DTranspose 4x4 stride 2 'same' +
BatchNormalization [+ Dropout] + ReLU, each followed by Concatenate()([x,
skip])), and a last Conv2DTranspose with tanh. Its innermost down block is
medaug's bottleneck (bottleneck_batchnorm, bottleneck_activation
"leaky_relu"). Layers are walked in execution order, nested Sequential
blocks flattened; the functional graph is checked to be exactly that chain
with the skips where medaug has them. Anything else is refused with a
ValueError naming the layer.
"""
import os

import numpy as np

from ._interop import generator_config
from ._layout import check_tensors


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:
        raise ImportError("converting Keras models needs TensorFlow (Keras 3): "
                          "pip install tensorflow-cpu") from None
    return keras


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise ValueError("cannot read the layer graph of this Keras model (no _keras_history)")
    return getattr(history, "operation", None) or getattr(history, "layer", None) or history[0]


def _inputs_of(layer):
    """Producers of the inputs of the one call of a top-level layer."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes is None:
        raise ValueError("cannot read the layer graph of this Keras version (no _inbound_nodes)")
    if len(nodes) != 1:
        raise ValueError(f"layer {layer.name!r} is called {len(nodes)} times; "
                         "the tutorial generator calls each layer once")
    tensors = nodes[0].input_tensors
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    return [_producer(t) for t in tensors]


class _Walker:
    """Flattened layers in execution order, consumed front to back."""

    def __init__(self, keras, model):
        self.k, self.L = keras, keras.layers
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ValueError(f"model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
                             "the tutorial generator has one of each")
        tops = [l for l in model.layers if not isinstance(l, self.L.InputLayer)]
        previous, self.skips, self.end_of = _producer(model.inputs[0]), {}, {}
        self.steps = []
        for layer in tops:
            producers = _inputs_of(layer)
            if isinstance(layer, self.L.Concatenate):
                if len(producers) != 2 or producers[0] is not previous:
                    raise ValueError(f"layer {layer.name!r}: expected Concatenate()([x, skip]) with x "
                                     f"the output of {previous.name!r}")
                self.skips[id(layer)] = producers[1]
            elif producers != [previous]:
                raise ValueError(f"layer {layer.name!r} does not take the output of {previous.name!r}; "
                                 "the generator must be one chain of blocks with skip concatenations")
            self._flatten(layer)
            self.end_of[id(layer)] = len(self.steps) - 1
            previous = layer
        if _producer(model.outputs[0]) is not previous:
            raise ValueError(f"the model output is not produced by its last layer {previous.name!r}")
        self.i = 0

    def _flatten(self, layer):
        if isinstance(layer, self.k.Sequential):
            for inner in layer.layers:
                if not isinstance(inner, self.L.InputLayer):
                    self._flatten(inner)
        elif isinstance(layer, self.k.Model):
            raise ValueError(f"layer {layer.name!r} is a nested functional model; only Sequential "
                             "blocks are flattened")
        else:
            self.steps.append(layer)

    def peek(self, *types):
        layer = self.steps[self.i] if self.i < len(self.steps) else None
        return layer if layer is not None and isinstance(layer, types) else None

    def take(self, *types):
        layer = self.peek(*types)
        if layer is not None:
            self.i += 1
        return layer

    def where(self):
        found = self.steps[self.i] if self.i < len(self.steps) else None
        return f"layer {found.name!r} ({type(found).__name__})" if found else "the end of the model"

    def expect(self, what, *types):
        layer = self.take(*types)
        if layer is None:
            raise ValueError(f"expected {what} at {self.where()}")
        return layer


def _activation(L, layer):
    """('leaky_relu', slope) | ('relu', None) | ('tanh', None) | None."""
    if isinstance(layer, L.LeakyReLU):
        slope = getattr(layer, "negative_slope", getattr(layer, "alpha", None))
        return "leaky_relu", float(slope)
    if isinstance(layer, L.ReLU):
        if layer.max_value is None and float(layer.negative_slope) == 0 and float(layer.threshold) == 0:
            return "relu", None
        return None
    if isinstance(layer, L.Activation):
        name = getattr(layer.activation, "__name__", "")
        return (name, None) if name in ("relu", "tanh") else None
    return None


def _check_conv(layer, transposed, activations=("linear",)):
    problems = []
    if tuple(layer.kernel_size) != (4, 4) or tuple(layer.strides) != (2, 2) or layer.padding != "same":
        problems.append(f"kernel {tuple(layer.kernel_size)} strides {tuple(layer.strides)} "
                        f"padding {layer.padding!r}")
    if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
        problems.append("dilation or groups")
    if layer.data_format != "channels_last":
        problems.append(f"data_format {layer.data_format}")
    if transposed and getattr(layer, "output_padding", None) is not None:
        problems.append(f"output_padding {layer.output_padding}")
    act = getattr(layer.activation, "__name__", str(layer.activation))
    if act not in activations:
        problems.append(f"activation {act!r}")
    if problems:
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}): {', '.join(problems)}; medaug "
                         "converts 4x4 stride-2 'same' convolutions without a fused activation")
    return act


def _bn_facts(layer):
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if list(axis) not in ([-1], [3]) or getattr(layer, "renorm", False) \
            or getattr(layer, "virtual_batch_size", None):
        raise ValueError(f"layer {layer.name!r}: only channel-axis BatchNormalization without renorm "
                         "converts")
    return float(layer.epsilon), float(layer.momentum)


def _weights(layer):
    """{short weight name: ndarray} (Keras 3 'gamma', Keras 2 '.../gamma:0')."""
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    return dict(zip(names, (np.asarray(w, np.float32) for w in layer.get_weights())))


def _parse(keras, model):
    L, w = keras.layers, _Walker(keras, model)
    downs, ups = [], []
    if not w.peek(L.Conv2D) or w.peek(L.Conv2DTranspose):
        raise ValueError(f"expected the first down block's Conv2D at {w.where()}")
    while w.peek(L.Conv2D) and not w.peek(L.Conv2DTranspose):
        conv = w.take(L.Conv2D)
        _check_conv(conv, False)
        bn = w.take(L.BatchNormalization)
        act = w.expect(f"LeakyReLU or ReLU after {conv.name!r}", L.LeakyReLU, L.ReLU, L.Activation)
        kind = _activation(L, act)
        if kind is None or kind[0] == "tanh":
            raise ValueError(f"layer {act.name!r}: unsupported activation after {conv.name!r}")
        downs.append({"conv": conv, "bn": bn, "act": kind, "end": w.i - 1})
    while True:
        conv = w.expect("Conv2DTranspose", L.Conv2DTranspose)
        rest = w.steps[w.i:]
        if not rest or (len(rest) == 1 and _activation(L, rest[0]) == ("tanh", None)):
            _check_conv(conv, True, ("tanh",) if not rest else ("linear",))
            w.i = len(w.steps)
            last = conv
            break
        _check_conv(conv, True)
        bn = w.take(L.BatchNormalization)
        drop = w.take(L.Dropout)
        act = w.expect(f"ReLU after {conv.name!r}", L.ReLU, L.Activation)
        if _activation(L, act) != ("relu", None):
            raise ValueError(f"layer {act.name!r}: medaug up blocks end in ReLU")
        cat = w.expect(f"Concatenate after {act.name!r}", L.Concatenate)
        if cat.axis not in (-1, 3):
            raise ValueError(f"layer {cat.name!r}: concatenation axis {cat.axis}, expected channels")
        ups.append({"conv": conv, "bn": bn, "drop": drop, "cat": cat})
    return w, downs, ups, last


def _convert(keras, model, options):
    w, downs, ups, last = _parse(keras, model)
    n = len(downs) - 1
    if n < 1 or len(ups) != n:
        raise ValueError(f"{len(downs)} down blocks and {len(ups)} up blocks; the tutorial generator "
                         "has one up block fewer than down blocks (at least 2 down blocks)")
    for j, up in enumerate(ups):        # up j is concatenated with down n-1-j
        skip, down = w.skips[id(up["cat"])], downs[n - 1 - j]
        if w.end_of.get(id(skip)) != down["end"]:
            raise ValueError(f"layer {up['cat'].name!r} concatenates {skip.name!r}; expected the output "
                             f"of down block {n - 1 - j} (ending in {w.steps[down['end']].name!r})")
    slopes = {d["act"][1] for d in downs if d["act"][0] == "leaky_relu"}
    if any(d["act"][0] != "leaky_relu" for d in downs[:n]) or len(slopes) != 1:
        raise ValueError("every down block must end in LeakyReLU with one slope; found "
                         + ", ".join(f"{d['act'][0]} {d['act'][1]}" for d in downs))
    missing_bn = [d["conv"].name for d in downs[1:n] if d["bn"] is None]
    if missing_bn:
        raise ValueError(f"down blocks after the first need BatchNormalization: {missing_bn}")
    if len({u["bn"] is None for u in ups}) != 1:
        raise ValueError("either every up block has BatchNormalization or none does")
    bns = [b for b in [d["bn"] for d in downs] + [u["bn"] for u in ups] if b is not None]
    facts = {_bn_facts(b) for b in bns} or {(1e-3, 0.99)}
    if len(facts) != 1:
        raise ValueError(f"BatchNormalization layers differ in epsilon/momentum: {sorted(facts)}")
    epsilon, momentum = facts.pop()
    biases = {d["conv"].use_bias for d in downs} | {u["conv"].use_bias for u in ups}
    if len(biases) != 1:
        raise ValueError("block convolutions mix use_bias True and False")
    drops = [j for j, u in enumerate(ups) if u["drop"] is not None]
    rates = {float(ups[j]["drop"].rate) for j in drops}
    if drops and (drops != list(range(drops[0], drops[-1] + 1)) or len(rates) != 1
                  or any(ups[j]["drop"].noise_shape is not None for j in drops)):
        raise ValueError(f"Dropout must be in consecutive up blocks with one rate and no noise_shape; "
                         f"found blocks {drops} with rates {sorted(rates)}")
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[1] is None or shape[1] != shape[2]:
        raise ValueError(f"model input shape {shape}: expected a fixed square image (None, S, S, C)")
    config = generator_config(
        image_size=shape[1], input_channels=shape[3], output_channels=last.filters,
        down_filters=[d["conv"].filters for d in downs[:n]], bottleneck_filters=downs[n]["conv"].filters,
        up_filters=[u["conv"].filters for u in ups], conv_bias=biases.pop(), epsilon=epsilon,
        momentum=float(f"{1 - momentum:.12g}"), slope=slopes.pop(),
        batchnorm_first_block=downs[0]["bn"] is not None, batchnorm_up_blocks=ups[0]["bn"] is not None,
        bottleneck_batchnorm=downs[n]["bn"] is not None, bottleneck_activation=downs[n]["act"][0],
        skip_activation="identity", dropout_rate=rates.pop() if rates else 0.5,
        dropout_first_up_block=drops[0] if drops else 0, dropout_up_blocks=len(drops),
        normalization=options.get("normalization") or "instance",
        dropout=bool(drops) if options.get("dropout") is None else options["dropout"],
        classes=options.get("classes"), label_values=options.get("label_values"),
        channel_names=options.get("channel_names"))
    tensors = {}

    def conv(prefix, layer, with_bias):
        ws = _weights(layer)
        # Conv2D (kh, kw, in, out) -> OIHW; Conv2DTranspose (kh, kw, out, in) -> IOHW.
        tensors[f"{prefix}.weight"] = ws["kernel"].transpose(3, 2, 0, 1)
        if with_bias:
            tensors[f"{prefix}.bias"] = ws.get("bias", np.zeros(layer.filters, np.float32))

    def bn(prefix, layer):
        ws = _weights(layer)
        c = ws["moving_mean"].shape[0]          # gamma/beta are absent with scale/center False
        tensors[f"{prefix}.weight"] = ws.get("gamma", np.ones(c, np.float32))
        tensors[f"{prefix}.bias"] = ws.get("beta", np.zeros(c, np.float32))
        tensors[f"{prefix}.running_mean"] = ws["moving_mean"]
        tensors[f"{prefix}.running_var"] = ws["moving_variance"]

    bias = config["conv_bias"]
    for i, d in enumerate(downs):
        prefix = f"down.{i}" if i < n else "bottleneck"
        conv(f"{prefix}.conv", d["conv"], bias)
        if d["bn"] is not None:
            bn(f"{prefix}.bn", d["bn"])
    for j, u in enumerate(ups):
        conv(f"up.{j}.convt", u["conv"], bias)
        if u["bn"] is not None:
            bn(f"up.{j}.bn", u["bn"])
    conv("out.convt", last, True)
    check_tensors(config, tensors)
    return config, tensors


def from_keras(model_or_path, *, classes=None, label_values=None, channel_names=None,
               normalization="instance", dropout=None):
    """(config, tensors) of a medaug generator from a TensorFlow-tutorial
    Keras generator (a keras.Model, or a .keras/.h5 path).

    Mapped: filters, image size, channels, conv bias, LeakyReLU slope,
    BatchNorm epsilon and momentum (converted to PyTorch's 1 - momentum),
    dropout rate and blocks; the innermost down block becomes the bottleneck
    (BatchNorm + LeakyReLU). The recorded inference mode defaults to what the
    tutorial does when it generates (training=True): per-image statistics
    ("instance") and dropout on when the model has Dropout layers.
    Raises ValueError naming the layer when the model is not that pattern,
    ImportError when Keras is not installed."""
    keras = _keras()
    model = model_or_path
    if isinstance(model, (str, os.PathLike)):
        if not os.path.isfile(model):
            raise FileNotFoundError(f"no such Keras model file: {model}")
        model = keras.models.load_model(model, compile=False)
    if not isinstance(model, keras.Model):
        raise ValueError(f"expected a keras.Model or a .keras/.h5 path, got {type(model).__name__}")
    options = dict(classes=classes, label_values=label_values, channel_names=channel_names,
                   normalization=normalization, dropout=dropout)
    return _convert(keras, model, options)
