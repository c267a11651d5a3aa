"""DICOM input through the library, checked against pydicom (an independent
reader) on DICOM written by others: pydicom's own test files (MR and CT,
little/big endian, implicit/explicit VR, RLE, JPEG 2000, JPEG-LS, a
multi-frame RT dose) and series that pydicom writes here from MR_small.dcm.

pydicom decodes the uncompressed and RLE files itself; the JPEG 2000 and
JPEG-LS versions of MR_small are lossless, so they must equal its pixels.
"""
import json
import os
import random
import subprocess

import numpy as np
import pytest

from medaug_binding import medaug  # sets up the library path, imports the package

pydicom = pytest.importorskip("pydicom", reason="pydicom is installed by scripts/bootstrap")
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.pixels import apply_modality_lut  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

from medaug_cli import medaug as run_cli  # noqa: E402

MR_SMALL = get_testdata_file("MR_small.dcm")


def reference(path):
    """pydicom's pixel values with the modality LUT (rescale) applied, as [x, y, z] float."""
    ds = pydicom.dcmread(path)
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    frames = values if values.ndim == 3 else values[np.newaxis]
    return np.transpose(frames, (2, 1, 0)), ds        # [frame, row, col] -> [col, row, frame]


def lps_affine(ds, step):
    """Voxel (column, row, slice) -> RAS mm from the DICOM attributes, computed here."""
    iop = np.array(ds.ImageOrientationPatient, dtype=np.float64)
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    affine = np.eye(4)
    affine[:3, 0] = iop[:3] * column_spacing
    affine[:3, 1] = iop[3:] * row_spacing
    affine[:3, 2] = step
    affine[:3, 3] = np.array(ds.ImagePositionPatient, dtype=np.float64)
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine


@pytest.mark.parametrize("name", ["MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm",
                                  "MR_small_implicit.dcm", "MR_small_padded.dcm", "MR_small_RLE.dcm",
                                  "CT_small.dcm"])
def test_single_files_match_pydicom(name):
    path = get_testdata_file(name)
    expected, ds = reference(path)
    volume = medaug.read_volume(path)
    assert volume.voxels.shape == expected.shape
    np.testing.assert_array_equal(volume.voxels, expected.astype(np.float32))
    assert volume.voxel_size[:2] == pytest.approx([float(ds.PixelSpacing[1]), float(ds.PixelSpacing[0])])
    normal = np.cross(np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float))
    np.testing.assert_allclose(volume.affine[:, [0, 1, 3]], lps_affine(ds, normal)[:, [0, 1, 3]], atol=1e-4)


def test_ct_rescale_is_applied():
    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert float(ds.RescaleIntercept) == -1024
    volume = medaug.read_volume(path)
    np.testing.assert_array_equal(volume.voxels[..., 0].T, ds.pixel_array.astype(np.float32) - 1024)


@pytest.mark.parametrize("name", ["MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"])
def test_lossless_compressed_files_equal_the_uncompressed_original(name):
    expected, _ = reference(MR_SMALL)
    np.testing.assert_array_equal(medaug.read_volume(get_testdata_file(name)).voxels, expected.astype(np.float32))


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm"])
def test_jpeg2000_files_match_pydicom(name):
    """Lossy JPEG 2000, decoded for pydicom by Pillow's OpenJPEG. The last
    file's codestream says unsigned against Pixel Representation 1: the
    data set wins (13-bit signed CT values, -2000 outside the field of view)."""
    pytest.importorskip("PIL", reason="pydicom decodes JPEG 2000 through Pillow")
    path = get_testdata_file(name)
    expected, _ = reference(path)
    np.testing.assert_array_equal(medaug.read_volume(path).voxels, expected.astype(np.float32))


