#!/usr/bin/env python3
"""Seed corpora for scripts/fuzz: small valid files per target, made here
with independent writers (tifffile, nibabel, pydicom, highdicom) and the
medaug CLI.

    make_seeds.py OUT_FOLDER MEDAUG_BIN MEDAUG_FUZZ_BIN

The annotations target reads GDCM's record stream of a DICOM SEG or RT
Structure Set: its seeds are written as files, then turned into streams
by the plain replayer (`medaug-fuzz --dataset-stream`).

Writes OUT_FOLDER/<target>/seed-*. Small files on purpose: libFuzzer
mutates bytes, and a few hundred bytes reach the decoders fastest.
"""
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def put(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def tiff_seeds(out):
    import tifffile
    rng = np.random.default_rng(1)
    cases = {
        "u8": rng.integers(0, 255, (8, 8), dtype=np.uint8),
        "u16": rng.integers(0, 4000, (6, 10), dtype=np.uint16),
        "i16": rng.integers(-300, 300, (5, 7), dtype=np.int16),
        "f32": rng.standard_normal((4, 4)).astype(np.float32),
        "rgb": rng.integers(0, 255, (4, 4, 3), dtype=np.uint8),
        "pages": rng.integers(0, 255, (3, 4, 4), dtype=np.uint8),
    }
    for name, array in cases.items():
        for compression in (None, "zlib", "lzw", "packbits", "zstd", "lzma", "jpeg", "webp"):
            buffer = io.BytesIO()
            kwargs = {"photometric": "rgb"} if name == "rgb" else {}
            try:
                tifffile.imwrite(buffer, array, compression=compression, **kwargs)
            except Exception:  # a codec tifffile cannot write here: skip it
                continue
            put(out, f"seed-{name}-{compression or 'none'}.tif", buffer.getvalue())
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, cases["u16"], tile=(16, 16))
    put(out, "seed-tiled.tif", buffer.getvalue())
    # Tiled YCbCr JPEG (as pathology scanners write) and the CCITT fax codes.
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, rng.integers(0, 255, (32, 32, 3), dtype=np.uint8), photometric="rgb", tile=(16, 16),
                     compression="jpeg")
    put(out, "seed-ycbcr-jpeg-tiled.tif", buffer.getvalue())
    from PIL import Image
    for compression in ("group4", "group3", "tiff_ccitt"):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 2, (9, 13)).astype(bool)).save(buffer, format="TIFF", compression=compression)
        put(out, f"seed-bilevel-{compression}.tif", buffer.getvalue())


def nifti_seeds(out):
    import nibabel as nib
    rng = np.random.default_rng(2)
    for name, array, dtype in [("f32", rng.standard_normal((4, 5, 3)), np.float32),
                               ("i16", rng.integers(-50, 50, (3, 3, 2)), np.int16),
                               ("u8-4d", rng.integers(0, 9, (2, 3, 2, 2)), np.uint8)]:
        affine = np.diag([1.5, -2.0, 3.0, 1.0])
        affine[:3, 3] = [4, 5, 6]
        image = nib.Nifti1Image(array.astype(dtype), affine)
        image.header.set_slope_inter(2.0, -1.0) if name == "i16" else None
        data = image.to_bytes()
        put(out, f"seed-{name}.nii", data)
        put(out, f"seed-{name}.nii.gz", gzip.compress(data, mtime=0))


def dicom_seeds(out):
    import pydicom
    from pydicom.data import get_testdata_file
    for name in ["MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
                 "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "CT_small.dcm", "rtdose.dcm",
                 "JPEGLSNearLossless_08.dcm", "nested_priv_SQ.dcm", "UN_sequence.dcm"]:
        with open(get_testdata_file(name), "rb") as f:
            put(out, f"seed-{name}", f.read())
    # A 4x4 MR made from MR_small: reaches the decoders with few bytes.
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.Rows = ds.Columns = 4
    ds.PixelData = np.arange(16, dtype=np.int16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer)
    put(out, "seed-tiny-mr.dcm", buffer.getvalue())


