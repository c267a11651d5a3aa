"""scripts/install --prefix: the layout a C user or packager expects
(header, libmedaug.so.X.Y.Z with soname libmedaug.so.0 and its links,
pkg-config file, CLI, Python package), proved by building and running
bindings/c/example.c with `pkg-config --cflags --libs medaug` alone and by
importing the installed Python package from outside the source tree."""
import os
import shutil
import subprocess
import sys

import pytest

from medaug_binding import medaug  # noqa: F401  (sets MEDAUG_LIBRARY for the test run)
from medaug_cli import BIN, ROOT, requires_binary

pytestmark = [requires_binary, pytest.mark.skipif(shutil.which("pkg-config") is None or shutil.which("cc") is None,
                                                   reason="needs pkg-config and a C compiler")]


def run(*args, env=None, cwd=None):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd)
    assert out.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    build = os.path.dirname(os.environ.get("MEDAUG_LIBRARY", os.path.join(os.path.dirname(BIN), "libMedaugC.so")))
    run(os.path.join(ROOT, "scripts", "install"), "--prefix", prefix, "--from", build)
    return prefix


def test_layout_and_soname(prefix):
    version = medaug.version()
    lib = prefix / "lib"
    assert (prefix / "include" / "medaug.h").is_file() and (prefix / "bin" / "medaug").is_file()
    assert (lib / f"libmedaug.so.{version}").is_file()
    assert os.readlink(lib / "libmedaug.so.0") == f"libmedaug.so.{version}"
    assert os.readlink(lib / "libmedaug.so") == "libmedaug.so.0"
    dynamic = run("readelf", "-d", lib / f"libmedaug.so.{version}")
    assert "Library soname: [libmedaug.so.0]" in dynamic
    assert run(prefix / "bin" / "medaug", "--version").strip().endswith(version)


def test_c_program_builds_and_runs_with_pkg_config_alone(prefix, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    env.pop("LD_LIBRARY_PATH", None)
    assert run("pkg-config", "--modversion", "medaug", env=env).strip() == medaug.version()
    flags = run("pkg-config", "--cflags", "--libs", "medaug", env=env).split()
    run("cc", "-std=c99", "-Wall", "-Werror", "-o", tmp_path / "example",
        os.path.join(ROOT, "bindings", "c", "example.c"), *flags, "-lm", env=env)
    assert "libmedaug.so.0 => " + str(prefix / "lib") in run("ldd", tmp_path / "example", env=env)
    medaug_cli = prefix / "bin" / "medaug"
    run(medaug_cli, "model", "init", "--kind", "generator", "--image-size", "64", "--out", tmp_path / "g.safetensors")
    run(medaug_cli, "model", "init", "--kind", "segmenter", "--image-size", "64", "--depth", "2",
        "--base-filters", "8", "--out", tmp_path / "s.safetensors")
    output = run(tmp_path / "example", tmp_path / "g.safetensors", tmp_path / "s.safetensors", env=env)
    assert "example: OK" in output.splitlines()


def test_installed_python_package_finds_the_installed_library(prefix, tmp_path):
    site = subprocess.run([sys.executable, "-c", "import sys, sysconfig; print(sysconfig.get_path('purelib', "
                           "vars={'base': sys.argv[1]}))", str(prefix)], capture_output=True, text=True).stdout.strip()
    env = {k: v for k, v in os.environ.items() if k not in ("MEDAUG_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = site
    out = run(sys.executable, "-c", "import medaug; print(medaug.__file__); print(medaug.library_path()); "
              "print(medaug.version())", env=env, cwd=tmp_path)
    package, library, version = out.split()
    assert package.startswith(site) and os.path.realpath(library) == str(prefix / "lib" / f"libmedaug.so.{version}")
