"""medaug segment --volume: a whole NIfTI volume in, a label NIfTI out on
the source's own grid. A volume built from labelled slices (an asymmetric
pattern, non-RAS, anisotropic, oblique affine, non-square slices) goes
through prepare and train-seg, and the trained segmenter gives those labels
back voxel by voxel in native index space; geometry checked with nibabel."""
import json

import numpy as np
import pytest
from medaug_cli import medaug, requires_binary

nibabel = pytest.importorskip("nibabel")

pytestmark = requires_binary

LABEL_VALUES = [0, 3, 7]


def oblique_affine():
    """Stored x runs posterior, y left, z superior (3 mm), turned 7 degrees
    about the superior axis, with an offset: closest orientation PLS."""
    turn = np.radians(7)
    rotation = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0], [0, 0, 1]])
    axes = np.array([[0, -1, 0], [-1, 0, 0], [0, 0, 3.0]]).T   # columns: stored x, y, z in RAS mm
    affine = np.eye(4)
    affine[:3, :3] = rotation @ axes
    affine[:3, 3] = [40, -12, 25]
    return affine


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    folder = tmp_path_factory.mktemp("volume")
    x, y, z = np.meshgrid(np.arange(20), np.arange(32), np.arange(9), indexing="ij")
    classes = np.zeros((20, 32, 9), np.int64)
    classes[(x - 6) ** 2 + (y - 9) ** 2 < 16 + 2 * z] = 1         # a disc growing with z
    classes[(x >= 12) & (x < 17) & (y >= 14) & (y < 28 - z)] = 2   # a bar shrinking with z
    labels = np.array(LABEL_VALUES, np.uint8)[classes]
    image = np.where(classes == 0, 100.0, 100.0 + 300.0 * classes).astype(np.float32)
    image[:, :2] = 0   # air at one side: the label-free foreground is the non-zero voxels
    affine = oblique_affine()
    nibabel.save(nibabel.Nifti1Image(image, affine), folder / "ct.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, affine), folder / "labels.nii.gz")
    data = folder / "data"
    # No crop: axial slices are 20 x 32 at 1 mm, so padding alone fits them to 32 x 32.
    medaug("prepare", "--image", folder / "ct.nii.gz", "--labels", folder / "labels.nii.gz",
           "--classes", "background,disc,bar", "--label-values", "0,3,7", "--plane", "axial", "--size", 32,
           "--crop-margin", -1, "--min-foreground", 0.0, "--train-count", 9, "--gap", 0, "--out", data)
    model = folder / "seg.safetensors"
    medaug("train-seg", "--data", data, "--out", model, "--epochs", 60, "--batch", 4, "--depth", 2,
           "--base-filters", 8, "--learning-rate", 0.01, "--seed", 1)
    return folder, labels, model


def test_a_volume_segments_back_to_its_labels_on_its_own_grid(volume):
    folder, labels, model = volume
    out = folder / "seg.nii.gz"
    medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--out", out, "--probabilities")
    source, result = nibabel.load(folder / "ct.nii.gz"), nibabel.load(out)
    assert result.shape == source.shape
    assert np.allclose(result.affine, source.affine, atol=1e-5)
    assert np.allclose(result.header.get_zooms(), source.header.get_zooms(), atol=1e-6)
    assert np.allclose(result.header.get_sform(), source.affine, atol=1e-5) and int(result.header["sform_code"]) > 0
    assert np.allclose(result.header.get_qform(), source.affine, atol=1e-4) and int(result.header["qform_code"]) > 0
    assert nibabel.aff2axcodes(result.affine) == ("P", "L", "S")
    got = np.asarray(result.dataobj)
    assert set(np.unique(got)) <= set(LABEL_VALUES)
    wrong = np.argwhere(got != labels)
    assert len(wrong) == 0, f"{len(wrong)} voxels differ, first {wrong[:5].tolist()}"

    probabilities = nibabel.load(folder / "seg-probabilities.nii.gz")
    assert probabilities.shape == source.shape + (3,)
    p = np.asarray(probabilities.dataobj)
    assert np.allclose(p.sum(axis=-1), 1, atol=1e-4)
    assert np.array_equal(np.array(LABEL_VALUES)[p.argmax(axis=-1)], got)


def test_the_model_records_how_its_slices_were_made(volume):
    folder, _, model = volume
    config = json.loads(medaug("model", "info", model).stdout)
    assert config["preparation"]["plane"] == "axial"
    assert config["preparation"]["crop"] == {"rule": "none"}


def test_bad_volume_arguments_are_refused(volume, tmp_path):
    folder, _, model = volume
    bad = medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--out", tmp_path / "seg.tif",
                 check=False)
    assert bad.returncode != 0 and "must end in .nii or .nii.gz" in bad.stderr
    both = medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--image", "x.tif",
                  "--out", tmp_path / "s.nii.gz", check=False)
    assert both.returncode != 0 and "not both" in both.stderr
    two = medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--volume", folder / "ct.nii.gz",
                 "--out", tmp_path / "s.nii.gz", check=False)
    assert two.returncode != 0 and "takes 1 channel" in two.stderr
    assert not (tmp_path / "s.nii.gz").exists()


