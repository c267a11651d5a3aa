"""medaug models as ONNX graphs (onnx.helper; `onnx` is imported only inside
the functions that build graphs, so `import medaug` never needs it).

Two uses of one builder:

- `export_model` / `to_onnx`: a model for users. Input "input" float32
  [N, C, S, S] with a symbolic batch dimension "N", one output "output"
  (generator: tanh image; segmenter: softmax probabilities; discriminator:
  sigmoid patch scores), BatchNorm as chosen at export (running: eval
  BatchNormalization; instance: InstanceNormalization with gamma, beta), no
  dropout, the medaug config JSON in metadata_props["medaug"].
- `build_onnx`: the per-layer parity reference (scripts/parity/
  onnx_reference.py): a fixed batch and every documented block output as a
  graph output under its block name.

The graph is built straight from docs/weights-format.md: no BatchNorm
folding, no fused epilogues, ONNX Runtime's own kernels.
"""
import os

import numpy as np

from ._layout import NORMALIZATIONS, check_config, check_tensors
from ._safetensors_io import atomic_write, config_json, load

OPSET = 17
IR_VERSION = 8          # readable by any ONNX Runtime >= 1.10


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("medaug ONNX export needs the onnx package: pip install onnx") from None
    return onnx


class _Graph:
    """Accumulates nodes/initializers; every tensor must be used once."""

    def __init__(self, config, tensors, normalization, final_name):
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be running|instance, got {normalization!r}")
        check_tensors(config, tensors)
        self.onnx = _onnx()
        self.t, self.norm, self.final = tensors, normalization, final_name
        self.eps = float(config["batchnorm_epsilon"])
        self.nodes, self.inits, self.outputs = [], {}, []

    def init(self, name):
        if name not in self.inits:
            self.inits[name] = self.onnx.numpy_helper.from_array(
                np.ascontiguousarray(self.t[name], np.float32), name)
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv(self, x, prefix, out, stride, pad, transposed=False):
        w = self.t[f"{prefix}.weight"]
        ins = [x, self.init(f"{prefix}.weight")]
        if f"{prefix}.bias" in self.t:         # presence was checked against config
            ins.append(self.init(f"{prefix}.bias"))
        return self.node("ConvTranspose" if transposed else "Conv", ins, out,
                         kernel_shape=list(w.shape[2:]), strides=[stride, stride],
                         pads=[pad] * 4)

    def normalize(self, x, prefix, out):
        g, b = self.init(f"{prefix}.weight"), self.init(f"{prefix}.bias")
        if self.norm == "instance":
            # Per-image, per-channel statistics; gamma/beta as scale/bias.
            return self.node("InstanceNormalization", [x, g, b], out, epsilon=self.eps)
        m, v = self.init(f"{prefix}.running_mean"), self.init(f"{prefix}.running_var")
        return self.node("BatchNormalization", [x, g, b, m, v], out, epsilon=self.eps)

    def block(self, x, conv_prefix, bn_prefix, out, act, stride, pad,
              transposed=False, slope=0.2):
        """conv -> [norm] -> activation; the activation output is `out`
        ("out", the network output, is renamed to the graph's final name)."""
        out = self.final if out == "out" else out
        y = self.conv(x, conv_prefix, f"{out}/conv", stride, pad, transposed)
        if bn_prefix is not None:
            y = self.normalize(y, bn_prefix, f"{out}/norm")
        if act == "leaky_relu":
            y = self.node("LeakyRelu", [y], out, alpha=float(slope))
        elif act == "identity":
            y = self.node("Identity", [y], out)
        else:
            y = self.node(_ACT[act], [y], out, **({"axis": 1} if act == "softmax" else {}))
        self.outputs.append(out)
        return y


_ACT = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softmax": "Softmax"}


def _generator(g, c, x):
    k, s, p, slope = c["kernel_size"], c["stride"], c["padding"], c["leaky_relu_slope"]
    n = len(c["down_filters"])
    skips = []
    for i in range(n):
        bn = f"down.{i}.bn" if (i > 0 or c["batchnorm_first_block"]) else None
        x = g.block(x, f"down.{i}.conv", bn, f"down.{i}", "leaky_relu", s, p, slope=slope)
        skips.append(x)
    bn = "bottleneck.bn" if c.get("bottleneck_batchnorm", False) else None
    x = g.block(x, "bottleneck.conv", bn, "bottleneck", c["bottleneck_activation"], s, p, slope=slope)
    skip_act = c.get("skip_activation", "identity")
    for j in range(n):
        bn = f"up.{j}.bn" if c["batchnorm_up_blocks"] else None
        # Dropout is never applied: exported and parity graphs are deterministic.
        up = g.block(x, f"up.{j}.convt", bn, f"up.{j}", "relu", s, p, transposed=True)
        skip = skips[n - 1 - j]
        if skip_act != "identity":
            skip = g.node(_ACT[skip_act], [skip], f"up.{j}/skip_act")
        x = g.node("Concat", [up, skip], f"up.{j}/concat", axis=1)
    g.block(x, "out.convt", None, "out", c["output_activation"], s, p, transposed=True)


