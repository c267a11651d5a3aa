"""The README's hospital workflow end to end, on a DICOM series and an RT
Structure Set built with pydicom: prepare (ROIs as labels) -> train-gan ->
expand (synthetic pairs) -> train-seg -> segment --volume (a label NIfTI on
the series' grid), checked with nibabel. Tiny sizes: it proves the plumbing,
not the quality."""
import json

import numpy as np
import pytest

from medaug_binding import medaug
from medaug_cli import medaug as run_cli, requires_binary

nibabel = pytest.importorskip("nibabel")
pytest.importorskip("pydicom")
from test_dicom import write_series  # noqa: E402
from test_dicom_rtstruct import write_rtstruct  # noqa: E402

pytestmark = requires_binary


def test_dicom_series_and_rtstruct_to_a_segmented_nifti(tmp_path):
    series = tmp_path / "ct-series"
    write_series(series, 6, spacing=2.0)
    volume = medaug.read_volume(series)
    write_rtstruct(tmp_path / "rtstruct.dcm", volume)
    data, expanded = tmp_path / "data", tmp_path / "expanded"
    run_cli("prepare", "--image", series, "--labels", tmp_path / "rtstruct.dcm", "--roi", "body=1",
            "--roi", "tumour=2", "--classes", "background,body,tumour", "--plane", "axial", "--size", 32,
            "--min-foreground", 0, "--train-count", 4, "--gap", 0, "--out", data)
    run_cli("train-gan", "--data", data, "--out", tmp_path / "generator.safetensors", "--epochs", 2,
            "--down-filters", "4,8", "--discriminator-filters", "4,8,8", "--learning-rate", 0.001)
    run_cli("expand", "--data", data, "--generator", tmp_path / "generator.safetensors", "--target", 12,
            "--edit-labels", 2, "--seed", 1, "--out", expanded)
    manifest = json.loads((expanded / "manifest.json").read_text())
    assert sum(item["synthetic"] for item in manifest["items"]) > 0
    run_cli("train-seg", "--data", expanded, "--out", tmp_path / "segmenter.safetensors", "--epochs", 3,
            "--batch", 4, "--depth", 2, "--base-filters", 4)
    run_cli("segment", "--model", tmp_path / "segmenter.safetensors", "--volume", series,
            "--out", tmp_path / "ct-seg.nii.gz", "--probabilities")
    result = nibabel.load(tmp_path / "ct-seg.nii.gz")
    assert result.shape == volume.voxels.shape
    assert np.allclose(result.affine, volume.affine, atol=1e-4)
    assert set(np.unique(np.asarray(result.dataobj)).tolist()) <= {0, 1, 2}
    assert nibabel.load(tmp_path / "ct-seg-probabilities.nii.gz").shape == volume.voxels.shape + (3,)
    # The Python README's version of the last steps gives the same volume.
    labels = medaug.read_labels(tmp_path / "rtstruct.dcm", series, rois=[("body", 1), ("tumour", 2)])
    assert labels.shape == volume.voxels.shape and {1, 2} <= set(np.unique(labels).tolist())
    python = medaug.segment_volume(tmp_path / "segmenter.safetensors", series, probabilities=True)
    assert np.array_equal(python.labels, np.asarray(result.dataobj))
    nibabel.save(nibabel.Nifti1Image(python.labels.astype(np.uint8), python.affine), tmp_path / "py-seg.nii.gz")
    assert np.allclose(nibabel.load(tmp_path / "py-seg.nii.gz").affine, result.affine, atol=1e-5)
