"""ctypes mirror of include/medaug.h (ABI 1): constants, structs, prototypes.

This module is the only place that knows the C layout. Keep it in step with
the header: structs only grow at the end, so new fields are appended here
too, and ``struct_size`` is always ``ctypes.sizeof`` of the Python struct.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char_p, c_int, c_int32, c_size_t, c_uint64, c_void_p
from typing import Optional

# CAPI: Compile-Time Versions (the header this module mirrors)
MEDAUG_VERSION = "0.3.0"
MEDAUG_VERSION_NUMBER = 3000
MEDAUG_ABI_VERSION = 1

# medaug_limit ids
MEDAUG_LIMIT_IMAGE_PIXELS = 1
MEDAUG_LIMIT_VOLUME_VOXELS = 2
MEDAUG_LIMIT_MODEL_BYTES = 3
MEDAUG_LIMIT_BATCH = 4

# CAPI: Status Codes
MEDAUG_OK = 0
MEDAUG_ERROR = 1
MEDAUG_INVALID_ARGUMENT = 2
MEDAUG_IO_ERROR = 3
MEDAUG_FORMAT_ERROR = 4
MEDAUG_SHAPE_MISMATCH = 5
MEDAUG_BUFFER_TOO_SMALL = 6
MEDAUG_OUT_OF_MEMORY = 7
MEDAUG_UNSUPPORTED = 8
MEDAUG_CANCELLED = 9

# CAPI: Expansion Origins
MEDAUG_ORIGIN_REAL = 0
MEDAUG_ORIGIN_CLASSIC = 1
MEDAUG_ORIGIN_GENERATED = 2
MEDAUG_ORIGIN_GENERATED_EDITED = 3

# CAPI: Sample Types
MEDAUG_SAMPLE_DEFAULT = 0
MEDAUG_SAMPLE_UINT8 = 1
MEDAUG_SAMPLE_UINT16 = 2
MEDAUG_SAMPLE_FLOAT32 = 3
MEDAUG_SAMPLE_INT8 = 4
MEDAUG_SAMPLE_INT16 = 5
MEDAUG_SAMPLE_UINT32 = 6
MEDAUG_SAMPLE_INT32 = 7
MEDAUG_SAMPLE_FLOAT64 = 8
MEDAUG_SAMPLE_BOOL = 9

# CAPI: Model Kinds
MEDAUG_KIND_GENERATOR = 1
MEDAUG_KIND_DISCRIMINATOR = 2
MEDAUG_KIND_SEGMENTER = 3

# CAPI: Inference Modes
MEDAUG_NORMALIZATION_DEFAULT = 0
MEDAUG_NORMALIZATION_RUNNING = 1
MEDAUG_NORMALIZATION_INSTANCE = 2
MEDAUG_DROPOUT_DEFAULT = 0
MEDAUG_DROPOUT_OFF = 1
MEDAUG_DROPOUT_ON = 2


class ModelInfo(ctypes.Structure):
    """medaug_model_info_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("kind", c_int32),
        ("default_normalization", c_int32),
        ("default_dropout", c_int32),
        ("format_version", c_int32),
        ("image_size", c_size_t),
        ("input_channels", c_size_t),
        ("output_channels", c_size_t),
        ("image_channels", c_size_t),
        ("class_count", c_size_t),
    ]


class SessionOptions(ctypes.Structure):
    """medaug_session_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("threads", c_int32),
        ("reserved", c_int32),
        ("memory_limit_bytes", c_uint64),
    ]


class GenerateOptions(ctypes.Structure):
    """medaug_generate_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("normalization", c_int32),
        ("dropout", c_int32),
        ("seed", c_uint64),
    ]


class SegmentOptions(ctypes.Structure):
    """medaug_segment_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("normalization", c_int32),
        ("reserved", c_int32),
    ]


# CAPI: Progress Callbacks: int (*)(void *user_data, size_t done, size_t total)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_size_t)


class AugmentOptions(ctypes.Structure):
    """medaug_augment_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("spacing_row", ctypes.c_double),
        ("spacing_column", ctypes.c_double),
        ("threads", c_int32),
        ("reserved", c_int32),
    ]


