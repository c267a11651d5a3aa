"""pytest suite for bindings/python (the ctypes binding of libmedaug).

Needs the debug build: .build/debug/libMedaugC.so and .build/debug/medaug
(or MEDAUG_LIBRARY and MEDAUG_BIN). Skips with a message when they are missing.

    python3 -m pytest -q Tests/python/test_binding.py
"""
import gc
import os
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy")

from medaug_binding import (GENERATOR_VALUES, LIBRARY, MEDAUG_BIN, ROOT, SEGMENTER_VALUES, SIDE,  # noqa: E402
                            cli as _cli, make_models, medaug)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_models(tmp_path_factory.mktemp("models"))


@pytest.fixture
def generator(models):
    with medaug.load_model(models["generator"]) as model, model.session() as session:
        yield session


@pytest.fixture
def segmenter(models):
    with medaug.load_model(models["segmenter"]) as model, model.session(threads=2) as session:
        yield session


def _label_map(n=None, values=GENERATOR_VALUES, seed=0):
    rng = np.random.default_rng(seed)
    shape = (SIDE, SIDE) if n is None else (n, SIDE, SIDE)
    return np.asarray(values, dtype=np.int32)[rng.integers(0, len(values), size=shape)]


# Versions and ABI

def test_version_and_abi():
    assert medaug.version() == "0.3.0"
    x, y, z = map(int, medaug.version().split("."))
    assert medaug.version_number() == x * 1000000 + y * 1000 + z
    assert medaug.abi_version() == medaug.ABI_VERSION == 1
    assert os.path.samefile(medaug.library_path(), LIBRARY)


def test_struct_sizes_mirror_the_header():
    from medaug import _ffi
    import ctypes
    word = ctypes.sizeof(ctypes.c_size_t)
    assert ctypes.sizeof(_ffi.ModelInfo) == word + 4 * 4 + 5 * word
    assert ctypes.sizeof(_ffi.SessionOptions) == word + 4 + 4 + 8
    assert ctypes.sizeof(_ffi.GenerateOptions) == word + 4 + 4 + 8
    assert ctypes.sizeof(_ffi.SegmentOptions) == word + 4 + 4
    assert ctypes.sizeof(_ffi.AugmentOptions) == 32
    assert ctypes.sizeof(_ffi.ExpandOptions) == 112
    assert ctypes.sizeof(_ffi.MetricsOptions) == 56
    import re
    header = open(os.path.join(ROOT, "include", "medaug.h")).read()
    declared = set(re.findall(r"^MEDAUG_API\b[^;]*?\b(medaug_\w+)\s*\(", header, re.M | re.S))
    assert set(_ffi.PROTOTYPES) == declared
    assert _ffi.init(_ffi.GenerateOptions).struct_size == ctypes.sizeof(_ffi.GenerateOptions)


