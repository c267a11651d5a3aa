"""Whole volumes through a segmenter (``medaug_segment_volume``)."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from . import _ffi
from ._library import _check, _lib, _progress_callback
from ._model import Model, load_model
from ._errors import InvalidArgumentError, ShapeError
from ._files import read_volume


class VolumeSegmentation(NamedTuple):
    """What :func:`segment_volume` returns, on the input's own grid."""

    labels: np.ndarray                   #: int32 [x, y, z], stored label values, the input's index order
    probabilities: Optional[np.ndarray]  #: float32 [x, y, z, classes], or None
    affine: np.ndarray                   #: the input's 4x4 voxel-to-world (RAS mm) affine


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, _ffi.MEDAUG_INVALID_ARGUMENT)


def _channels(volume: Any, affine: Any, series: Optional[int]) -> tuple:
    """([x, y, z] float32 arrays, one per channel), 4x4 affine."""
    items = list(volume) if isinstance(volume, (list, tuple)) else [volume]
    if not items:
        raise _invalid("segment_volume needs at least one volume")
    arrays, affines = [], []
    for item in items:
        if isinstance(item, (str, os.PathLike)):
            read = read_volume(item, series=series)
            arrays.append(read.voxels)
            affines.append(read.affine)
        else:
            array = np.asarray(item)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"a volume must be an array of real numbers; got dtype {array.dtype}")
            arrays.append(array)
    for array in arrays:
        if array.ndim != 3:
            raise ShapeError(f"each volume must be 3-D [x, y, z]; got shape {array.shape} (give several channels "
                             "as a list)", _ffi.MEDAUG_SHAPE_MISMATCH)
        if array.shape != arrays[0].shape:
            raise ShapeError(f"channel grids differ: {array.shape} and {arrays[0].shape}", _ffi.MEDAUG_SHAPE_MISMATCH)
    if affine is None:
        if len(affines) != len(items):
            raise _invalid("an array volume needs affine= (its 4x4 voxel-to-world matrix, e.g. nibabel's img.affine)")
        affine = affines[0]
    matrix = np.asarray(affine, dtype=np.float64)
    if matrix.shape != (4, 4):
        raise _invalid(f"affine must be a finite 4x4 matrix; got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise _invalid(f"affine must be a finite 4x4 matrix; got {matrix.tolist()}")
    return arrays, matrix


def segment_volume(model: Any, volume: Any, affine: Any = None, *, series: Optional[int] = None,
                   plane: Optional[str] = None, probabilities: bool = False, threads: int = 1,
                   progress: Optional[Callable[[int, int], Any]] = None) -> VolumeSegmentation:
    """Segments a whole volume the way the segmenter's training slices were
    made (``medaug_segment_volume``; README, "Whole volumes").

    Args:
        model: a segmenter :class:`Model` or a model file path.
        volume: a path (NIfTI file, DICOM file or folder: read with
            :func:`read_volume`, its affine used), a float array ``[x, y, z]``
            in storage order (nibabel's ``get_fdata()``) with ``affine``, or a
            list of those, one per model channel.
        affine: the 4x4 voxel-to-world (RAS mm) matrix of an array volume
            (nibabel's ``img.affine``); for paths, overrides the file's.
        series: for a DICOM folder of several series, which one (from 1).
        plane: ``"axial"``, ``"coronal"`` or ``"sagittal"`` instead of the model's.
        probabilities: also return the class probabilities.
        threads: 1...256.
        progress: called with (slices done, slices in all) after each batch;
            returning False cancels (:class:`CancelledError`).

    Returns:
        :class:`VolumeSegmentation` on the input's grid: ``labels`` int32
        ``[x, y, z]`` (stored label values), ``probabilities`` float32
        ``[x, y, z, classes]`` or None, ``affine``. Write it with nibabel:
        ``nibabel.Nifti1Image(result.labels.astype(np.uint8), result.affine)``.
    """
    owned = None
    if not isinstance(model, Model):
        owned = model = load_model(model)
    try:
        arrays, matrix = _channels(volume, affine, series)
        if plane is not None and plane not in ("axial", "coronal", "sagittal"):
            raise _invalid(f"plane must be axial, coronal or sagittal; got {plane!r}")
        if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or not 1 <= threads <= 256:
            raise _invalid(f"threads must be an int in 1...256; got {threads!r}")
        shape = arrays[0].shape
        voxels = np.concatenate([np.asarray(a, dtype=np.float32).ravel(order="F") for a in arrays])
        dims = (ctypes.c_size_t * 3)(*shape)
        flat_affine = (ctypes.c_double * 16)(*matrix.ravel())
        labels = np.empty(int(np.prod(shape)), np.int32)
        classes = model.info.class_count
        probs = np.empty(classes * labels.size, np.float32) if probabilities else None
        callback, errors = _progress_callback(progress, _invalid)
        status = _lib.medaug_segment_volume(
            model._live(),
            voxels.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(arrays), dims, flat_affine,
            plane.encode("ascii") if plane else None, int(threads),
            labels.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
            probs.ctypes.data_as(ctypes.POINTER(ctypes.c_float)) if probs is not None else None,
            callback if callback is not None else _ffi.PROGRESS_FN(0), None)
        if errors:
            raise errors[0]
        _check(status)
        return VolumeSegmentation(labels.reshape(shape, order="F"),
                                  probs.reshape(shape + (classes,), order="F") if probs is not None else None,
                                  matrix)
    finally:
        if owned is not None:
            owned.close()


def foreground_mask(voxels: Any) -> np.ndarray:
    """The label-free foreground medaug uses (``Foreground.mask``): for a
    volume with no negative value whose zeros fill at least 5 % of it (a
    masked or skull-stripped scan), the non-zero voxels; otherwise the voxels
    above Otsu's threshold of a 256-bin histogram (CT air, an MRI noise
    floor). Non-finite voxels are never foreground. Pure numpy."""
    values = np.asarray(voxels, dtype=np.float32)
    finite = np.isfinite(values)
    data = values[finite].astype(np.float64)
    if data.size == 0 or data.min() == data.max():
        return np.zeros(values.shape, bool)
    low, high = data.min(), data.max()
    if low >= 0 and np.count_nonzero(data == 0) >= 0.05 * data.size:
        threshold = 0.0
    else:
        bins = 256
        scale = bins / (high - low)
        histogram = np.bincount(np.minimum(bins - 1, ((data - low) * scale).astype(np.int64)), minlength=bins)
        histogram = histogram.astype(np.float64)
        index = np.arange(bins, dtype=np.float64)
        weight_below = np.cumsum(histogram)[:-1]
        sum_below = np.cumsum(index * histogram)[:-1]
        weight_above = data.size - weight_below
        with np.errstate(divide="ignore", invalid="ignore"):
            between = weight_below * weight_above * (sum_below / weight_below
                                                     - ((index * histogram).sum() - sum_below) / weight_above) ** 2
        between[(weight_below <= 0) | (weight_above <= 0)] = -1
        split = int(np.argmax(between))   # the first maximum, as medaug's strict comparison
        threshold = float(np.float32(low + (split + 1) / scale))
    return finite & (values > threshold)


def normalize_intensities(voxels: Any, percentiles: Any = (0.5, 99.5), mask: Any = None) -> tuple:
    """Maps raw intensities to the network range [-1, 1] with the rule of
    ``medaug prepare`` and whole-volume segmentation: the ``percentiles``
    (low, high) of the ``mask`` voxels (default: :func:`foreground_mask`,
    no labels needed) become -1 and +1, values clipped outside. Apply it to
    a whole volume, not slice by slice, so every slice is scaled alike.
    Percentiles count finite voxels only; NaN ("no data", as SPM and FSL
    write outside a brain mask) maps to -1 and ±inf to ±1.

    Returns ``(normalized float32 array, (low, high))``."""
    values = np.asarray(voxels, dtype=np.float32)
    low_p, high_p = (float(p) for p in percentiles)
    if not 0 <= low_p < high_p <= 100:
        raise _invalid(f"percentiles must satisfy 0 <= low < high <= 100; got {percentiles!r}")
    chosen = values[foreground_mask(values) if mask is None else np.asarray(mask, bool)]
    chosen = chosen[np.isfinite(chosen)]
    if chosen.size == 0:
        chosen = values[np.isfinite(values)]
    if chosen.size == 0:
        low, high = 0.0, 0.0
    else:
        low, high = (float(v) for v in np.percentile(chosen.astype(np.float64), [low_p, high_p]))
    span = high - low if high > low else 1.0
    with np.errstate(invalid="ignore"):
        scaled = np.clip((values - low) / span * 2 - 1, -1, 1)
    return np.where(np.isnan(values), -1.0, scaled).astype(np.float32), (low, high)
