"""The medaug weights format as data: config checks and the tensor set a
config implies (docs/weights-format.md). Pure Python and numpy.

expected_shapes restates the naming scheme in one place, separate from the
ONNX graph builder (onnx_export.py), so that a builder bug and a naming bug
cannot hide each other.
"""
import numbers

KINDS = ("generator", "discriminator", "segmenter")
NORMALIZATIONS = ("running", "instance")
BN_PARAMS = ("weight", "bias", "running_mean", "running_var")

_COMMON = {
    "format_version": "int", "kind": "str", "image_size": "posint", "input_channels": "posint",
    "output_channels": "posint", "conv_bias": "bool", "batchnorm_epsilon": "posnum",
    "batchnorm_momentum": "num", "classes": "strs", "label_values": "ints",
    "channel_names": "strs", "intensity_range": "nums", "inference": "inference",
}
_BY_KIND = {
    "generator": {
        "kernel_size": "posint", "stride": "posint", "padding": "int", "leaky_relu_slope": "num",
        "down_filters": "posints", "bottleneck_filters": "posint", "up_filters": "posints",
        "batchnorm_first_block": "bool", "batchnorm_up_blocks": "bool",
        "bottleneck_activation": ("relu", "leaky_relu"), "dropout": "num",
        "dropout_up_blocks": "int", "output_activation": ("tanh",),
    },
    "discriminator": {
        "kernel_size": "posint", "stride": "posint", "padding": "int", "leaky_relu_slope": "num",
        "filters": "posints", "batchnorm_first_block": "bool", "output_activation": ("sigmoid",),
        "condition_channels": "int", "image_channels": "posint",
    },
    "segmenter": {"depth": "posint", "base_filters": "posint", "output_activation": ("softmax",)},
}
_OPTIONAL_GENERATOR = {"bottleneck_batchnorm": "bool", "skip_activation": ("identity", "relu"),
                       "dropout_first_up_block": "int"}


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _type_ok(kind, v):
    if isinstance(kind, tuple):
        return v in kind
    return {
        "int": lambda: _is_int(v) and v >= 0,
        "posint": lambda: _is_int(v) and v > 0,
        "num": lambda: _is_num(v),
        "posnum": lambda: _is_num(v) and v > 0,
        "bool": lambda: isinstance(v, bool),
        "str": lambda: isinstance(v, str),
        "strs": lambda: isinstance(v, list) and all(isinstance(s, str) and s for s in v),
        "ints": lambda: isinstance(v, list) and all(_is_int(i) for i in v),
        "nums": lambda: isinstance(v, list) and all(_is_num(i) for i in v),
        "posints": lambda: isinstance(v, list) and len(v) > 0 and all(_is_int(i) and i > 0 for i in v),
        "inference": lambda: (isinstance(v, dict) and v.get("normalization") in NORMALIZATIONS
                              and isinstance(v.get("dropout"), bool)),
    }[kind]()


def check_config(config):
    """Raise ValueError naming the first key that is missing, mistyped or
    inconsistent with the others; return config unchanged otherwise."""
    if not isinstance(config, dict):
        raise ValueError(f"medaug config must be a JSON object, got {type(config).__name__}")
    if config.get("format_version") != 1:
        raise ValueError(f"unsupported format_version {config.get('format_version')!r} (expected 1)")
    kind = config.get("kind")
    if kind not in KINDS:
        raise ValueError(f"config key 'kind' is {kind!r}, expected one of {', '.join(KINDS)}")
    rules = {**_COMMON, **_BY_KIND[kind]}
    for key, rule in rules.items():
        if key not in config:
            raise ValueError(f"config of a {kind} lacks key {key!r}")
        if not _type_ok(rule, config[key]):
            raise ValueError(f"config key {key!r} has an invalid value {config[key]!r}")
    if kind == "generator":
        for key, rule in _OPTIONAL_GENERATOR.items():
            if key in config and not _type_ok(rule, config[key]):
                raise ValueError(f"config key {key!r} has an invalid value {config[key]!r}")
    _check_consistency(config, kind)
    return config


def _check_consistency(c, kind):
    def fail(key, why):
        raise ValueError(f"config key {key!r}: {why}")

    classes = c["input_channels"] if kind == "generator" else c["output_channels"]
    if kind == "discriminator":
        classes = c["condition_channels"]
    if len(c["classes"]) != len(c["label_values"]):
        fail("label_values", f"{len(c['label_values'])} values for {len(c['classes'])} classes")
    if len(set(c["label_values"])) != len(c["label_values"]):
        fail("label_values", "values must be distinct")
    if len(c["classes"]) != classes:
        fail("classes", f"{len(c['classes'])} names, the network has {classes} class channels")
    channels = {"generator": c["output_channels"], "segmenter": c["input_channels"],
                "discriminator": c.get("image_channels")}[kind]
    if len(c["channel_names"]) != channels:
        fail("channel_names", f"{len(c['channel_names'])} names, the network has {channels} image channels")
    if kind == "generator":
        n = len(c["down_filters"])
        if len(c["up_filters"]) != n:
            fail("up_filters", f"{len(c['up_filters'])} entries, down_filters has {n}")
        if c["kernel_size"] - 2 * c["padding"] != 2 or c["stride"] != 2:
            fail("kernel_size", "kernel_size - 2*padding must be 2 and stride 2")
        if c["image_size"] % 2 ** (n + 1):
            fail("image_size", f"{c['image_size']} is not divisible by 2^{n + 1}")
        first = c.get("dropout_first_up_block", 0)
        if first + c["dropout_up_blocks"] > n:
            fail("dropout_up_blocks", f"blocks {first}..{first + c['dropout_up_blocks'] - 1} "
                                      f"exceed the {n} up blocks")
        if not 0 <= c["dropout"] < 1:
            fail("dropout", "rate must be in [0, 1)")
    elif kind == "discriminator":
        if c["condition_channels"] + c["image_channels"] != c["input_channels"]:
            fail("input_channels", "must equal condition_channels + image_channels")
    elif c["image_size"] % 2 ** c["depth"]:
        fail("image_size", f"{c['image_size']} is not divisible by 2^{c['depth']}")


def _bn_shapes(prefix, c):
    return {f"{prefix}.{p}": (c,) for p in BN_PARAMS}


def expected_shapes(config):
    """{tensor name: shape} that a file with this config must hold exactly,
    in graph order (the order medaug writes them)."""
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


def check_tensors(config, tensors):
    """Raise ValueError listing every missing, unexpected or misshapen tensor."""
    expected = expected_shapes(config)
    problems = [f"missing {k}" for k in expected if k not in tensors]
    problems += [f"unexpected {k}" for k in tensors if k not in expected]
    problems += [f"{k}: shape {tuple(tensors[k].shape)}, expected {v}"
                 for k, v in expected.items()
                 if k in tensors and tuple(tensors[k].shape) != v]
    if problems:
        raise ValueError("tensor set does not match config: " + "; ".join(problems))
    return expected
