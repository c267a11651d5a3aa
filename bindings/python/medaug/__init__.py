"""medaug: Python bindings for libmedaug (ctypes, numpy in and out).

Synthesise biomedical images from label maps with a pix2pix generator,
expand small annotated sets (30 -> 300 pairs), augment, score and segment,
and read TIFF/NIfTI files, through the C ABI of ``libmedaug.so``
(``include/medaug.h``, ABI 1).

The library is found through the environment variable ``MEDAUG_LIBRARY``
(the path of the .so), else a ``libmedaug.so`` / ``libMedaugC.so`` next to
this package, else ``ctypes.util.find_library("medaug")``. It is loaded at
the first call that needs it, so ``import medaug`` and ``medaug-convert``
work without it; that first call raises ImportError if none is found or its
ABI version is not 1.

Example::

    import numpy as np, medaug
    with medaug.load_model("g.safetensors") as model, model.session() as session:
        labels = np.zeros((model.info.image_size,) * 2, dtype=np.int32)
        image = session.generate(labels, seed=7)          # float32 [c, h, w]
"""
from ._errors import (
    BufferTooSmallError,
    CancelledError,
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
from ._library import abi_version, cpu_tier, library_path, limit, version, version_number
from ._model import Model, ModelInfo, init_model, load_model
from ._session import Session
from ._data import Expansion, augment, expand, expand_dataset, metrics
from ._staged import (ExpansionPlan, ExpansionStep, expand_dataset_finish, expand_dataset_plan, expand_dataset_steps,
                      make_staging_folder)
from ._files import Volume, image_page_count, read_image, read_labels, read_volume, volume_series, write_image
from ._volumes import VolumeSegmentation, foreground_mask, normalize_intensities, segment_volume
from ._ffi import (
    MEDAUG_ABI_VERSION as ABI_VERSION,
    MEDAUG_DROPOUT_OFF as DROPOUT_OFF,
    MEDAUG_DROPOUT_ON as DROPOUT_ON,
    MEDAUG_NORMALIZATION_INSTANCE as NORMALIZATION_INSTANCE,
    MEDAUG_NORMALIZATION_RUNNING as NORMALIZATION_RUNNING,
)

__version__ = "0.3.0"

__all__ = [
    "ABI_VERSION", "DROPOUT_OFF", "DROPOUT_ON", "NORMALIZATION_INSTANCE", "NORMALIZATION_RUNNING",
    "BufferTooSmallError", "CancelledError", "ClosedError", "Expansion", "ExpansionPlan", "ExpansionStep", "Volume",
    "augment", "expand", "expand_dataset", "expand_dataset_finish", "expand_dataset_plan", "expand_dataset_steps",
    "make_staging_folder", "image_page_count", "metrics", "read_image", "read_labels", "read_volume", "segment_volume", "foreground_mask", "normalize_intensities", "volume_series", "write_image", "VolumeSegmentation", "Error", "FileError", "FormatError", "InternalError",
    "InvalidArgumentError", "Model", "ModelInfo", "OutOfMemoryError", "Session", "ShapeError",
    "UnsupportedError", "abi_version", "cpu_tier", "init_model", "library_path", "limit", "load_model", "version", "version_number",
]