def annotation_files(folder):
    """SEG (BINARY, FRACTIONAL) and RTSTRUCT files written into `folder` on
    a 16x16x4 series of 1 mm voxels, axial, first voxel at LPS (0, 0, 0):
    the grid the target places them on (FuzzTargets.annotationGrid).
    Returns {name: path}."""
    import highdicom as hd
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sr.codedict import codes
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    sources, series = [], generate_uid()
    for k in range(4):
        ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
        ds.SeriesInstanceUID, ds.SOPInstanceUID = series, generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.Rows = ds.Columns = 16
        ds.PixelSpacing, ds.SliceThickness = ["1", "1"], "1"
        ds.ImageOrientationPatient, ds.ImagePositionPatient = ["1", "0", "0", "0", "1", "0"], ["0", "0", str(k)]
        ds.PixelData = np.full((16, 16), 100 * k, dtype=np.int16).tobytes()
        sources.append(ds)
    mask = np.zeros((4, 16, 16, 2), dtype=bool)
    mask[1:3, 2:9, 3:12, 0] = True
    mask[2, 5:7, 6:8, 1] = True

    def description(number, label):
        return hd.seg.SegmentDescription(
            segment_number=number, segment_label=label, segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)

    files = {}
    for kind, pixels in [("BINARY", mask), ("FRACTIONAL", mask.astype(np.float32) * 0.75)]:
        seg = hd.seg.Segmentation(
            source_images=sources, pixel_array=pixels, segmentation_type=kind,
            segment_descriptions=[description(1, "lesion"), description(2, "core")],
            series_instance_uid=generate_uid(), series_number=100, sop_instance_uid=generate_uid(),
            instance_number=1, manufacturer="medaug seeds", manufacturer_model_name="highdicom",
            software_versions="1", device_serial_number="1", omit_empty_frames=True)
        files[f"seg-{kind.lower()}"] = seg
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    meta.MediaStorageSOPInstanceUID, meta.TransferSyntaxUID = generate_uid(), ExplicitVRLittleEndian
    rt = Dataset()
    rt.file_meta, rt.Modality = meta, "RTSTRUCT"
    rt.SOPClassUID, rt.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    rt.StructureSetROISequence, rt.ROIContourSequence = [], []
    polygons = {"body": [[(1.2, 1.5), (14.3, 2.1), (12.8, 13.6), (2.2, 12.4)]],
                "tumour": [[(4.5, 4.4), (10.6, 5.2), (7.1, 11.3)], [(6.5, 6.5), (8.5, 6.5), (8.5, 8.5)]]}
    for number, (name, shapes) in enumerate(polygons.items(), start=1):
        item = Dataset()
        item.ROINumber, item.ROIName = number, name
        rt.StructureSetROISequence.append(item)
        roi = Dataset()
        roi.ReferencedROINumber, roi.ContourSequence = number, []
        for z in (1, 2):
            for shape in shapes:
                contour = Dataset()
                contour.ContourGeometricType, contour.NumberOfContourPoints = "CLOSED_PLANAR", len(shape)
                # Voxel (c, r, z) lies at LPS (c, r, z) mm: RAS (-c, -r, z) through the grid's diag(-1, -1, 1).
                contour.ContourData = [f"{v:g}" for c, r in shape for v in (c, r, z)]
                roi.ContourSequence.append(contour)
        rt.ROIContourSequence.append(roi)
    files["rtstruct"] = rt
    paths = {}
    for name, ds in files.items():
        paths[name] = os.path.join(folder, f"{name}.dcm")
        ds.save_as(paths[name], enforce_file_format=True)
    return paths


def dataset_stream(fuzz_bin, path):
    """GDCM's record stream of a DICOM file (the annotations target's input)."""
    with tempfile.TemporaryDirectory() as tmp:
        stream = os.path.join(tmp, "stream")
        result = subprocess.run([fuzz_bin, "--dataset-stream", path, stream], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"make_seeds: medaug-fuzz --dataset-stream {path} failed: {result.stderr}")
        with open(stream, "rb") as f:
            return f.read()


def annotation_seeds(out, fuzz_bin):
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in annotation_files(tmp).items():
            put(out, f"seed-{name}", dataset_stream(fuzz_bin, path))


