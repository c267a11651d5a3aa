"""pytest suite for the binding's data functions: augment, expand, expand_dataset,
metrics, read_image/write_image, read_volume, against independent references
(numpy for metrics, tifffile and nibabel for files).

Needs the debug build: .build/debug/libMedaugC.so and .build/debug/medaug
(or MEDAUG_LIBRARY and MEDAUG_BIN). Skips with a message when they are missing.

    python3 -m pytest -q Tests/python/test_binding_data.py
"""
import json
import os
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy")

from medaug_binding import GENERATOR_VALUES, ROOT, SIDE, make_dataset, make_models, medaug  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_models(tmp_path_factory.mktemp("models"))


tifffile = pytest.importorskip("tifffile")
nibabel = pytest.importorskip("nibabel")


def _pairs(n=3):
    """Real pairs: tissue disk (1) with a lesion (4) on pair 0 and 2 only."""
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    masks = np.zeros((n, SIDE, SIDE), np.int32)
    for i in range(n):
        masks[i][(y - 16) ** 2 + (x - 16) ** 2 < 150] = 1
        if i % 2 == 0:
            masks[i][(y - 12 - i) ** 2 + (x - 14) ** 2 < 9] = 4
    images = np.stack([[m / 4.0 - 0.5] for m in masks]).astype(np.float32)   # one channel, as the test generator
    return images, masks


# augment

def test_augment_is_seeded_moves_image_and_mask_together_and_works_in_2d():
    images, masks = _pairs(1)
    pipeline = {"operations": [{"type": "flip", "probability": 1, "axis": "horizontal"}]}
    image, mask = medaug.augment(np.concatenate([images[0], images[0] * 2]), masks[0], pipeline, seed=3)
    np.testing.assert_array_equal(image, np.concatenate([images[0], images[0] * 2])[:, :, ::-1])
    np.testing.assert_array_equal(mask, masks[0][:, ::-1])
    a = medaug.augment(images[0][0], masks[0], seed=9)      # 2-D image, the paper's pipeline
    b = medaug.augment(images[0][0], masks[0], seed=9)
    assert a[0].shape == (SIDE, SIDE) and a[0].dtype == np.float32 and a[1].dtype == np.int32
    np.testing.assert_array_equal(a[0], b[0])
    assert any(not np.array_equal(medaug.augment(images[0][0], masks[0], seed=s)[1], a[1]) for s in range(10, 20))


def test_augment_errors():
    images, masks = _pairs(1)
    bad = images[0].copy()
    bad[0, 1, 2] = np.nan
    with pytest.raises(medaug.InvalidArgumentError, match="finite"):
        medaug.augment(bad, masks[0])
    with pytest.raises(medaug.InvalidArgumentError, match="pipeline"):
        medaug.augment(images[0], masks[0], '{"operations": [{"type": "spin"}]}')
    with pytest.raises(medaug.ShapeError):
        medaug.augment(images[0], masks[0][:5])
    with pytest.raises(TypeError, match="mask must be an array of integers"):
        medaug.augment(images[0], masks[0].astype(np.float32))
    with pytest.raises(TypeError, match="seed must be an int"):
        medaug.augment(images[0], masks[0], seed="7")
    with pytest.raises(TypeError, match="image must be an array of real numbers"):
        medaug.augment(np.array([["a"]]), masks[0])


