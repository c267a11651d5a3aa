"""DICOM Segmentation (SEG) files written by highdicom, an independent
implementation of the standard, read onto their image series' grid by
medaug (medaug.read_labels / medaug_labels_read, prepare --labels):
BINARY and FRACTIONAL segmentations, sparse frames (highdicom omits a
segment's empty frames), overlapping segments, an oblique series, and
SEGs whose geometry does not match the image."""
import numpy as np
import pytest

from medaug_binding import medaug  # sets up the library path, imports the package

pydicom = pytest.importorskip("pydicom", reason="pydicom is installed by scripts/bootstrap")
hd = pytest.importorskip("highdicom", reason="highdicom is installed by scripts/bootstrap")
from pydicom.sr.codedict import codes  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

from medaug_cli import medaug as run_cli  # noqa: E402
from test_dicom import write_series  # noqa: E402

SLICES = 6
OBLIQUE = (np.cos(0.3), np.sin(0.3), 0.0, 0.0, 0.0, -1.0)


def source_images(folder):
    """The series' datasets in slice order (along the normal), as medaug orders them."""
    datasets = [pydicom.dcmread(p) for p in sorted(folder.iterdir())]
    iop = np.array(datasets[0].ImageOrientationPatient, dtype=np.float64)
    normal = np.cross(iop[:3], iop[3:])
    return sorted(datasets, key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, dtype=np.float64))))


def masks():
    """Two overlapping, asymmetric segments [slice, row, column, segment]."""
    mask = np.zeros((SLICES, 64, 64, 2), dtype=bool)
    mask[1:5, 10:30, 5:50, 0] = True
    rows, columns = np.mgrid[0:64, 0:64]
    mask[2:4, :, :, 1] = ((rows - 30) ** 2 + (columns - 40) ** 2 < 100) & (columns > rows)
    return mask


def description(number, label):
    return hd.seg.SegmentDescription(
        segment_number=number, segment_label=label, segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)


def write_seg(path, sources, pixel_array, kind, transfer_syntax=None):
    extra = {"transfer_syntax_uid": transfer_syntax} if transfer_syntax else {}
    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=pixel_array, segmentation_type=kind,
        segment_descriptions=[description(1, "lesion"), description(2, "core")],
        series_instance_uid=generate_uid(), series_number=100, sop_instance_uid=generate_uid(), instance_number=1,
        manufacturer="medaug tests", manufacturer_model_name="highdicom", software_versions="1",
        device_serial_number="1", omit_empty_frames=True, **extra)
    seg.save_as(str(path))
    return seg


def expected_labels(mask):
    """[column, row, slice] as medaug.read_volume orders a DICOM series; segment 2 wins."""
    labels = np.where(mask[..., 1], 2, np.where(mask[..., 0], 1, 0)).astype(np.int32)
    return labels.transpose(2, 1, 0)


@pytest.mark.parametrize("orientation", [(1, 0, 0, 0, 1, 0), OBLIQUE], ids=["axial", "oblique"])
def test_binary_seg_matches_highdicoms_masks_voxel_by_voxel(tmp_path, orientation):
    write_series(tmp_path / "image", SLICES, spacing=2.0, orientation=orientation)
    sources = source_images(tmp_path / "image")
    mask = masks()
    seg = write_seg(tmp_path / "seg.dcm", sources, mask, "BINARY")
    assert int(seg.NumberOfFrames) < 2 * SLICES          # sparse: empty frames omitted
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    assert labels.dtype == np.int32 and labels.shape == medaug.read_volume(tmp_path / "image").voxels.shape
    np.testing.assert_array_equal(labels, expected_labels(mask))


def test_fractional_seg_is_set_from_half_the_maximum(tmp_path):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    sources = source_images(tmp_path / "image")
    mask = masks()
    fractions = np.where(mask, 0.6, 0.0).astype(np.float32)
    fractions[0, 40:50, 40:50, 0] = 0.4                  # below half of MaximumFractionalValue: not set
    write_seg(tmp_path / "seg.dcm", sources, fractions, "FRACTIONAL")
    stored = pydicom.dcmread(tmp_path / "seg.dcm")
    assert stored.SegmentationType == "FRACTIONAL" and int(stored.MaximumFractionalValue) == 255
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    np.testing.assert_array_equal(labels, expected_labels(mask))


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80"], ids=["rle", "jpeg-ls"])
def test_compressed_fractional_seg_decodes_like_the_native_one(tmp_path, syntax):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    sources = source_images(tmp_path / "image")
    mask = masks()
    fractions = np.where(mask, 0.6, 0.0).astype(np.float32)
    write_seg(tmp_path / "seg.dcm", sources, fractions, "FRACTIONAL", transfer_syntax=syntax)
    stored = pydicom.dcmread(tmp_path / "seg.dcm")
    assert stored.file_meta.TransferSyntaxUID == syntax and stored.file_meta.TransferSyntaxUID.is_compressed
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    np.testing.assert_array_equal(labels, expected_labels(mask))


def test_seg_of_another_grid_is_refused_with_what_differs(tmp_path):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    write_series(tmp_path / "other", SLICES, spacing=2.5)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "other"), masks(), "BINARY")
    with pytest.raises(medaug.InvalidArgumentError, match="does not lie on the image series' grid"):
        medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")


