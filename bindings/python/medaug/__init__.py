"""medaug: Python bindings for libmedaug (ctypes, numpy in and out).

Synthesise biomedical images from label maps with a pix2pix generator and
segment images with a U-Net, through the C ABI of ``libmedaug.so``
(``include/medaug.h``, ABI 1).

The library is found through the environment variable ``MEDAUG_LIBRARY``
(the path of the .so), else a ``libmedaug.so`` / ``libMedaugC.so`` next to
this package, else ``ctypes.util.find_library("medaug")``. Importing fails
with ImportError if none is found or its ABI version is not 1.

Example::

    import numpy as np, medaug
    with medaug.load_model("g.safetensors") as model, model.session() as session:
        labels = np.zeros((model.info.image_size,) * 2, dtype=np.int32)
        image = session.generate(labels, seed=7)          # float32 [c, h, w]
"""
from ._errors import (
    BufferTooSmallError,
    ClosedError,
    Error,
    FileError,
    FormatError,
    InternalError,
    InvalidArgumentError,
    OutOfMemoryError,
    ShapeError,
    UnsupportedError,
)
from ._core import Model, ModelInfo, Session, abi_version, library_path, load_model, version, version_number
from ._ffi import (
    MEDAUG_ABI_VERSION as ABI_VERSION,
    MEDAUG_DROPOUT_OFF as DROPOUT_OFF,
    MEDAUG_DROPOUT_ON as DROPOUT_ON,
    MEDAUG_NORMALIZATION_INSTANCE as NORMALIZATION_INSTANCE,
    MEDAUG_NORMALIZATION_RUNNING as NORMALIZATION_RUNNING,
)

__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION", "DROPOUT_OFF", "DROPOUT_ON", "NORMALIZATION_INSTANCE", "NORMALIZATION_RUNNING",
    "BufferTooSmallError", "ClosedError", "Error", "FileError", "FormatError", "InternalError",
    "InvalidArgumentError", "Model", "ModelInfo", "OutOfMemoryError", "Session", "ShapeError",
    "UnsupportedError", "abi_version", "library_path", "load_model", "version", "version_number",
]