def safetensors_seeds(out, medaug):
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "generator": ["--kind", "generator", "--image-size", "16", "--classes", "2", "--down-filters", "2,3"],
            "discriminator": ["--kind", "discriminator", "--image-size", "64", "--classes", "2", "--filters", "2,2,2,2,2"],
            "segmenter": ["--kind", "segmenter", "--image-size", "8", "--classes", "2", "--depth", "1", "--base-filters", "2"],
        }
        for name, flags in cases.items():
            path = os.path.join(tmp, f"{name}.safetensors")
            result = subprocess.run([medaug, "model", "init", *flags, "--output", path], capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"make_seeds: medaug model init {' '.join(flags)} failed: {result.stderr}")
            with open(path, "rb") as f:
                put(out, f"seed-{name}.safetensors", f.read())
        return {name: open(os.path.join(out, f"seed-{name}.safetensors"), "rb").read() for name in cases}


AUGMENTATIONS = [
    {"border": {"mode": "constant", "value": -1}, "operations": [
        {"type": "rotate", "probability": 0.5, "degrees": [-15, 15]},
        {"type": "shift", "probability": 0.5, "fraction": [-0.1, 0.1]},
        {"type": "flip", "probability": 0.5, "axis": "horizontal"},
        {"type": "zoom", "probability": 0.5, "scale": [0.9, 1.1]}]},
    {"border": {"mode": "reflect"}, "operations": [
        {"type": "elastic", "probability": 1, "alpha_mm": [2, 6], "sigma_mm": 4},
        {"type": "blur", "sigma_mm": [0.5, 1.5]}]},
    {"border": {"mode": "edge"}, "operations": [
        {"type": "brightness", "delta": [-0.1, 0.1]}, {"type": "contrast", "factor": [0.8, 1.2]},
        {"type": "gamma", "gamma": [0.7, 1.5], "intensity_range": [-1, 1]}, {"type": "noise", "std": [0, 0.05]},
        {"type": "bias_field", "coefficient": [0.1, 0.3], "intensity_range": [-1, 1]},
        {"type": "flip", "axis": "vertical"}]},
]

MANIFEST = {
    "format": "medaug-dataset", "version": 1, "classes": ["background", "lesion"], "label_values": [0, 4],
    "channels": ["T1"], "spacing_mm": [1.0, 1.0],
    "intensity": {"stored": "uint16", "stored_range": [0, 65535], "network_range": [-1, 1]},
    "items": [{"id": "a", "image": "images/a.tif", "mask": "masks/a.tif", "split": "train", "synthetic": False,
               "source": {"file": "x.nii.gz", "slice": 3}},
              {"id": "b", "image": "images/b.tif", "mask": "masks/b.tif", "split": "val", "synthetic": True,
               "source": {"origin": "classic", "seed": 1}}],
}


def main():
    out, medaug, fuzz_bin = sys.argv[1], sys.argv[2], sys.argv[3]
    tiff_seeds(os.path.join(out, "tiff"))
    nifti_seeds(os.path.join(out, "nifti"))
    dicom_seeds(os.path.join(out, "dicom"))
    annotation_seeds(os.path.join(out, "annotations"), fuzz_bin)
    models = safetensors_seeds(os.path.join(out, "safetensors"), medaug)
    for i, pipeline in enumerate(AUGMENTATIONS):
        put(os.path.join(out, "augmentation"), f"seed-{i}.json", json.dumps(pipeline).encode())
    put(os.path.join(out, "manifest"), "seed-0.json", json.dumps(MANIFEST).encode())
    abi = os.path.join(out, "abi")
    for name, data in models.items():
        put(abi, f"seed-model-{name}", bytes([0]) + data)
    for i, pipeline in enumerate(AUGMENTATIONS):
        put(abi, f"seed-augment-{i}", bytes([1, 2, 9, 11]) + json.dumps(pipeline).encode())
    put(abi, "seed-metrics", bytes([2, 3, 7, 5]) + bytes(range(40)))
    counts = {t: len(os.listdir(os.path.join(out, t))) for t in sorted(os.listdir(out))}
    print("seeds: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
