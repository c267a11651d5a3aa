"""DICOM RT Structure Sets built with pydicom, rasterised by medaug onto
their image series' grid (medaug.read_labels, prepare --labels --roi) and
compared with an independent rasterisation, skimage.draw.polygon (pixel
centres inside the polygon), combined by the even-odd rule: they agree
except within one pixel of a contour's edges."""
import numpy as np
import pytest

from medaug_binding import medaug  # sets up the library path, imports the package

pydicom = pytest.importorskip("pydicom", reason="pydicom is installed by scripts/bootstrap")
draw = pytest.importorskip("skimage.draw", reason="scikit-image is installed by scripts/bootstrap")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

from medaug_cli import medaug as run_cli  # noqa: E402
from test_dicom import write_series  # noqa: E402

SLICES = 6
RT_STRUCTURE_SET = "1.2.840.10008.5.1.4.1.1.481.3"
# Polygons in (column, row) voxel coordinates, per ROI and slice.
BODY = [(4.3, 6.2), (58.7, 3.9), (61.2, 40.5), (35.6, 60.8), (6.1, 52.4)]
TUMOUR = [(20.4, 18.7), (47.9, 22.2), (30.2, 49.6)]
HOLE = [(28.5, 26.5), (36.5, 26.5), (36.5, 33.5), (28.5, 33.5)]
CONTOURS = {"body": {k: [BODY] for k in range(1, 5)}, "tumour": {2: [TUMOUR, HOLE], 3: [TUMOUR]}}


def write_rtstruct(path, volume, contours=CONTOURS, numbers=None, z_offset=0.0):
    """An RTSTRUCT whose contour points are the given voxel coordinates in
    patient LPS millimetres (through the series' affine)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RT_STRUCTURE_SET
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = RT_STRUCTURE_SET, meta.MediaStorageSOPInstanceUID, "RTSTRUCT"
    ds.StructureSetROISequence, ds.ROIContourSequence = [], []
    to_lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ volume.affine
    for number, (name, slices) in enumerate(contours.items(), start=1):
        number = (numbers or {}).get(name, number)
        ds.StructureSetROISequence.append(Dataset())
        ds.StructureSetROISequence[-1].ROINumber, ds.StructureSetROISequence[-1].ROIName = number, name
        roi = Dataset()
        roi.ReferencedROINumber, roi.ContourSequence = number, []
        for k, polygons in slices.items():
            for polygon in polygons:
                points = [to_lps @ np.array([c, r, k + z_offset, 1.0]) for c, r in polygon]
                contour = Dataset()
                contour.ContourGeometricType, contour.NumberOfContourPoints = "CLOSED_PLANAR", len(points)
                contour.ContourData = [f"{v:.4f}" for p in points for v in p[:3]]
                roi.ContourSequence.append(contour)
        ds.ROIContourSequence.append(roi)
    ds.save_as(str(path), enforce_file_format=True)


def reference(shape, contours=CONTOURS, order=("body", "tumour"), values=None):
    """skimage's fill of each polygon, even-odd per ROI and slice, later ROIs win."""
    labels = np.zeros(shape, dtype=np.int32)
    for index, name in enumerate(order, start=1):
        for k, polygons in contours[name].items():
            inside = np.zeros(shape[:2], dtype=bool)
            for polygon in polygons:
                c, r = np.array(polygon).T
                rr, cc = draw.polygon(r, c, shape=(shape[1], shape[0]))
                one = np.zeros(shape[:2], dtype=bool)
                one[cc, rr] = True
                inside ^= one
            labels[..., k][inside] = (values or {}).get(name, index)
    return labels


