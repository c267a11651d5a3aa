"""Model: a loaded model file, its description (ModelInfo), loading and
random initialisation."""
from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from . import _ffi
from ._errors import InvalidArgumentError
from ._library import PathLike, _check, _lib, _NORMALIZATIONS, _DROPOUTS, _OwnedHandle
from ._pool import SessionPool
from ._session import Session

_KIND_NAMES = {
    _ffi.MEDAUG_KIND_GENERATOR: "generator",
    _ffi.MEDAUG_KIND_DISCRIMINATOR: "discriminator",
    _ffi.MEDAUG_KIND_SEGMENTER: "segmenter",
}


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
