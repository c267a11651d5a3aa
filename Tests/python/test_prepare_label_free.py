"""medaug prepare normalises and crops with a label-free foreground (since
0.3.0), so an unlabelled volume can be prepared alike at inference; the rule
is recorded in the manifest and copied by train-seg into the model config
(key "preparation", docs/weights-format.md)."""
import json

import numpy as np
import pytest
from medaug_cli import medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
tifffile = pytest.importorskip("tifffile")

pytestmark = requires_binary


@pytest.fixture()
def body(tmp_path):
    """A 40x36x24 body (intensity 200..400) in air (0), of which the labels
    cover only an organ (a small box of intensity ~1000)."""
    rng = np.random.default_rng(5)
    image = np.zeros((40, 36, 24), np.float32)
    image[4:36, 6:30, :] = 200 + 200 * rng.random((32, 24, 24))
    image[16:24, 14:22, 2:22] = 1000 + 10 * rng.random((8, 8, 20))
    labels = np.zeros(image.shape, np.uint8)
    labels[16:24, 14:22, 2:22] = 1
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    nibabel.save(nibabel.Nifti1Image(image, affine), tmp_path / "ct.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, affine), tmp_path / "organ.nii.gz")
    return tmp_path, image


def prepare(folder, *extra):
    out = folder / "data"
    medaug("prepare", "--image", folder / "ct.nii.gz", "--labels", folder / "organ.nii.gz",
           "--classes", "background,organ", "--plane", "axial", "--size", 32, "--train-count", 4, "--gap", 1,
           "--min-foreground", 0.01, "--out", out, *extra)
    return out, json.loads((out / "manifest.json").read_text())


def test_percentiles_and_crop_come_from_the_image_not_the_labels(body):
    folder, image = body
    out, manifest = prepare(folder)
    assert manifest["preparation"] == {
        "plane": "axial", "spacing_mm": manifest["spacing_mm"], "crop": {"rule": "foreground_box", "margin": 0.05},
        "normalization": {"rule": "percentiles", "percentiles": [0.5, 99.5], "foreground": "label_free"}}
    # The non-zero rule: air is exactly 0 and fills >= 5 % of the volume.
    foreground = image[image != 0]
    low, high = np.percentile(foreground, [0.5, 99.5])
    for item in manifest["items"]:
        (bounds,) = item["source"]["intensity_bounds"]
        assert bounds == pytest.approx([low, high], rel=1e-5)
    # The crop is the body's box (32x24 in plane, + 5 %), not the organ's (8x8):
    # the organ covers a small share of each prepared slice.
    item = manifest["items"][0]
    mask = tifffile.imread(out / item["mask"])
    assert 0 < (mask == 1).mean() < 0.15
    # 32 (+ 2 x 2 margin) rows of 1 mm across 32 pixels.
    assert manifest["spacing_mm"] == pytest.approx([36 / 32, 36 / 32])


def test_train_seg_copies_the_record_into_the_model(body):
    folder, _ = body
    out, manifest = prepare(folder)
    model = folder / "seg.safetensors"
    medaug("train-seg", "--data", out, "--out", model, "--epochs", 1, "--depth", 2, "--base-filters", 4)
    config = json.loads(medaug("model", "info", model).stdout)
    assert config["preparation"] == manifest["preparation"]


def test_the_python_helper_uses_the_same_rule_as_prepare(body, tmp_path):
    import medaug_binding  # noqa: F401
    import medaug
    folder, image = body
    _, manifest = prepare(folder)
    (bounds,) = manifest["items"][0]["source"]["intensity_bounds"]
    normalized, (low, high) = medaug.normalize_intensities(image)
    assert (low, high) == pytest.approx(bounds, rel=1e-5)
    assert normalized.min() == -1 and normalized.max() == 1
    # Otsu for a CT-like volume (air at -1000, no exact zeros): the same bounds as prepare.
    ct = np.where(image == 0, -1000, image - 1000).astype(np.float32)
    nibabel.save(nibabel.Nifti1Image(ct, np.diag([1.0, 1.0, 2.0, 1.0])), folder / "ct.nii.gz")
    _, manifest = prepare(folder, "--overwrite")
    (bounds,) = manifest["items"][0]["source"]["intensity_bounds"]
    assert medaug.normalize_intensities(ct)[1] == pytest.approx(bounds, rel=1e-5)
    mask = medaug.foreground_mask(ct)
    assert not mask[image == 0].any() and mask[image > 900].all()   # no air; the organ


def test_nan_voxels_are_no_data(body):
    """NaN voxels (SPM and FSL write them outside a brain mask) count for no
    percentile and map to -1, the background's end (stored 0): prepare
    trapped on them, and segment --volume refused the volume."""
    import medaug_binding  # noqa: F401
    import medaug as library
    folder, image = body
    image = image.copy()
    image[4:36, 6:9, :] = np.nan                       # inside the body's box, so inside the crop
    nibabel.save(nibabel.Nifti1Image(image, np.diag([1.0, 1.0, 2.0, 1.0])), folder / "ct.nii.gz")
    out, manifest = prepare(folder, "--overwrite")
    finite = image[np.isfinite(image) & (image != 0)]
    for item in manifest["items"]:
        (bounds,) = item["source"]["intensity_bounds"]
        assert bounds == pytest.approx(np.percentile(finite, [0.5, 99.5]), rel=1e-5)
    normalized, (low, high) = library.normalize_intensities(image)
    assert (low, high) == pytest.approx(bounds, rel=1e-5)
    assert (normalized[np.isnan(image)] == -1).all() and np.isfinite(normalized).all()
    # The NaN columns are the crop's first stored columns: 0 (network -1) after the padding's -1 rows.
    pages = tifffile.imread(out / manifest["items"][0]["image"])
    assert pages.dtype == np.uint16 and (pages == 0).any()
    model = folder / "seg.safetensors"
    medaug("model", "init", "--kind", "segmenter", "--image-size", 32, "--classes", 2, "--depth", 2, "--out", model)
    medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--out", folder / "seg.nii.gz")
    assert nibabel.load(folder / "seg.nii.gz").shape == image.shape


@pytest.mark.parametrize("bad", [np.nan, np.inf, 3e9])
def test_float_label_volumes_with_no_integer_label_are_named_errors(body, bad):
    """A float32 label volume's NaN, infinity or value beyond Int32 trapped
    in the conversion to a label; now an error naming the file and voxel."""
    folder, _ = body
    labels = np.asarray(nibabel.load(folder / "organ.nii.gz").dataobj).astype(np.float32)
    labels[0, 0, 0] = bad
    nibabel.save(nibabel.Nifti1Image(labels, np.diag([1.0, 1.0, 2.0, 1.0])), folder / "organ.nii.gz")
    result = medaug("prepare", "--image", folder / "ct.nii.gz", "--labels", folder / "organ.nii.gz",
                    "--classes", "background,organ", "--plane", "axial", "--size", 32, "--out", folder / "data",
                    check=False)
    assert result.returncode == 1, result.stderr
    assert "organ.nii.gz" in result.stderr and "is not an integer label" in result.stderr, result.stderr
    assert not (folder / "data").exists()
