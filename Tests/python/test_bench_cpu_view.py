"""The benchmarks' AVX2-only view of an AVX-512 CPU (scripts/benchmarks/
cpuid_avx2.c through cpu_view.py): a process under it sees AVX2 and FMA but
no AVX-512, medaug detects avx2 and picks OpenBLAS's AVX2 kernels, and a real
segmentation fault still ends the process as one. Skipped on CPUs without
AVX-512 or without CPUID faulting (nothing to hide, or no way to)."""
import json
import os
import signal
import subprocess
import sys

import pytest

from medaug_binding import ROOT, make_models
from medaug_cli import BIN, requires_binary

sys.path.insert(0, os.path.join(ROOT, "scripts", "benchmarks"))
import cpu_view  # noqa: E402

FLAGS = cpu_view.cpu_flags()
pytestmark = pytest.mark.skipif(not {"avx512f", "cpuid_fault"} <= FLAGS,
                                reason="needs a CPU with AVX-512 and CPUID faulting")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    path, why = cpu_view.avx2_only_preload(str(tmp_path_factory.mktemp("view")))
    if not path and ("no C compiler" in why or "no CPUID faulting" in why):
        pytest.skip(why)            # the host's doing (a compiler, a hypervisor or seccomp refusing it)
    assert path, why
    return path


def run_viewed(library, cmd):
    """cmd under the view, with the CPU left to each program's own detection."""
    env = cpu_view.preloaded(os.environ, library)
    for name in ("MEDAUG_CPU", "OPENBLAS_CORETYPE"):
        env.pop(name, None)
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_numpy_sees_avx2_and_fma_but_no_avx512(library):
    code = ("import json; from numpy._core._multiarray_umath import __cpu_features__ as f; "
            "print(json.dumps({k: f[k] for k in ['AVX2', 'FMA3', 'AVX512F', 'AVX512BW', 'AVX512_SPR']}))")
    unviewed = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    plain = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      check=True, env=unviewed).stdout)
    out = run_viewed(library, [sys.executable, "-c", code])
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert plain["AVX512F"], "numpy sees no AVX-512 without the view: nothing tested"
    assert seen == {"AVX2": True, "FMA3": True, "AVX512F": False, "AVX512BW": False, "AVX512_SPR": False}


@requires_binary
def test_medaug_detects_avx2_and_takes_openblas_avx2_kernels(library, tmp_path):
    generator = make_models(tmp_path)["generator"]
    out = run_viewed(library, [BIN, "run", "--model", generator, "--random-input", "1", "--json"])
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["cpu_tier"] == "avx2"
    # OpenBLAS's AVX-512 kernels would stop on a real AVX2 CPU. The core in
    # use is the word after "OpenBLAS"; the reason in brackets may name the
    # one OpenBLAS detected before the view (on AMD Zen 4: Cooperlake).
    core = report["blas"].split()[1]
    assert core not in ("SkylakeX", "Cooperlake", "SapphireRapids"), report["blas"]


def test_a_real_segmentation_fault_still_ends_the_process(library):
    out = run_viewed(library, [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"])
    assert out.returncode == -signal.SIGSEGV
    # Python's faulthandler, installed after the view, still gets the fault.
    out = run_viewed(library, [sys.executable, "-X", "faulthandler", "-c", "import ctypes; ctypes.string_at(0)"])
    assert out.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in out.stderr
