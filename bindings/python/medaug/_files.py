"""TIFF images, NIfTI and DICOM volumes through libmedaug's readers and writer."""
from __future__ import annotations

import ctypes
from typing import Any, NamedTuple, Optional, Tuple

import numpy as np

from . import _ffi
from ._library import PathLike, _check, _lib
from ._data import _path
from ._errors import InvalidArgumentError, ShapeError


def _take(pointer: ctypes.c_void_p, count: int) -> np.ndarray:
    """A numpy copy of a library-allocated float buffer, which is then freed."""
    try:
        return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(count,)).copy() \
            if count else np.empty(0, np.float32)
    finally:
        _lib.medaug_buffer_free(pointer)


def image_page_count(path: PathLike) -> int:
    """Pages (directories) of a TIFF file (``medaug_image_page_count``)."""
    pages = ctypes.c_size_t()
    _check(_lib.medaug_image_page_count(_path(path, "path"), ctypes.byref(pages)))
    return pages.value


_STORED_DTYPES = {_ffi.MEDAUG_SAMPLE_UINT8: np.uint8, _ffi.MEDAUG_SAMPLE_UINT16: np.uint16,
                  _ffi.MEDAUG_SAMPLE_FLOAT32: np.float32, _ffi.MEDAUG_SAMPLE_INT8: np.int8,
                  _ffi.MEDAUG_SAMPLE_INT16: np.int16, _ffi.MEDAUG_SAMPLE_UINT32: np.uint32,
                  _ffi.MEDAUG_SAMPLE_INT32: np.int32, _ffi.MEDAUG_SAMPLE_FLOAT64: np.float64,
                  _ffi.MEDAUG_SAMPLE_BOOL: np.bool_}


