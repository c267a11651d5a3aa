"""`medaug experiment --preset tiny` end to end on the real MNI template (fetched
by scripts/fetch-mni into cache/mni): every report file exists and is
well-formed, metrics.json matches a numpy recomputation from the saved test
predictions, its paired comparisons match scipy on the saved per-seed and
per-image values, and the same seed repeats the run exactly."""
import csv
import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats
from medaug_cli import BIN, ROOT, medaug, requires_binary

tifffile = pytest.importorskip("tifffile")
pytestmark = requires_binary
MNI = os.path.join(ROOT, "cache", "mni")
ARMS = {"real", "classic", "gan", "gan_gated", "gan_no_edits", "gmm", "paste"}


@pytest.fixture(scope="module")
def mni():
    if not os.path.exists(os.path.join(MNI, "mni_icbm152_t1.nii.gz")):
        result = subprocess.run([os.path.join(ROOT, "scripts", "fetch-mni")], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"scripts/fetch-mni failed (no network?): {result.stderr[-300:]}")
    return MNI


@pytest.fixture(scope="module")
def run(mni, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "report"
    medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", out, "--seed", 3)
    return out


def micro_scores(pred, truth, classes):
    """Accuracy and per-class Dice pooled over all pixels, mean Dice over classes
    present in either map (absent ones excluded, as medaug and MONAI)."""
    accuracy = float(np.mean(pred == truth))
    dice = []
    for k in classes:
        denominator = np.sum(pred == k) + np.sum(truth == k)
        dice.append(None if denominator == 0 else 2 * np.sum((pred == k) & (truth == k)) / denominator)
    present = [d for d in dice if d is not None]
    return accuracy, dice, float(np.mean(present))


def test_report_files_are_complete_and_well_formed(run):
    for name in ["metrics.json", "metrics.csv", "table.md", "config.json", "pictures/test-overlays.png",
                 "pictures/gan-samples.png", "curves/gan.svg", "weights/generator.safetensors"]:
        assert (run / name).stat().st_size > 0, name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["arms"]) == ARMS
    for arm in metrics["arms"].values():
        assert set(arm) == {"train", "val", "test"}
        for split in arm.values():
            for key in ["accuracy", "mean_iou", "mean_dice", "mean_dice_foreground"]:
                assert set(split[key]) == {"mean", "std", "runs"} and len(split[key]["runs"]) == 2
            assert len(split["per_class_dice"]["mean"]) == len(metrics["classes"])
            assert set(split["region_dice"]) == {"whole_tumour", "tumour_core", "enhancing_tumour"}
    assert metrics["label_values"] == [0, 1, 2, 4, 5, 6, 7]
    gate = metrics["gate"]
    assert gate["kept"] + gate["dropped"] == len(gate["scores"])
    assert set(gate["validation_dice"]) == set(metrics["classes"])
    for score in gate["scores"]:
        relative = score.get("relative")   # absent: no learned class in the render
        assert score["kept"] == (relative is None or relative >= gate["threshold"])
    if not any((d or 0) >= gate["learned_dice"] for name, d in gate["validation_dice"].items() if name != "background"):
        assert all(score.get("relative") is None and score["kept"] for score in gate["scores"]), "no learned class: keep all"
    assert metrics["synthetic_checks"]["held_out"]["images"] > 0
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert {r["arm"] for r in rows} == ARMS
    real_test = next(r for r in rows if r["arm"] == "real" and r["split"] == "test" and r["metric"] == "accuracy")
    assert float(real_test["mean"]) == pytest.approx(metrics["arms"]["real"]["test"]["accuracy"]["mean"], abs=1e-6)
    table = (run / "table.md").read_text()
    assert "| arm | Accuracy train |" in table and all(f"| {arm} |" in table for arm in ARMS)
    for svg in (run / "curves").iterdir():
        ET.parse(svg)
    for arm in ARMS - {"real"}:
        assert (run / "sets" / arm / "manifest.json").exists(), arm
    origins = {arm: {i["source"].get("origin") for i in json.loads((run / "sets" / arm / "manifest.json").read_text())["items"]
                     if i["synthetic"]} for arm in ARMS - {"real", "gan_gated"}}
    assert origins["classic"] == {"classic"} and origins["gmm"] == {"classic", "gmm"}
    assert origins["gan"] == origins["gan_no_edits"] == {"classic", "generated"}
    assert "paste" in origins["paste"] and origins["paste"] <= {"classic", "paste"}
    config = json.loads((run / "config.json").read_text())
    assert config["seed"] == 3 and config["preset"]["name"] == "tiny"