def test_cropped_and_resized_slices_come_back_close(volume, tmp_path):
    """The default preparation (foreground box + 5 %, resized to 32 x 32):
    resampling there and back moves boundaries by at most a voxel."""
    folder, labels, _ = volume
    data = tmp_path / "data"
    medaug("prepare", "--image", folder / "ct.nii.gz", "--labels", folder / "labels.nii.gz",
           "--classes", "background,disc,bar", "--label-values", "0,3,7", "--plane", "axial", "--size", 32,
           "--min-foreground", 0.0, "--train-count", 9, "--gap", 0, "--out", data)
    model = tmp_path / "seg.safetensors"
    medaug("train-seg", "--data", data, "--out", model, "--epochs", 60, "--batch", 4, "--depth", 2,
           "--base-filters", 8, "--learning-rate", 0.01, "--seed", 1)
    medaug("segment", "--model", model, "--volume", folder / "ct.nii.gz", "--out", tmp_path / "seg.nii")
    got = np.asarray(nibabel.load(tmp_path / "seg.nii").dataobj)
    assert got.shape == labels.shape
    assert (got == labels).mean() > 0.95


def test_python_segment_volume_equals_the_cli(volume, tmp_path):
    import medaug_binding  # noqa: F401  (the package on the path, the library found)
    import medaug
    folder, labels, model = volume
    source = nibabel.load(folder / "ct.nii.gz")
    from_path = medaug.segment_volume(model, folder / "ct.nii.gz", probabilities=True)
    assert from_path.labels.dtype == np.int32 and from_path.labels.shape == labels.shape
    assert np.array_equal(from_path.labels, labels)
    assert np.allclose(from_path.affine, source.affine, atol=1e-5)
    assert from_path.probabilities.shape == labels.shape + (3,)
    cli = np.asarray(nibabel.load(folder / "seg-probabilities.nii.gz").dataobj) \
        if (folder / "seg-probabilities.nii.gz").exists() else None
    if cli is not None:
        assert np.allclose(from_path.probabilities, cli, atol=1e-6)
    # An array with nibabel's affine; the Model method; progress and cancelling.
    calls = []
    with medaug.load_model(model) as loaded:
        from_array = loaded.segment_volume(np.asarray(source.dataobj, np.float32), source.affine,
                                           progress=lambda done, total: calls.append((done, total)))
        assert np.array_equal(from_array.labels, labels)
        assert calls and calls[-1][0] == calls[-1][1]
        with pytest.raises(medaug.CancelledError):
            loaded.segment_volume(np.asarray(source.dataobj, np.float32), source.affine, progress=lambda d, t: False)
        with pytest.raises(medaug.InvalidArgumentError, match="affine"):
            loaded.segment_volume(np.asarray(source.dataobj, np.float32))
        with pytest.raises(medaug.ShapeError):
            loaded.segment_volume(np.zeros((4, 4)), np.eye(4))
        # Hostile affines: NaN named with the matrix; scales no voxel size can be.
        voxels = np.asarray(source.dataobj, np.float32)
        nan = np.eye(4)
        nan[0, 0] = np.nan
        with pytest.raises(medaug.InvalidArgumentError, match=r"finite 4x4 matrix; got \[\[nan"):
            loaded.segment_volume(voxels, nan)
        for scale, size in [(1e300, "inf × inf × inf"), (1e-300, "0.0 × 0.0 × 0.0")]:
            with pytest.raises(medaug.InvalidArgumentError, match=f"voxel size {size} mm must be positive and finite"):
                loaded.segment_volume(voxels, np.diag([scale, scale, scale, 1.0]))
