"""`medaug generate`, `segment` and `evaluate` end to end on models from
`medaug model init` and a dataset from `medaug prepare`; evaluate's numbers
are checked against numpy on the same predictions."""
import json

import numpy as np
import pytest
from medaug_cli import medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
tifffile = pytest.importorskip("tifffile")
pytestmark = requires_binary


@pytest.fixture
def setup(tmp_path):
    x, y, z = np.meshgrid(np.arange(16), np.arange(16), np.arange(24), indexing="ij")
    labels = np.zeros((16, 16, 24), np.uint8)
    labels[(x - 8) ** 2 + (y - 8) ** 2 < 40] = 1
    labels[(x - 8) ** 2 + (y - 8) ** 2 < 9] = 4
    labels[:, :, :1] = 0
    nibabel.save(nibabel.Nifti1Image((60 + 50 * labels).astype(np.int16), np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,lesion", "--label-values", "0,1,4", "--plane", "axial", "--size", 16,
           "--train-count", 6, "--gap", 1, "--out", tmp_path / "data")
    common = ["--image-size", 16, "--classes", 3, "--label-values", "0,1,4"]
    medaug("model", "init", "--kind", "generator", *common, "--down-filters", "4,8", "--output", tmp_path / "g.safetensors")
    medaug("model", "init", "--kind", "segmenter", *common, "--depth", 2, "--base-filters", 4,
           "--output", tmp_path / "s.safetensors")
    return tmp_path


def test_generate_writes_seeded_samples(setup):
    mask = setup / "data" / json.loads((setup / "data" / "manifest.json").read_text())["items"][0]["mask"]
    medaug("generate", "--model", setup / "g.safetensors", "--labels", mask, "--samples", 2, "--seed", 4,
           "--dropout", "on", "--out-dir", setup / "gen")
    stem = mask.stem
    a, b = tifffile.imread(setup / "gen" / f"{stem}-0.tif"), tifffile.imread(setup / "gen" / f"{stem}-1.tif")
    assert a.shape == (16, 16) and a.dtype == np.float32 and np.all(np.abs(a) <= 1)
    assert not np.array_equal(a, b), "different dropout seeds"
    medaug("generate", "--model", setup / "g.safetensors", "--labels", mask, "--seed", 4, "--dropout", "on",
           "--stored-range", "0,1000", "--out-dir", setup / "gen2")
    stored = tifffile.imread(setup / "gen2" / f"{stem}-0.tif")
    assert stored.dtype == np.uint16
    np.testing.assert_allclose(stored, np.round((a + 1) / 2 * 1000), atol=1)
    bad = setup / "bad.tif"
    tifffile.imwrite(bad, np.full((16, 16), 2, np.uint8))
    result = medaug("generate", "--model", setup / "g.safetensors", "--labels", bad, "--out-dir", setup / "x", check=False)
    assert result.returncode != 0 and "2" in result.stderr
    wrong = medaug("generate", "--model", setup / "s.safetensors", "--labels", mask, "--out-dir", setup / "x", check=False)
    assert wrong.returncode != 0 and "needs a generator" in wrong.stderr


def test_segment_and_evaluate_agree_with_numpy(setup):
    manifest = json.loads((setup / "data" / "manifest.json").read_text())
    tests = [i for i in manifest["items"] if i["split"] == "test"]
    images = [setup / "data" / i["image"] for i in tests]
    medaug("segment", "--model", setup / "s.safetensors", *sum((["--image", p] for p in images), []),
           "--range", "0,65535", "--probabilities", "--out-dir", setup / "seg")
    report = json.loads(medaug("evaluate", "--model", setup / "s.safetensors", "--data", setup / "data",
                               "--split", "test", "--json", "--per-image").stdout)
    assert report["images"] == len(tests) and len(report["per_image"]) == len(tests)
    # The dataset stores uint16 over [0, 65535] as [-1, 1]: --range 0,65535 is the same mapping.
    lut = {0: 0, 1: 1, 4: 2}
    pred = np.stack([np.vectorize(lut.get)(tifffile.imread(setup / "seg" / f"{p.stem}-mask.tif")) for p in images])
    truth = np.stack([np.vectorize(lut.get)(tifffile.imread(setup / "data" / i["mask"])) for i in tests])
    assert report["micro"]["accuracy"] == pytest.approx(np.mean(pred == truth), abs=1e-9)
    for k in range(3):
        denominator = np.sum(pred == k) + np.sum(truth == k)
        expected = None if denominator == 0 else 2 * np.sum((pred == k) & (truth == k)) / denominator
        assert report["micro"]["per_class_dice"][k] == pytest.approx(expected)
    probabilities = tifffile.imread(setup / "seg" / f"{images[0].stem}-probabilities.tif")
    assert probabilities.shape == (3, 16, 16)
    np.testing.assert_allclose(probabilities.sum(axis=0), 1, atol=1e-5)
    text = medaug("evaluate", "--model", setup / "s.safetensors", "--data", setup / "data", "--split", "test").stdout
    assert "mean Dice" in text and "lesion" in text
    wrong = medaug("evaluate", "--model", setup / "g.safetensors", "--data", setup / "data", check=False)
    assert wrong.returncode != 0 and "needs a segmenter" in wrong.stderr


def test_segment_takes_images_of_any_size(setup):
    """A 10x16 slice is padded to the model's 16x16 (its longer side fits):
    its labels are the padded image's centre rows exactly. A 40x24 slice is
    resized there and back: labels and probabilities at its own size."""
    rng = np.random.default_rng(4)
    small = rng.integers(1000, 60000, (10, 16)).astype(np.uint16)
    padded = np.zeros((16, 16), np.uint16)          # 0 maps to -1, the padding value
    padded[3:13] = small
    big = rng.integers(0, 65535, (40, 24)).astype(np.uint16)
    for name, image in (("small", small), ("padded", padded), ("big", big)):
        tifffile.imwrite(setup / f"{name}.tif", image)
    medaug("segment", "--model", setup / "s.safetensors", "--image", setup / "small.tif", "--image",
           setup / "padded.tif", "--image", setup / "big.tif", "--range", "0,65535", "--probabilities",
           "--out", setup / "any")
    small_labels = tifffile.imread(setup / "any" / "small-mask.tif")
    assert small_labels.shape == (10, 16)
    np.testing.assert_array_equal(small_labels, tifffile.imread(setup / "any" / "padded-mask.tif")[3:13])
    big_labels = tifffile.imread(setup / "any" / "big-mask.tif")
    assert big_labels.shape == (40, 24) and set(np.unique(big_labels)) <= {0, 1, 4}
    probabilities = tifffile.imread(setup / "any" / "big-probabilities.tif")
    assert probabilities.shape == (3, 40, 24)
    np.testing.assert_allclose(probabilities.sum(axis=0), 1, atol=1e-5)
