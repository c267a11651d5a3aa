"""What the Keras and PyTorch converters share: the complete generator
config of docs/weights-format.md from the facts read off a foreign model,
class and channel names, and the inference-mode recommendation."""
from ._layout import NORMALIZATIONS, check_config


def _names(values, count, default, what):
    if values is None:
        return [f"{default}_{i}" for i in range(count)]
    values = [str(v).strip() for v in values]
    if len(values) != count or not all(values):
        raise ValueError(f"{len(values)} {what} given, the model has {count}")
    if len(set(values)) != count:
        raise ValueError(f"{what} must be distinct: {values}")
    return values


def label_metadata(class_count, channel_count, classes=None, label_values=None, channel_names=None):
    """(classes, label_values, channel_names) with defaults class_0.., 0..k-1,
    channel_0.. (medaug model init's); ValueError if a count is wrong."""
    classes = _names(classes, class_count, "class", "class names")
    if label_values is None:
        label_values = list(range(class_count))
    try:
        label_values = [int(v) for v in label_values]
    except (TypeError, ValueError):
        raise ValueError(f"label values must be integers: {label_values}") from None
    if len(label_values) != class_count:
        raise ValueError(f"{len(label_values)} label values given, the model has {class_count} classes")
    if len(set(label_values)) != class_count:
        raise ValueError(f"label values must be distinct: {label_values}")
    return classes, label_values, _names(channel_names, channel_count, "channel", "channel names")


def inference(normalization, dropout):
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be running or instance, got {normalization!r}")
    if not isinstance(dropout, bool):
        raise ValueError(f"dropout must be True or False, got {dropout!r}")
    return {"normalization": normalization, "dropout": dropout}


def generator_config(*, image_size, input_channels, output_channels, down_filters, bottleneck_filters,
                     up_filters, conv_bias, epsilon, momentum, slope, batchnorm_first_block,
                     batchnorm_up_blocks, bottleneck_batchnorm, bottleneck_activation,
                     skip_activation, dropout_rate, dropout_first_up_block, dropout_up_blocks,
                     normalization, dropout, classes=None, label_values=None, channel_names=None):
    """A complete, checked medaug generator config (every key, optional ones
    included, so the file states the layout rather than relying on defaults)."""
    classes, label_values, channel_names = label_metadata(
        input_channels, output_channels, classes, label_values, channel_names)
    config = {
        "format_version": 1, "kind": "generator", "image_size": int(image_size),
        "input_channels": int(input_channels), "output_channels": int(output_channels),
        "kernel_size": 4, "stride": 2, "padding": 1, "conv_bias": bool(conv_bias),
        "batchnorm_epsilon": float(epsilon), "batchnorm_momentum": float(momentum),
        "leaky_relu_slope": float(slope),
        "down_filters": [int(f) for f in down_filters], "bottleneck_filters": int(bottleneck_filters),
        "up_filters": [int(f) for f in up_filters],
        "batchnorm_first_block": bool(batchnorm_first_block),
        "batchnorm_up_blocks": bool(batchnorm_up_blocks),
        "bottleneck_batchnorm": bool(bottleneck_batchnorm),
        "bottleneck_activation": bottleneck_activation, "skip_activation": skip_activation,
        "dropout": float(dropout_rate), "dropout_first_up_block": int(dropout_first_up_block),
        "dropout_up_blocks": int(dropout_up_blocks), "output_activation": "tanh",
        "classes": classes, "label_values": label_values, "channel_names": channel_names,
        "intensity_range": [-1, 1], "inference": inference(normalization, dropout),
    }
    return check_config(config)
