"""medaug.init_model / medaug_model_init: a model without the CLI, equal to
`medaug model init --kind` with the same sizes and seed, loadable and
runnable; wrong arguments are refused with the right exception."""
import numpy as np
import pytest

from medaug_binding import medaug
from medaug_cli import medaug as run_cli, requires_binary


@requires_binary
@pytest.mark.parametrize("kind,size,classes,channels", [("generator", 64, 3, 1), ("segmenter", 32, 4, 2),
                                                        ("discriminator", 64, 2, 1)])
def test_same_file_as_the_cli(tmp_path, kind, size, classes, channels):
    path = medaug.init_model(tmp_path / "api.safetensors", kind, image_size=size, classes=classes,
                             channels=channels, seed=5)
    assert path == str(tmp_path / "api.safetensors")
    run_cli("model", "init", "--kind", kind, "--image-size", size, "--classes", classes, "--image-channels", channels,
            "--seed", 5, "--out", tmp_path / "cli.safetensors")
    assert (tmp_path / "api.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()


def test_a_new_segmenter_loads_and_runs(tmp_path):
    medaug.init_model(tmp_path / "s.safetensors", "segmenter", image_size=32, classes=3)
    model = medaug.load_model(tmp_path / "s.safetensors")
    assert (model.info.kind, model.info.image_size, model.info.class_count) == ("segmenter", 32, 3)
    labels = model.session(threads=1).segment(np.zeros((1, 1, 32, 32), np.float32))
    assert labels.shape[-2:] == (32, 32) and set(np.unique(labels)) <= {0, 1, 2}


@pytest.mark.parametrize("arguments,error,match", [
    (("segmenter",), None, None),
    (("unet",), "InvalidArgumentError", "kind must be one of"),
    ((3,), TypeError, "kind must be a str"),
    (("segmenter", 30), "InvalidArgumentError", "segmenter"),
    (("segmenter", 4096), "InvalidArgumentError", "image_size 4096"),
    (("generator", 64, 1), "InvalidArgumentError", "classes 1"),
    (("generator", 64.0), TypeError, "image_size must be an int"),
])
def test_arguments_are_checked(tmp_path, arguments, error, match):
    target = tmp_path / "m.safetensors"
    if error is None:
        medaug.init_model(target, *arguments, image_size=32)
        assert target.exists()
        return
    exception = getattr(medaug, error) if isinstance(error, str) else error
    with pytest.raises(exception, match=match):
        medaug.init_model(target, *arguments)
    assert not target.exists()


def test_unwritable_path_is_a_file_error_and_leaves_nothing(tmp_path):
    with pytest.raises(medaug.FileError):
        medaug.init_model(tmp_path / "missing-folder" / "s.safetensors", "segmenter", image_size=32)
    assert not (tmp_path / "missing-folder").exists()
