"""Reading and writing medaug model files (safetensors, docs/weights-format.md)
with numpy only, and atomic file replacement.

A file is an 8-byte little-endian header length n, n bytes of JSON header,
then the raw little-endian tensor data. medaug files hold only F32 tensors
and keep their architecture as a JSON string at __metadata__["medaug"].
"""
import json
import os
import struct
import tempfile

import numpy as np

from ._layout import check_config, check_tensors

_MAX_HEADER = 100 * 1024 * 1024     # the safetensors reference limit


def atomic_write(path, write):
    """Create `path` through a temporary file in the same folder: `write(f)`
    fills the open binary file, then it is flushed, synced and renamed over
    `path`. On any error the temporary file is removed and `path` is left
    as it was (absent, or the previous file)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)       # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_safetensors(path):
    """Return (metadata dict, {name: float32 ndarray}) of a safetensors file.

    Raises ValueError when the file is not a well-formed safetensors file or
    holds a tensor that is not F32 (medaug files hold F32 only)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n < 2 or n > min(_MAX_HEADER, len(data) - 8):
        raise ValueError(f"{path}: not a safetensors file (header length {n}, file {len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path}: not a safetensors file (header is not JSON: {error})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a safetensors file (header is not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{path}: __metadata__ must map strings to strings")
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"{path}: tensor {name!r} has a malformed header entry") from None
        if dtype != "F32":
            raise ValueError(f"{path}: tensor {name!r} has dtype {dtype}; medaug files hold F32 only")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise ValueError(f"{path}: tensor {name!r} has an invalid shape {shape!r}")
        size = 4 * int(np.prod(shape, dtype=np.int64))
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(body)
                and end - begin == size):
            raise ValueError(f"{path}: tensor {name!r} has data offsets {[begin, end]} that do not "
                             f"fit its shape {shape} or the file")
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(shape).astype(np.float32)
    return metadata, tensors


def load(path):
    """Return (config dict, {name: float32 ndarray}) of a medaug model file,
    checked: the config is complete and the tensors are exactly the ones it
    implies (names and shapes). Raises ValueError otherwise."""
    metadata, tensors = read_safetensors(path)
    if "medaug" not in metadata:
        raise ValueError(f"{path}: not a medaug model (no __metadata__['medaug'] config string)")
    try:
        config = json.loads(metadata["medaug"])
    except ValueError as error:
        raise ValueError(f"{path}: __metadata__['medaug'] is not JSON: {error}") from None
    check_config(config)
    check_tensors(config, tensors)
    return config, tensors


def config_json(config):
    """The config as medaug writes it: compact JSON with sorted keys."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def save(path, config, tensors):
    """Write a medaug model file atomically, exactly as docs/weights-format.md
    describes: F32 tensors in graph order, the config JSON string at
    __metadata__["medaug"], header padded with spaces to 8 bytes.

    Raises ValueError (nothing written) when the config is incomplete, the
    tensor set does not match it, or a tensor holds NaN or infinity."""
    check_config(config)
    order = check_tensors(config, tensors)
    arrays = {}
    for name in order:
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"tensor {name} holds NaN or infinite values")
        arrays[name] = a
    header, offset = {"__metadata__": {"medaug": config_json(config)}}, 0
    for name, a in arrays.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)

    def write(f):
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for a in arrays.values():
            f.write(a.tobytes())

    atomic_write(path, write)
