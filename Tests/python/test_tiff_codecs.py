"""Every TIFF a scanner writes: the codecs the system's libtiff decodes
(tiled YCbCr JPEG as pathology scanners store it, ZSTD, LZMA, WebP, CCITT
fax masks from Pillow) read through the Python API equal tifffile's reading,
and the CLI takes a Group 4 mask."""
import numpy as np
import pytest
import tifffile

from medaug_binding import medaug
from medaug_cli import medaug as run_cli, requires_binary

Image = pytest.importorskip("PIL.Image")


def reference(path):
    array = tifffile.imread(path)
    return np.moveaxis(array, -1, 0) if array.ndim == 3 else array


def disc(h=40, w=56):
    return np.add.outer((np.arange(h) - h // 2) ** 2, (np.arange(w) - w // 3) ** 2) < 14 ** 2


@pytest.mark.parametrize("name,write", [
    ("ycbcr-jpeg-tiled", lambda p, rgb, g: tifffile.imwrite(p, rgb, photometric="rgb", compression="jpeg",
                                                            tile=(32, 32))),
    ("zstd", lambda p, rgb, g: tifffile.imwrite(p, g, compression="zstd")),
    ("zstd-predictor", lambda p, rgb, g: tifffile.imwrite(p, g, compression="zstd", predictor=True)),
    ("lzma", lambda p, rgb, g: tifffile.imwrite(p, g, compression="lzma")),
    ("webp-lossless", lambda p, rgb, g: tifffile.imwrite(p, rgb, compression="webp",
                                                         compressionargs={"lossless": True})),
    ("pillow-group4", lambda p, rgb, g: Image.fromarray(disc()).save(p, compression="group4")),
    ("pillow-group3", lambda p, rgb, g: Image.fromarray(disc()).save(p, compression="group3")),
    ("pillow-jpeg", lambda p, rgb, g: Image.fromarray(rgb).save(p, compression="jpeg")),
])
def test_codecs_read_as_tifffile_reads_them(tmp_path, name, write):
    y, x = np.mgrid[0:40, 0:56]
    rgb = np.stack([x * 4, y * 6, (x + y) * 2], -1).astype(np.uint8)
    grey = (x * 900 + y * 7).astype(np.uint16)
    path = tmp_path / f"{name}.tif"
    write(path, rgb, grey)
    got, want = medaug.read_image(path), reference(path)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(got, want.astype(np.float32)), np.abs(got - want).max()


@requires_binary
def test_the_cli_augments_a_group4_mask(tmp_path):
    mask = tmp_path / "mask.tif"
    Image.fromarray(disc()).save(mask, compression="group4")
    image = tmp_path / "image.tif"
    tifffile.imwrite(image, np.where(disc(), 0.8, -0.6).astype(np.float32))
    run_cli("augment", "--image", image, "--mask", mask, "--out", tmp_path / "a", "--seed", 1)
    out = tifffile.imread(tmp_path / "a-0000-mask.tif")
    assert set(np.unique(out)) <= {0, 1} and out.sum() > 0


def test_a_compression_libtiff_lacks_is_refused_naming_what_it_decodes(tmp_path):
    path = tmp_path / "j2k.tif"
    tifffile.imwrite(path, np.zeros((8, 8), np.uint8))
    data = bytearray(path.read_bytes())
    # Compression tag (259, SHORT, 1) -> 34712 (JPEG 2000), which Debian's libtiff does not decode.
    at = data.find(bytes([3, 1, 3, 0, 1, 0, 0, 0, 1, 0]))
    assert at > 0
    data[at + 8:at + 10] = (34712).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(medaug.UnsupportedError, match="does not decode.*ZSTD"):
        medaug.read_image(path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.float32,
                                   np.float64, np.bool_])
def test_read_image_keeps_the_stored_type_and_float32_on_request(tmp_path, dtype):
    rng = np.random.default_rng(3)
    if dtype == np.bool_:
        array = rng.integers(0, 2, (13, 17)).astype(bool)   # bilevel: one sample per pixel
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, (3, 13, 17), dtype=np.int64, endpoint=True).astype(dtype)
        array.flat[0] = info.max   # uint32 above 2^24: exact only without float
    else:
        array = rng.standard_normal((3, 13, 17)).astype(dtype)
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, array, photometric="minisblack", **({"planarconfig": "separate"} if array.ndim == 3 else {}))
    got = medaug.read_image(path)
    want = tifffile.imread(path)
    assert got.dtype == want.dtype == np.dtype(dtype)
    assert np.array_equal(got, want)
    as_float = medaug.read_image(path, dtype=np.float32)
    assert as_float.dtype == np.float32 and np.array_equal(as_float, want.astype(np.float32))
    with pytest.raises(medaug.InvalidArgumentError, match="dtype"):
        medaug.read_image(path, dtype=np.int64)


def test_a_mask_read_feeds_augment_and_metrics_as_it_is(tmp_path):
    mask = (disc() * 2).astype(np.uint16)
    tifffile.imwrite(tmp_path / "mask.tif", mask)
    read = medaug.read_image(tmp_path / "mask.tif")
    assert read.dtype == np.uint16
    image = np.where(read > 0, 0.5, -0.5).astype(np.float32)
    _, out = medaug.augment(image, read, seed=2)
    assert set(np.unique(out)) <= {0, 2}
    report = medaug.metrics(read, read, num_classes=3)
    assert report["mean_dice"] == pytest.approx(1.0)