def test_metrics_match_numpy_on_the_saved_test_predictions(run):
    metrics = json.loads((run / "metrics.json").read_text())
    manifest = json.loads((run / "data" / "manifest.json").read_text())
    values = manifest["label_values"]
    tests = [i for i in manifest["items"] if i["split"] == "test"]
    truth = np.stack([tifffile.imread(run / "data" / i["mask"]) for i in tests])
    for arm in ARMS:
        for k in range(2):
            pred = np.stack([tifffile.imread(run / "predictions" / arm / f"seed-{k}" / f"{i['id']}.tif") for i in tests])
            accuracy, dice, mean_dice = micro_scores(pred, truth, values)
            stored = metrics["arms"][arm]["test"]
            assert stored["accuracy"]["runs"][k] == pytest.approx(accuracy, abs=1e-9)
            assert stored["mean_dice"]["runs"][k] == pytest.approx(mean_dice, abs=1e-9)
            for c, d in enumerate(dice):
                assert (stored["per_class_dice"]["runs"][k][c] is None) == (d is None)
                if d is not None:
                    assert stored["per_class_dice"]["runs"][k][c] == pytest.approx(d, abs=1e-9)
            # BraTS whole tumour: labels 1, 2, 4 together.
            wt_pred, wt_truth = np.isin(pred, [1, 2, 4]), np.isin(truth, [1, 2, 4])
            denominator = wt_pred.sum() + wt_truth.sum()
            if denominator:
                assert stored["region_dice"]["whole_tumour"]["runs"][k] == pytest.approx(
                    2 * np.sum(wt_pred & wt_truth) / denominator, abs=1e-9)


def test_saved_predictions_are_post_processed_as_reported(run):
    """Every arm and seed has its validated post-processing in metrics.json;
    no saved test prediction keeps an 8-connected component of a filtered
    class below that class's minimum, and the filter never lowered the
    validation mean Dice it was chosen on."""
    from scipy import ndimage
    metrics = json.loads((run / "metrics.json").read_text())
    manifest = json.loads((run / "data" / "manifest.json").read_text())
    value_of = dict(zip(metrics["classes"], manifest["label_values"]))
    tests = [i for i in manifest["items"] if i["split"] == "test"]
    assert set(metrics["postprocessing"]) == ARMS
    for arm, seeds in metrics["postprocessing"].items():
        assert len(seeds) == 2
        for k, report in enumerate(seeds):
            assert report["val_mean_dice_after"] >= report["val_mean_dice_before"]
            assert (report["val_mean_dice_after"] > report["val_mean_dice_before"]) == bool(report["min_component_pixels"])
            for name, minimum in report["min_component_pixels"].items():
                assert minimum in (4, 8, 16, 32, 64)
                for item in tests:
                    pred = tifffile.imread(run / "predictions" / arm / f"seed-{k}" / f"{item['id']}.tif")
                    labelled, count = ndimage.label(pred == value_of[name], structure=np.ones((3, 3)))
                    sizes = np.bincount(labelled.ravel())[1:]
                    assert count == 0 or sizes.min() >= minimum, (arm, k, name, item["id"])
    assert "Post-processing (per segmenter" in (run / "table.md").read_text()


def paired_t(a, b):
    d = np.array([x - y for x, y in zip(a, b) if x is not None and y is not None])
    if len(d) < 2:
        return d.mean(), None, None
    if d.std() == 0:
        return d.mean(), [d.mean(), d.mean()], 1.0 if d.mean() == 0 else 0.0
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), [d.mean() - half, d.mean() + half], stats.ttest_rel(d, np.zeros_like(d)).pvalue


def test_comparisons_match_scipy_on_the_saved_values(run):
    metrics = json.loads((run / "metrics.json").read_text())
    comparisons = metrics["comparisons"]
    assert {f"{a}_vs_{r}" for r in ["classic", "real"] for a in ARMS if a != r} == set(comparisons)
    for name, splits in comparisons.items():
        arm, reference = name.split("_vs_")
        assert set(splits) == {"train", "val", "test"}
        test = splits["test"]
        for metric in ["mean_dice", "dice_whole_tumour", "dice_tumour_core", "dice_enhancing_tumour",
                       "hd95_whole_tumour", "hd95_tumour_core", "hd95_enhancing_tumour"]:
            assert metric in test, (name, metric)
        for metric, c in test.items():
            a, b = metrics["arms"][arm]["test"]["per_seed"][metric], metrics["arms"][reference]["test"]["per_seed"][metric]
            mean, ci, p = paired_t(a, b)
            assert c["mean_diff"] == pytest.approx(mean, abs=1e-9), (name, metric)
            assert (c["ci95"] is None) == (ci is None) and (c["p"] is None) == (p is None)
            if ci is not None:
                assert c["ci95"] == pytest.approx(ci, abs=1e-7) and c["p"] == pytest.approx(p, abs=1e-7), (name, metric)
            images_a = sum(metrics["arms"][arm]["test"]["per_image"][metric], [])
            images_b = sum(metrics["arms"][reference]["test"]["per_image"][metric], [])
            pairs = [(x, y) for x, y in zip(images_a, images_b) if x is not None and y is not None]
            assert c["per_image"]["n"] == len(pairs)
            d = np.array([x - y for x, y in pairs])
            if np.any(d != 0):
                p_images = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="approx").pvalue
                assert c["per_image"]["p"] == pytest.approx(p_images, abs=1e-7), (name, metric)
    # HD95: a structure in only one of truth and prediction counts as the image diagonal.
    diagonal = np.hypot(32, 32)
    for arm in metrics["arms"].values():
        for k, values in enumerate(arm["test"]["per_image"]["hd95_whole_tumour"]):
            assert sum(v == pytest.approx(diagonal) for v in values if v is not None) >= arm["test"]["hd95_missed"]["whole_tumour"][k]
    assert "Paired comparisons" in (run / "table.md").read_text()