def test_augment_draws_fresh_randomness_by_default_and_takes_1hw_masks():
    images, masks = _pairs(1)
    pipeline = {"operations": [{"type": "rotate", "probability": 1, "degrees": [-30, 30]}]}
    seeded = [medaug.augment(images[0], masks[0], pipeline, seed=3)[0] for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    fresh = [medaug.augment(images[0], masks[0], pipeline)[0] for _ in range(3)]
    assert any(not np.array_equal(fresh[0], other) for other in fresh[1:])
    image, mask = medaug.augment(images[0], masks[0][np.newaxis], pipeline, seed=3)
    assert mask.shape == (1,) + masks[0].shape
    np.testing.assert_array_equal(image, seeded[0])


def test_write_image_refuses_channels_last(tmp_path):
    rgb = np.zeros((64, 48, 3), np.float32)
    with pytest.raises(medaug.ShapeError, match="channels-last"):
        medaug.write_image(tmp_path / "rgb.tif", rgb)
    assert not (tmp_path / "rgb.tif").exists()
    medaug.write_image(tmp_path / "rgb.tif", np.moveaxis(rgb, -1, 0))
    assert medaug.image_page_count(tmp_path / "rgb.tif") == 3


def test_metrics_take_label_values_and_brats_regions():
    rng = np.random.default_rng(4)
    values = np.array([0, 1, 2, 4])
    truth = values[rng.integers(0, 4, (2, 16, 16))]
    pred = truth.copy()
    pred[0, :4] = 0
    by_value = medaug.metrics(pred, truth, 4, label_values=[0, 1, 2, 4], regions="brats", hausdorff=False)
    indices = np.searchsorted(values, pred), np.searchsorted(values, truth)
    by_index = medaug.metrics(*indices, 4, regions={"whole_tumour": [1, 2, 3], "tumour_core": [1, 3],
                                                    "enhancing_tumour": [3]}, hausdorff=False)
    assert by_value["micro"] == by_index["micro"]
    assert {r["name"] for r in by_value["micro"]["regions"]} == {"whole_tumour", "tumour_core", "enhancing_tumour"}
    with pytest.raises(medaug.InvalidArgumentError, match="label value 3"):
        medaug.metrics(np.full((4, 4), 3), np.zeros((4, 4), int), 4, label_values=[0, 1, 2, 4])
    with pytest.raises(medaug.InvalidArgumentError, match="needs label values 1, 2 and 4"):
        medaug.metrics(np.zeros((4, 4), int), np.zeros((4, 4), int), 3, regions="brats", label_values=[0, 1, 2])


# expand

def test_expand_thirty_style_with_progress_and_origins(models):
    images, masks = _pairs(3)
    calls = []
    result = medaug.expand(images, masks, 12, models["generator"], edit_labels=[4], edit_share=1, seed=5,
                           progress=lambda done, total: calls.append((done, total)))
    assert result.images.shape == (12, 1, SIDE, SIDE) and result.masks.shape == (12, SIDE, SIDE)
    assert calls == [(i, 9) for i in range(1, 10)]
    assert list(result.origins[:3]) == ["real"] * 3
    np.testing.assert_array_equal(result.images[:3], images)
    assert set(result.origins[3:]) <= {"classic", "generated", "generated_edited"}
    assert "generated_edited" in set(result.origins)
    assert set(np.unique(result.masks)) <= set(GENERATOR_VALUES)
    generated = result.images[result.origins != "real"][result.origins[result.origins != "real"] != "classic"]
    assert generated.size and np.all(np.abs(generated) <= 1)
    again = medaug.expand(images, masks, 12, models["generator"], edit_labels=[4], edit_share=1, seed=5)
    np.testing.assert_array_equal(again.images, result.images)
    np.testing.assert_array_equal(again.masks, result.masks)
    classic = medaug.expand(images[:, 0], masks, 6, generated_share=0)
    assert classic.images.shape == (6, SIDE, SIDE) and set(classic.origins[3:]) == {"classic"}


def test_expand_cancellation_and_errors(models):
    images, masks = _pairs(3)
    with pytest.raises(medaug.CancelledError):
        medaug.expand(images, masks, 12, models["generator"], progress=lambda done, total: done < 2)

    class Boom(Exception):
        pass

    def explode(done, total):
        raise Boom()
    with pytest.raises(Boom):
        medaug.expand(images, masks, 12, models["generator"], progress=explode)
    with pytest.raises(medaug.InvalidArgumentError, match="needs a generator"):
        medaug.expand(images, masks, 12)
    bad = masks.copy()
    bad[1, 0, 0] = 2
    with pytest.raises(medaug.InvalidArgumentError, match="label value 2"):
        medaug.expand(images, bad, 12, models["generator"])
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.expand(images, masks, 2, models["generator"])
    with pytest.raises(medaug.ShapeError):
        medaug.expand(images, masks[:2], 12, models["generator"])
    with pytest.raises(medaug.InvalidArgumentError, match="edit"):
        medaug.expand(images, masks, 12, models["generator"], edit_labels=[9])


def test_expand_dataset_writes_a_folder_tifffile_reads(models, tmp_path):
    data = make_dataset(tmp_path / "data")
    out = tmp_path / "out"
    medaug.expand_dataset(data, out, 9, models["generator"], edit_labels=[4], seed=1)
    written = json.loads((out / "manifest.json").read_text())
    assert len(written["items"]) == 9 and sum(i["synthetic"] for i in written["items"]) == 6
    for item in written["items"]:
        assert tifffile.imread(out / item["image"]).shape == (SIDE, SIDE)
        assert set(np.unique(tifffile.imread(out / item["mask"]))) <= set(GENERATOR_VALUES)
    with pytest.raises(medaug.CancelledError):
        medaug.expand_dataset(data, tmp_path / "cancelled", 9, models["generator"], progress=lambda d, t: False)
    assert not (tmp_path / "cancelled").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]
    with pytest.raises(medaug.InvalidArgumentError, match="unknown option"):
        medaug.expand_dataset(data, tmp_path / "x", 9, models["generator"], colour="red")


