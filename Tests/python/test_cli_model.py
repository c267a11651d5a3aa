"""`medaug model init` for any configuration, read back with the safetensors
package (an independent reader of the format)."""
import json

import pytest
from medaug_cli import medaug, requires_binary
from safetensors import safe_open

pytestmark = requires_binary


def run(*args):
    return medaug(*args, check=False)


def test_init_from_a_full_config(tmp_path):
    base = tmp_path / "base.safetensors"
    assert run("model", "init", "--kind", "generator", "--image-size", 32, "--down-filters", "8,16,16",
               "--output", base).returncode == 0
    with safe_open(base, "np") as f:
        config = json.loads(f.metadata()["medaug"])
    config.update({"batchnorm_up_blocks": False, "conv_bias": True, "leaky_relu_slope": 0.3})
    (tmp_path / "c.json").write_text(json.dumps(config))
    out = tmp_path / "custom.safetensors"
    result = run("model", "init", "--config", tmp_path / "c.json", "--output", out, "--seed", 4)
    assert result.returncode == 0, result.stderr
    with safe_open(out, "np") as f:
        names = set(f.keys())
        written = json.loads(f.metadata()["medaug"])
        weight = f.get_tensor("down.1.conv.weight")
    assert written["batchnorm_up_blocks"] is False and written["leaky_relu_slope"] == 0.3
    assert not any(n.startswith("up.") and ".bn." in n for n in names)
    assert "down.0.conv.bias" in names and "up.2.convt.bias" in names
    assert abs(weight.std() - 0.02) < 0.003, "pix2pix RandomNormal(0, 0.02)"


def test_invalid_config_is_one_line_error(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"format_version": 1, "kind": "generator", "image_size": 30}))
    result = run("model", "init", "--config", tmp_path / "bad.json", "--output", tmp_path / "x.safetensors")
    assert result.returncode != 0
    assert "is missing" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "x.safetensors").exists()