def read_image(path: PathLike, page: int = 0, dtype: Optional[Any] = None) -> np.ndarray:
    """One page of a TIFF file, stored values exactly.

    Returns ``[h, w]`` for a one-channel page, ``[c, h, w]`` (channel-planar) for RGB
    or multi-sample pages. In medaug's dataset folders an image has one page per
    channel: read each page, or stack them.

    Args:
        dtype: None (the default) keeps the page's stored sample type
            (``medaug_image_read_samples``): uint8/16/32, int8/16/32,
            float32/64, or bool for bilevel pages, as tifffile reads them, so a
            mask feeds ``augment`` and ``metrics`` as it is; ``np.float32``
            converts (``medaug_image_read``, the behaviour before 0.3.0).

    Raises:
        FileError: cannot open. FormatError: not a valid TIFF. UnsupportedError: a
        TIFF feature medaug does not read. InvalidArgumentError: page out of range,
        a page over the size limits, a dtype other than None or float32.
    """
    if not isinstance(page, (int, np.integer)) or isinstance(page, bool) or page < 0:
        raise InvalidArgumentError(f"page must be an int >= 0; got {page!r}", _ffi.MEDAUG_INVALID_ARGUMENT)
    if dtype is not None and np.dtype(dtype) != np.float32:
        raise InvalidArgumentError(f"dtype must be None (the stored type) or numpy.float32; got {dtype!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    c, h, w = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_size_t()
    if dtype is not None:
        pixels = ctypes.c_void_p()
        _check(_lib.medaug_image_read(_path(path, "path"), int(page), ctypes.byref(pixels), ctypes.byref(c),
                                      ctypes.byref(h), ctypes.byref(w)))
        values = _take(pixels, c.value * h.value * w.value).reshape(c.value, h.value, w.value)
        return values[0] if c.value == 1 else values
    samples, code = ctypes.c_void_p(), ctypes.c_int()
    _check(_lib.medaug_image_read_samples(_path(path, "path"), int(page), ctypes.byref(samples), ctypes.byref(code),
                                          ctypes.byref(c), ctypes.byref(h), ctypes.byref(w)))
    count = c.value * h.value * w.value
    try:
        stored = np.dtype(_STORED_DTYPES[code.value])
        raw = ctypes.cast(samples, ctypes.POINTER(ctypes.c_uint8))
        data = np.ctypeslib.as_array(raw, shape=(count * stored.itemsize,)).copy() if count else np.empty(0, np.uint8)
    finally:
        _lib.medaug_buffer_free(samples)
    values = data.view(np.uint8 if stored == np.bool_ else stored).reshape(c.value, h.value, w.value)
    if stored == np.bool_:
        values = values.astype(np.bool_)
    return values[0] if c.value == 1 else values


_SAMPLE_TYPES = {None: _ffi.MEDAUG_SAMPLE_DEFAULT, np.dtype(np.uint8): _ffi.MEDAUG_SAMPLE_UINT8,
                 np.dtype(np.uint16): _ffi.MEDAUG_SAMPLE_UINT16, np.dtype(np.float32): _ffi.MEDAUG_SAMPLE_FLOAT32}


def write_image(path: PathLike, array: Any, dtype: Optional[Any] = None) -> None:
    """Writes ``[h, w]`` or ``[pages, h, w]`` as a (multi-page) TIFF, atomically
    (``medaug_image_write``).

    Args:
        dtype: the stored sample type, ``np.uint8``, ``np.uint16`` or ``np.float32``;
            None: the array's own if it is one of those, else float32. Integer types
            store rounded values, which must lie in the type's range.

    Raises:
        InvalidArgumentError: NaN/inf or out-of-range values (nothing is written).
        ShapeError: not [h, w] or [pages, h, w], or a channels-last image
            ``(h, w, 3 or 4)`` (move the channel axis first).
        TypeError: an array of non-numbers.
        FileError: the file cannot be written.
    """
    values = np.asarray(array)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"array must be an array of real numbers; got dtype {values.dtype}")
    chosen = np.dtype(dtype) if dtype is not None else (values.dtype if values.dtype in _SAMPLE_TYPES else None)
    if chosen not in _SAMPLE_TYPES:
        raise InvalidArgumentError(f"dtype must be uint8, uint16 or float32; got {dtype!r}", _ffi.MEDAUG_INVALID_ARGUMENT)
    if values.ndim == 2:
        values = values[np.newaxis]
    if values.ndim == 3 and values.shape[2] in (3, 4) and values.shape[0] > 4 and values.shape[1] > 4:
        raise ShapeError(f"array looks channels-last {values.shape} (h, w, channels); write_image takes "
                         f"[pages, h, w]: pass np.moveaxis(array, -1, 0) to store one page per channel",
                         _ffi.MEDAUG_SHAPE_MISMATCH)
    if values.ndim != 3:
        raise ShapeError(f"array must be [h, w] or [pages, h, w]; got shape {np.shape(array)}",
                         _ffi.MEDAUG_SHAPE_MISMATCH)
    values = np.require(values, dtype=np.float32, requirements=["C", "A"])
    pages, h, w = values.shape
    _check(_lib.medaug_image_write(_path(path, "path"), values.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                   pages, h, w, _SAMPLE_TYPES[chosen]))


class Volume(NamedTuple):
    """What :func:`read_volume` returns."""

    voxels: np.ndarray                      #: float32 [x, y, z] or [x, y, z, t], as nibabel's get_fdata()
    voxel_size: Tuple[float, float, float]  #: millimetres along x, y, z
    affine: np.ndarray                      #: float64 [4, 4], voxel (i, j, k) to world mm, RAS+ (nibabel's .affine)


