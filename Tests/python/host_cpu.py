"""The CPU tiers this host can run, read from /proc/cpuinfo independently of
medaug's own detection (cpu.c), for the tests that check the detected tier
and run every case once per tier.

MEDAUG_TEST_CPUINFO names another file in /proc/cpuinfo's format:
scripts/test-avx2-emulation runs medaug under qemu-x86_64 with an AVX2-only
CPU, and qemu-user leaves /proc/cpuinfo the host's."""
import os
import platform


def cpu_flags():
    path = os.environ.get("MEDAUG_TEST_CPUINFO", "/proc/cpuinfo")
    with open(path) as f:
        return set(next(line for line in f if line.startswith("flags")).split(":")[1].split())


def expected_tier():
    """medaug's rule: avx512 needs F, BW, DQ and VL; avx2 needs AVX2 and FMA."""
    if platform.machine() in ("aarch64", "arm64"):
        return "neon"
    flags = cpu_flags()
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else "generic"


def supported_tiers():
    """Every tier this host can run, best first."""
    return {"avx512": ["avx512", "avx2", "generic"], "avx2": ["avx2", "generic"],
            "neon": ["neon", "generic"], "generic": ["generic"]}[expected_tier()]
