"""Exceptions: one class per libmedaug status code, all under medaug.Error."""
from __future__ import annotations

from typing import Dict, Optional, Type

from . import _ffi


class Error(Exception):
    """A libmedaug call failed.

    Attributes:
        message: what was wrong, from ``medaug_last_error()`` (or from the
            binding for checks it makes itself before calling the library).
        status: the ``MEDAUG_*`` status code (an ``int``).
        status_name: the library's name for the code (``medaug_status_string``).
    """

    def __init__(self, message: str, status: int = _ffi.MEDAUG_ERROR, status_name: Optional[str] = None):
        Exception.__init__(self, message)
        self.message = message
        self.status = status
        self.status_name = status_name or _STATUS_NAMES.get(status, "unknown status code")

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status})"

    def __reduce__(self):
        # Whole, not just the message: Dask and Ray workers send errors back pickled.
        return (type(self), (self.message, self.status, self.status_name))


class InternalError(Error):
    """MEDAUG_ERROR: a bug in medaug; the message says where."""


class InvalidArgumentError(Error, ValueError):
    """MEDAUG_INVALID_ARGUMENT: a bad argument, unknown label value, non-finite input, bad options, busy session."""


class FileError(Error, OSError):
    """MEDAUG_IO_ERROR: a file could not be opened, read or mapped."""

    def __init__(self, message: str, status: int = _ffi.MEDAUG_IO_ERROR, status_name: Optional[str] = None):
        Error.__init__(self, message, status, status_name)

    def __str__(self) -> str:  # OSError would format errno/strerror otherwise
        return self.message


class FormatError(Error):
    """MEDAUG_FORMAT_ERROR: a file (model, image, volume) or its contents are malformed."""


class ShapeError(Error, ValueError):
    """MEDAUG_SHAPE_MISMATCH: array dimensions do not fit the model."""


class BufferTooSmallError(Error):
    """MEDAUG_BUFFER_TOO_SMALL: an output capacity is below what is needed (a binding bug if seen)."""


class OutOfMemoryError(Error, MemoryError):
    """MEDAUG_OUT_OF_MEMORY: an allocation failed."""


class UnsupportedError(Error):
    """MEDAUG_UNSUPPORTED: the operation does not apply to this model kind, or unknown option fields."""


class CancelledError(Error):
    """MEDAUG_CANCELLED: a progress callback asked to stop; nothing was written."""


class ClosedError(Error):
    """The model or session was closed (or failed to open) and cannot be used."""

    def __init__(self, message: str):
        Error.__init__(self, message, _ffi.MEDAUG_INVALID_ARGUMENT)


ERROR_CLASSES: Dict[int, Type[Error]] = {
    _ffi.MEDAUG_ERROR: InternalError,
    _ffi.MEDAUG_INVALID_ARGUMENT: InvalidArgumentError,
    _ffi.MEDAUG_IO_ERROR: FileError,
    _ffi.MEDAUG_FORMAT_ERROR: FormatError,
    _ffi.MEDAUG_SHAPE_MISMATCH: ShapeError,
    _ffi.MEDAUG_BUFFER_TOO_SMALL: BufferTooSmallError,
    _ffi.MEDAUG_OUT_OF_MEMORY: OutOfMemoryError,
    _ffi.MEDAUG_UNSUPPORTED: UnsupportedError,
    _ffi.MEDAUG_CANCELLED: CancelledError,
}

_STATUS_NAMES: Dict[int, str] = {}  # filled from the library when it is loaded


def error_for(status: int, message: str, status_name: Optional[str] = None) -> Error:
    """The exception for a status code; unknown non-zero codes give a plain Error."""
    return ERROR_CLASSES.get(status, Error)(message, status, status_name)