def test_multi_frame_file_matches_pydicom():
    path = get_testdata_file("rtdose.dcm")      # 15 frames, 32-bit unsigned
    expected, ds = reference(path)
    volume = medaug.read_volume(path)
    assert volume.voxels.shape == (10, 10, 15)
    np.testing.assert_array_equal(volume.voxels, expected.astype(np.float32))


# --------------------------------------------------------------- series --

def write_series(folder, count, *, series_uid=None, base=0, spacing=2.5, skip=(), shuffle_seed=0,
                 orientation=(1, 0, 0, 0, 1, 0), intercepts=None, prefix="s", tags=None):
    """Slices of MR_small as one series; slice k holds MR_small + base + 100·k.

    Positions step `spacing` mm along the normal; file names and
    InstanceNumbers are shuffled so neither gives the order. Returns the
    positions' slice order as written (k values)."""
    template = pydicom.dcmread(MR_SMALL)
    pixels = template.pixel_array.astype(np.int16)
    iop = np.array(orientation, dtype=np.float64)
    normal = np.cross(iop[:3], iop[3:])
    origin = np.array([-83.9063, -91.2, 6.6406])
    series_uid = series_uid or generate_uid()
    order = [k for k in range(count) if k not in skip]
    names = list(range(len(order)))
    random.Random(shuffle_seed).shuffle(names)
    os.makedirs(folder, exist_ok=True)
    for n, k in zip(names, order):
        ds = pydicom.dcmread(MR_SMALL)
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = str(n + 1)                     # unrelated to the position
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in iop]
        ds.ImagePositionPatient = [f"{v:.4f}" for v in origin + k * spacing * normal]
        ds.PixelData = (pixels + base + 100 * k).astype(np.int16).tobytes()
        if intercepts is not None:
            ds.RescaleSlope, ds.RescaleIntercept = "1", str(intercepts[k])
        for key, value in (tags or {}).items():
            setattr(ds, key, value)
        ds.save_as(os.path.join(folder, f"{prefix}{n:03d}"))
    return pixels, origin, normal, order


def test_series_is_ordered_by_position_and_separated_by_uid(tmp_path):
    folder = tmp_path / "study"
    pixels, origin, normal, _ = write_series(folder, 6, base=0, prefix="a", shuffle_seed=1)
    write_series(folder, 4, base=5000, spacing=4.0, prefix="b", shuffle_seed=2)
    (folder / "README.txt").write_text("not DICOM")
    listed = medaug.volume_series(folder)
    assert sorted((s["slices"], s["files"], s["modality"]) for s in listed) == [(4, 4, "MR"), (6, 6, "MR")]
    assert all(set(s) == {"series", "modality", "files", "columns", "rows", "slices"} for s in listed)
    with pytest.raises(medaug.InvalidArgumentError, match="2 DICOM series"):
        medaug.read_volume(folder)
    six = next(s["series"] for s in listed if s["slices"] == 6)
    volume = medaug.read_volume(folder, series=six)
    assert volume.voxels.shape == (64, 64, 6)
    for k in range(6):
        np.testing.assert_array_equal(volume.voxels[:, :, k], (pixels.T + 100 * k).astype(np.float32))
    ds = pydicom.dcmread(MR_SMALL)
    np.testing.assert_allclose(volume.affine, lps_affine(ds, 2.5 * normal), atol=1e-3)
    assert volume.voxel_size == pytest.approx((0.3125, 0.3125, 2.5))


def test_oblique_series_with_per_slice_rescale(tmp_path):
    c, s = np.cos(0.3), np.sin(0.3)
    orientation = (c, s, 0.0, 0.0, 0.0, -1.0)            # a rotated coronal-like plane
    intercepts = [-1000 + 7 * k for k in range(5)]
    pixels, origin, normal, _ = write_series(tmp_path / "obl", 5, spacing=3.0, orientation=orientation,
                                             intercepts=intercepts)
    volume = medaug.read_volume(tmp_path / "obl")
    for k in range(5):
        np.testing.assert_array_equal(volume.voxels[:, :, k], (pixels.T + 100 * k + intercepts[k]).astype(np.float32))
    iop = np.array([float(f"{v:.6f}") for v in orientation])
    expected = np.eye(4)
    expected[:3, 0], expected[:3, 1] = iop[:3] * 0.3125, iop[3:] * 0.3125
    expected[:3, 2], expected[:3, 3] = 3.0 * normal, origin
    np.testing.assert_allclose(volume.affine, np.diag([-1, -1, 1, 1]) @ expected, atol=1e-3)


