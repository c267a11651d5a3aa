"""Every input the fuzzers ever crashed on (Tests/fuzz/<target>/) runs
through its target again with the plain build (`medaug-fuzz TARGET FOLDER`):
an error is the expected answer, a crash fails the test. scripts/fuzz finds
them; each one found is added here."""
import os
import subprocess

import pytest

from medaug_cli import BIN, ROOT

FUZZ_BIN = os.path.join(os.path.dirname(BIN), "medaug-fuzz")
REGRESSIONS = os.path.join(ROOT, "Tests", "fuzz")
TARGETS = sorted(os.listdir(REGRESSIONS)) if os.path.isdir(REGRESSIONS) else []


@pytest.mark.skipif(not os.path.exists(FUZZ_BIN), reason=f"medaug-fuzz not built at {FUZZ_BIN}")
@pytest.mark.parametrize("target", TARGETS)
def test_crash_inputs_are_handled(target, tmp_path):
    folder = os.path.join(REGRESSIONS, target)
    result = subprocess.run([FUZZ_BIN, target, folder], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "MEDAUG_FUZZ_TMP": str(tmp_path)})
    assert result.returncode == 0, f"{target}: exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    count = len(os.listdir(folder))
    assert f"{count} input" in result.stdout, result.stdout


def test_every_target_has_a_name_the_replayer_knows():
    result = subprocess.run([FUZZ_BIN], capture_output=True, text=True) if os.path.exists(FUZZ_BIN) else None
    if result is None:
        pytest.skip("medaug-fuzz not built")
    assert result.returncode == 2
    known = result.stderr.split("usage: medaug-fuzz ")[1].split(" ")[0].split("|")
    assert set(TARGETS) <= set(known), f"unknown target folders: {set(TARGETS) - set(known)}"
