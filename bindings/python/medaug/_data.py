"""Classic augmentation, data-set expansion and metrics over libmedaug."""
from __future__ import annotations

import ctypes
import json
import os
import secrets
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from ._library import PathLike, _check, _lib, _mode, _NORMALIZATIONS, _DROPOUTS, _progress_callback
from ._model import Model, load_model
from ._errors import InvalidArgumentError, ShapeError

_float_p, _int32_p = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
_ORIGIN_NAMES = {
    _ffi.MEDAUG_ORIGIN_REAL: "real", _ffi.MEDAUG_ORIGIN_CLASSIC: "classic",
    _ffi.MEDAUG_ORIGIN_GENERATED: "generated", _ffi.MEDAUG_ORIGIN_GENERATED_EDITED: "generated_edited",
}


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, _ffi.MEDAUG_INVALID_ARGUMENT)


def _path(value: PathLike, what: str) -> bytes:
    path = os.fspath(value)
    encoded = path.encode("utf-8", "surrogateescape") if isinstance(path, str) else path
    if b"\0" in encoded:
        raise _invalid(f"{what} contains a NUL character")
    return encoded


def _pipeline_json(pipeline: Any, what: str) -> Optional[bytes]:
    """None (the default pipeline), a JSON string, or a dict/list to serialise."""
    if pipeline is None:
        return None
    if isinstance(pipeline, str):
        return pipeline.encode("utf-8")
    if isinstance(pipeline, dict):
        return json.dumps(pipeline).encode("utf-8")
    raise _invalid(f"{what} must be None, a JSON string or a dict; got {type(pipeline).__name__}")


def _seed(seed: Any) -> int:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**64:
        raise _invalid(f"seed must be an int in 0...2**64-1; got {seed!r}")
    return int(seed)


def _threads(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool):
        raise TypeError(f"threads must be an int or None; got {type(threads).__name__}")
    if not 1 <= int(threads) <= 256:
        raise _invalid(f"threads must be an int in 1...256 or None; got {threads!r}")
    return int(threads)


def _images(array: Any, what: str, batched: bool) -> Tuple[np.ndarray, bool]:
    """float32 C-contiguous [n, c, h, w] (batched) or [c, h, w]; a missing
    channel axis is added. Returns the array and whether it was 2-D per item."""
    values = np.asarray(array)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be an array of real numbers; got dtype {values.dtype}")
    plain = values.ndim == (3 if batched else 2)
    if plain:
        values = values[:, np.newaxis] if batched else values[np.newaxis]
    if values.ndim != (4 if batched else 3):
        shapes = "[n, h, w] or [n, c, h, w]" if batched else "[h, w] or [c, h, w]"
        raise ShapeError(f"{what} must be {shapes}; got shape {np.shape(array)}", _ffi.MEDAUG_SHAPE_MISMATCH)
    return np.require(values, dtype=np.float32, requirements=["C", "A"]), plain


def _labels(array: Any, what: str, ndim: int) -> np.ndarray:
    values = np.asarray(array)
    if values.dtype.kind not in "iub":
        raise TypeError(f"{what} must be an array of integers; got dtype {values.dtype}")
    if values.ndim != ndim:
        raise ShapeError(f"{what} must have {ndim} dimensions; got shape {values.shape}", _ffi.MEDAUG_SHAPE_MISMATCH)
    if values.size and (int(values.min()) < -2**31 or int(values.max()) >= 2**31):
        raise _invalid(f"{what} holds values outside int32")
    return np.require(values, dtype=np.int32, requirements=["C", "A"])


def _spacing(spacing: Any) -> Tuple[float, float]:
    """(row, column) pixel size in mm: two positive finite numbers."""
    try:
        row, column = spacing
    except (TypeError, ValueError):
        raise TypeError(f"spacing must be a (row, column) pair of sizes in mm; got {spacing!r}") from None
    for value in (row, column):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"spacing must hold numbers; got {spacing!r}")
    if not all(np.isfinite(float(v)) and float(v) > 0 for v in (row, column)):
        raise _invalid(f"spacing must be positive finite sizes in mm (row, column); got {spacing!r}")
    return float(row), float(column)