@pytest.mark.parametrize("problem,match", [
    ("missing", "1 slice missing"),
    ("missing-beyond-int", "100000000000000000000 slices missing"),   # once a trap converting it to Int
    ("duplicate", "same position"),
    ("orientation", "orientation differs"),
    ("size", "slice in a series of"),
])
def test_inconsistent_series_are_reported(tmp_path, problem, match):
    folder = tmp_path / problem
    uid = generate_uid()
    if problem == "missing":
        write_series(folder, 6, series_uid=uid, skip=(3,))
    elif problem == "missing-beyond-int":
        _, origin, normal, order = write_series(folder, 4, series_uid=uid, spacing=1.0, shuffle_seed=0)
        last = next(p for p in folder.iterdir() if np.allclose(
            np.array(pydicom.dcmread(p).ImagePositionPatient, dtype=float), origin + 3 * normal, atol=1e-3))
        ds = pydicom.dcmread(last)
        ds.ImagePositionPatient = [f"{v:.6g}" for v in origin + 1e20 * normal]
        ds.save_as(last)
    elif problem == "duplicate":
        write_series(folder, 4, series_uid=uid, prefix="a")
        write_series(folder, 2, series_uid=uid, prefix="b")
    elif problem == "orientation":
        write_series(folder, 4, series_uid=uid, prefix="a")
        write_series(folder, 1, series_uid=uid, prefix="b", orientation=(0, 1, 0, 0, 0, -1))
    else:
        write_series(folder, 4, series_uid=uid)
        ds = pydicom.dcmread(folder / "s000")
        ds.Rows, ds.Columns = 32, 128
        ds.save_as(folder / "s000")
    with pytest.raises(medaug.FormatError, match=match):
        medaug.read_volume(folder)


# ------------------------------------------------------------ malformed --

def test_truncated_and_corrupted_files_are_errors_never_crashes(tmp_path):
    data = open(MR_SMALL, "rb").read()
    outcomes = {"ok": 0, "error": 0}
    cases = [data[:n] for n in range(0, len(data), 61)]
    rng = np.random.default_rng(5)
    for _ in range(150):                                 # random byte corruption
        corrupt = bytearray(data)
        for position in rng.integers(0, len(data), size=rng.integers(1, 8)):
            corrupt[position] = int(rng.integers(0, 256))
        cases.append(bytes(corrupt))
    for i, case in enumerate(cases):
        path = tmp_path / f"c{i}.dcm"
        path.write_bytes(case)
        try:
            medaug.read_volume(path)
            outcomes["ok"] += 1
        except medaug.Error as error:
            assert str(error), "errors carry a message"
            outcomes["error"] += 1
    assert outcomes["error"] >= len(data) // 61                # every truncation is refused
    with pytest.raises(medaug.FormatError, match="truncated"):
        medaug.read_volume(get_testdata_file("MR_truncated.dcm"))


def test_a_file_that_makes_gdcm_abort_is_an_error(tmp_path):
    # GDCM (Debian's build keeps assertions) aborts on this valid RT dose file;
    # the decoder runs in a child process, so this process survives.
    with pytest.raises(medaug.FormatError, match="decoder process"):
        medaug.read_volume(get_testdata_file("rtdose_1frame.dcm"))


