"""Running the `medaug` CLI from the Python tests: where the binary is, a
skip mark for when it is not built, and a runner that reports stderr."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("MEDAUG_BIN", os.path.join(ROOT, ".build", "debug", "medaug"))
requires_binary = pytest.mark.skipif(not os.path.exists(BIN), reason=f"medaug binary not built at {BIN}")


def medaug(*args, check=True):
    """Runs `medaug ARGS…`; with `check`, a non-zero exit fails the test with its stderr."""
    out = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"medaug {' '.join(map(str, args))} failed: {out.stderr}")
    return out
