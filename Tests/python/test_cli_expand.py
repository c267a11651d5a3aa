"""`medaug expand` end to end: a prepared dataset folder with a lesion label,
a generator from `medaug model init`, and the expanded folder's manifest,
files, provenance and determinism."""
import json
import os
import subprocess

import numpy as np
import pytest
from host_cpu import supported_tiers
from medaug_cli import BIN, medaug, requires_binary

nibabel = pytest.importorskip("nibabel")
tifffile = pytest.importorskip("tifffile")
pytestmark = requires_binary


@pytest.fixture
def dataset(tmp_path):
    x, y, z = np.meshgrid(np.arange(32), np.arange(32), np.arange(30), indexing="ij")
    labels = np.zeros((32, 32, 30), np.uint8)
    labels[(x - 16) ** 2 + (y - 16) ** 2 < 140] = 1
    labels[(x - 16) ** 2 + (y - 16) ** 2 < 60] = 2
    labels[((x - 11) ** 2 + (y - 13) ** 2 < 8) & (z % 2 == 0)] = 4     # a lesion on every other slice
    labels[:, :, :1] = 0
    t1 = (50 + 40 * labels).astype(np.int16)
    nibabel.save(nibabel.Nifti1Image(t1, np.eye(4)), tmp_path / "t1.nii.gz")
    nibabel.save(nibabel.Nifti1Image(labels, np.eye(4)), tmp_path / "seg.nii.gz")
    medaug("prepare", "--image", tmp_path / "t1.nii.gz", "--labels", tmp_path / "seg.nii.gz",
           "--classes", "background,tissue,deep,lesion", "--label-values", "0,1,2,4", "--plane", "axial",
           "--size", 32, "--train-count", 6, "--gap", 1, "--out", tmp_path / "data")
    medaug("model", "init", "--kind", "generator", "--image-size", 32, "--classes", 4, "--label-values", "0,1,2,4",
           "--image-channels", 1, "--down-filters", "8,16", "--output", tmp_path / "g.safetensors")
    return tmp_path


def items(folder):
    return json.loads((folder / "manifest.json").read_text())["items"]


def test_expand_writes_flagged_pairs_and_keeps_val_test_real(dataset):
    out = dataset / "expanded"
    summary = json.loads(medaug("expand", "--data", dataset / "data", "--generator", dataset / "g.safetensors",
                                "--target", 30, "--edit-labels", 4, "--edit-share", 1, "--seed", 3, "--out", out,
                                "--json").stdout)
    assert summary["train"] == 30 and summary["real"] == 6
    assert summary["generated"] == 12 and summary["classic"] == 12 and summary["edited"] >= 10
    before, after = items(dataset / "data"), items(out)
    assert [i for i in after if i["split"] != "train"] == [i for i in before if i["split"] != "train"]
    real_ids = {i["id"] for i in before if i["split"] == "train"}
    for item in after:
        assert item["synthetic"] == (item["id"] not in real_ids and item["split"] == "train")
        if item["synthetic"]:
            assert item["source"]["origin"] in ("generated", "classic") and item["source"]["from"] in real_ids
        mask = tifffile.imread(out / item["mask"])
        assert mask.shape == (32, 32) and set(np.unique(mask)) <= {0, 1, 2, 4}
        assert tifffile.imread(out / item["image"]).shape == (32, 32)
    edited = [i for i in after if i["source"].get("edit")]
    assert {i["source"]["edit"] for i in edited} <= {"move", "copy"}
    # A lesion appears where its source slice had none (copied from a donor).
    lesionless = {i["id"] for i in before if i["split"] == "train" and 4 not in tifffile.imread(dataset / "data" / i["mask"])}
    assert lesionless, "the fixture has slices without a lesion"
    assert any(i["source"]["from"] in lesionless and 4 in tifffile.imread(out / i["mask"]) for i in edited)

    # The same seed gives the same folder, byte for byte.
    again = dataset / "again"
    medaug("expand", "--data", dataset / "data", "--generator", dataset / "g.safetensors", "--target", 30,
           "--edit-labels", 4, "--edit-share", 1, "--seed", 3, "--out", again)
    for item in after:
        assert (out / item["image"]).read_bytes() == (again / item["image"]).read_bytes()
        assert (out / item["mask"]).read_bytes() == (again / item["mask"]).read_bytes()


def test_expand_errors_leave_nothing(dataset):
    out = dataset / "out"
    no_generator = medaug("expand", "--data", dataset / "data", "--target", 30, "--out", out, check=False)
    assert no_generator.returncode != 0 and "needs a generator" in no_generator.stderr
    unknown = medaug("expand", "--data", dataset / "data", "--generator", dataset / "g.safetensors", "--target", 30,
                     "--edit-labels", 9, "--out", out, check=False)
    assert unknown.returncode != 0 and "edit label value 9" in unknown.stderr
    too_few = medaug("expand", "--data", dataset / "data", "--target", 3, "--generated-share", 0, "--out", out,
                     check=False)
    assert too_few.returncode != 0 and "at least the 6 real pairs" in too_few.stderr
    assert not out.exists() and not [p for p in dataset.iterdir() if p.name.startswith(".out")]
    classic = medaug("expand", "--data", dataset / "data", "--target", 12, "--generated-share", 0, "--out", out,
                     "--json")
    assert json.loads(classic.stdout)["classic"] == 6
    exists = medaug("expand", "--data", dataset / "data", "--target", 12, "--generated-share", 0, "--out", out,
                    check=False)
    assert exists.returncode != 0 and "already exists" in exists.stderr


def expand_files(binary, dataset, out, tier=None):
    """`medaug expand` with classic transforms and label edits only (no
    generator) by `binary` on `tier` (None: the CPU's own); the written
    files by name."""
    env = dict(os.environ)
    env.pop("MEDAUG_CPU", None)
    if tier:
        env["MEDAUG_CPU"] = tier
    run = subprocess.run([binary, "expand", "--data", str(dataset / "data"), "--target", "30", "--generated-share",
                          "0", "--edit-labels", "4", "--edit-share", "1", "--seed", "5", "--out", str(out)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.tif"))}


def test_classic_expansion_writes_the_same_files_on_every_tier(dataset):
    """The warp, the classic transforms and the label edits are bitwise the
    same on every CPU tier (README, "Determinism"): `medaug expand --seed`
    writes the same files whichever tier runs it. With MEDAUG_REFERENCE_BIN
    (scripts/test-avx2-emulation: the native binary on the AVX-512 host,
    while MEDAUG_BIN runs on an emulated AVX2-only CPU) the two machines'
    files are compared too."""
    reference = expand_files(BIN, dataset, dataset / "own")
    assert len(reference) >= 2 * 30      # 30 train pairs, and the validation and test ones
    for tier in supported_tiers():
        assert expand_files(BIN, dataset, dataset / f"tier-{tier}", tier) == reference, tier
    other = os.environ.get("MEDAUG_REFERENCE_BIN")
    if other:
        assert expand_files(other, dataset, dataset / "reference-machine") == reference