def _discriminator(g, c, x):
    s, p, slope = c["stride"], c["padding"], c["leaky_relu_slope"]
    for i in range(len(c["filters"])):
        bn = f"down.{i}.bn" if (i > 0 or c["batchnorm_first_block"]) else None
        x = g.block(x, f"down.{i}.conv", bn, f"down.{i}", "leaky_relu", s, p, slope=slope)
    # Output conv is fixed by the docs: kernel 4 (from the weight), stride 1, padding 1.
    g.block(x, "out.conv", None, "out", c["output_activation"], 1, 1)


def _segmenter(g, c, x):
    # Files without the key are ReLU; a slope > 0 makes the hidden layers LeakyReLU.
    slope = c.get("leaky_relu_slope", 0)
    act = "leaky_relu" if slope > 0 else "relu"

    def double(x, prefix):
        x = g.block(x, f"{prefix}.conv1", f"{prefix}.bn1", f"{prefix}.conv1", act, 1, 1, slope=slope)
        return g.block(x, f"{prefix}.conv2", f"{prefix}.bn2", f"{prefix}.conv2", act, 1, 1, slope=slope)

    depth, skips = c["depth"], []
    for l in range(depth):
        skips.append(double(x, f"enc.{l}"))
        x = g.node("MaxPool", [skips[-1]], f"enc.{l}/pool", kernel_shape=[2, 2], strides=[2, 2])
    x = double(x, "bottom")
    for l in reversed(range(depth)):
        up = g.conv(x, f"dec.{l}.up", f"dec.{l}.up", 2, 0, transposed=True)
        g.outputs.append(up)
        x = g.node("Concat", [up, skips[l]], f"dec.{l}/concat", axis=1)
        x = double(x, f"dec.{l}")
    g.block(x, "out.conv", None, "out", c["output_activation"], 1, 0)


def _build(config, tensors, normalization, batch, final_name, all_blocks, producer):
    if config.get("format_version") != 1:
        raise ValueError(f"unsupported format_version {config.get('format_version')!r}")
    onnx = _onnx()
    helper, TensorProto = onnx.helper, onnx.TensorProto
    g = _Graph(config, tensors, normalization, final_name)
    size = config["image_size"]
    inp = helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, [batch, config["input_channels"], size, size])
    {"generator": _generator, "discriminator": _discriminator,
     "segmenter": _segmenter}[config["kind"]](g, config, "input")
    unused = set(tensors) - set(g.inits)
    if normalization == "instance":           # instance mode ignores running stats
        unused = {k for k in unused if not k.endswith((".running_mean", ".running_var"))}
    if unused:
        raise ValueError(f"builder did not use tensors: {sorted(unused)}")
    opset = [helper.make_opsetid("", OPSET)]
    names = g.outputs if all_blocks else [final_name]
    untyped = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in names]
    # Infer output shapes (the checker requires them) on a skeleton whose
    # weights are shape-only inputs: serialising the 217 MB paper generator
    # through shape inference would dominate the build time. strict_mode
    # fails loudly on any inconsistent channel count.
    weights = [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims))
               for i in g.inits.values()]
    skeleton = helper.make_model(helper.make_graph(g.nodes, "skeleton", [inp] + weights, untyped),
                                 opset_imports=opset)
    outputs = onnx.shape_inference.infer_shapes(skeleton, strict_mode=True).graph.output
    graph = helper.make_graph(g.nodes, f"medaug_{config['kind']}", [inp], list(outputs),
                              initializer=list(g.inits.values()))
    model = helper.make_model(graph, opset_imports=opset, producer_name=producer)
    model.ir_version = IR_VERSION
    return model


def build_onnx(config, tensors, normalization, batch):
    """Parity graph: input 'input' [batch, input_channels, S, S] float32; one
    graph output per documented block output (the last one is 'out'). Checks
    the tensor set against the config, not the config's own completeness
    (parity tests use hand-made configs)."""
    return _build(config, tensors, normalization, batch, "out", True, "medaug-parity")


def export_model(config, tensors, normalization="running"):
    """The user-facing ONNX model (onnx.ModelProto) of a medaug model.

    Input "input" [N, input_channels, S, S] float32 (N symbolic), output
    "output"; `normalization` "running" (eval BatchNorm) or "instance"
    (per-image statistics); no dropout; metadata_props "medaug" (the config
    JSON) and "normalization". Raises ValueError when the config is
    incomplete or the tensors do not match it (names, shapes)."""
    onnx = _onnx()
    check_config(config)
    model = _build(config, tensors, normalization, "N", "output", False, "medaug")
    onnx.helper.set_model_props(model, {"medaug": config_json(config),
                                        "normalization": normalization})
    onnx.checker.check_model(model)
    return model


def to_onnx(model, output, normalization="running"):
    """Export a medaug model to an ONNX file, written atomically.

    `model` is the path of a medaug .safetensors file or a (config, tensors)
    pair. Returns the onnx.ModelProto. Raises ValueError (and leaves no
    output file) when the model is not a valid medaug model."""
    if isinstance(model, (str, bytes, os.PathLike)):
        config, tensors = load(model)
    else:
        config, tensors = model
    proto = export_model(config, tensors, normalization)
    data = proto.SerializeToString()
    atomic_write(output, lambda f: f.write(data))
    return proto
