"""One name per thing: every output option is --out; the old spellings stay
as hidden aliases (absent from --help), and both at once are refused."""
import pytest

from medaug_cli import medaug, requires_binary

pytestmark = requires_binary

OLD = {("model", "init"): "--output", ("run",): "--output", ("generate",): "--out-dir",
       ("segment",): "--out-dir", ("augment",): "--out-prefix"}


@pytest.mark.parametrize("command,old", list(OLD.items()))
def test_help_names_out_and_hides_the_old_spelling(command, old):
    text = medaug(*command, "--help").stdout
    assert "--out " in text or "--out <" in text, text
    assert old not in text, text


def test_the_old_spelling_still_works_and_both_are_refused(tmp_path):
    common = ["--kind", "generator", "--image-size", "16", "--classes", "3"]
    medaug("model", "init", *common, "--out", tmp_path / "a.safetensors")
    medaug("model", "init", *common, "--output", tmp_path / "b.safetensors")
    assert (tmp_path / "a.safetensors").read_bytes() == (tmp_path / "b.safetensors").read_bytes()
    both = medaug("model", "init", *common, "--out", tmp_path / "c.safetensors", "--output", tmp_path / "d.safetensors",
                  check=False)
    assert both.returncode != 0 and "give --out once" in both.stderr, both.stderr
    missing = medaug("generate", "--model", tmp_path / "a.safetensors", "--labels", "x.tif", check=False)
    assert missing.returncode != 0 and "--out is required" in missing.stderr, missing.stderr