# metrics

def _numpy_dice(pred, truth, k):
    tp = np.sum((pred == k) & (truth == k))
    denominator = np.sum(pred == k) + np.sum(truth == k)
    return None if denominator == 0 else 2 * tp / denominator


def test_metrics_match_numpy():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (4, 20, 20))
    pred = np.where(rng.random(truth.shape) < 0.8, truth, rng.integers(0, 3, truth.shape))
    report = medaug.metrics(pred, truth, 3, regions={"foreground": [1, 2]})
    micro = report["micro"]
    assert micro["accuracy"] == pytest.approx(np.mean(pred == truth))
    for k in range(3):
        assert micro["per_class_dice"][k] == pytest.approx(_numpy_dice(pred, truth, k))
    assert report["mean_dice"] == pytest.approx(np.mean([_numpy_dice(pred, truth, k) for k in range(3)]))
    fg = medaug.metrics(pred, truth, 3, include_background=False, hausdorff=False)
    assert fg["mean_dice"] == pytest.approx(np.mean([_numpy_dice(pred, truth, k) for k in (1, 2)]))
    assert micro["regions"][0]["dice"] == pytest.approx(_numpy_dice(pred > 0, truth > 0, True))
    assert len(report["per_image"]) == 4
    assert report["macro"]["per_class_dice"][1] == pytest.approx(
        np.mean([_numpy_dice(pred[i], truth[i], 1) for i in range(4)]))
    smoothed = medaug.metrics(pred[0], truth[0], 3, smooth=1.0, hausdorff=False)
    tp = np.sum((pred[0] == 1) & (truth[0] == 1))
    expected = (2 * tp + 1) / (np.sum(pred[0] == 1) + np.sum(truth[0] == 1) + 1)
    assert smoothed["micro"]["per_class_dice"][1] == pytest.approx(expected)
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.metrics(pred, np.full_like(truth, 3), 3)
    with pytest.raises(medaug.ShapeError):
        medaug.metrics(pred, truth[:2], 3)


# files

def test_write_image_is_read_by_tifffile_and_read_image_matches_tifffile(tmp_path):
    rng = np.random.default_rng(1)
    pages = rng.integers(0, 60000, (3, 9, 11)).astype(np.uint16)
    medaug.write_image(tmp_path / "a.tif", pages)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "a.tif"), pages)
    assert medaug.image_page_count(tmp_path / "a.tif") == 3
    np.testing.assert_array_equal(medaug.read_image(tmp_path / "a.tif", page=2), pages[2].astype(np.float32))
    rgb = rng.integers(0, 255, (7, 5, 3)).astype(np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    np.testing.assert_array_equal(medaug.read_image(tmp_path / "rgb.tif"), np.moveaxis(rgb, -1, 0))
    floats = rng.standard_normal((6, 4)).astype(np.float32)
    medaug.write_image(tmp_path / "f.tif", floats)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "f.tif"), floats)
    medaug.write_image(tmp_path / "b.tif", floats * 0 + 200, dtype=np.uint8)
    assert tifffile.imread(tmp_path / "b.tif").dtype == np.uint8


def test_image_errors(tmp_path):
    with pytest.raises(medaug.InvalidArgumentError, match="outside"):
        medaug.write_image(tmp_path / "x.tif", np.full((4, 4), 300.0), dtype=np.uint8)
    # Finite values beyond Int (once a trap converting them) and below it.
    for value in (1e20, -3e38):
        with pytest.raises(medaug.InvalidArgumentError, match="outside 0...65535"):
            medaug.write_image(tmp_path / "x.tif", np.full((4, 4), value), dtype=np.uint16)
    assert not (tmp_path / "x.tif").exists()
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.write_image(tmp_path / "x.tif", np.full((4, 4), np.nan))
    with pytest.raises(medaug.FileError):
        medaug.read_image(tmp_path / "missing.tif")
    (tmp_path / "junk.tif").write_bytes(b"II*\x00" + b"\xff" * 40)
    with pytest.raises(medaug.FormatError):
        medaug.read_image(tmp_path / "junk.tif")
    medaug.write_image(tmp_path / "one.tif", np.zeros((2, 2), np.float32))
    with pytest.raises(medaug.InvalidArgumentError, match="page"):
        medaug.read_image(tmp_path / "one.tif", page=1)