@pytest.mark.parametrize("name,error,match", [
    ("SC_rgb_rle.dcm", "UnsupportedError", "monochrome"),
    ("image_dfl.dcm", "UnsupportedError", "deflated"),
    ("rtplan.dcm", "UnsupportedError", "without an image"),
])
def test_files_medaug_does_not_take_are_refused_clearly(name, error, match):
    with pytest.raises(getattr(medaug, error), match=match):
        medaug.read_volume(get_testdata_file(name))


# ------------------------------------------------ CLI: inspect, prepare --

SECRETS = ["SECRET^PATIENT", "ID-SECRET-123", "ACC-SECRET-9", "SECRET HOSPITAL"]


def test_prepare_from_dicom_equals_prepare_from_nifti_and_leaks_no_identifier(tmp_path):
    nib = pytest.importorskip("nibabel")
    folder = tmp_path / "dicom"
    tags = {"PatientName": SECRETS[0], "PatientID": SECRETS[1], "AccessionNumber": SECRETS[2],
            "InstitutionName": SECRETS[3]}
    write_series(folder, 12, spacing=2.0, tags=tags)
    volume = medaug.read_volume(folder)
    # The same voxels and geometry as NIfTI, written by nibabel, and a label volume on that grid.
    nib.save(nib.Nifti1Image(volume.voxels, volume.affine), str(tmp_path / "image.nii.gz"))
    labels = (volume.voxels > np.percentile(volume.voxels, 70)).astype(np.int16)
    nib.save(nib.Nifti1Image(labels, volume.affine), str(tmp_path / "labels.nii.gz"))
    common = ["--labels", tmp_path / "labels.nii.gz", "--classes", "background,bright", "--plane", "axial",
              "--size", "32", "--min-foreground", "0", "--train-count", "0", "--gap", "0", "--crop-margin=-1"]
    run_cli("prepare", "--image", folder, *common, "--out", tmp_path / "from-dicom")
    run_cli("prepare", "--image", tmp_path / "image.nii.gz", *common, "--out", tmp_path / "from-nifti")
    a = sorted(p.relative_to(tmp_path / "from-dicom") for p in (tmp_path / "from-dicom").rglob("*") if p.is_file())
    b = sorted(p.relative_to(tmp_path / "from-nifti") for p in (tmp_path / "from-nifti").rglob("*") if p.is_file())
    assert a == b and any(str(p).endswith(".tif") for p in a)
    for relative in a:
        if str(relative).endswith(".tif"):
            assert (tmp_path / "from-dicom" / relative).read_bytes() == (tmp_path / "from-nifti" / relative).read_bytes(), relative
    uids = {str(pydicom.dcmread(p).SeriesInstanceUID) for p in folder.iterdir()}
    for path in (tmp_path / "from-dicom").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in SECRETS + sorted(uids):
                assert secret.encode() not in content, f"{secret} written into {path}"


def test_inspect_reads_a_dicom_folder(tmp_path):
    write_series(tmp_path / "s", 3)
    write_series(tmp_path / "s", 2, prefix="b", base=10)
    (tmp_path / "s" / "notes.txt").write_text("not DICOM")
    report = json.loads(run_cli("inspect", tmp_path / "s", "--series", "1", "--json").stdout)
    assert report["format"] == "dicom" and report["modality"] == "MR" and report["series_count"] == 2
    assert report["skipped_files"] == 1
    assert report["shape"] in ([64, 64, 3], [64, 64, 2])
    result = run_cli("inspect", tmp_path / "s", "--series", "3", check=False)
    assert result.returncode != 0 and "series 3 does not exist" in result.stderr


