"""libmedaug itself: loaded at first use, its statuses raised as Python
exceptions, its handles freed exactly once, and its process-wide calls
(versions, limits, the CPU tier)."""
from __future__ import annotations

import ctypes
import os
import re
import threading
from typing import Any, Callable, Dict, Optional, Union

from . import _ffi
from ._errors import ClosedError, InvalidArgumentError, error_for, _STATUS_NAMES

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
