"""An independent float64 numpy forward of junyanz's UnetGenerator
(pytorch-CycleGAN-and-pix2pix, models/networks.py), for the converter tests.

It is written in junyanz's own module structure, not medaug's: nested
UnetSkipConnectionBlocks built innermost first, each a Sequential list of
modules whose list index is its state-dict key (LeakyReLU, Conv, norm,
submodule, ReLU, ConvTranspose, norm, Dropout), and non-outermost blocks
return cat([x, model(x)]) with the block input (the skip) FIRST. The state
dict is generated from the same module lists, so key names come from the
structure, not from the converter's key table. ConvTranspose uses its
scatter definition (out[s*i + a - p] += x[i] * w[a]).
"""
import numpy as np


def unet_levels(input_nc, output_nc, num_downs, ngf, norm, use_dropout):
    """Module lists per level (0 = outermost), as UnetGenerator builds them."""
    use_bias = norm == "instance"
    blocks = [("innermost", ngf * 8, ngf * 8, False)]
    blocks += [("middle", ngf * 8, ngf * 8, use_dropout)] * (num_downs - 5)
    blocks += [("middle", ngf * 4, ngf * 8, False), ("middle", ngf * 2, ngf * 4, False),
               ("middle", ngf, ngf * 2, False), ("outermost", output_nc, ngf, False)]
    levels = []
    for role, outer, inner, dropout in reversed(blocks):      # outermost first
        if role == "outermost":
            mods = [("conv", input_nc, inner, use_bias), ("sub",), ("relu",),
                    ("convt", inner * 2, outer, True), ("tanh",)]
        elif role == "innermost":
            mods = [("lrelu",), ("conv", outer, inner, use_bias), ("relu",),
                    ("convt", inner, outer, use_bias), ("norm", outer)]
        else:
            mods = [("lrelu",), ("conv", outer, inner, use_bias), ("norm", inner), ("sub",),
                    ("relu",), ("convt", inner * 2, outer, use_bias), ("norm", outer)]
            mods += [("dropout",)] if dropout else []
        levels.append(mods)
    return levels


def prefixes(levels):
    """State-dict prefix of each level's Sequential: UnetGenerator.model is
    the outermost block, its Sequential is `.model`, a submodule at list
    index i continues the path with `.{i}.model`."""
    out, prefix = [], "model.model."
    for mods in levels:
        out.append(prefix)
        subs = [i for i, m in enumerate(mods) if m[0] == "sub"]
        prefix = f"{prefix}{subs[0]}.model." if subs else None
    return out


def random_state_dict(levels, norm, track_running_stats=False, seed=0):
    """Parameters with O(1) activations and norms far from identity."""
    rng = np.random.default_rng(seed)
    sd = {}
    for prefix, mods in zip(prefixes(levels), levels):
        for i, m in enumerate(mods):
            key = f"{prefix}{i}"
            if m[0] in ("conv", "convt"):
                _, cin, cout, bias = m
                fan_in = cin * 16 / (4 if m[0] == "convt" else 1)
                gain = 1.0 if (m[0] == "convt" and i == len(mods) - 2 and mods[-1][0] == "tanh") else 2.0
                shape = (cin, cout, 4, 4) if m[0] == "convt" else (cout, cin, 4, 4)
                sd[f"{key}.weight"] = (rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)
                if bias:
                    sd[f"{key}.bias"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
            elif m[0] == "norm":
                c = m[1]
                if norm == "batch":
                    sign = np.where(rng.random(c) < 0.5, -1.0, 1.0)
                    sd[f"{key}.weight"] = (rng.uniform(0.5, 1.5, c) * sign).astype(np.float32)
                    sd[f"{key}.bias"] = (rng.standard_normal(c) * 0.3).astype(np.float32)
                if norm == "batch" or track_running_stats:
                    sd[f"{key}.running_mean"] = (rng.standard_normal(c) * 0.3).astype(np.float32)
                    sd[f"{key}.running_var"] = rng.uniform(0.3, 2.0, c).astype(np.float32)
                    sd[f"{key}.num_batches_tracked"] = np.array(1000, dtype=np.int64)
    return sd


def conv2d(x, w, b, stride=2, pad=1):
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    y = np.einsum("ncijab,ocab->noij", cols, w.astype(np.float64))
    return y if b is None else y + b[None, :, None, None]


def conv_transpose2d(x, w, b, stride=2, pad=1):
    n, _, h, wd = x.shape
    k, cout = w.shape[2], w.shape[1]
    full = np.zeros((n, cout, (h - 1) * stride + k, (wd - 1) * stride + k))
    for a in range(k):
        for c in range(k):
            full[:, :, a:a + stride * h:stride, c:c + stride * wd:stride] += \
                np.einsum("ncij,co->noij", x, w[:, :, a, c].astype(np.float64))
    y = full[:, :, pad:pad + stride * h, pad:pad + stride * wd]
    return y if b is None else y + b[None, :, None, None]


def forward(levels, sd, x, train, norm, eps=1e-5):
    """The generator output for x [N, C, H, W]. train=True: batch statistics
    (BatchNorm over N, H, W; InstanceNorm per image), dropout OFF; False:
    eval (running statistics where the layer tracks them)."""
    pres = prefixes(levels)

    def normalize(y, key):
        tracked = f"{key}.running_mean" in sd
        if not train and tracked:
            mean = sd[f"{key}.running_mean"][None, :, None, None]
            var = sd[f"{key}.running_var"][None, :, None, None]
        else:
            axes = (0, 2, 3) if norm == "batch" else (2, 3)
            mean, var = y.mean(axis=axes, keepdims=True), y.var(axis=axes, keepdims=True)
        y = (y - mean) / np.sqrt(var + eps)
        if f"{key}.weight" in sd:
            y = y * sd[f"{key}.weight"][None, :, None, None] + sd[f"{key}.bias"][None, :, None, None]
        return y

    def block(level, x):
        y = x
        for i, m in enumerate(levels[level]):
            key = f"{pres[level]}{i}"
            if m[0] == "lrelu":
                y = np.where(y > 0, y, 0.2 * y)
            elif m[0] == "relu":
                y = np.maximum(y, 0)
            elif m[0] == "tanh":
                y = np.tanh(y)
            elif m[0] == "conv":
                y = conv2d(y, sd[f"{key}.weight"], sd.get(f"{key}.bias"))
            elif m[0] == "convt":
                y = conv_transpose2d(y, sd[f"{key}.weight"], sd.get(f"{key}.bias"))
            elif m[0] == "norm":
                y = normalize(y, key)
            elif m[0] == "sub":
                y = block(level + 1, y)
            # "dropout": off
        return y if level == 0 else np.concatenate([x, y], axis=1)

    return block(0, np.asarray(x, np.float64))
