"""Model and Session: numpy in and out over the C functions of libmedaug."""
from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

from . import _ffi
from ._errors import ClosedError, InternalError, InvalidArgumentError, ShapeError, error_for, _STATUS_NAMES
from ._pool import SessionPool

class _LazyLibrary:
    """libmedaug, loaded at its first use rather than at ``import medaug``, so
    that the pure-Python parts (``medaug-convert``, the ONNX exporter) work
    without it. A missing or mismatched library raises ImportError then,
    naming the paths tried."""

    _cdll: Optional[ctypes.CDLL] = None
    _lock = threading.Lock()

    def _load(self) -> ctypes.CDLL:
        with _LazyLibrary._lock:
            if _LazyLibrary._cdll is None:
                cdll = _ffi.load_library()
                for code in range(0, 10):
                    _STATUS_NAMES[code] = cdll.medaug_status_string(code).decode("utf-8", "replace")
                _LazyLibrary._cdll = cdll
            return _LazyLibrary._cdll

    def __getattr__(self, name: str) -> Any:
        return getattr(_LazyLibrary._cdll or self._load(), name)


_lib = _LazyLibrary()

PathLike = Union[str, "os.PathLike[str]"]

_KIND_NAMES = {
    _ffi.MEDAUG_KIND_GENERATOR: "generator",
    _ffi.MEDAUG_KIND_DISCRIMINATOR: "discriminator",
    _ffi.MEDAUG_KIND_SEGMENTER: "segmenter",
}
_NORMALIZATIONS = {"running": _ffi.MEDAUG_NORMALIZATION_RUNNING, "instance": _ffi.MEDAUG_NORMALIZATION_INSTANCE}
_DROPOUTS = {"off": _ffi.MEDAUG_DROPOUT_OFF, "on": _ffi.MEDAUG_DROPOUT_ON}


# The C library names its own fields ("options->pipeline_json"); a Python
# caller passed these arguments instead. Checked arguments never get this
# far; this covers what only the library can judge (a pipeline's JSON).
_C_NAMES = (("options->spacing_row", "spacing[0]"), ("options->spacing_column", "spacing[1]"),
            ("options->mask_pipeline_json", "mask_pipeline"), ("options->pipeline_json", "pipeline"),
            ("options->edit_value_count", "len(edit_labels)"), ("options->threads", "threads"),
            ("options->target", "target"), ("class_count", "num_classes"), ("smoothing", "smooth"),
            ("Hausdorff percentile", "hausdorff_percentile"), ("memory_limit_bytes", "memory_limit_bytes"))
_C_FUNCTION = re.compile(r"^medaug_[a-z_]+: ")


def _python_message(message: str) -> str:
    """The C message in the Python API's words: no C function prefix, and
    argument names instead of C struct fields."""
    message = _C_FUNCTION.sub("", message)
    for c_name, python_name in _C_NAMES:
        message = message.replace(c_name, python_name)
    return message


def _check(status: int) -> None:
    """Raises the Error subclass for a non-zero status with the thread's message."""
    if status != _ffi.MEDAUG_OK:
        message = _python_message(_lib.medaug_last_error().decode("utf-8", "replace"))
        name = _lib.medaug_status_string(status).decode("utf-8", "replace")
        raise error_for(status, message or name, name)


def _progress_callback(progress: Any, invalid: Callable[[str], Exception]) -> tuple:
    """A C progress callback for a Python ``progress(done, total)``, and the
    list that collects what it raised: returning False cancels; an exception
    cancels too and is re-raised by the caller after the C call returns
    (it never unwinds through C). ``(None, [])`` without progress."""
    if progress is None:
        return None, []
    if not callable(progress):
        raise invalid("progress must be a callable (done, total) or None")
    errors: list = []

    def trampoline(_user, done, total):
        try:
            return 1 if progress(int(done), int(total)) is False else 0
        except BaseException as error:  # never unwind through C: cancel, re-raise after
            errors.append(error)
            return 1
    return _ffi.PROGRESS_FN(trampoline), errors