def test_the_same_seed_repeats_the_run(run, mni, tmp_path):
    again = tmp_path / "again"
    medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", again, "--seed", 3)
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (run, again))
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_a_killed_run_resumes_to_the_same_numbers(run, mni, tmp_path):
    """SIGKILL as soon as a segmenter of the gan arm has written its first
    checkpoint (mid-training), then the same command with --resume: the
    finished stages are skipped, that training continues from its
    checkpoint, and metrics.json equals the uninterrupted run's."""
    out = tmp_path / "killed"
    args = [BIN, "experiment", "--preset", "tiny", "--mni", mni, "--out", out, "--seed", 3]
    checkpoint = out / "weights" / "segmenter-gan-seed1.checkpoint.safetensors"
    process = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert checkpoint.exists(), "the run ended before the checkpoint could be caught"
    stages = json.loads((out / "stages.json").read_text())
    # Segmenters train two at a time (--threads 2), so gan seed 0 may still be running.
    assert {"data", "gan", "expand gan", "segmenter real 0", "segmenter real 1"} <= set(stages)
    assert "segmenter gan 1" not in stages and not (out / "metrics.json").exists()

    resumed = medaug(*args[1:], "--resume")
    assert "gan seed 1: continuing after epoch" in resumed.stderr
    assert "gan epoch" not in resumed.stderr, "the finished GAN is not trained again"
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (run, out))
    first.pop("seconds"), second.pop("seconds")
    assert (first.pop("resumed"), second.pop("resumed")) == (False, True)
    assert first == second
    assert "continued an earlier one with --resume" in (out / "table.md").read_text()
    assert not checkpoint.exists()

    other = medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", out, "--seed", 4, "--resume", check=False)
    assert other.returncode != 0 and "another configuration" in other.stderr
    missing = medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", tmp_path / "none", "--resume", check=False)
    assert missing.returncode != 0 and "no config.json" in missing.stderr


def test_user_volumes_run_through_the_same_experiment(tmp_path):
    nibabel = pytest.importorskip("nibabel")
    x, y, z = np.meshgrid(np.arange(40), np.arange(40), np.arange(48), indexing="ij")
    labels = np.zeros((40, 40, 48), np.uint8)
    labels[(x - 20) ** 2 + (y - 20) ** 2 < 250] = 1
    labels[(x - 14 - z % 9) ** 2 + (y - 18) ** 2 < 12] = 2
    labels[:, :, :2] = 0
    t1 = (100 + 60 * labels + np.random.default_rng(0).normal(0, 5, labels.shape)).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(t1, np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    out = tmp_path / "report"
    medaug("experiment", "--dataset", "volumes", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,lesion", "--preset", "tiny", "--seeds", 1, "--out", out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "volumes" and metrics["classes"] == ["background", "tissue", "lesion"]
    assert set(metrics["arms"]) == {"real", "classic", "gan", "gan_gated", "gmm"}, "no lesions: no edits to ablate, nothing to paste"
    assert "dice_lesion" in metrics["comparisons"]["gan_vs_classic"]["test"]
    assert "region_dice" not in metrics["arms"]["real"]["test"] or metrics["arms"]["real"]["test"]["region_dice"] is None
    bad = medaug("experiment", "--dataset", "volumes", "--out", out, check=False)
    assert bad.returncode != 0 and "--labels" in bad.stderr


def test_arms_chooses_what_trains(mni, tmp_path):
    """--arms trains only the arms asked for (the paper-scale run uses it);
    a list without real, an unknown arm, or an arm the data cannot make is
    refused before anything is written."""
    out = tmp_path / "two-arms"
    medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", out, "--seeds", 1, "--arms", "gan_gated,real")
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["arms"]) == {"real", "gan_gated"}
    assert set(metrics["comparisons"]) == {"gan_gated_vs_real"}
    assert sorted(os.listdir(out / "sets")) == ["gan", "gan_gated"], "gan_gated is the gan set, filtered"
    for arms, message in [("classic,gan", "must include real"), ("real,cyclegan", "unknown arm 'cyclegan'")]:
        refused = medaug("experiment", "--preset", "tiny", "--mni", mni, "--out", tmp_path / arms, "--arms", arms,
                         check=False)
        assert refused.returncode != 0 and message in refused.stderr
        assert not (tmp_path / arms).exists()
