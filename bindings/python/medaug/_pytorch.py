"""junyanz/pytorch-CycleGAN-and-pix2pix UnetGenerator state dict -> medaug generator.

UnetGenerator nests UnetSkipConnectionBlocks from the outermost (level 0)
to the innermost (level D-1, D = num_downs); each block's modules sit in a
Sequential `model`, so the state-dict keys are

  level 0       model.model.{0: downconv, 1: submodule, 3: upconv (bias)}
  level 1       model.model.1.model.{...}
  level L >= 2  model.model.1.model + .3.model * (L-1) + .{...}
  middle        {1: downconv, 2: downnorm, 3: submodule, 5: upconv, 6: upnorm}
  innermost     {1: downconv, 3: upconv, 4: upnorm}

(LeakyReLU 0.2 before each downconv but the first, ReLU before each upconv,
Tanh at the end, Dropout(0.5) after upnorm in levels 4..D-2 with
use_dropout). Non-outermost blocks return torch.cat([x, model(x)], 1), skip
first, the opposite of medaug's [up, skip]: the input rows of every
ConvTranspose that reads a concatenation are swapped. In medaug terms the
innermost block is the bottleneck (no BatchNorm, ReLU), the ReLU over a
whole concatenation is skip_activation "relu", and dropout is in up blocks
1..D-5 (dropout_first_up_block 1).

norm='batch' (BatchNorm2d, convs without bias) and norm='instance'
(InstanceNorm2d affine=False, convs with bias; running statistics if it
tracked them, else mean 0, var 1) convert; norm='none' is refused.
"""
import numpy as np

from ._interop import generator_config
from ._layout import check_tensors

_NORM = ("weight", "bias", "running_mean", "running_var")


def _numpy(name, value):
    if hasattr(value, "detach"):                      # torch.Tensor
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"state dict entry {name!r} is not a numeric array") from None


def _prefix(level):
    return "model.model." + "1.model." * min(level, 1) + "3.model." * max(level - 1, 0)


class _Keys:
    """The state dict with each key taken at most once; shape errors name the key."""

    def __init__(self, state_dict):
        if not hasattr(state_dict, "items"):
            raise ValueError(f"expected a state dict (mapping of names to arrays), got "
                             f"{type(state_dict).__name__}")
        items = {str(k): v for k, v in state_dict.items()}
        if items and all(k.startswith("module.") for k in items):      # DataParallel
            items = {k[len("module."):]: v for k, v in items.items()}
        self.d = {k: v for k, v in items.items() if not k.endswith(".num_batches_tracked")}
        self.used = set()

    def has(self, key):
        return key in self.d

    def take(self, key, shape=None):
        if key not in self.d:
            raise ValueError(f"state dict lacks {key!r} (not a junyanz UnetGenerator of this layout)")
        a = _numpy(key, self.d[key])
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"{key}: shape {tuple(a.shape)}, expected {tuple(shape)}")
        self.used.add(key)
        return a

    def conv(self, key, transposed, cin=None, cout=None):
        w = self.take(f"{key}.weight")
        if w.ndim != 4 or w.shape[2:] != (4, 4):
            raise ValueError(f"{key}.weight: shape {w.shape}, expected a 4x4 "
                             f"{'ConvTranspose2d' if transposed else 'Conv2d'} weight")
        i, o = (w.shape[0], w.shape[1]) if transposed else (w.shape[1], w.shape[0])
        if (cin is not None and i != cin) or (cout is not None and o != cout):
            want = (cin, cout) if transposed else (cout, cin)
            raise ValueError(f"{key}.weight: shape {w.shape}, expected {want[0]}x{want[1]}x4x4")
        return w


def _levels(keys):
    """Number of levels D: level L has a submodule while its `.3.model.` keys exist."""
    if not any(k.startswith("model.model.") for k in keys.d):
        raise ValueError("no 'model.model.' keys: not a junyanz UnetGenerator state dict")
    depth = 1
    while any(k.startswith(_prefix(depth)) for k in keys.d):
        depth += 1
    if depth < 5:
        raise ValueError(f"{depth} levels; a junyanz UnetGenerator has num_downs >= 5")
    return depth


def _norm(keys, key, channels, kind):
    """medaug BatchNorm tensors for a junyanz norm layer at `key`."""
    if kind == "batch":
        return {p: keys.take(f"{key}.{p}", (channels,)) for p in _NORM}
    stats = [keys.has(f"{key}.running_mean"), keys.has(f"{key}.running_var")]
    if keys.has(f"{key}.weight") or keys.has(f"{key}.bias") or any(stats) != all(stats):
        raise ValueError(f"{key}: an InstanceNorm2d must have no affine parameters and both or none "
                         "of running_mean/running_var")
    mean = keys.take(f"{key}.running_mean", (channels,)) if all(stats) else np.zeros(channels, np.float32)
    var = keys.take(f"{key}.running_var", (channels,)) if all(stats) else np.ones(channels, np.float32)
    return {"weight": np.ones(channels, np.float32), "bias": np.zeros(channels, np.float32),
            "running_mean": mean, "running_var": var}