def test_the_library_loads_lazily_and_a_missing_one_is_a_clear_import_error(tmp_path):
    """`import medaug` and the converter work without the library; the first
    call that needs it raises ImportError naming the path."""
    env = dict(os.environ, MEDAUG_LIBRARY=str(tmp_path / "nope.so"),
               PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    imported = subprocess.run([sys.executable, "-c", "import medaug; print(medaug.__version__)"], env=env,
                              capture_output=True, text=True)
    assert imported.returncode == 0 and imported.stdout.strip() == "0.3.0", imported.stderr
    converter = subprocess.run([sys.executable, "-m", "medaug.convert", "--help"], env=env, capture_output=True,
                               text=True)
    assert converter.returncode == 0 and "keras" in converter.stdout, converter.stderr
    used = subprocess.run([sys.executable, "-c", "import medaug; medaug.version()"], env=env, capture_output=True,
                          text=True)
    assert used.returncode != 0
    assert "ImportError" in used.stderr and "nope.so" in used.stderr, used.stderr


def test_constants_and_versions_agree_with_the_header():
    """The Python copies of the header's constants cannot drift: every
    `#define MEDAUG_NAME value` of include/medaug.h has its twin in _ffi with
    the same value, and the package, pyproject and CLI versions are the
    header's."""
    import re
    from medaug import _ffi
    header = open(os.path.join(ROOT, "include", "medaug.h")).read()
    defines = dict(re.findall(r'^#define\s+(MEDAUG_[A-Z0-9_]+)\s+("[^"]*"|-?\d+\b)', header, re.M))
    assert len(defines) > 30
    for name, value in defines.items():
        expected = value.strip('"') if value.startswith('"') else int(value)
        assert getattr(_ffi, name, None) == expected, f"{name}: header {value}, _ffi {getattr(_ffi, name, None)!r}"
    version = defines["MEDAUG_VERSION"].strip('"')
    assert medaug.__version__ == version
    pyproject = open(os.path.join(ROOT, "bindings", "python", "pyproject.toml")).read()
    assert f'version = "{version}"' in pyproject
    if os.access(MEDAUG_BIN, os.X_OK):
        cli = subprocess.run([MEDAUG_BIN, "--version"], capture_output=True, text=True)
        assert cli.stdout.strip() == version, cli.stdout


# Model information

def test_info_and_config(models):
    with medaug.load_model(models["generator"]) as model:
        info = model.info
        assert info.kind == "generator"
        assert (info.image_size, info.image_channels, info.class_count) == (SIDE, 1, 3)
        assert info.label_values == GENERATOR_VALUES
        assert info.input_channels == 3 and info.output_channels == 1
        assert info.default_normalization in ("running", "instance")
        assert info.default_dropout in ("on", "off")
        config = model.config
        assert config["kind"] == "generator" and config["image_size"] == SIDE
        assert config["label_values"] == list(GENERATOR_VALUES)
    with medaug.load_model(open(models["segmenter"], "rb").read()) as model:  # from bytes
        assert model.info.kind == "segmenter"
        assert model.info.label_values == SEGMENTER_VALUES
        assert model.config["kind"] == "segmenter"


# Generate

def test_generate_shapes(generator):
    single = generator.generate(_label_map(), seed=1)
    assert single.shape == (1, SIDE, SIDE) and single.dtype == np.float32
    batch = generator.generate(_label_map(3), seed=1)
    assert batch.shape == (3, 1, SIDE, SIDE) and batch.dtype == np.float32
    assert np.all(np.isfinite(batch)) and np.all(np.abs(batch) <= 1)
    assert generator.generate(_label_map().astype(np.int64), seed=1).shape == (1, SIDE, SIDE)


def test_generate_seed_determinism_and_dropout(generator):
    labels = _label_map(2)
    first = generator.generate(labels, seed=42, dropout=True)
    again = generator.generate(labels, seed=42, dropout="on")
    assert np.array_equal(first, again)
    off = generator.generate(labels, seed=42, dropout="off")
    assert not np.array_equal(first, off)
    other_seed = generator.generate(labels, seed=43, dropout="on")
    assert not np.array_equal(first, other_seed)
    assert np.array_equal(off, generator.generate(labels, seed=7, dropout=False))


def test_generate_unknown_label_value(generator):
    labels = _label_map()
    labels[3, 5] = 3  # not among 0, 1, 4
    with pytest.raises(medaug.InvalidArgumentError) as caught:
        generator.generate(labels, seed=0)
    error = caught.value
    assert error.status == 2 and isinstance(error, medaug.Error)
    assert "label value 3 at pixel 101" in str(error) and "medaug_generate" not in str(error)  # the library's message, in Python words
    with pytest.raises(medaug.InvalidArgumentError):
        generator.generate(np.zeros((SIDE, SIDE), dtype=np.float32))
    with pytest.raises(medaug.InvalidArgumentError):
        generator.generate(_label_map(), normalization="batch")


def test_generate_matches_cli_run(models, generator):
    labels = _label_map(2, seed=5)
    classes = np.searchsorted(GENERATOR_VALUES, labels)
    one_hot = np.ascontiguousarray(np.eye(3, dtype=np.float32)[classes].transpose(0, 3, 1, 2))
    from safetensors.numpy import load_file, save_file
    inputs, outputs = str(models["folder"] / "in.safetensors"), str(models["folder"] / "out.safetensors")
    save_file({"input": one_hot}, inputs)
    _cli("run", "--model", models["generator"], "--input", inputs, "--output", outputs,
         "--normalization", "running", "--dropout", "off")
    expected = load_file(outputs)["out"]
    actual = generator.generate(labels, normalization="running", dropout="off")
    assert actual.shape == expected.shape
    assert np.max(np.abs(actual - expected)) <= 1e-6


# Segment

def test_segment_shapes_and_labels(segmenter):
    rng = np.random.default_rng(3)
    images = rng.uniform(-1, 1, size=(2, 1, SIDE, SIDE)).astype(np.float32)
    labels = segmenter.segment(images)
    assert labels.shape == (2, SIDE, SIDE) and labels.dtype == np.int32
    labels, probabilities = segmenter.segment(images, probabilities=True)
    assert probabilities.shape == (2, 3, SIDE, SIDE) and probabilities.dtype == np.float32
    assert set(np.unique(labels)) <= set(SEGMENTER_VALUES)
    expected = np.asarray(SEGMENTER_VALUES)[np.argmax(probabilities, axis=1)]
    assert np.array_equal(labels, expected)
    single, single_probabilities = segmenter.segment(images[0].astype(np.float64), probabilities=True)
    assert single.shape == (SIDE, SIDE) and single_probabilities.shape == (3, SIDE, SIDE)
    assert np.array_equal(single, labels[0])


def test_segment_errors(segmenter, generator):
    with pytest.raises(medaug.ShapeError) as caught:
        segmenter.segment(np.zeros((1, 2, SIDE, SIDE), dtype=np.float32))  # 2 channels, model has 1
    assert caught.value.status == 5 and "channels is 2" in str(caught.value) and "medaug_segment" not in str(caught.value)
    with pytest.raises(medaug.ShapeError):
        segmenter.segment(np.zeros((1, 1, SIDE, SIDE - 1), dtype=np.float32))
    with pytest.raises(medaug.ShapeError):
        segmenter.segment(np.zeros(SIDE, dtype=np.float32))           # 1-D ([h, w] is one image)
    with pytest.raises(medaug.ShapeError):
        segmenter.segment(np.zeros((1, 1, 1, SIDE, SIDE), dtype=np.float32))
    image = np.zeros((1, SIDE, SIDE), dtype=np.float32)
    image[0, 4, 4] = np.nan
    with pytest.raises(medaug.InvalidArgumentError) as caught:
        segmenter.segment(image)
    assert str(caught.value)
    with pytest.raises(medaug.UnsupportedError):
        generator.segment(np.zeros((1, 1, SIDE, SIDE), dtype=np.float32))
    with pytest.raises(medaug.ShapeError):
        generator.generate(np.zeros((SIDE, SIDE + 1), dtype=np.int32))


# Loading errors

def test_load_errors(tmp_path):
    with pytest.raises(medaug.FileError) as caught:
        medaug.load_model(tmp_path / "missing.safetensors")
    assert caught.value.status == 3 and "missing.safetensors" in str(caught.value)
    assert isinstance(caught.value, OSError)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!" + b"\x00" * 64)
    with pytest.raises(medaug.FormatError):
        medaug.load_model(garbage)
    with pytest.raises(medaug.FormatError):
        medaug.load_model(os.urandom(256))
    with pytest.raises(medaug.Error):
        medaug.load_model(b"")
    with pytest.raises(medaug.InvalidArgumentError):
        medaug.load_model(42)


# Lifetimes

def test_context_managers_and_close(models):
    with medaug.load_model(models["generator"]) as model:
        with model.session() as session:
            assert session.generate(_label_map(), seed=0).shape == (1, SIDE, SIDE)
        assert session.closed
        with pytest.raises(medaug.Error, match="session is closed"):
            session.generate(_label_map(), seed=0)
        survivor = model.session()
    assert model.closed
    with pytest.raises(medaug.ClosedError, match="closed"):
        model.session()
    with pytest.raises(medaug.Error):
        model.info
    # A session outlives its model (the library keeps the model alive).
    assert survivor.generate(_label_map(), seed=0).shape == (1, SIDE, SIDE)
    survivor.close()
    survivor.close()  # exactly once: the second close is a no-op
    model.close()


def test_garbage_collection_frees_once(models):
    for _ in range(20):
        model = medaug.load_model(models["segmenter"])
        session = model.session()
        del model  # freed by __del__
        session.segment(np.zeros((1, SIDE, SIDE), dtype=np.float32))
        del session
    gc.collect()
    model = medaug.load_model(models["generator"])
    model.close()
    del model  # __del__ after close must not free again
    gc.collect()