def test_read_volume_matches_nibabel(tmp_path):
    rng = np.random.default_rng(2)
    data = rng.integers(-500, 1500, (6, 5, 4)).astype(np.int16)
    image = nibabel.Nifti1Image(data, np.diag([0.8, 1.0, 2.5, 1.0]))
    image.header.set_slope_inter(0.5, 10)
    nibabel.save(image, tmp_path / "v.nii.gz")
    volume = medaug.read_volume(tmp_path / "v.nii.gz")
    reference = nibabel.load(tmp_path / "v.nii.gz")
    np.testing.assert_allclose(volume.voxels, reference.get_fdata(), rtol=1e-6)
    assert volume.voxel_size == pytest.approx((0.8, 1.0, 2.5))
    with pytest.raises(medaug.FileError):
        medaug.read_volume(tmp_path / "missing.nii")


def test_example_expands_thirty_tiff_pairs_to_three_hundred(models, tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "pairs" / "images").mkdir(parents=True)
    (tmp_path / "pairs" / "masks").mkdir()
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    for i in range(30):
        mask = np.zeros((SIDE, SIDE), np.uint8)
        mask[(y - 16) ** 2 + (x - 16) ** 2 < 150] = 1
        mask[(y - 10 - i % 9) ** 2 + (x - 12 - i % 7) ** 2 < 6] = 4
        tifffile.imwrite(tmp_path / "pairs" / "images" / f"s{i:02d}.tif", (400 + 300 * mask.astype(np.float64) + rng.normal(0, 5, mask.shape)).astype(np.uint16))
        tifffile.imwrite(tmp_path / "pairs" / "masks" / f"s{i:02d}.tif", mask)
    script = os.path.join(ROOT, "bindings", "python", "examples", "expand_folder.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    result = subprocess.run([sys.executable, script, "--pairs", str(tmp_path / "pairs"), "--generator", models["generator"],
                             "--target", "300", "--edit-labels", "4", "--out", str(tmp_path / "out")],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "wrote 300 pairs" in result.stdout
    rows = (tmp_path / "out" / "pairs.csv").read_text().splitlines()
    assert len(rows) == 301 and rows[1].startswith("000.tif,real,s00.tif")
    assert len(list((tmp_path / "out" / "images").iterdir())) == 300
    first = tifffile.imread(tmp_path / "out" / "images" / "000.tif")
    original = tifffile.imread(tmp_path / "pairs" / "images" / "s00.tif").astype(np.float32)
    assert np.abs(first - np.clip(original, *np.percentile(
        np.stack([tifffile.imread(p) for p in sorted((tmp_path / "pairs" / "images").iterdir())]), [0.5, 99.5]))).max() < 1e-2


def test_messages_use_the_python_names_not_the_c_fields():
    """No C struct field, C function name or "0 MiB" in a Python message."""
    image = np.zeros((1, 32, 32), np.float32)
    mask = np.zeros((32, 32), np.int32)
    cases = [
        (lambda: medaug.augment(image, mask, spacing=(-1, 1)), medaug.InvalidArgumentError, "spacing must be positive"),
        (lambda: medaug.augment(image, mask, spacing=(float("nan"), 1)), medaug.InvalidArgumentError, "spacing"),
        (lambda: medaug.augment(image, mask, spacing="1,1"), TypeError, "spacing"),
        (lambda: medaug.metrics(mask, mask, num_classes=-1), medaug.InvalidArgumentError, "num_classes must be in 1...1024; got -1"),
        (lambda: medaug.metrics(mask, mask, num_classes=3, smooth=-1), medaug.InvalidArgumentError, "smooth"),
        (lambda: medaug.metrics(mask, mask, num_classes=3, hausdorff_percentile=200), medaug.InvalidArgumentError,
         "hausdorff_percentile"),
        (lambda: medaug.metrics(mask, mask, num_classes=3, spacing=(0, 1)), medaug.InvalidArgumentError, "spacing"),
        (lambda: medaug.expand(image[None], mask[None], target=4, edit_labels=list(range(2000))),
         medaug.InvalidArgumentError, "edit_labels holds 2000 values"),
        (lambda: medaug.expand(image[None], mask[None], target=4, pipeline="{not json"), medaug.InvalidArgumentError,
         "pipeline"),
    ]
    for call, error, fragment in cases:
        with pytest.raises(error) as caught:
            call()
        text = str(caught.value)
        assert fragment in text, text
        for internal in ("options->", "class_count", "medaug_augment:", "medaug_metrics:", "medaug_expand:",
                         "18446744073709551615"):
            assert internal not in text, text


def test_a_small_memory_limit_is_reported_in_bytes(tmp_path):
    model = medaug.load_model(medaug.init_model(tmp_path / "g.safetensors", "generator", image_size=64, classes=3))
    with pytest.raises(medaug.Error) as caught:
        model.session(memory_limit_bytes=1000).generate(np.zeros((64, 64), np.int32))
    text = str(caught.value)
    assert "1000 bytes" in text and "0 MiB" not in text, text
