"""Session: one model run with its own arena and threads, numpy in and out."""
from __future__ import annotations

import ctypes
import secrets
from typing import TYPE_CHECKING, Any, Optional, Tuple, Union

import numpy as np

from . import _ffi
from ._errors import InternalError, InvalidArgumentError, ShapeError
from ._library import _check, _lib, _mode, _NORMALIZATIONS, _DROPOUTS, _OwnedHandle

if TYPE_CHECKING:
    from ._model import ModelInfo

class Session(_OwnedHandle):
    """Runs one model with its own arena and threads (``medaug_session_t``).

    Create with :meth:`Model.session`. Use from one thread at a time (a
    concurrent call raises InvalidArgumentError). Use as a context manager
    or call :meth:`close`; the handle is freed exactly once.
    """

    _free_function = "medaug_session_free"
    _what = "session"

    def __init__(self, handle: ctypes.c_void_p, info: ModelInfo, threads: int):
        super().__init__(handle)
        self._info = info
        self._threads = threads

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._handle is None

    @property
    def info(self) -> ModelInfo:
        """The session's model description (available even if the model was closed)."""
        return self._info

    @property
    def threads(self) -> int:
        """Worker threads of this session."""
        return self._threads

    def generate(self, label_map: Any, seed: Optional[int] = None,
                 normalization: Optional[Union[str, int]] = None,
                 dropout: Optional[Union[str, bool, int]] = None) -> np.ndarray:
        """Synthesises images from label maps with a generator (``medaug_generate``).

        Args:
            label_map: integer array ``[h, w]`` or ``[n, h, w]`` of the model's
                stored label values (``info.label_values``, e.g. 0, 1, 2, 4),
                ``h == w == info.image_size``.
            seed: keys the dropout masks (0...2**64-1): the same seed gives the
                same images. None: a fresh random seed per call. Ignored with
                dropout off.
            normalization: ``"running"`` or ``"instance"``; None: the model file's mode.
            dropout: ``"on"``/``True`` or ``"off"``/``False``; None: the model file's mode.

        Returns:
            float32 ``[n, c, h, w]`` in [-1, 1], or ``[c, h, w]`` for a single 2-D map.

        Raises:
            InvalidArgumentError: unknown label value (the message gives the first and its index),
                non-integer labels, bad options.
            ShapeError: the map is not 2-D/3-D or not image_size square.
            UnsupportedError: the model is not a generator.
        """
        handle = self._live()
        labels = np.asarray(label_map)
        if labels.dtype.kind not in "iub":
            raise InvalidArgumentError(
                f"label_map must hold integers (stored label values); got dtype {labels.dtype}",
                _ffi.MEDAUG_INVALID_ARGUMENT)
        single = labels.ndim == 2
        if single:
            labels = labels[np.newaxis]
        if labels.ndim != 3:
            raise ShapeError(f"label_map must be [h, w] or [n, h, w]; got shape {np.shape(label_map)}",
                             _ffi.MEDAUG_SHAPE_MISMATCH)
        if labels.size and (labels.dtype.itemsize > 4 or labels.dtype == np.uint32):
            low, high = int(labels.min()), int(labels.max())
            if low < -2**31 or high >= 2**31:
                bad = low if low < -2**31 else high
                index = int(np.argmax(labels.reshape(-1) == bad))
                raise InvalidArgumentError(
                    f"label value {bad} at index {index} is not one of the model's label values "
                    f"{list(self._info.label_values)}", _ffi.MEDAUG_INVALID_ARGUMENT)
        labels = np.require(labels, dtype=np.int32, requirements=["C", "A"])
        n, height, width = labels.shape
        options = _ffi.init(_ffi.GenerateOptions)
        options.normalization = _mode(normalization, _NORMALIZATIONS, "normalization")
        options.dropout = _mode(dropout, _DROPOUTS, "dropout", boolean=True)
        if seed is None:
            seed = secrets.randbits(64)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= int(seed) < 2**64:
            raise InvalidArgumentError(f"seed must be an int in 0...2**64-1 or None; got {seed!r}",
                                       _ffi.MEDAUG_INVALID_ARGUMENT)
        options.seed = int(seed)
        count = ctypes.c_size_t()
        _check(_lib.medaug_generate_output_count(handle, n, ctypes.byref(count)))  # n = 0: the library says so
        c, side = self._info.image_channels, self._info.image_size
        images = np.empty(count.value, dtype=np.float32)
        _check(_lib.medaug_generate(
            handle, labels.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), n, height, width,
            ctypes.byref(options), images.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), images.size))
        if count.value != n * c * side * side:
            raise InternalError(f"medaug_generate_output_count gave {count.value} floats for {n} maps, "
                                f"expected {n}x{c}x{side}x{side}")
        images = images.reshape(n, c, side, side)
        return images[0] if single else images

    def segment(self, image: Any, probabilities: bool = False,
                normalization: Optional[Union[str, int]] = None
                ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Segments images with a segmenter (``medaug_segment``).

        Args:
            image: float array ``[h, w]`` (one single-channel image), ``[c, h, w]``
                or ``[n, c, h, w]``, intensities in [-1, 1], all finite; converted
                to float32.
            probabilities: also return the class probabilities.
            normalization: ``"running"`` or ``"instance"``; None: the model file's mode.

        Returns:
            int32 label maps ``[n, h, w]`` (``[h, w]`` for a 2-D or 3-D image) of stored
            label values; with ``probabilities=True`` the tuple
            ``(labels, probabilities)``, probabilities float32 ``[n, classes, h, w]``
            (``[classes, h, w]``).

        Raises:
            InvalidArgumentError: NaN or infinite input (the message gives its index).
            ShapeError: wrong number of dimensions, channels or size.
            UnsupportedError: the model is not a segmenter.
        """
        handle = self._live()
        array = np.asarray(image)
        if array.dtype.kind not in "biuf":
            raise InvalidArgumentError(f"image must hold real numbers; got dtype {array.dtype}",
                                       _ffi.MEDAUG_INVALID_ARGUMENT)
        if array.ndim == 2:      # [h, w]: one single-channel image
            array = array[np.newaxis]
        single = array.ndim == 3
        if single:
            array = array[np.newaxis]
        if array.ndim != 4:
            raise ShapeError(f"image must be [h, w], [c, h, w] or [n, c, h, w]; got shape {np.shape(image)}",
                             _ffi.MEDAUG_SHAPE_MISMATCH)
        array = np.require(array, dtype=np.float32, requirements=["C", "A"])
        n, channels, height, width = array.shape
        options = _ffi.init(_ffi.SegmentOptions)
        options.normalization = _mode(normalization, _NORMALIZATIONS, "normalization")
        probabilities_count, labels_count = ctypes.c_size_t(), ctypes.c_size_t()
        _check(_lib.medaug_segment_output_counts(handle, n, ctypes.byref(probabilities_count),
                                                 ctypes.byref(labels_count)))
        labels = np.empty(labels_count.value, dtype=np.int32)
        probs = np.empty(probabilities_count.value if probabilities else 0, dtype=np.float32)
        float_p, int_p = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
        _check(_lib.medaug_segment(
            handle, array.ctypes.data_as(float_p), n, channels, height, width, ctypes.byref(options),
            probs.ctypes.data_as(float_p) if probabilities else None, probs.size,
            labels.ctypes.data_as(int_p), labels.size))
        side, classes = self._info.image_size, self._info.class_count
        labels = labels.reshape(n, side, side)
        if not probabilities:
            return labels[0] if single else labels
        probs = probs.reshape(n, classes, side, side)
        return (labels[0], probs[0]) if single else (labels, probs)

    def __repr__(self) -> str:
        state = " (closed)" if self._handle is None else ""
        return f"<medaug.Session {self._info.kind}, {self._threads} thread(s){state}>"
