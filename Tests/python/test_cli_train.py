"""`medaug train-seg` end to end on a tiny dataset made by `medaug prepare`:
the JSON-lines log, the paper's checkpoint rule, and a weights file the
engine loads."""
import json

import numpy as np
import pytest
from medaug_cli import gan_dataset, medaug, nested_labels, requires_binary

nibabel = pytest.importorskip("nibabel")
pytestmark = requires_binary


def test_train_seg_logs_epochs_and_saves_the_best(tmp_path):
    labels = nested_labels()
    t1 = (50 + 60 * labels + np.random.default_rng(1).normal(0, 4, labels.shape)).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(t1, np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    data = tmp_path / "data"
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,core", "--plane", "axial", "--size", 16, "--train-count", 8,
           "--gap", 1, "--out", data)
    out, log = tmp_path / "seg.safetensors", tmp_path / "seg.jsonl"
    medaug("train-seg", "--data", data, "--out", out, "--last", tmp_path / "last.safetensors", "--log", log,
           "--epochs", 4, "--batch", 4, "--depth", 2, "--base-filters", 4, "--learning-rate", 0.01, "--seed", 3)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    for r in records:
        assert set(r) == {"epoch", "loss", "val_loss", "val_dice", "seconds", "saved"}
        assert np.isfinite(r["loss"]) and np.isfinite(r["val_loss"]) and r["seconds"] > 0
    # The paper's rule: saved exactly when the validation loss beats every earlier one.
    best = float("inf")
    for r in records:
        assert r["saved"] == (r["val_loss"] < best)
        best = min(best, r["val_loss"])
    info = medaug("model", "info", out).stdout
    config = json.loads(info.splitlines()[0])
    assert config["kind"] == "segmenter" and config["classes"] == ["background", "tissue", "core"]
    assert config["inference"] == {"dropout": False, "normalization": "running"}
    assert (tmp_path / "last.safetensors").exists()
    check_pictures(tmp_path / "seg.samples.png", tmp_path / "seg.curves.svg", rows=4, panels=2, epochs=4)
    bad = medaug("train-seg", "--data", tmp_path / "nothing", "--out", tmp_path / "x.safetensors", check=False)
    assert bad.returncode != 0 and "manifest.json" in bad.stderr and not (tmp_path / "x.safetensors").exists()


def test_train_gan_logs_epochs_and_writes_a_generator_the_engine_runs(tmp_path):
    labels = nested_labels()
    t1 = (50 + 60 * labels).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(t1, np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    data = tmp_path / "data"
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,core", "--plane", "axial", "--size", 16, "--train-count", 6,
           "--gap", 1, "--out", data)
    out, log = tmp_path / "g.safetensors", tmp_path / "gan.jsonl"
    medaug("train-gan", "--data", data, "--out", out, "--discriminator-out", tmp_path / "d.safetensors",
           "--log", log, "--epochs", 3, "--down-filters", "4,8", "--discriminator-filters", "4,8,8",
           "--learning-rate", 0.002, "--seed", 5)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    for r in records:
        assert set(r) == {"epoch", "g_loss", "d_loss", "l1", "val_loss", "seconds", "saved"}
        assert all(np.isfinite(r[k]) for k in ("g_loss", "d_loss", "l1", "val_loss"))
    best = float("inf")
    for r in records:
        assert r["saved"] == (r["val_loss"] < best)
        best = min(best, r["val_loss"])
    config = json.loads(medaug("model", "info", out).stdout.splitlines()[0])
    assert config["kind"] == "generator" and config["inference"] == {"dropout": True, "normalization": "instance"}
    assert "ms per image" in medaug("run", "--model", out, "--random-input", 1).stdout
    assert json.loads(medaug("model", "info", tmp_path / "d.safetensors").stdout.splitlines()[0])["kind"] == "discriminator"
    check_pictures(tmp_path / "g.samples.png", tmp_path / "g.curves.svg", rows=4, panels=3, epochs=3)


def check_pictures(png, svg, rows, panels, epochs):
    """The sample grid decodes (Pillow, an independent PNG reader) to rows x 3
    tiles with the label palette in the mask column; the SVG parses and has
    one panel per loss group with a curve through every epoch."""
    from PIL import Image
    import xml.etree.ElementTree as ET
    with Image.open(png) as picture:
        assert picture.mode == "RGB"
        pixels = np.asarray(picture)
    tile = 16 * 6          # 16-pixel tiles enlarged to at least 96
    assert pixels.shape == (rows * tile + (rows + 1) * 4, 3 * tile + 4 * 4, 3)
    colours = {tuple(c) for c in pixels[4:4 + tile, 4:4 + tile].reshape(-1, 3)}
    assert (0, 0, 0) in colours and len(colours - {(0, 0, 0)}) >= 1
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) >= panels
    assert all(len(line.get("points").split()) == epochs for line in lines)


