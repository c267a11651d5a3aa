"""`medaug prepare --label-map FILE`: a many-label segmentation becomes a few
classes (several stored values to one class, "*" for the rest); without "*"
an unlisted value is refused by name. Checked against the label volume
itself, read with nibabel."""
import json

import numpy as np
import pytest

from medaug_cli import medaug, requires_binary

nib = pytest.importorskip("nibabel")
tifffile = pytest.importorskip("tifffile")

pytestmark = requires_binary


def volumes(tmp_path):
    """A 24x24x12 volume whose labels are 0 outside, 1 and 2 (one organ
    stored as two values), 5 (a lesion) and 9 (a structure to drop)."""
    labels = np.zeros((24, 24, 12), np.uint8)
    labels[4:20, 4:20, :] = 1
    labels[4:20, 12:20, :] = 2
    labels[8:12, 8:12, :] = 5
    labels[16:19, 5:8, :] = 9
    image = (100 + 10 * labels).astype(np.int16)
    nib.save(nib.Nifti1Image(image, np.eye(4)), tmp_path / "t1.nii.gz")
    nib.save(nib.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    return labels


def prepare(tmp_path, mapping, out):
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    return medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
                  "--label-map", tmp_path / "map.json", "--plane", "axial", "--size", 24, "--train-count", 0,
                  "--gap", 1, "--min-foreground", 0, "--crop-margin=-1", "--out", out, check=False)


def test_values_map_to_classes_and_star_takes_the_rest(tmp_path):
    labels = volumes(tmp_path)
    result = prepare(tmp_path, {"0": "background", "1": "organ", "2": "organ", "5": "lesion", "*": "background"},
                     tmp_path / "data")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["classes"] == ["background", "organ", "lesion"]
    assert manifest["label_values"] == [0, 1, 2]
    expected = np.select([np.isin(labels, [1, 2]), labels == 5], [1, 2], 0)
    seen = set()
    for item in manifest["items"]:
        mask = tifffile.imread(tmp_path / "data" / item["mask"])
        seen |= set(np.unique(mask).tolist())
        assert mask.shape == (24, 24)
        # An axial slice of this volume has the same pattern at every z.
        assert np.array_equal(np.sort(np.unique(mask)), np.sort(np.unique(expected[:, :, 0])))
        assert (mask == 2).sum() == (expected[:, :, 0] == 2).sum() and (mask == 1).sum() == (expected[:, :, 0] == 1).sum()
    assert seen == {0, 1, 2}


def test_an_unlisted_value_without_star_is_refused_by_name(tmp_path):
    volumes(tmp_path)
    result = prepare(tmp_path, {"0": "background", "1": "organ", "2": "organ", "5": "lesion"}, tmp_path / "data")
    assert result.returncode != 0
    assert "label value 9" in result.stderr and "not in the label map" in result.stderr, result.stderr
    assert not (tmp_path / "data").exists()
    both = medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
                  "--label-map", tmp_path / "map.json", "--classes", "a,b", "--out", tmp_path / "x", check=False)
    assert both.returncode != 0 and "--label-map takes --labels and sets the classes itself" in both.stderr


def test_unlabelled_foreground_gets_its_own_class(tmp_path):
    """Zeros around a body (value 40) holding a labelled organ: the body
    without a label becomes class 'body'; the air stays background."""
    labels = np.zeros((24, 24, 12), np.uint8)
    labels[8:16, 8:16, :] = 1
    image = np.zeros((24, 24, 12), np.int16)
    image[3:21, 3:21, :] = 40
    image[labels == 1] = 90
    nib.save(nib.Nifti1Image(image, np.eye(4)), tmp_path / "t1.nii.gz")
    nib.save(nib.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    out = tmp_path / "data"
    result = medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
                    "--classes", "background,organ", "--unlabelled-foreground", "body", "--plane", "axial",
                    "--size", 24, "--train-count", 0, "--gap", 1, "--min-foreground", 0, "--crop-margin=-1",
                    "--out", out, check=False)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["classes"] == ["background", "organ", "body"] and manifest["label_values"] == [0, 1, 2]
    mask = tifffile.imread(out / manifest["items"][0]["mask"])
    expected = np.where(labels[:, :, 0] == 1, 1, np.where(image[:, :, 0] > 0, 2, 0))
    assert sorted(np.unique(mask).tolist()) == [0, 1, 2]
    for value in (0, 1, 2):
        assert (mask == value).sum() == (expected == value).sum(), value
