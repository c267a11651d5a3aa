"""The imaging commands end to end, checked with independent readers
(nibabel, tifffile, numpy): inspect, prepare, augment."""
import json
import os

import numpy as np
import pytest
from medaug_cli import medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
tifffile = pytest.importorskip("tifffile")

pytestmark = requires_binary


@pytest.fixture()
def volumes(tmp_path):
    """A 24x20x30 LPS-stored T1-like volume with scl_slope and a label volume
    (0 outside a box, 1 in it, 4 in a sphere)."""
    rng = np.random.default_rng(0)
    x, y, z = np.meshgrid(np.arange(24), np.arange(20), np.arange(30), indexing="ij")
    labels = np.zeros((24, 20, 30), np.uint8)
    labels[4:20, 3:17, 2:28] = 1
    labels[(x - 12) ** 2 + (y - 10) ** 2 < 12] = 4
    labels[:, :, :2] = 0
    t1 = (100 + 50 * labels + rng.normal(0, 5, labels.shape)).astype(np.int16)
    affine = np.diag([-1.0, -1.0, 1.2, 1.0])   # LPS storage, 1.2 mm slices
    image = nibabel.Nifti1Image(t1, affine)
    image.header.set_slope_inter(0.5, 10)
    nibabel.save(image, tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, affine), tmp_path / "seg.nii.gz")
    return tmp_path, t1 * 0.5 + 10, labels


def test_inspect_nifti_matches_nibabel(volumes):
    folder, scaled, _ = volumes
    report = json.loads(medaug("inspect", folder / "t1.nii.gz", "--json").stdout)
    assert report["shape"] == [24, 20, 30]
    assert report["orientation"] == "LPS"
    assert report["min"] == pytest.approx(scaled.min())
    assert report["max"] == pytest.approx(scaled.max())
    assert report["mean"] == pytest.approx(scaled.mean(), rel=1e-6)
    # nibabel applies scl_slope/scl_inter when reading dataobj.
    canonical = np.asarray(nibabel.as_closest_canonical(nibabel.load(folder / "t1.nii.gz")).dataobj, np.float64)
    axial = json.loads(medaug("inspect", folder / "t1.nii.gz", "--plane", "axial", "--slice", 7, "--json").stdout)
    assert axial["mean"] == pytest.approx(canonical[:, :, 7].mean(), rel=1e-6)
    bad = medaug("inspect", folder / "nothing.nii.gz", check=False)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1


def test_prepare_writes_a_dataset_folder(volumes):
    folder, _, labels = volumes
    out = folder / "dataset"
    medaug("prepare", "--image", folder / "t1.nii.gz", "--labels", folder / "seg.nii.gz",
           "--classes", "background,core,enhancing", "--label-values", "0,1,4", "--plane", "axial",
           "--size", 32, "--train-count", 6, "--gap", 1, "--min-foreground", 0.1, "--seed", 3, "--out", out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "medaug-dataset" and manifest["version"] == 1
    assert manifest["label_values"] == [0, 1, 4]
    splits = [item["split"] for item in manifest["items"]]
    assert splits.count("train") == 6 and "val" in splits and "test" in splits
    for item in manifest["items"]:
        image = tifffile.imread(out / item["image"])
        mask = tifffile.imread(out / item["mask"])
        assert image.dtype == np.uint16 and image.shape == (32, 32)
        assert set(np.unique(mask)) <= {0, 1, 4}
        assert item["synthetic"] is False and item["source"]["plane"] == "axial"
    # Refuses to overwrite without --overwrite; an error leaves no partial folder.
    again = medaug("prepare", "--image", folder / "t1.nii.gz", "--labels", folder / "seg.nii.gz",
                   "--classes", "background,core,enhancing", "--label-values", "0,1,4", "--out", out, check=False)
    assert again.returncode != 0
    wrong = medaug("prepare", "--image", folder / "t1.nii.gz", "--labels", folder / "seg.nii.gz",
                   "--classes", "background,core", "--label-values", "0,1", "--out", folder / "wrong", check=False)
    assert wrong.returncode != 0 and "label value 4" in wrong.stderr
    assert not (folder / "wrong").exists()
    assert not [p for p in os.listdir(folder) if "partial" in p]


def test_augment_pairs_keep_labels(tmp_path):
    image = (np.arange(48 * 40, dtype=np.uint16).reshape(48, 40) * 7) % 60000
    mask = np.zeros((48, 40), np.uint8)
    mask[10:30, 8:25] = 2
    mask[15:20, 12:18] = 5
    tifffile.imwrite(tmp_path / "i.tif", image)
    tifffile.imwrite(tmp_path / "m.tif", mask)
    pipeline = tmp_path / "p.json"
    pipeline.write_text(json.dumps({"border": {"mode": "constant", "value": 0}, "operations": [
        {"type": "rotate", "degrees": [-20, 20]}, {"type": "elastic", "alpha_mm": [1, 3], "sigma_mm": 10},
        {"type": "flip", "probability": 0.5, "axis": "vertical"}]}))
    medaug("augment", "--image", tmp_path / "i.tif", "--mask", tmp_path / "m.tif", "--pipeline", pipeline,
           "--count", 4, "--seed", 9, "--out-prefix", tmp_path / "a")
    for i in range(4):
        out = tifffile.imread(tmp_path / f"a-{i:04d}.tif")
        out_mask = tifffile.imread(tmp_path / f"a-{i:04d}-mask.tif")
        assert out.dtype == np.uint16 and out.shape == image.shape
        assert set(np.unique(out_mask)) <= {0, 2, 5}
    first = tifffile.imread(tmp_path / "a-0000.tif")
    medaug("augment", "--image", tmp_path / "i.tif", "--mask", tmp_path / "m.tif", "--pipeline", pipeline,
           "--count", 1, "--seed", 9, "--out-prefix", tmp_path / "b")
    assert np.array_equal(first, tifffile.imread(tmp_path / "b-0000.tif")), "same seed, same pair"


def test_augment_refuses_non_finite_images_and_writes_nothing(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    image = np.zeros((16, 16), np.float32)
    image[3, 5] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", image)
    tifffile.imwrite(tmp_path / "mask.tif", np.zeros((16, 16), np.uint8))
    result = medaug("augment", "--image", tmp_path / "nan.tif", "--mask", tmp_path / "mask.tif",
                    "--out", tmp_path / "aug", check=False)
    assert result.returncode != 0
    assert "(row 3, column 5) of channel 0 is nan" in result.stderr and "finite" in result.stderr, result.stderr
    assert not list(tmp_path.glob("aug-*"))
