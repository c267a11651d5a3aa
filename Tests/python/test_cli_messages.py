"""What the CLI says when the user's numbers or paths are wrong: the value
they gave and their own path, never a parser's "Missing value", a
Foundation error domain or the name of a temporary file."""
import numpy as np
import pytest
import tifffile

from medaug_cli import medaug, requires_binary

pytestmark = requires_binary

INTERNALS = ("NSCocoaErrorDomain", "Error Domain", ".tmp-", ".partial-", "Missing value")


def refused(*args):
    out = medaug(*args, check=False)
    assert out.returncode != 0, out.stdout
    for internal in INTERNALS:
        assert internal not in out.stderr, out.stderr
    return out.stderr


@pytest.fixture
def pair(tmp_path):
    image, mask = tmp_path / "image.tif", tmp_path / "mask.tif"
    tifffile.imwrite(image, np.linspace(-1, 1, 32 * 32, dtype=np.float32).reshape(32, 32))
    tifffile.imwrite(mask, (np.arange(32 * 32).reshape(32, 32) % 3).astype(np.uint8))
    return image, mask


@pytest.fixture
def generator(tmp_path):
    path = tmp_path / "g.safetensors"
    medaug("model", "init", "--kind", "generator", "--image-size", "32", "--classes", "3", "--out", path)
    return path


def test_negative_numbers_are_judged_as_values(pair, generator, tmp_path):
    image, mask = pair
    message = refused("augment", "--image", image, "--mask", mask, "--count", "-3", "--out", tmp_path / "a")
    assert "--count must be in 1...100000, got -3" in message
    message = refused("generate", "--model", generator, "--labels", mask, "--samples", "-2", "--out", tmp_path / "g")
    assert "--samples must be in 1...10000, got -2" in message
    # A negative list value reaches its option too (a CT window would start below 0).
    message = refused("generate", "--model", generator, "--labels", mask, "--stored-range", "-1,4", "--out", tmp_path / "g")
    assert "--stored-range" in message and "'-1,4'" in message


def test_an_output_folder_that_is_a_file_is_named(pair, generator, tmp_path):
    image, mask = pair
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for command in (["generate", "--model", generator, "--labels", mask],
                    ["segment", "--model", generator, "--image", image],
                    ["expand", "--data", tmp_path, "--target", "4"]):
        message = refused(*command, "--out", a_file)
        assert f"--out '{a_file}' is a file; give a folder" in message, (command, message)
        message = refused(*command, "--out", a_file / "sub")
        assert f"'{a_file}' is a file, not a folder" in message, (command, message)
    message = refused("augment", "--image", image, "--mask", mask, "--out", a_file / "x")
    assert f"'{a_file}' is a file, not a folder" in message
    assert a_file.read_text() == "not a folder"


def test_an_output_file_in_a_missing_folder_or_on_a_folder_is_named(pair, tmp_path):
    image, mask = pair
    missing = tmp_path / "missing"
    message = refused("augment", "--image", image, "--mask", mask, "--out", missing / "x")
    assert f"the folder '{missing}' does not exist" in message
    common = ["model", "init", "--kind", "generator", "--image-size", "16", "--classes", "3"]
    assert f"the folder '{missing}' does not exist" in refused(*common, "--out", missing / "g.safetensors")
    assert f"--out '{tmp_path}' is a folder; give a file name" in refused(*common, "--out", tmp_path)
    assert not missing.exists()