def near_an_edge(shape, contours=CONTOURS):
    """Voxels within one pixel of any contour edge, per slice."""
    near = np.zeros(shape, dtype=bool)
    cols, rows = np.mgrid[0:shape[0], 0:shape[1]]
    points = np.stack([cols, rows], axis=-1).astype(np.float64)
    for slices in contours.values():
        for k, polygons in slices.items():
            for polygon in polygons:
                for a, b in zip(polygon, polygon[1:] + polygon[:1]):
                    a, b = np.array(a), np.array(b)
                    t = np.clip(((points - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
                    distance = np.linalg.norm(points - (a + t[..., None] * (b - a)), axis=-1)
                    near[..., k] |= distance <= 1.0
    return near


@pytest.fixture
def series(tmp_path):
    write_series(tmp_path / "image", SLICES, spacing=2.0)
    return tmp_path / "image", medaug.read_volume(tmp_path / "image")


def test_contours_fill_like_skimage_with_holes_and_nested_rois(tmp_path, series):
    folder, volume = series
    write_rtstruct(tmp_path / "rt.dcm", volume, z_offset=0.3)       # within half a slice of their slice
    labels = medaug.read_labels(tmp_path / "rt.dcm", folder)
    expected = reference(labels.shape)
    assert labels.shape == volume.voxels.shape and labels.dtype == np.int32
    differ = labels != expected
    assert not (differ & ~near_an_edge(labels.shape)).any(), np.argwhere(differ & ~near_an_edge(labels.shape))[:5]
    assert differ.sum() < 0.02 * (expected > 0).sum()
    # The hole is background-of-tumour (body shows through), and slice 3 has no hole.
    assert labels[32, 30, 2] == 1 and labels[32, 30, 3] == 2
    assert set(np.unique(labels[..., 0])) == {0} and set(np.unique(labels[..., 5])) == {0}


def test_roi_values_and_order_decide_overlaps(tmp_path, series):
    folder, volume = series
    write_rtstruct(tmp_path / "rt.dcm", volume, numbers={"body": 10, "tumour": 20})
    default = medaug.read_labels(tmp_path / "rt.dcm", folder)
    assert set(np.unique(default)) == {0, 10, 20}                    # ROI Numbers without rois
    tumour_first = medaug.read_labels(tmp_path / "rt.dcm", folder, rois=[("tumour", 2), ("body", 1)])
    assert set(np.unique(tumour_first)) == {0, 1}                    # body drawn last covers the tumour
    body_first = medaug.read_labels(tmp_path / "rt.dcm", folder, rois={"body": 1, "tumour": 2})
    assert set(np.unique(body_first)) == {0, 1, 2}
    with pytest.raises(medaug.InvalidArgumentError, match="no ROI named 'liver'"):
        medaug.read_labels(tmp_path / "rt.dcm", folder, rois=[("liver", 3)])
    with pytest.raises(TypeError):
        medaug.read_labels(tmp_path / "rt.dcm", folder, rois=[("body", "1")])


def test_contours_off_the_grid_are_named_errors(tmp_path, series):
    folder, volume = series
    write_rtstruct(tmp_path / "tilted.dcm", volume, contours={"body": {2: [BODY]}}, z_offset=0.0)
    ds = pydicom.dcmread(tmp_path / "tilted.dcm")
    data = [float(v) for v in ds.ROIContourSequence[0].ContourSequence[0].ContourData]
    data[2] += 3.0                                                  # one point 1.5 slices away
    ds.ROIContourSequence[0].ContourSequence[0].ContourData = [f"{v:.4f}" for v in data]
    ds.save_as(tmp_path / "tilted.dcm")
    with pytest.raises(medaug.InvalidArgumentError, match="does not lie in a slice plane"):
        medaug.read_labels(tmp_path / "tilted.dcm", folder)
    write_rtstruct(tmp_path / "outside.dcm", volume, contours={"body": {SLICES + 3: [BODY]}})
    with pytest.raises(medaug.InvalidArgumentError, match="outside the image series' grid"):
        medaug.read_labels(tmp_path / "outside.dcm", folder)
    with pytest.raises(medaug.InvalidArgumentError, match="apply to RT Structure Sets"):
        medaug.read_labels(folder / sorted(p.name for p in folder.iterdir())[0], folder, rois=[("body", 1)])


def test_prepare_takes_an_rtstruct_with_rois(tmp_path, series):
    folder, volume = series
    write_rtstruct(tmp_path / "rt.dcm", volume)
    run_cli("prepare", "--image", folder, "--labels", tmp_path / "rt.dcm", "--roi", "body=1", "--roi", "tumour=2",
            "--classes", "background,body,tumour", "--plane", "axial", "--size", "32", "--min-foreground", "0",
            "--train-count", "0", "--gap", "0", "--out", tmp_path / "data")
    tifffile = pytest.importorskip("tifffile")
    seen = set()
    for path in (tmp_path / "data" / "masks").glob("*.tif"):
        seen |= set(np.unique(tifffile.imread(path)).tolist())
    assert {1, 2} <= seen, seen


@pytest.mark.parametrize("vr,value,error,match", [
    ("DS", 1e20, "InvalidArgumentError", "far off the image series' grid"),
    ("FD", 1e300, "InvalidArgumentError", "far off the image series' grid"),
    ("FD", float("nan"), "FormatError", "has no Contour Data"),
    ("FD", float("inf"), "FormatError", "has no Contour Data"),
], ids=["ds-beyond-int", "fd-huge", "fd-nan", "fd-inf"])
def test_hostile_contour_numbers_are_named_errors(tmp_path, series, vr, value, error, match):
    """A point no grid can hold, or a binary NaN or infinity, once trapped in
    a conversion to Int and took the caller's process down."""
    folder, volume = series
    write_rtstruct(tmp_path / "rt.dcm", volume, contours={"body": {2: [BODY]}})
    ds = pydicom.dcmread(tmp_path / "rt.dcm")
    contour = ds.ROIContourSequence[0].ContourSequence[0]
    data = [float(v) for v in contour.ContourData]
    data[0] = value if vr == "DS" else data[0]
    del contour.ContourData
    if vr == "DS":
        contour.add_new(0x30060050, "DS", [f"{v:.6g}" for v in data])
    else:
        contour.add_new(0x30060050, "FD", [value] + data[1:])
    ds.save_as(tmp_path / "rt.dcm")
    with pytest.raises(getattr(medaug, error), match=match):
        medaug.read_labels(tmp_path / "rt.dcm", folder)
