"""medaug_limit: each process-wide cap refuses input over it with a message
naming the limit, before the work; the defaults are the header's."""
import numpy as np
import pytest

from medaug_binding import SIDE, make_models, medaug

tifffile = pytest.importorskip("tifffile")
nib = pytest.importorskip("nibabel")

DEFAULTS = {"image_pixels": 8192 * 8192, "volume_voxels": 1 << 28, "model_bytes": 64 << 30, "batch": 1024}


@pytest.fixture
def restore_limits():
    yield
    for name, value in DEFAULTS.items():
        medaug.limit(name, value)


def test_defaults_and_clamping(restore_limits):
    for name, value in DEFAULTS.items():
        assert medaug.limit(name) == value
    assert medaug.limit("batch", 5000) == 1024 and medaug.limit("batch") == 1024      # clamped to the maximum
    assert medaug.limit("batch", 0) == 1024 and medaug.limit("batch") == 1            # clamped to 1
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.limit("pixels")
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.limit("batch", -3)


def test_image_pixels(tmp_path, restore_limits):
    path = tmp_path / "page.tif"
    tifffile.imwrite(path, np.zeros((40, 50), np.uint16))
    assert medaug.read_image(path).shape[-2:] == (40, 50)
    medaug.limit("image_pixels", 40 * 50 - 1)
    with pytest.raises(medaug.InvalidArgumentError, match="limit 1999"):
        medaug.read_image(path)


def test_volume_voxels(tmp_path, restore_limits):
    path = tmp_path / "v.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((6, 5, 4), np.float32), np.eye(4)), str(path))
    assert medaug.read_volume(path).voxels.shape == (6, 5, 4)
    medaug.limit("volume_voxels", 119)
    with pytest.raises(medaug.InvalidArgumentError, match="120"):
        medaug.read_volume(path)


def test_model_bytes_and_batch(tmp_path, restore_limits):
    generator = make_models(tmp_path)["generator"]
    size = (tmp_path / "g.safetensors").stat().st_size
    medaug.limit("model_bytes", size - 1)
    with pytest.raises(medaug.InvalidArgumentError, match="MEDAUG_LIMIT_MODEL_BYTES"):
        medaug.load_model(generator)
    medaug.limit("model_bytes", size)
    with medaug.load_model(generator) as model, model.session() as session:
        labels = np.zeros((3, SIDE, SIDE), np.int32)  # label value 0 is a class
        assert session.generate(labels, seed=1).shape[0] == 3
        medaug.limit("batch", 2)
        with pytest.raises(medaug.InvalidArgumentError, match="MEDAUG_LIMIT_BATCH"):
            session.generate(labels, seed=1)
