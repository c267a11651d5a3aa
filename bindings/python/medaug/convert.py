"""medaug-convert: weights in (Keras, PyTorch) and out (ONNX).

    medaug-convert keras MODEL.keras|MODEL.h5 --out G.safetensors
    medaug-convert pytorch latest_net_G.pth --out G.safetensors
    medaug-convert onnx G.safetensors --out G.onnx [--normalization running|instance]

keras/pytorch options: --classes NAME,... --label-values V,... --channel-names
NAME,... (defaults class_0.., 0..k-1, channel_0.., from the model's input and
output channels) and the inference mode recorded in the file
(--normalization, --dropout; default: what the source framework does when it
generates, i.e. per-image statistics). Also `python3 -m medaug.convert`.

Python API: from_keras, from_pytorch_state_dict, from_pytorch (a .pth path),
save, load, to_onnx. Every conversion checks the layer structure and the
tensor set and raises ValueError naming the layer or key; TensorFlow, torch
and onnx are imported only by the functions that need them.
"""
import argparse
import sys

from ._keras import from_keras
from ._pytorch import from_pytorch_state_dict, load_pth
from ._safetensors_io import load, save
from .onnx_export import export_model, to_onnx

__all__ = ["from_keras", "from_pytorch", "from_pytorch_state_dict", "save", "load", "to_onnx",
           "export_model", "main"]


def from_pytorch(path, **options):
    """from_pytorch_state_dict of a .pth file (needs torch to read it)."""
    return from_pytorch_state_dict(load_pth(path), **options)


def _list(text):
    return [s.strip() for s in text.split(",")] if text is not None else None


def _ints(text):
    if text is None:
        return None
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}") from None


def _parser():
    p = argparse.ArgumentParser(prog="medaug-convert",
                                description="Convert generator weights to and from medaug's format.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{keras,pytorch,onnx}")

    def source(name, help, file_help):
        s = sub.add_parser(name, help=help, description=help)
        s.add_argument("model", help=file_help)
        # --out, as every medaug command; --output is its old spelling.
        s.add_argument("--out", "--output", dest="output", required=True,
                       help="medaug model to write (.safetensors), atomically")
        s.add_argument("--classes", help="comma-separated class names (default class_0, class_1, ...)")
        s.add_argument("--label-values", type=_ints,
                       help="comma-separated stored label values (default 0, 1, ..., k-1)")
        s.add_argument("--channel-names", help="comma-separated image channel names (default channel_0, ...)")
        s.add_argument("--normalization", choices=["running", "instance"], default="instance",
                       help="recorded inference normalization (default instance: per-image statistics, "
                            "as the source framework generates)")
        s.add_argument("--dropout", choices=["on", "off"],
                       help="recorded inference dropout (default: on if the model has Dropout)")
        return s

    source("keras", "TensorFlow pix2pix-tutorial generator -> medaug",
           "Keras model file (.keras or .h5)")
    s = source("pytorch", "junyanz pytorch-CycleGAN-and-pix2pix UnetGenerator -> medaug",
               "state dict file (.pth), e.g. latest_net_G.pth; needs torch")
    s.add_argument("--image-size", type=int, help="image side (default 2^num_downs, e.g. 256 for unet_256)")
    s.add_argument("--no-dropout-layers", action="store_true",
                   help="the model was trained with junyanz's --no_dropout (no Dropout layers)")
    o = sub.add_parser("onnx", help="medaug model -> ONNX", description="medaug model -> ONNX")
    o.add_argument("model", help="medaug model (.safetensors)")
    o.add_argument("--out", "--output", dest="output", required=True, help="ONNX file to write, atomically")
    o.add_argument("--normalization", choices=["running", "instance"], default="running",
                   help="BatchNorm in the graph: running statistics (default) or per-image (instance)")
    return p


def _describe(config):
    inf = config["inference"]
    return (f"{config['kind']} {config['image_size']}x{config['image_size']}, "
            f"{config['input_channels']} -> {config['output_channels']} channels, "
            f"recommended inference {inf['normalization']}, dropout {'on' if inf['dropout'] else 'off'}")


def main(argv=None):
    """The medaug-convert command; returns the exit status (0, 1 on error)."""
    a = _parser().parse_args(argv)
    try:
        if a.command == "onnx":
            to_onnx(a.model, a.output, a.normalization)
            print(f"wrote {a.output}: ONNX opset 17, {a.normalization} normalization, "
                  "input 'input' [N, C, S, S], output 'output'")
            return 0
        options = dict(classes=_list(a.classes), label_values=a.label_values,
                       channel_names=_list(a.channel_names), normalization=a.normalization,
                       dropout=None if a.dropout is None else a.dropout == "on")
        if a.command == "keras":
            config, tensors = from_keras(a.model, **options)
        else:
            config, tensors = from_pytorch(a.model, image_size=a.image_size,
                                           use_dropout=not a.no_dropout_layers, **options)
        save(a.output, config, tensors)
        print(f"wrote {a.output}: {_describe(config)}")
        return 0
    except (ValueError, ImportError, OSError) as error:
        print(f"medaug-convert: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
