"""`--cpu avx2` of the benchmarks on a CPU with AVX-512: how the engines are
made to run AVX2 code (imported by engine.py and train.py; stdlib only, so the
orchestrators stay light).

The preferred way is the AVX2-only view of cpuid_avx2.c: preloaded into every
benchmark process, it answers CPUID without AVX-512, AMX or AVX-VNNI, so
every engine's own detection (ONNX Runtime, OpenVINO, ncnn, TensorFlow,
OpenBLAS, medaug) picks its AVX2 kernels. It needs Linux CPUID faulting (the
`cpuid_fault` flag) and a C compiler. Without them the benchmarks fall back
to what can be capped by variables: medaug's tier (MEDAUG_CPU), OpenBLAS's
kernels (OPENBLAS_CORETYPE) and oneDNN's ISA (ONEDNN_MAX_CPU_ISA); ONNX
Runtime and ncnn then keep this CPU's AVX-512 kernels.

Either way the cores, caches and memory are this host's: an emulation of the
instruction set, not a measurement of an AVX2 host.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "cpuid_avx2.c")


def cpu_flags(path="/proc/cpuinfo"):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


NOTHING_TO_HIDE = "this CPU has no AVX-512: nothing to hide"


def avx2_only_preload(folder):
    """Builds cpuid_avx2.so in `folder` and checks that a process under it
    sees no AVX-512. Returns (path, None), or (None, why not)."""
    flags = cpu_flags()
    if "avx512f" not in flags:
        return None, NOTHING_TO_HIDE
    if "cpuid_fault" not in flags:
        return None, "no CPUID faulting on this CPU or hypervisor (no cpuid_fault flag)"
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        return None, "no C compiler (cc) to build cpuid_avx2.c"
    library = os.path.join(folder, "cpuid_avx2.so")
    built = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", library, SOURCE, "-ldl"],
                           capture_output=True, text=True)
    if built.returncode != 0:
        return None, f"cpuid_avx2.c did not build: {built.stderr.strip()[-500:]}"
    # The library's constructor checks CPUID itself and exits 86 when it
    # cannot hide AVX-512.
    probe = subprocess.run([sys.executable, "-c", "print('ok')"],
                           capture_output=True, text=True, env=preloaded(os.environ, library))
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        return None, f"the AVX2-only view did not start: {probe.stderr.strip()[-500:]}"
    return library, None


def preloaded(env, library):
    """`env` with `library` preloaded first."""
    env = dict(env)
    env["LD_PRELOAD"] = " ".join(x for x in [library, env.get("LD_PRELOAD", "")] if x)
    return env


def avx2_emulation(folder, fallback):
    """How a benchmark's --cpu avx2 runs here: (library, "cpuid") with the
    view to preload; (None, None) on a CPU without AVX-512 (it runs AVX2 code
    anyway); or (None, "variables") after saying why there is no view and
    `fallback`, what the benchmark caps instead."""
    library, why = avx2_only_preload(folder)
    if library:
        return library, "cpuid"
    if why == NOTHING_TO_HIDE:
        return None, None
    print(f"no AVX2-only view ({why}); {fallback}", file=sys.stderr, flush=True)
    return None, "variables"