def test_enhanced_multi_frame_keeps_frame_order_and_direction(tmp_path):
    """An Enhanced MR object (per-frame positions, shared orientation, spacing
    and rescale in functional groups) whose frames run against the normal."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian
    frames, rows, columns = 5, 6, 7
    pixels = np.arange(frames * rows * columns, dtype=np.int16).reshape(frames, rows, columns)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID, ds.NumberOfFrames = "MR", generate_uid(), frames
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, columns, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    measures, orientation, transform = Dataset(), Dataset(), Dataset()
    measures.PixelSpacing, measures.SliceThickness = ["0.8", "0.6"], "2.5"
    orientation.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    transform.RescaleIntercept, transform.RescaleSlope, transform.RescaleType = "-100", "2", "US"
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelValueTransformationSequence = Sequence([transform])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for k in range(frames):                      # z decreases frame by frame
        position, item = Dataset(), Dataset()
        position.ImagePositionPatient = ["10", "20", f"{50 - 2.5 * k}"]
        item.PlanePositionSequence = Sequence([position])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = pixels.tobytes()
    path = tmp_path / "enhanced.dcm"
    ds.save_as(path, enforce_file_format=True)
    volume = medaug.read_volume(path)
    assert volume.voxels.shape == (columns, rows, frames)
    np.testing.assert_array_equal(volume.voxels, (np.transpose(pixels, (2, 1, 0)) * 2.0 - 100).astype(np.float32))
    expected = np.array([[-0.6, 0, 0, -10], [0, -0.8, 0, -20], [0, 0, -2.5, 50], [0, 0, 0, 1]])
    np.testing.assert_allclose(volume.affine, expected, atol=1e-6)


@pytest.mark.parametrize("bits,stored,signed", [(8, 8, False), (8, 8, True), (16, 16, False), (16, 12, True),
                                                (16, 12, False), (32, 32, True)])
def test_sample_formats_match_pydicom(tmp_path, bits, stored, signed):
    """MR_small rewritten by pydicom in other sample formats, uncompressed."""
    ds = pydicom.dcmread(MR_SMALL)
    rng = np.random.default_rng(bits + stored)
    low, high = (-(1 << (stored - 1)), (1 << (stored - 1)) - 1) if signed else (0, (1 << stored) - 1)
    dtype = {8: np.int8, 16: np.int16, 32: np.int32}[bits] if signed else {8: np.uint8, 16: np.uint16, 32: np.uint32}[bits]
    values = rng.integers(low, high, size=(64, 64), endpoint=True).astype(dtype)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, stored, stored - 1, int(signed)
    ds.RescaleSlope, ds.RescaleIntercept = "0.5", "3"
    # Stored values in their bit field: a signed 12-bit value is sign-extended in 16 bits.
    ds.PixelData = values.tobytes()
    path = tmp_path / "format.dcm"
    ds.save_as(path)
    expected, _ = reference(path)
    np.testing.assert_array_equal(medaug.read_volume(path).voxels, expected.astype(np.float32))
    assert expected.min() < expected.max()


def test_segmenting_a_dicom_series_equals_segmenting_its_nifti_twin(tmp_path):
    nib = pytest.importorskip("nibabel")
    folder = tmp_path / "dicom"
    write_series(folder, 10, spacing=2.0)
    volume = medaug.read_volume(folder)
    nib.save(nib.Nifti1Image(volume.voxels, volume.affine), str(tmp_path / "twin.nii.gz"))
    model = tmp_path / "seg.safetensors"
    run_cli("model", "init", "--kind", "segmenter", "--image-size", 32, "--classes", 3, "--depth", 2,
            "--base-filters", 4, "--seed", 2, "--out", model)
    run_cli("segment", "--model", model, "--volume", folder, "--out", tmp_path / "from-dicom.nii.gz")
    run_cli("segment", "--model", model, "--volume", tmp_path / "twin.nii.gz", "--out", tmp_path / "from-nifti.nii.gz")
    a, b = nib.load(tmp_path / "from-dicom.nii.gz"), nib.load(tmp_path / "from-nifti.nii.gz")
    assert a.shape == b.shape == volume.voxels.shape
    assert np.allclose(a.affine, b.affine, atol=1e-4)
    assert np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj))
    assert len(np.unique(np.asarray(a.dataobj))) > 1   # random weights still give several classes