def _swap_halves(w, skip_channels):
    """IOHW rows [skip, up] (junyanz cat order) -> [up, skip] (medaug's)."""
    return np.concatenate([w[skip_channels:], w[:skip_channels]], axis=0)


def from_pytorch_state_dict(state_dict, *, classes=None, label_values=None, channel_names=None,
                            image_size=None, use_dropout=True, normalization="instance", dropout=None):
    """(config, tensors) of a medaug generator from a junyanz UnetGenerator
    state dict (values: numpy arrays or torch tensors; a DataParallel
    "module." prefix and num_batches_tracked are ignored).

    `image_size` defaults to 2**num_downs (unet_256: 256). `use_dropout`
    says whether the model was built with Dropout (junyanz's default for
    pix2pix; False for --no_dropout): a state dict cannot show it. The
    recorded inference mode defaults to what junyanz's test.py does without
    --eval: per-image statistics ("instance"), dropout on if it has Dropout.
    Raises ValueError naming the key on a missing, extra or misshapen tensor."""
    keys = _Keys(state_dict)
    depth = _levels(keys)
    n = depth - 1
    conv_bias = keys.has("model.model.0.bias")
    batch = keys.has(_prefix(1) + "2.weight")
    if not batch and not conv_bias:
        raise ValueError("no norm parameters and no conv biases: norm='none' has no medaug equivalent")
    kind = "batch" if batch else "instance"
    t = {}

    def conv(name, key, transposed, cin=None, cout=None, skip=None):
        w = keys.conv(key, transposed, cin, cout)
        t[f"{name}.weight"] = _swap_halves(w, skip) if skip is not None else w
        bias = name == "out.convt" or conv_bias
        if bias:
            t[f"{name}.bias"] = keys.take(f"{key}.bias", (w.shape[1] if transposed else w.shape[0],))
        return w

    # Down path: level L's downconv is medaug down.L; the innermost's is the bottleneck.
    inner, cin = [], None
    for level in range(depth):
        p = _prefix(level)
        name = f"down.{level}.conv" if level < n else "bottleneck.conv"
        w = conv(name, p + ("0" if level == 0 else "1"), False, cin)
        inner.append(w.shape[0])
        cin = w.shape[0]
        if 0 < level < n:
            t.update({f"down.{level}.bn.{k}": v for k, v in _norm(keys, p + "2", cin, kind).items()})
    # Up path: level L's upconv is medaug up.(D-1-L); level 0's is out.convt.
    for level in reversed(range(depth)):
        p, j = _prefix(level), n - level
        if level == n:              # innermost: reads the bottleneck, no concatenation
            conv(f"up.{j}.convt", p + "3", True, inner[level], inner[level - 1])
            norm_key = p + "4"
        elif level > 0:
            conv(f"up.{j}.convt", p + "5", True, 2 * inner[level], inner[level - 1], skip=inner[level])
            norm_key = p + "6"
        else:
            w = conv("out.convt", p + "3", True, 2 * inner[0], None, skip=inner[0])
            continue
        t.update({f"up.{j}.bn.{k}": v for k, v in _norm(keys, norm_key, inner[level - 1], kind).items()})
    extra = sorted(set(keys.d) - keys.used)
    if extra:
        raise ValueError(f"state dict has keys a junyanz UnetGenerator of {depth} levels does not: {extra}")
    config = generator_config(
        image_size=image_size or 2 ** depth, input_channels=t["down.0.conv.weight"].shape[1],
        output_channels=w.shape[1], down_filters=inner[:n], bottleneck_filters=inner[n],
        up_filters=[inner[n - 1 - j] for j in range(n)], conv_bias=conv_bias, epsilon=1e-5,
        momentum=0.1, slope=0.2, batchnorm_first_block=False, batchnorm_up_blocks=True,
        bottleneck_batchnorm=False, bottleneck_activation="relu", skip_activation="relu",
        dropout_rate=0.5, dropout_first_up_block=1, dropout_up_blocks=depth - 5 if use_dropout else 0,
        normalization=normalization, dropout=(use_dropout and depth > 5) if dropout is None else dropout,
        classes=classes, label_values=label_values, channel_names=channel_names)
    check_tensors(config, t)
    return config, t


def load_pth(path):
    """The state dict of a .pth file (torch.load, CPU, weights_only). Needs torch."""
    try:
        import torch
    except ImportError:
        raise ImportError("reading .pth files needs PyTorch (pip install torch); "
                          "from_pytorch_state_dict also takes a dict of numpy arrays") from None
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:      # pickle, zip and weights_only errors alike
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ValueError(f"cannot read {path} as a PyTorch state dict: {first}") from None
    if not hasattr(state, "items"):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state