def augment(image: Any, mask: Any, pipeline: Any = None, seed: Optional[int] = None,
            spacing: Tuple[float, float] = (1.0, 1.0), threads: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Classic augmentation of one image and its mask (``medaug_augment``).

    Args:
        image: float array ``[h, w]`` or ``[c, h, w]``, finite (any scale).
        mask: integer array ``[h, w]`` or ``[1, h, w]`` of labels (returned in
            the same shape).
        pipeline: None for the paper's set (rotate, shift, both flips,
            brightness, zoom at probability 0.5), or the pipeline as a dict or
            JSON string (docs/augmentation.md), e.g.
            ``{"operations": [{"type": "rotate", "probability": 1, "degrees": [-15, 15]}]}``.
        seed: selects the transform (the same seed gives the same result);
            None (the default) draws a fresh one, as ``generate`` does.
        spacing: pixel size (row, column) in mm, for elastic and blur.
        threads: threads for resampling (results do not depend on it).

    Returns:
        ``(image, mask)``: float32 with the input's shape, int32 with the mask's.

    Raises:
        InvalidArgumentError: NaN/inf in the image, a malformed pipeline (the
            message names the operation and key), bad arguments.
        ShapeError: the mask's size differs from the image's.
    """
    values, plain = _images(image, "image", batched=False)
    c, h, w = values.shape
    mask_shape = np.shape(mask)
    if len(mask_shape) == 3 and mask_shape[0] == 1:
        mask = np.asarray(mask)[0]
    labels = _labels(mask, "mask", 2)
    if seed is None:
        seed = secrets.randbits(64)
    if labels.shape != (h, w):
        raise ShapeError(f"mask is {labels.shape}, the image is {h}x{w}", _ffi.MEDAUG_SHAPE_MISMATCH)
    options = _ffi.init(_ffi.AugmentOptions)
    options.spacing_row, options.spacing_column = _spacing(spacing)
    options.threads = _threads(threads)
    out_image = np.empty_like(values)
    out_mask = np.empty_like(labels)
    _check(_lib.medaug_augment(values.ctypes.data_as(_float_p), labels.ctypes.data_as(_int32_p), c, h, w,
                               _pipeline_json(pipeline, "pipeline"), _seed(seed), ctypes.byref(options),
                               out_image.ctypes.data_as(_float_p), out_mask.ctypes.data_as(_int32_p)))
    return (out_image[0] if plain else out_image), out_mask.reshape(mask_shape)


class Expansion(NamedTuple):
    """What :func:`expand` returns."""

    images: np.ndarray   #: float32 [target, c, h, w] (or [target, h, w] for 2-D input images)
    masks: np.ndarray    #: int32 [target, h, w]
    origins: np.ndarray  #: str per pair: "real", "classic", "generated" or "generated_edited"


def _expand_options(target: int, generator: Any, generated_share: Optional[float], edit_share: Optional[float],
                    edit_labels: Sequence[int], pipeline: Any, mask_pipeline: Any, seed: int,
                    normalization: Any, dropout: Any, threads: Optional[int], overwrite: bool,
                    progress: Optional[Callable[[int, int], Any]]):
    """The options struct and the objects it points to (keep them alive for the call)."""
    if not isinstance(target, (int, np.integer)) or isinstance(target, bool) or target < 1:
        raise _invalid(f"target must be a positive int; got {target!r}")
    options = _ffi.init(_ffi.ExpandOptions)
    options.target = int(target)
    keep: list = []
    if generated_share is not None:
        if not 0 <= float(generated_share) <= 1:
            raise _invalid(f"generated_share must be in 0...1; got {generated_share!r}")
        if float(generated_share) == 0:
            options.classic_only = 1
        else:
            options.generated_share = float(generated_share)
    if edit_share is not None:
        if not 0 < float(edit_share) <= 1:
            raise _invalid(f"edit_share must be in (0, 1]; got {edit_share!r}")
        options.edit_share = float(edit_share)
    values = np.require(np.asarray(list(edit_labels), dtype=np.int64), requirements=["C"])
    if values.size:
        if values.min() < -2**31 or values.max() >= 2**31:
            raise _invalid("edit_labels must be int32 label values")
        if values.size > 1024:
            raise _invalid(f"edit_labels holds {values.size} values; at most 1024")
        values = values.astype(np.int32)
        keep.append(values)
        options.edit_values = values.ctypes.data_as(_int32_p)
        options.edit_value_count = values.size
    options.pipeline_json = _pipeline_json(pipeline, "pipeline")
    options.mask_pipeline_json = _pipeline_json(mask_pipeline, "mask_pipeline")
    options.seed = _seed(seed)
    options.normalization = _mode(normalization, _NORMALIZATIONS, "normalization")
    options.dropout = _mode(dropout, _DROPOUTS, "dropout", boolean=True)
    options.threads = _threads(threads)
    options.overwrite = 1 if overwrite else 0
    callback, errors = _progress_callback(progress, _invalid)
    if callback is not None:
        keep += [callback, errors]
        options.progress = callback
    model = None
    if generator is not None:
        model = generator if isinstance(generator, Model) else load_model(generator)
        keep.append(model)
    return options, keep, model


def _call_with_progress(keep: list, function: Callable[[], int]) -> None:
    status = function()
    errors = next((k for k in keep if isinstance(k, list)), [])
    if errors:
        raise errors[0]
    _check(status)


def expand(images: Any, masks: Any, target: int, generator: Any = None, *,
           generated_share: Optional[float] = None, edit_share: Optional[float] = None,
           edit_labels: Sequence[int] = (), pipeline: Any = None, mask_pipeline: Any = None, seed: int = 0,
           normalization: Any = None, dropout: Any = None, threads: Optional[int] = None,
           progress: Optional[Callable[[int, int], Any]] = None) -> Expansion:
    """Grows real (image, mask) pairs into ``target`` pairs (``medaug_expand``): the
    paper's 30 -> 300 with generator-rendered new label maps and classic augmentation.

    Args:
        images: float ``[n, c, h, w]`` or ``[n, h, w]`` in [-1, 1].
        masks: integer ``[n, h, w]`` of the generator's stored label values.
        target: pairs in the result, the n real ones first.
        generator: a :class:`Model` or a path; None only with ``generated_share=0``.
        generated_share: share of the new pairs the generator renders (default 0.5;
            0 = classic augmentation only).
        edit_share: share of the generator's label maps that get a label-space edit (default 0.5).
        edit_labels: label values whose regions (e.g. lesions) edits move, resize, rotate or
            copy to other places inside the anatomy; empty = no label edits.
        pipeline, mask_pipeline: classic pipeline (default the paper's) and the geometric
            pipeline for label maps (default the paper's geometry + elastic), dict or JSON.
        seed: every choice (the same seed gives the same pairs).
        normalization, dropout: generator modes; None = the model file's.
        threads: threads (results do not depend on them at a fixed count).
        progress: called as ``progress(done, total)`` after each new pair; return False to
            cancel (raises CancelledError); an exception it raises cancels and propagates.

    Returns:
        :class:`Expansion` ``(images, masks, origins)``.
    """
    values, plain = _images(images, "images", batched=True)
    n, c, h, w = values.shape
    labels = _labels(masks, "masks", 3)
    if labels.shape != (n, h, w):
        raise ShapeError(f"masks are {labels.shape}, images {n}x{h}x{w}", _ffi.MEDAUG_SHAPE_MISMATCH)
    options, keep, model = _expand_options(target, generator, generated_share, edit_share, edit_labels, pipeline,
                                           mask_pipeline, seed, normalization, dropout, threads, False, progress)
    out_images = np.empty((int(target), c, h, w), dtype=np.float32)
    out_masks = np.empty((int(target), h, w), dtype=np.int32)
    origins = np.empty(int(target), dtype=np.int32)
    handle = model._live() if model is not None else None
    _call_with_progress(keep, lambda: _lib.medaug_expand(
        handle, values.ctypes.data_as(_float_p), labels.ctypes.data_as(_int32_p), n, c, h, w, ctypes.byref(options),
        out_images.ctypes.data_as(_float_p), out_images.size, out_masks.ctypes.data_as(_int32_p), out_masks.size,
        origins.ctypes.data_as(_int32_p), origins.size))
    names = np.array([_ORIGIN_NAMES[int(o)] for o in origins])
    return Expansion(out_images[:, 0] if plain else out_images, out_masks, names)


def expand_dataset(input: PathLike, output: PathLike, target: int, generator: Any = None, *,
                   overwrite: bool = False, **options: Any) -> None:
    """Expands a dataset folder into a new one (``medaug_expand_dataset``).

    The output holds the input's real train pairs, ``target`` minus their number new
    train pairs (flagged ``"synthetic": true`` with their origin in ``"source"``), and the
    input's val and test items unchanged; it appears complete or not at all. Keyword
    options are those of :func:`expand`.
    """
    opts, keep, model = _dataset_options(target, generator, overwrite, options)
    handle = model._live() if model is not None else None
    source, target_path = _path(input, "input"), _path(output, "output")
    _call_with_progress(keep, lambda: _lib.medaug_expand_dataset(handle, source, target_path, ctypes.byref(opts)))


#: The keyword options of :func:`expand_dataset` (and of its staged and distributed forms).
DATASET_OPTIONS = frozenset({"generated_share", "edit_share", "edit_labels", "pipeline", "mask_pipeline", "seed",
                             "normalization", "dropout", "threads", "progress"})


def _dataset_options(target: int, generator: Any, overwrite: bool, options: Dict[str, Any]):
    """:func:`_expand_options` from :func:`expand_dataset`'s keyword options."""
    unknown = sorted(set(options) - DATASET_OPTIONS)
    if unknown:
        raise _invalid(f"unknown option(s) {unknown}; expected some of {sorted(DATASET_OPTIONS)}")
    args = {k: options.get(k) for k in DATASET_OPTIONS}
    return _expand_options(target, generator, args["generated_share"], args["edit_share"],
                           options.get("edit_labels", ()), args["pipeline"], args["mask_pipeline"],
                           options.get("seed", 0), args["normalization"], args["dropout"], args["threads"], overwrite,
                           args["progress"])


def _brats_regions(label_values: Sequence[int]) -> Dict[str, Sequence[int]]:
    """The BraTS evaluation regions (labels 1 core, 2 oedema, 4 enhancing) as
    class indices, as RegionDefinition.brats does in Swift."""
    index = {int(v): i for i, v in enumerate(label_values)}
    missing = [v for v in (1, 2, 4) if v not in index]
    if missing:
        raise _invalid(f'regions="brats" needs label values 1, 2 and 4; label_values are {list(label_values)}')
    return {"whole_tumour": [index[1], index[2], index[4]], "tumour_core": [index[1], index[4]],
            "enhancing_tumour": [index[4]]}


def _class_indices(values: np.ndarray, label_values: Sequence[int], what: str) -> np.ndarray:
    """Stored label values → class indices (position in label_values)."""
    order = np.argsort(np.asarray(label_values, dtype=np.int64))
    sorted_values = np.asarray(label_values, dtype=np.int64)[order]
    positions = np.clip(np.searchsorted(sorted_values, values), 0, len(sorted_values) - 1)
    unknown = sorted_values[positions] != values
    if unknown.any():
        raise _invalid(f"{what} holds label value {int(values[unknown][0])}, not one of label_values "
                       f"{list(label_values)}")
    return order[positions].astype(np.int32)


def metrics(pred: Any, truth: Any, num_classes: int, smooth: float = 0.0, include_background: bool = True, *,
            regions: Union[None, str, Dict[str, Sequence[int]]] = None, hausdorff: bool = True,
            hausdorff_percentile: float = 95.0, spacing: Tuple[float, float] = (1.0, 1.0),
            count_absent_as_one: bool = False, label_values: Optional[Sequence[int]] = None) -> Dict[str, Any]:
    """Segmentation metrics (``medaug_metrics``) of class-index maps.

    Args:
        pred, truth: integer ``[h, w]`` or ``[n, h, w]`` class indices 0...num_classes-1.
        num_classes: K.
        smooth: Dice smoothing S in (2TP + S)/(2TP + FP + FN + S).
        include_background: which means the top-level ``mean_dice``/``mean_iou`` report:
            over all classes (True) or the foreground classes 1...K-1 (False).
        regions: merged regions of class indices to score too, e.g.
            ``{"whole tumour": [1, 2, 3]}``; or ``"brats"``: whole_tumour,
            tumour_core and enhancing_tumour from BraTS labels 1, 2, 4 (through
            ``label_values``, default ``[0, 1, 2, 4]`` for 4 classes).
        label_values: when given, ``pred`` and ``truth`` hold stored label
            values (a model's ``label_values``, class i = ``label_values[i]``)
            instead of class indices.
        hausdorff: compute percentile Hausdorff distances.
        hausdorff_percentile, spacing: HD percentile and pixel size (row, column).
        count_absent_as_one: count a class absent from both maps as 1 in the means.

    Returns:
        ``{"micro": report, "macro": report, "per_image": [report, ...], "mean_dice": x,
        "mean_iou": x}``; a report holds accuracy, per-class and mean IoU/Dice, HD, regions.
    """
    p, t = np.asarray(pred), np.asarray(truth)
    if p.ndim == 2:
        p, t = p[np.newaxis], t[np.newaxis] if t.ndim == 2 else t
    p, t = _labels(p, "pred", 3), _labels(t, "truth", 3)
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise TypeError(f"num_classes must be an int; got {type(num_classes).__name__}")
    if label_values is not None:
        label_values = [int(v) for v in label_values]
        if len(label_values) != int(num_classes) or len(set(label_values)) != len(label_values):
            raise _invalid(f"label_values must be {int(num_classes)} distinct values; got {label_values}")
        p, t = _class_indices(p, label_values, "pred"), _class_indices(t, label_values, "truth")
    if isinstance(regions, str):
        if regions != "brats":
            raise _invalid(f'regions must be a dict or "brats"; got {regions!r}')
        if label_values is None and int(num_classes) != 4:
            raise _invalid('regions="brats" needs label_values unless num_classes is 4 (labels 0, 1, 2, 4)')
        regions = _brats_regions(label_values if label_values is not None else [0, 1, 2, 4])
    if p.shape != t.shape:
        raise ShapeError(f"pred is {p.shape}, truth {t.shape}", _ffi.MEDAUG_SHAPE_MISMATCH)
    if not 1 <= int(num_classes) <= 1024:
        raise _invalid(f"num_classes must be in 1...1024; got {int(num_classes)}")
    if not (np.isfinite(float(smooth)) and float(smooth) >= 0):
        raise _invalid(f"smooth must be a finite value >= 0; got {smooth}")
    if not 0 <= float(hausdorff_percentile) <= 100:
        raise _invalid(f"hausdorff_percentile must be in 0...100; got {hausdorff_percentile}")
    options = _ffi.init(_ffi.MetricsOptions)
    options.smoothing = float(smooth)
    options.hausdorff_percentile = float(hausdorff_percentile)
    options.spacing_row, options.spacing_column = _spacing(spacing)
    options.skip_hausdorff = 0 if hausdorff else 1
    options.count_absent_as_one = 1 if count_absent_as_one else 0
    if regions:
        options.regions_json = json.dumps([{"name": str(k), "classes": [int(c) for c in v]}
                                           for k, v in regions.items()]).encode("utf-8")
    text = ctypes.c_void_p()
    n, h, w = p.shape
    _check(_lib.medaug_metrics(p.ctypes.data_as(_int32_p), t.ctypes.data_as(_int32_p), n, h, w, int(num_classes),
                               ctypes.byref(options), ctypes.byref(text)))
    try:
        report = json.loads(ctypes.string_at(text.value).decode("utf-8"))
    finally:
        _lib.medaug_string_free(text)
    suffix = "" if include_background else "_foreground"
    report["mean_dice"] = report["micro"]["mean_dice" + suffix]
    report["mean_iou"] = report["micro"]["mean_iou" + suffix]
    return report