def read_volume(path: PathLike, series: Optional[int] = None) -> Volume:
    """A volume with its scaling applied (``medaug_volume_read_series``).

    ``path`` is a NIfTI-1 file (.nii/.nii.gz; scl_slope/inter applied), a
    DICOM file (single- or multi-frame) or a folder of DICOM slices
    (RescaleSlope/Intercept applied per file; slices ordered by
    ImagePositionPatient). ``series`` picks one series (from 1, in
    :func:`volume_series` order) when a folder holds several; None requires
    exactly one. Returns :class:`Volume` ``(voxels, voxel_size, affine)``;
    ``voxels`` is indexed ``[i, j, k]`` (``[i, j, k, t]`` for 4-D) in storage
    order, like nibabel's ``get_fdata()``; for DICOM i is the column, j the
    row and k the slice.
    """
    if series is not None and (not isinstance(series, int) or isinstance(series, bool) or series < 1):
        raise InvalidArgumentError(f"read_volume: series must be an int >= 1 or None, got {series!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    pointer = ctypes.c_void_p()
    dims = (ctypes.c_size_t * 4)()
    size = (ctypes.c_double * 3)()
    affine = (ctypes.c_double * 16)()
    _check(_lib.medaug_volume_read_series(_path(path, "path"), series or 0, ctypes.byref(pointer), dims, size,
                                          affine))
    x, y, z, t = (int(d) for d in dims)
    flat = _take(pointer, x * y * z * t)
    shape = (x, y, z) if t == 1 else (x, y, z, t)
    return Volume(flat.reshape(shape, order="F"), (size[0], size[1], size[2]),
                  np.array(affine[:], dtype=np.float64).reshape(4, 4))


def read_labels(path: PathLike, image: PathLike, series: Optional[int] = None, rois: Any = None) -> np.ndarray:
    """The label volume at ``path`` on the grid of the image volume ``image``
    (``medaug_labels_read``), as int32 ``[x, y, z]`` in the order of
    ``read_volume(image, series).voxels``.

    ``path`` is a NIfTI file or DICOM volume on the image's grid, or a DICOM
    Segmentation (SEG) file, whose voxels get the number of the segment
    covering them (0 for none; the higher number wins where segments
    overlap), or a DICOM RT Structure Set, whose ROIs are filled (even-odd
    rule, voxel centres) with the values of ``rois``: ``[(name, value), ...]``
    or a dict, drawn in order, later ones winning where they overlap; None
    gives every ROI its ROI Number. A SEG frame or contour off the image's
    grid raises :class:`InvalidArgumentError` saying what differs.
    """
    entries = list(rois.items()) if isinstance(rois, dict) else list(rois or [])
    for entry in entries:
        if (not isinstance(entry, (tuple, list)) or len(entry) != 2 or not isinstance(entry[0], str)
                or not isinstance(entry[1], int) or isinstance(entry[1], bool)):
            raise TypeError(f"read_labels: rois must be (name, int value) pairs, got {entry!r}")
    names = (ctypes.c_char_p * max(1, len(entries)))(*[name.encode() for name, _ in entries])
    numbers = (ctypes.c_int32 * max(1, len(entries)))(*[value for _, value in entries])
    if series is not None and (not isinstance(series, int) or isinstance(series, bool) or series < 1):
        raise InvalidArgumentError(f"read_labels: series must be an int >= 1 or None, got {series!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    pointer = ctypes.c_void_p()
    dims = (ctypes.c_size_t * 3)()
    _check(_lib.medaug_labels_read(_path(path, "path"), _path(image, "image"), series or 0, names, numbers,
                                   len(entries), ctypes.byref(pointer), dims))
    x, y, z = (int(d) for d in dims)
    try:
        flat = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_int32)), shape=(x * y * z,)).copy() \
            if x * y * z else np.empty(0, np.int32)
    finally:
        _lib.medaug_buffer_free(pointer)
    return flat.reshape((x, y, z), order="F")


def volume_series(path: PathLike) -> list:
    """The series under ``path`` (``medaug_volume_series_json``), without decoding pixels:
    a list of dicts ``{"series", "modality", "files", "columns", "rows", "slices"}``.
    No identifiers (UIDs, patient or study fields) are reported."""
    import json
    text = ctypes.c_void_p()
    _check(_lib.medaug_volume_series_json(_path(path, "path"), ctypes.byref(text)))
    try:
        return json.loads(ctypes.string_at(text.value).decode("utf-8"))
    finally:
        _lib.medaug_string_free(text)