def test_prepare_takes_a_seg_as_labels(tmp_path):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "image"), masks(), "BINARY")
    (tmp_path / "map.json").write_text('{"0": "background", "1": "lesion", "2": "core"}')
    run_cli("prepare", "--image", tmp_path / "image", "--labels", tmp_path / "seg.dcm", "--label-map",
            tmp_path / "map.json", "--plane", "axial", "--size", "32", "--min-foreground", "0",
            "--train-count", "0", "--gap", "0", "--out", tmp_path / "data")
    tifffile = pytest.importorskip("tifffile")
    seen = set()
    for path in (tmp_path / "data").rglob("*.tif"):
        if path.parent.name == "masks":
            seen |= set(np.unique(tifffile.imread(path)).tolist())
    assert {1, 2} <= seen, seen


@pytest.mark.parametrize("damage,error,match", [
    ("pixels", "FormatError", "Pixel Data holds"),
    ("segment", "FormatError", "names no segment"),
    ("type", "FormatError", "SegmentationType"),
])
def test_damaged_segs_are_named_errors(tmp_path, damage, error, match):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "image"), masks(), "BINARY")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    if damage == "pixels":
        ds.PixelData = ds.PixelData[:10]
    elif damage == "segment":
        ds.PerFrameFunctionalGroupsSequence[0].SegmentIdentificationSequence[0].ReferencedSegmentNumber = 7
    else:
        ds.SegmentationType = "LABELMAP_X"
    ds.save_as(tmp_path / "seg.dcm")
    with pytest.raises(getattr(medaug, error), match=match):
        medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")


def test_frames_placed_only_by_their_source_image_uid(tmp_path):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    sources = source_images(tmp_path / "image")
    mask = masks()
    write_seg(tmp_path / "seg.dcm", sources, mask, "BINARY")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    for frame in ds.PerFrameFunctionalGroupsSequence:
        assert "DerivationImageSequence" in frame
        del frame.PlanePositionSequence
    ds.save_as(tmp_path / "seg.dcm")
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    np.testing.assert_array_equal(labels, expected_labels(mask))
    # A source image the series does not hold.
    ds.PerFrameFunctionalGroupsSequence[0].DerivationImageSequence[0].SourceImageSequence[0] \
        .ReferencedSOPInstanceUID = generate_uid()
    ds.save_as(tmp_path / "seg.dcm")
    with pytest.raises(medaug.InvalidArgumentError, match="which is not in the image series"):
        medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")


def _as(ds, tag, vr, value):
    """Replaces an element, with a VR of the test's choosing (a hostile writer's)."""
    del ds[tag]
    ds.add_new(tag, vr, value)


@pytest.mark.parametrize("damage,error,match", [
    ("rows-as-huge-text", "InvalidArgumentError", "too large"),
    ("position-beyond-int", "InvalidArgumentError", "far off the grid"),
    ("spacing-huge", "InvalidArgumentError", "does not lie on the image series' grid"),
    ("orientation-nan", "FormatError", "no Plane Orientation or Pixel Measures"),
    ("position-inf", "FormatError", "neither a Plane Position nor a source image"),
])
def test_hostile_seg_numbers_are_named_errors(tmp_path, damage, error, match):
    """Values no grid can hold, NaNs and infinities in binary VRs, and Rows
    and Columns given as text of any size once trapped (a conversion to Int,
    a multiplication) and took the caller's process down."""
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "image"), masks(), "BINARY")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    shared = ds.SharedFunctionalGroupsSequence[0]
    first = ds.PerFrameFunctionalGroupsSequence[0]
    if damage == "rows-as-huge-text":
        _as(ds, 0x00280010, "IS", "9999999999999")
        _as(ds, 0x00280011, "IS", "9999999999999")
    elif damage == "position-beyond-int":
        first.PlanePositionSequence[0].ImagePositionPatient = ["1e300", "0", "0"]
    elif damage == "spacing-huge":
        shared.PixelMeasuresSequence[0].PixelSpacing = ["1e300", "1e300"]
    elif damage == "orientation-nan":
        _as(shared.PlaneOrientationSequence[0], 0x00200037, "FD", [float("nan")] * 6)
    else:
        del first.DerivationImageSequence
        _as(first.PlanePositionSequence[0], 0x00200032, "FD", [float("inf"), 0.0, 0.0])
    ds.save_as(tmp_path / "seg.dcm")
    with pytest.raises(getattr(medaug, error), match=match):
        medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")


def test_fractional_maximum_of_any_size_sets_nothing_below_it(tmp_path):
    """MaximumFractionalValue as text up to Int's maximum: half of it is the
    threshold (once an overflow trap); no 8-bit value reaches it."""
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    fractions = np.where(masks(), 1.0, 0.0).astype(np.float32)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "image"), fractions, "FRACTIONAL")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    _as(ds, 0x0062000E, "IS", str(2**63 - 1))
    ds.save_as(tmp_path / "seg.dcm")
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    assert labels.shape == medaug.read_volume(tmp_path / "image").voxels.shape and not labels.any()


def test_compressed_seg_with_a_hostile_rescale_slope_reads(tmp_path):
    """A Rescale Slope of 1e300 on compressed FRACTIONAL frames makes decoded
    values no Int holds (once a trap): they clamp to the 8-bit range."""
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    fractions = np.where(masks(), 0.6, 0.0).astype(np.float32)
    write_seg(tmp_path / "seg.dcm", source_images(tmp_path / "image"), fractions, "FRACTIONAL",
              transfer_syntax="1.2.840.10008.1.2.5")
    ds = pydicom.dcmread(tmp_path / "seg.dcm")
    ds.RescaleSlope, ds.RescaleIntercept = "1e300", "0"
    ds.save_as(tmp_path / "seg.dcm")
    labels = medaug.read_labels(tmp_path / "seg.dcm", tmp_path / "image")
    np.testing.assert_array_equal(labels, expected_labels(masks()))
