"""The CPU tier: reported by the library, the Python package and `medaug run
--json`; MEDAUG_CPU forces a tier the CPU has and is refused, with a message,
when it names an unknown tier or one the CPU lacks."""
import json
import os
import subprocess
import sys

import pytest

from host_cpu import expected_tier, supported_tiers
from medaug_binding import LIBRARY, ROOT, make_models, medaug
from medaug_cli import BIN, requires_binary

TIERS = ("avx512", "avx2", "neon", "generic")


def unsupported_tier():
    return next(t for t in TIERS if t not in supported_tiers())


def python_with_tier(tier, code):
    env = dict(os.environ, MEDAUG_CPU=tier, MEDAUG_LIBRARY=LIBRARY,
               PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_the_library_reports_the_detected_tier():
    if os.environ.get("MEDAUG_CPU"):
        pytest.skip("MEDAUG_CPU is set for this run")
    assert medaug.cpu_tier() == expected_tier()


@pytest.mark.parametrize("tier", supported_tiers())
def test_a_supported_tier_is_forced(tier, tmp_path):
    generator = make_models(tmp_path)["generator"]
    code = ("import medaug, numpy as np\n"
            f"m = medaug.load_model({generator!r})\n"
            "print(medaug.cpu_tier(), m.session().generate(np.zeros((1, 32, 32), np.int32)).shape)")
    out = python_with_tier(tier, code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == tier


def test_an_unsupported_or_unknown_tier_is_refused(tmp_path):
    generator = make_models(tmp_path)["generator"]
    for tier, says in [(unsupported_tier(), "this CPU cannot run that tier"), ("sse9", "is not a CPU tier")]:
        out = python_with_tier(tier, f"import medaug\nmedaug.load_model({generator!r})")
        assert out.returncode != 0
        assert "UnsupportedError" in out.stderr and f"MEDAUG_CPU={tier}" in out.stderr and says in out.stderr, out.stderr


@requires_binary
def test_the_cli_reports_and_refuses_tiers(tmp_path):
    generator = make_models(tmp_path)["generator"]
    for tier in supported_tiers():
        out = subprocess.run([BIN, "run", "--model", generator, "--random-input", "1", "--json"],
                             capture_output=True, text=True, env=dict(os.environ, MEDAUG_CPU=tier))
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["cpu_tier"] == tier
    out = subprocess.run([BIN, "model", "info", generator], capture_output=True, text=True,
                         env=dict(os.environ, MEDAUG_CPU=unsupported_tier()))
    assert out.returncode != 0 and "this CPU cannot run that tier" in out.stderr, out.stderr
