#!/usr/bin/env python3
"""ONNX Runtime reference for medaug models (per-layer parity check).

Reads a medaug safetensors file (docs/weights-format.md), rebuilds the same
network as an ONNX graph with onnx.helper (independent of the Swift engine:
no BatchNorm folding, no fused epilogues, ORT's own kernels) and exposes every
documented block output as a graph output under its block name, so the Swift
`medaug run --all-layers` dump can be compared layer by layer.

CLI:
  python3 scripts/parity/onnx_reference.py --model M.safetensors \
      --input IN.safetensors --output REF.safetensors \
      --normalization running|instance
"""
import argparse
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors import safe_open
from safetensors.numpy import save_file

OPSET = 17


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


# ------------------------------------------------------- naming / shapes ----
# The expected tensor set, derived from the config alone. It restates the
# naming scheme of docs/weights-format.md in one place, separate from the
# graph builder, so a builder bug and a naming bug cannot hide each other.

def _bn_shapes(prefix, c):
    return {f"{prefix}.{p}": (c,) for p in ("weight", "bias", "running_mean", "running_var")}


def expected_shapes(config):
    """{tensor name: shape} that a file with this config must hold exactly."""
    kind, bias = config["kind"], config["conv_bias"]
    s = {}

    def conv(prefix, cout, cin, k, with_bias, transposed=False):
        s[f"{prefix}.weight"] = (cin, cout, k, k) if transposed else (cout, cin, k, k)
        if with_bias:
            s[f"{prefix}.bias"] = (cout,)

    if kind in ("generator", "discriminator"):
        k = config["kernel_size"]
        filters = config["down_filters" if kind == "generator" else "filters"]
        cin = config["input_channels"]
        for i, f in enumerate(filters):
            conv(f"down.{i}.conv", f, cin, k, bias)
            if i > 0 or config["batchnorm_first_block"]:
                s.update(_bn_shapes(f"down.{i}.bn", f))
            cin = f
        if kind == "discriminator":
            conv("out.conv", 1, filters[-1], 4, True)
            return s
        n, up = len(filters), config["up_filters"]
        conv("bottleneck.conv", config["bottleneck_filters"], filters[-1], k, bias)
        if config.get("bottleneck_batchnorm", False):
            s.update(_bn_shapes("bottleneck.bn", config["bottleneck_filters"]))
        cin = config["bottleneck_filters"]
        for j, f in enumerate(up):
            conv(f"up.{j}.convt", f, cin, k, bias, transposed=True)
            if config["batchnorm_up_blocks"]:
                s.update(_bn_shapes(f"up.{j}.bn", f))
            cin = f + filters[n - 1 - j]          # after concat with the skip
        conv("out.convt", config["output_channels"], cin, k, True, transposed=True)
        return s

    if kind == "segmenter":
        depth, b = config["depth"], config["base_filters"]
        w = [b * 2 ** l for l in range(depth + 1)]

        def double(prefix, cin, cout):
            conv(f"{prefix}.conv1", cout, cin, 3, bias)
            s.update(_bn_shapes(f"{prefix}.bn1", cout))
            conv(f"{prefix}.conv2", cout, cout, 3, bias)
            s.update(_bn_shapes(f"{prefix}.bn2", cout))

        cin = config["input_channels"]
        for l in range(depth):
            double(f"enc.{l}", cin, w[l])
            cin = w[l]
        double("bottom", cin, w[depth])
        for l in reversed(range(depth)):
            conv(f"dec.{l}.up", w[l], w[l + 1], 2, True, transposed=True)
            double(f"dec.{l}", 2 * w[l], w[l])
        conv("out.conv", config["output_channels"], w[0], 1, True)
        return s
    raise ValueError(f"unknown kind {kind!r}")


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


# ----------------------------------------------------------- ONNX builder --

class _Graph:
    """Accumulates nodes/initializers; every tensor must be used once."""

    def __init__(self, config, tensors, normalization):
        if normalization not in ("running", "instance"):
            raise ValueError(f"normalization must be running|instance, got {normalization!r}")
        expected = expected_shapes(config)
        problems = [f"missing {k}" for k in expected if k not in tensors]
        problems += [f"unexpected {k}" for k in tensors if k not in expected]
        problems += [f"{k}: shape {tuple(tensors[k].shape)}, expected {v}"
                     for k, v in expected.items()
                     if k in tensors and tuple(tensors[k].shape) != v]
        if problems:
            raise ValueError("tensor set does not match config: " + "; ".join(problems))
        self.t, self.norm = tensors, normalization
        self.eps = float(config["batchnorm_epsilon"])
        self.nodes, self.inits, self.outputs = [], {}, []

    def init(self, name):
        if name not in self.inits:
            self.inits[name] = numpy_helper.from_array(
                np.ascontiguousarray(self.t[name], np.float32), name)
        return name

    def node(self, op, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
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
        """conv -> [norm] -> activation; the activation output is `out`."""
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
        # Dropout is never applied: parity runs are deterministic.
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
    def double(x, prefix):
        x = g.block(x, f"{prefix}.conv1", f"{prefix}.bn1", f"{prefix}.conv1", "relu", 1, 1)
        return g.block(x, f"{prefix}.conv2", f"{prefix}.bn2", f"{prefix}.conv2", "relu", 1, 1)

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


def build_onnx(config, tensors, normalization, batch):
    """ONNX model: input 'input' [batch, input_channels, S, S] float32; one
    graph output per documented block output (the last one is 'out')."""
    if config.get("format_version") != 1:
        raise ValueError(f"unsupported format_version {config.get('format_version')!r}")
    g = _Graph(config, tensors, normalization)
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
    untyped = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in g.outputs]
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
    model = helper.make_model(graph, opset_imports=opset, producer_name="medaug-parity")
    model.ir_version = 8                      # readable by any ORT >= 1.10
    return model


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