def version() -> str:
    """The library's version string, e.g. ``"0.1.0"`` (``medaug_version``)."""
    return _lib.medaug_version().decode("ascii")


def version_number() -> int:
    """The library's version as X*1000000 + Y*1000 + Z (``medaug_version_number``)."""
    return int(_lib.medaug_version_number())


_LIMITS = {"image_pixels": _ffi.MEDAUG_LIMIT_IMAGE_PIXELS, "volume_voxels": _ffi.MEDAUG_LIMIT_VOLUME_VOXELS,
           "model_bytes": _ffi.MEDAUG_LIMIT_MODEL_BYTES, "batch": _ffi.MEDAUG_LIMIT_BATCH}


def limit(name: str, value: Optional[int] = None) -> int:
    """A process-wide cap of the library (``medaug_limit``); returns its value
    before the call, and sets it when ``value`` is given.

    ``name``: ``"image_pixels"`` (one TIFF page, default 8192*8192),
    ``"volume_voxels"`` (a NIfTI or DICOM volume, default 2**28),
    ``"model_bytes"`` (a model file or buffer, default 64 GiB) or ``"batch"``
    (images per generate/segment call, default and maximum 1024). Input over
    a cap raises :class:`InvalidArgumentError` before any large allocation.
    Values are clamped to 1...the cap's maximum.
    """
    if name not in _LIMITS:
        raise InvalidArgumentError(f"limit: name must be one of {sorted(_LIMITS)}, got {name!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InvalidArgumentError(f"limit: value must be an int >= 0 or None, got {value!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    return int(_lib.medaug_limit(_LIMITS[name], -1 if value is None else value))


def abi_version() -> int:
    """The library's ABI version (``medaug_abi_version``); this binding requires 1."""
    return int(_lib.medaug_abi_version())


def cpu_tier() -> str:
    """The instruction-set tier medaug's own kernels use in this process
    (``medaug_cpu_tier``): ``"avx512"``, ``"avx2"``, ``"neon"`` or
    ``"generic"``. Set ``MEDAUG_CPU`` before the first call to force a tier
    the CPU has; a tier it lacks makes every other call raise
    :class:`UnsupportedError`."""
    return _lib.medaug_cpu_tier().decode("ascii")


def library_path() -> str:
    """The path of the libmedaug shared library this process loaded."""
    return _lib._medaug_path


@dataclass(frozen=True)
class ModelInfo:
    """What ``medaug_model_info`` and ``medaug_model_label_values`` report.

    Attributes:
        kind: ``"generator"``, ``"discriminator"`` or ``"segmenter"``.
        image_size: side of the square images, pixels.
        image_channels: image channels (modalities): the generator's output,
            the segmenter's input.
        class_count: number of label classes.
        label_values: the stored label value of each class, in class order
            (what ``generate`` accepts and ``segment`` returns).
        input_channels: channels of the network input.
        output_channels: channels of the network output.
        default_normalization: ``"running"`` or ``"instance"``, recorded in the file.
        default_dropout: ``"on"`` or ``"off"``, recorded in the file.
        format_version: the file's format version.
    """

    kind: str
    image_size: int
    image_channels: int
    class_count: int
    label_values: Tuple[int, ...]
    input_channels: int
    output_channels: int
    default_normalization: str
    default_dropout: str
    format_version: int


def _mode(value: Any, names: Dict[str, int], what: str, boolean: bool = False) -> int:
    """None -> 0 (the model file's mode); a name, a MEDAUG_* constant, or (dropout) a bool."""
    if value is None:
        return 0
    if boolean and isinstance(value, bool):
        return names["on"] if value else names["off"]
    if isinstance(value, str) and value.lower() in names:
        return names[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in names.values():
        return value
    raise InvalidArgumentError(
        f"{what} must be None (the model file's mode), " + ", ".join(repr(n) for n in names)
        + (", True or False" if boolean else "") + f"; got {value!r}", _ffi.MEDAUG_INVALID_ARGUMENT)


class _OwnedHandle:
    """A library handle freed exactly once: by :meth:`close`, by leaving a
    ``with`` block, or when garbage collected. Subclasses name their free
    function and what to call themselves in errors."""

    _free_function = ""
    _what = "object"

    def __init__(self, handle: ctypes.c_void_p):
        self._lib = _lib  # kept for __del__ at interpreter shutdown
        self._handle: Optional[ctypes.c_void_p] = handle
        self._lock = threading.Lock()

    def _live(self) -> ctypes.c_void_p:
        handle = self._handle
        if handle is None:
            raise ClosedError(f"the {self._what} is closed")
        return handle

    def close(self) -> None:
        """Frees the handle; later calls are no-ops."""
        with self._lock:
            handle = self._handle
            if handle is None:
                return
            status = getattr(self._lib, self._free_function)(handle)
            if status != _ffi.MEDAUG_OK:
                _check(status)
            self._handle = None

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            try:
                getattr(self._lib, self._free_function)(handle)
            except Exception:
                pass


class Model(_OwnedHandle):
    """A loaded, validated model file (``medaug_model_t``): immutable, shareable across threads.

    Create with :func:`load_model`. Use as a context manager or call
    :meth:`close`; the handle is freed exactly once (also when the object is
    garbage collected). Sessions made from a model stay usable after the
    model is closed.
    """

    _free_function = "medaug_model_free"

    def __init__(self, handle: ctypes.c_void_p, source: str):
        super().__init__(handle)
        self._pool = SessionPool(self.session)
        self._source = source
        self._what = f"model ({source})"
        try:
            self._info = self._read_info()
            self._config_text = self._read_config()
        except BaseException:
            self.close()
            raise

    def _read_info(self) -> ModelInfo:
        raw = _ffi.init(_ffi.ModelInfo)
        _check(_lib.medaug_model_info(self._handle, ctypes.byref(raw)))
        values = (ctypes.c_int32 * max(raw.class_count, 1))()
        _check(_lib.medaug_model_label_values(self._handle, values, raw.class_count))
        normalization = {v: k for k, v in _NORMALIZATIONS.items()}
        dropout = {v: k for k, v in _DROPOUTS.items()}
        return ModelInfo(
            kind=_KIND_NAMES.get(raw.kind, f"unknown ({raw.kind})"),
            image_size=raw.image_size,
            image_channels=raw.image_channels,
            class_count=raw.class_count,
            label_values=tuple(int(values[i]) for i in range(raw.class_count)),
            input_channels=raw.input_channels,
            output_channels=raw.output_channels,
            default_normalization=normalization.get(raw.default_normalization, str(raw.default_normalization)),
            default_dropout=dropout.get(raw.default_dropout, str(raw.default_dropout)),
            format_version=raw.format_version,
        )

    def _read_config(self) -> str:
        pointer = ctypes.c_void_p()
        _check(_lib.medaug_model_config_json(self._handle, ctypes.byref(pointer)))
        try:
            return ctypes.string_at(pointer.value).decode("utf-8")
        finally:
            _lib.medaug_string_free(pointer)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._handle is None

    @property
    def info(self) -> ModelInfo:
        """Kind, image size, channels, classes, label values and default modes."""
        self._live()
        return self._info

    @property
    def config(self) -> Dict[str, Any]:
        """The model's architecture: the JSON object stored in the file, parsed (a fresh dict)."""
        self._live()
        return json.loads(self._config_text)

    @property
    def config_json(self) -> str:
        """The model's architecture as the library returns it: JSON text, keys sorted."""
        self._live()
        return self._config_text

    def session(self, threads: Optional[int] = None, memory_limit_bytes: Optional[int] = None) -> "Session":
        """Creates a session (``medaug_session_create``) running this model.

        Args:
            threads: worker threads of the session (1...256); None: the library default, 1.
            memory_limit_bytes: the most memory one call may plan; None: 8 GiB.

        A session is used by one thread at a time; make one per thread.
        """
        handle = self._live()
        options = _ffi.init(_ffi.SessionOptions)
        for name, value in (("threads", threads), ("memory_limit_bytes", memory_limit_bytes)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise InvalidArgumentError(f"{name} must be an int or None; got {value!r}",
                                           _ffi.MEDAUG_INVALID_ARGUMENT)
        if threads is not None:
            if not 1 <= threads <= 256:
                raise InvalidArgumentError(f"threads must be in 1...256; got {threads}",
                                           _ffi.MEDAUG_INVALID_ARGUMENT)
            options.threads = threads
        if memory_limit_bytes is not None:
            if not 1 <= memory_limit_bytes < 2**64:
                raise InvalidArgumentError(f"memory_limit_bytes must be positive; got {memory_limit_bytes}",
                                           _ffi.MEDAUG_INVALID_ARGUMENT)
            options.memory_limit_bytes = memory_limit_bytes
        out = ctypes.c_void_p()
        _check(_lib.medaug_session_create(handle, ctypes.byref(options), ctypes.byref(out)))
        return Session(out, self._info, threads or 1)

    def generate(self, label_map: Any, seed: Optional[int] = None,
                 normalization: Optional[Union[str, int]] = None,
                 dropout: Optional[Union[str, bool, int]] = None) -> np.ndarray:
        """:meth:`Session.generate` on a session of the model's pool: safe to call
        from several threads at once (each concurrent call gets its own
        one-thread session; the pool keeps them for later calls)."""
        self._live()
        with self._pool.session() as session:
            return session.generate(label_map, seed=seed, normalization=normalization, dropout=dropout)

    def segment(self, image: Any, probabilities: bool = False,
                normalization: Optional[Union[str, int]] = None
                ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """:meth:`Session.segment` on a session of the model's pool: safe to call
        from several threads at once, as :meth:`generate`."""
        self._live()
        with self._pool.session() as session:
            return session.segment(image, probabilities=probabilities, normalization=normalization)

    def segment_volume(self, volume: Any, affine: Any = None, **options: Any) -> Any:
        """:func:`medaug.segment_volume` with this model: a whole volume (path,
        or array with ``affine``) segmented on its own grid."""
        from ._volumes import segment_volume
        return segment_volume(self, volume, affine, **options)

    def close(self) -> None:
        """Frees the model and its pooled sessions (a call in flight finishes
        first); sessions made with :meth:`session` stay usable."""
        self._pool.close()
        super().close()

    def __repr__(self) -> str:
        if self._handle is None:
            return f"<medaug.Model {self._source} (closed)>"
        i = self._info
        return (f"<medaug.Model {self._source}: {i.kind}, {i.image_size}x{i.image_size}, "
                f"{i.image_channels} channel(s), {i.class_count} classes>")


def load_model(path_or_bytes: Union[PathLike, bytes, bytearray, memoryview], *, mmap: bool = False) -> Model:
    """Loads and validates a medaug model (safetensors).

    Args:
        path_or_bytes: a file path (``str`` or ``os.PathLike``), read into
            memory by ``medaug_model_load_file``; or the file's contents
            (``bytes``, ``bytearray``, ``memoryview``), copied by
            ``medaug_model_load_memory``.
        mmap: memory-map the file instead of copying it
            (``medaug_model_load_file_mapped``): no copy, but the file must
            then not be modified or truncated while the model lives (a write
            mixes old and new weights; a truncation kills the process with
            SIGBUS). Replace a mapped model file by renaming a new file over it.

    Raises:
        FileError: the file cannot be opened or read (or mapped), or is not a
            regular file.
        FormatError: not a valid medaug model.
        TypeError: ``mmap`` is not a bool.
    """
    if not isinstance(mmap, bool):
        raise TypeError(f"load_model: mmap must be a bool, got {type(mmap).__name__}")
    out = ctypes.c_void_p()
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        if mmap:
            raise InvalidArgumentError("load_model: mmap=True needs a file path, not bytes",
                                       _ffi.MEDAUG_INVALID_ARGUMENT)
        data = np.frombuffer(path_or_bytes, dtype=np.uint8)
        _check(_lib.medaug_model_load_memory(ctypes.c_void_p(data.ctypes.data), data.size, ctypes.byref(out)))
        source = f"<{data.size} bytes>"
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        path = os.fspath(path_or_bytes)
        if isinstance(path, str):
            encoded = path.encode("utf-8", "surrogateescape")
        else:
            encoded = path
        if b"\0" in encoded:
            raise InvalidArgumentError("path contains a NUL character", _ffi.MEDAUG_INVALID_ARGUMENT)
        load = _lib.medaug_model_load_file_mapped if mmap else _lib.medaug_model_load_file
        _check(load(encoded, ctypes.byref(out)))
        source = os.fsdecode(path)
    else:
        raise InvalidArgumentError(
            f"load_model takes a path (str, os.PathLike) or the file's bytes; got {type(path_or_bytes).__name__}",
            _ffi.MEDAUG_INVALID_ARGUMENT)
    return Model(out, source)


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


_KINDS = {"generator": _ffi.MEDAUG_KIND_GENERATOR, "discriminator": _ffi.MEDAUG_KIND_DISCRIMINATOR,
          "segmenter": _ffi.MEDAUG_KIND_SEGMENTER}


def init_model(path: PathLike, kind: str, image_size: int = 256, classes: int = 4, channels: int = 1,
               seed: int = 0) -> str:
    """Writes a randomly initialised model of the default architecture to
    ``path`` (``medaug_model_init``, atomically) and returns the path: the
    paper's generator or discriminator, or the standard segmenter, for
    square images of ``image_size`` pixels, ``classes`` classes (stored
    label values 0, 1, ...) and ``channels`` image channels. The same seed
    writes the same file. ``medaug model init`` has more options.

    Raises:
        TypeError: a wrong type (kind not a str, sizes not ints).
        InvalidArgumentError: an unknown kind, a size out of range, or sizes
            the architecture does not take.
        FileError: ``path`` cannot be written.
    """
    if not isinstance(kind, str):
        raise TypeError(f"init_model: kind must be a str, got {type(kind).__name__}")
    if kind not in _KINDS:
        raise InvalidArgumentError(f"init_model: kind must be one of {', '.join(_KINDS)}, got {kind!r}",
                                   _ffi.MEDAUG_INVALID_ARGUMENT)
    for name, value in (("image_size", image_size), ("classes", classes), ("channels", channels), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"init_model: {name} must be an int, got {type(value).__name__}")
    if not 0 <= seed < 2 ** 64:
        raise InvalidArgumentError(f"init_model: seed must be in 0...2**64-1, got {seed}", _ffi.MEDAUG_INVALID_ARGUMENT)
    for name, value in (("image_size", image_size), ("classes", classes), ("channels", channels)):
        if not -2 ** 31 <= value < 2 ** 31:
            raise InvalidArgumentError(f"init_model: {name} {value} is out of range", _ffi.MEDAUG_INVALID_ARGUMENT)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"init_model: path must be a str or os.PathLike, got {type(path).__name__}")
    file = os.fsdecode(os.fspath(path))
    if "\0" in file:
        raise InvalidArgumentError("init_model: path contains a NUL character", _ffi.MEDAUG_INVALID_ARGUMENT)
    _check(_lib.medaug_model_init(_KINDS[kind], image_size, classes, channels, seed,
                                  file.encode("utf-8", "surrogateescape")))
    return file