class ExpandOptions(ctypes.Structure):
    """medaug_expand_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("target", c_uint64),
        ("generated_share", ctypes.c_double),
        ("edit_share", ctypes.c_double),
        ("edit_values", POINTER(c_int32)),
        ("edit_value_count", c_size_t),
        ("pipeline_json", c_char_p),
        ("mask_pipeline_json", c_char_p),
        ("seed", c_uint64),
        ("normalization", c_int32),
        ("dropout", c_int32),
        ("threads", c_int32),
        ("classic_only", c_int32),
        ("overwrite", c_int32),
        ("reserved", c_int32),
        ("progress", PROGRESS_FN),
        ("progress_user_data", c_void_p),
    ]


class MetricsOptions(ctypes.Structure):
    """medaug_metrics_options_t"""

    _fields_ = [
        ("struct_size", c_size_t),
        ("smoothing", ctypes.c_double),
        ("hausdorff_percentile", ctypes.c_double),
        ("spacing_row", ctypes.c_double),
        ("spacing_column", ctypes.c_double),
        ("regions_json", c_char_p),
        ("count_absent_as_one", c_int32),
        ("skip_hausdorff", c_int32),
    ]


def init(struct_type):
    """The *_INIT macro: every field zero (the defaults), struct_size set."""
    value = struct_type()
    value.struct_size = ctypes.sizeof(struct_type)
    return value


# Opaque handles are plain void pointers on the Python side.
model_p = c_void_p
session_p = c_void_p
_float_p = POINTER(ctypes.c_float)
_int32_p = POINTER(c_int32)

# name: (restype, argtypes); exactly the functions of the header (scripts/test-abi checks).
PROTOTYPES = {
    "medaug_version": (c_char_p, []),
    "medaug_version_number": (c_int, []),
    "medaug_abi_version": (c_int, []),
    "medaug_cpu_tier": (c_char_p, []),
    "medaug_last_error": (c_char_p, []),
    "medaug_status_string": (c_char_p, [c_int]),
    "medaug_model_load_file": (c_int, [c_char_p, POINTER(model_p)]),
    "medaug_model_load_file_mapped": (c_int, [c_char_p, POINTER(model_p)]),
    "medaug_model_load_memory": (c_int, [c_void_p, c_size_t, POINTER(model_p)]),
    "medaug_model_free": (c_int, [model_p]),
    "medaug_model_info": (c_int, [model_p, POINTER(ModelInfo)]),
    "medaug_model_label_values": (c_int, [model_p, _int32_p, c_size_t]),
    # char ** as void ** so the pointer survives for medaug_string_free.
    "medaug_model_config_json": (c_int, [model_p, POINTER(c_void_p)]),
    "medaug_string_free": (None, [c_void_p]),
    "medaug_session_create": (c_int, [model_p, POINTER(SessionOptions), POINTER(session_p)]),
    "medaug_session_free": (c_int, [session_p]),
    "medaug_generate_output_count": (c_int, [session_p, c_size_t, POINTER(c_size_t)]),
    "medaug_generate": (c_int, [session_p, _int32_p, c_size_t, c_size_t, c_size_t,
                                POINTER(GenerateOptions), _float_p, c_size_t]),
    "medaug_segment_output_counts": (c_int, [session_p, c_size_t, POINTER(c_size_t), POINTER(c_size_t)]),
    "medaug_segment": (c_int, [session_p, _float_p, c_size_t, c_size_t, c_size_t, c_size_t,
                               POINTER(SegmentOptions), _float_p, c_size_t, _int32_p, c_size_t]),
    "medaug_augment": (c_int, [_float_p, _int32_p, c_size_t, c_size_t, c_size_t, c_char_p, c_uint64,
                               POINTER(AugmentOptions), _float_p, _int32_p]),
    "medaug_expand": (c_int, [model_p, _float_p, _int32_p, c_size_t, c_size_t, c_size_t, c_size_t,
                              POINTER(ExpandOptions), _float_p, c_size_t, _int32_p, c_size_t, _int32_p, c_size_t]),
    "medaug_expand_dataset": (c_int, [model_p, c_char_p, c_char_p, POINTER(ExpandOptions)]),
    "medaug_expand_dataset_plan": (c_int, [c_char_p, POINTER(ExpandOptions), POINTER(c_void_p)]),
    "medaug_expand_dataset_steps": (c_int, [model_p, c_char_p, c_char_p, POINTER(ExpandOptions), c_uint64, c_uint64]),
    "medaug_expand_dataset_finish": (c_int, [c_char_p, c_char_p, c_char_p, POINTER(ExpandOptions)]),
    "medaug_metrics": (c_int, [_int32_p, _int32_p, c_size_t, c_size_t, c_size_t, c_size_t,
                               POINTER(MetricsOptions), POINTER(c_void_p)]),
    "medaug_image_page_count": (c_int, [c_char_p, POINTER(c_size_t)]),
    # float ** as void ** so the pointer survives for medaug_buffer_free.
    "medaug_image_read": (c_int, [c_char_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t), POINTER(c_size_t),
                                  POINTER(c_size_t)]),
    "medaug_image_read_samples": (c_int, [c_char_p, c_size_t, POINTER(c_void_p), POINTER(ctypes.c_int),
                                          POINTER(c_size_t), POINTER(c_size_t), POINTER(c_size_t)]),
    "medaug_image_write": (c_int, [c_char_p, _float_p, c_size_t, c_size_t, c_size_t, c_int32]),
    "medaug_segment_volume": (c_int, [model_p, _float_p, c_size_t, POINTER(c_size_t), POINTER(ctypes.c_double),
                                      c_char_p, c_size_t, POINTER(c_int32), _float_p, PROGRESS_FN, c_void_p]),
    "medaug_volume_read": (c_int, [c_char_p, POINTER(c_void_p), POINTER(c_size_t), POINTER(ctypes.c_double)]),
    "medaug_volume_read_series": (c_int, [c_char_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t),
                                          POINTER(ctypes.c_double), POINTER(ctypes.c_double)]),
    "medaug_volume_series_json": (c_int, [c_char_p, POINTER(c_void_p)]),
    "medaug_model_init": (c_int, [ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_uint64,
                                  c_char_p]),
    "medaug_labels_read": (c_int, [c_char_p, c_char_p, c_size_t, POINTER(c_char_p), POINTER(ctypes.c_int32), c_size_t,
                                   POINTER(c_void_p), POINTER(c_size_t)]),
    "medaug_limit": (ctypes.c_int64, [ctypes.c_int32, ctypes.c_int64]),
    "medaug_buffer_free": (None, [c_void_p]),
}

_LIBRARY_NAMES = ("libmedaug.so", "libmedaug.so.0", "libMedaugC.so")


def _candidates() -> list:
    """Where to look for the library, in order (see README)."""
    explicit = os.environ.get("MEDAUG_LIBRARY")
    if explicit:
        return [explicit]  # an explicit choice is never second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(d, n) for d in (here, os.path.dirname(here)) for n in _LIBRARY_NAMES]
    found = [p for p in found if os.path.exists(p)]
    system = ctypes.util.find_library("medaug")
    if system:
        found.append(system)
    return found


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads libmedaug, declares every prototype and checks the ABI version.

    Raises ImportError when no library is found, it cannot be loaded, lacks a
    function of the header, or reports an ABI other than MEDAUG_ABI_VERSION.
    """
    candidates = [path] if path else _candidates()
    if not candidates:
        raise ImportError(
            "medaug: libmedaug not found; set MEDAUG_LIBRARY to the path of libmedaug.so "
            "(e.g. .build/debug/libMedaugC.so), put libmedaug.so next to the medaug package, "
            "or install it where the dynamic linker finds it")
    errors = []
    for candidate in candidates:
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as error:
            errors.append(f"{candidate}: {error}")
            continue
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                function = getattr(lib, name)
            except AttributeError:
                raise ImportError(f"medaug: {candidate} does not export {name}; "
                                  "it is not a libmedaug this binding supports") from None
            function.restype = restype
            function.argtypes = argtypes
        abi = lib.medaug_abi_version()
        if abi != MEDAUG_ABI_VERSION:
            raise ImportError(
                f"medaug: {candidate} has ABI version {abi}, this binding needs ABI "
                f"{MEDAUG_ABI_VERSION}; install a matching library or binding")
        lib._medaug_path = candidate
        return lib
    raise ImportError("medaug: could not load libmedaug: " + "; ".join(errors))