def test_a_non_finite_loss_stops_training_with_a_message(tmp_path):
    labels = np.zeros((12, 12, 20), np.uint8)
    labels[2:10, 2:10, 1:19] = 1
    nibabel.save(nibabel.Nifti1Image((40 + 50 * labels).astype(np.int16), np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue", "--plane", "axial", "--size", 8, "--gap", 1, "--out", tmp_path / "d")
    # A learning rate of 1e30 overflows the weights after one Adam step.
    result = medaug("train-seg", "--data", tmp_path / "d", "--out", tmp_path / "s.safetensors", "--epochs", 2,
                    "--depth", 1, "--base-filters", 2, "--learning-rate", 1e30, check=False)
    assert result.returncode != 0
    assert "non-finite" in result.stderr and "training stopped" in result.stderr
    assert not (tmp_path / "s.safetensors").exists()
    assert not (tmp_path / "s.samples.png").exists() and not (tmp_path / "s.curves.svg").exists()


def test_a_float_dataset_image_with_nan_is_named_before_any_step(tmp_path):
    """A NaN in a float32 dataset image (hand-made datasets may store
    float32) is named with its file and pixel by train-seg, train-gan and
    expand; it surfaced as a non-finite loss naming no file, or spread
    into every augmented pair."""
    tifffile = pytest.importorskip("tifffile")
    data = gan_dataset(tmp_path)
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["intensity"].update(stored="float32", stored_range=[-1, 1])
    for item in manifest["items"]:
        image = tifffile.imread(data / item["image"]).astype(np.float32) / 65535 * 2 - 1
        tifffile.imwrite(data / item["image"], image)
    first = next(item for item in manifest["items"] if item["split"] == "train")
    image = tifffile.imread(data / first["image"])
    image[3, 5] = np.nan
    tifffile.imwrite(data / first["image"], image)
    (data / "manifest.json").write_text(json.dumps(manifest))
    for command in (["train-seg", "--out", tmp_path / "s.safetensors", "--epochs", 1, "--depth", 1,
                     "--base-filters", 2],
                    ["train-gan", "--down-filters", "4,8", "--discriminator-filters", "4,8,8", "--time-steps", 2],
                    ["expand", "--target", 12, "--generated-share", 0, "--out", tmp_path / "more"]):
        result = medaug(command[0], "--data", data, *command[1:], check=False)
        assert result.returncode == 1, (command[0], result.stderr)
        assert first["image"] in result.stderr and "pixel (row 3, column 5) of channel 0 is nan" in result.stderr, \
            (command[0], result.stderr)
    assert not (tmp_path / "s.safetensors").exists() and not (tmp_path / "more").exists()


def test_train_gan_resumes_to_the_uninterrupted_result(tmp_path):
    data = gan_dataset(tmp_path)
    common = ["--data", data, "--down-filters", "4,8", "--discriminator-filters", "4,8,8",
              "--learning-rate", 0.002, "--seed", 5, "--batch", 2]
    medaug("train-gan", *common, "--out", tmp_path / "whole.safetensors", "--log", tmp_path / "whole.jsonl",
           "--epochs", 3)
    # An interrupted run: 1 epoch, then --resume to 3 (the log is rewritten as one run).
    part = tmp_path / "part.safetensors"
    medaug("train-gan", *common, "--out", part, "--log", tmp_path / "part.jsonl", "--epochs", 1)
    assert (tmp_path / "part.checkpoint.safetensors").exists()
    resumed = medaug("train-gan", *common, "--out", part, "--log", tmp_path / "part.jsonl", "--epochs", 3, "--resume")
    assert "resumed from" in resumed.stderr and "after epoch 1" in resumed.stderr
    assert part.read_bytes() == (tmp_path / "whole.safetensors").read_bytes()

    def without_seconds(path):
        return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in path.read_text().splitlines()]
    assert without_seconds(tmp_path / "part.jsonl") == without_seconds(tmp_path / "whole.jsonl")
    # Another seed cannot continue this checkpoint.
    other = medaug("train-gan", *common[:-4], "--seed", 6, "--batch", 2, "--out", part, "--epochs", 4, "--resume",
                   check=False)
    assert other.returncode != 0 and "another run" in other.stderr and "seed 5, this run 6" in other.stderr


def test_train_gan_pipeline_augments_pairs_and_refuses_bad_files(tmp_path):
    """--pipeline jitter (pix2pix's) or a JSON file changes the training (same
    seed, other weights), repeats exactly, and a bad file is refused before
    any training with nothing written."""
    data = gan_dataset(tmp_path)
    common = ["--data", data, "--down-filters", "4,8", "--discriminator-filters", "4,8,8", "--epochs", 2, "--seed", 5]
    plain, jitter, again = (tmp_path / f"{n}.safetensors" for n in ("plain", "jitter", "again"))
    medaug("train-gan", *common, "--out", plain)
    medaug("train-gan", *common, "--out", jitter, "--pipeline", "jitter")
    medaug("train-gan", *common, "--out", again, "--pipeline", "jitter")
    assert jitter.read_bytes() == again.read_bytes() and jitter.read_bytes() != plain.read_bytes()
    flip = tmp_path / "flip.json"
    flip.write_text('{"operations": [{"type": "flip", "probability": 0.5, "axis": "horizontal"}]}')
    medaug("train-gan", *common, "--out", tmp_path / "flip.safetensors", "--pipeline", flip)
    bad = tmp_path / "bad.json"
    bad.write_text('{"operations": [{"type": "rotate", "probability": 2, "degrees": [0, 10]}]}')
    refused = medaug("train-gan", *common, "--out", tmp_path / "bad.safetensors", "--pipeline", bad, check=False)
    assert refused.returncode != 0 and "probability" in refused.stderr
    assert not (tmp_path / "bad.safetensors").exists() and not (tmp_path / "bad.checkpoint.safetensors").exists()


def test_train_gan_time_steps_prints_json_and_writes_nothing(tmp_path):
    data = gan_dataset(tmp_path)
    before = set(tmp_path.rglob("*"))
    result = medaug("train-gan", "--data", data, "--down-filters", "4,8", "--discriminator-filters", "4,8,8",
                    "--time-steps", 3)
    report = json.loads(result.stdout)
    times = report["ms_per_step"]
    assert len(times) == 3 and all(t > 0 for t in times)
    assert report["cpu_tier"] in ("generic", "avx2", "avx512", "neon") and report["blas"].startswith("OpenBLAS ")
    assert set(tmp_path.rglob("*")) == before
    missing = medaug("train-gan", "--data", data, check=False)
    assert missing.returncode != 0 and "--out is required" in missing.stderr


def conv_weights(path):
    import medaug_binding  # noqa: F401  (puts the package on the path)
    from medaug._safetensors_io import load
    _, tensors = load(path)
    return {name: values for name, values in tensors.items() if name.endswith("conv.weight")}


def test_init_starts_training_from_given_weights_of_the_same_architecture(tmp_path):
    data = gan_dataset(tmp_path)
    first = tmp_path / "first.safetensors"
    common = ["--epochs", 1, "--batch", 2, "--depth", 2, "--base-filters", 4]
    medaug("train-seg", "--data", data, "--out", first, *common, "--seed", 3)
    # A rate so small that Adam cannot move a weight: the run ends where --init started it.
    again = tmp_path / "again.safetensors"
    medaug("train-seg", "--data", data, "--out", again, *common, "--seed", 9, "--learning-rate", 1e-30,
           "--init", first)
    start, end = conv_weights(first), conv_weights(again)
    assert start and all(np.array_equal(start[name], end[name]) for name in start)
    fresh = tmp_path / "fresh.safetensors"
    medaug("train-seg", "--data", data, "--out", fresh, *common, "--seed", 9, "--learning-rate", 1e-30)
    assert not all(np.array_equal(start[name], conv_weights(fresh)[name]) for name in start)

    wrong = medaug("train-seg", "--data", data, "--out", tmp_path / "w.safetensors", "--epochs", 1, "--depth", 2,
                   "--base-filters", 8, "--init", first, check=False)
    assert wrong.returncode != 0 and "file 4, network 8" in wrong.stderr, wrong.stderr
    missing = medaug("train-seg", "--data", data, "--out", tmp_path / "w.safetensors", "--init",
                     tmp_path / "missing.safetensors", check=False)
    assert missing.returncode != 0 and "--init" in missing.stderr and "missing.safetensors" in missing.stderr


def test_train_gan_init_takes_a_generator_whose_classes_are_named_otherwise(tmp_path):
    data = gan_dataset(tmp_path)
    made = tmp_path / "made.safetensors"
    medaug("model", "init", "--kind", "generator", "--image-size", 16, "--classes", 3, "--down-filters", "4,8",
           "--seed", 4, "--out", made)
    out = tmp_path / "g.safetensors"
    medaug("train-gan", "--data", data, "--out", out, "--last", tmp_path / "last.safetensors", "--epochs", 1,
           "--down-filters", "4,8", "--discriminator-filters", "4,8,8", "--learning-rate", 1e-30, "--init", made)
    start, end = conv_weights(made), conv_weights(tmp_path / "last.safetensors")
    assert start and all(np.array_equal(start[name], end[name]) for name in start)
    wrong = medaug("train-gan", "--data", data, "--out", out, "--epochs", 1, "--down-filters", "8,8",
                   "--discriminator-filters", "4,8,8", "--init", made, check=False)
    assert wrong.returncode != 0 and "down_filters: file [4,8], network [8,8]" in wrong.stderr, wrong.stderr
