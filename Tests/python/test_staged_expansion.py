"""pytest suite for the staged dataset expansion (expand_dataset_plan,
expand_dataset_steps, expand_dataset_finish): the plan is the one
expand_dataset follows, and ranges written in any order give its bytes.

    python3 -m pytest -q Tests/python/test_staged_expansion.py
"""
import json

import pytest

pytest.importorskip("numpy")
pytest.importorskip("tifffile")

from medaug_binding import folder_bytes, make_dataset, make_models, medaug  # noqa: E402

OPTIONS = {"edit_labels": [4], "seed": 11}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_models(tmp_path_factory.mktemp("models"))


def test_plan_matches_what_expand_dataset_writes(models, tmp_path):
    data = make_dataset(tmp_path / "data", pairs=3, test_pairs=1)
    plan = medaug.expand_dataset_plan(data, 13, **OPTIONS)
    assert (plan.real_pairs, plan.target, len(plan.steps)) == (3, 13, 10)
    assert [s.index for s in plan.steps] == list(range(10))
    assert all(0 <= s.seed < 2**64 for s in plan.steps) and len({s.seed for s in plan.steps}) == 10
    medaug.expand_dataset(data, tmp_path / "out", 13, models["generator"], **OPTIONS)
    written = [i for i in json.loads((tmp_path / "out" / "manifest.json").read_text())["items"] if i["synthetic"]]
    assert [int(i["source"]["seed"]) for i in written] == [s.seed for s in plan.steps]
    assert [i["source"]["from"] for i in written] == [f"p{s.source}" for s in plan.steps]
    assert [i["source"]["origin"] == "classic" for i in written] == [s.recipe == "classic" for s in plan.steps]
    assert medaug.expand_dataset_plan(data, 13, **OPTIONS) == plan
    assert medaug.expand_dataset_plan(data, 13, edit_labels=[4], seed=12) != plan
    assert plan.ranges(3) == [(0, 3), (3, 3), (6, 4)] and plan.ranges(50) == [(k, 1) for k in range(10)]


def test_ranges_in_any_order_give_the_in_process_bytes(models, tmp_path):
    data = make_dataset(tmp_path / "data", pairs=3, test_pairs=1)
    medaug.expand_dataset(data, tmp_path / "reference", 13, models["generator"], **OPTIONS)
    plan = medaug.expand_dataset_plan(data, 13, **OPTIONS)
    staging = medaug.make_staging_folder(tmp_path / "staged")
    calls = []
    for first, count in reversed(plan.ranges(4)):
        medaug.expand_dataset_steps(data, staging, 13, models["generator"], first, count,
                                    progress=lambda done, total: calls.append((done, total)), **OPTIONS)
    assert calls == [(d, c) for _, c in reversed(plan.ranges(4)) for d in range(1, c + 1)]   # per range
    medaug.expand_dataset_finish(data, staging, tmp_path / "staged", 13, **OPTIONS)
    assert folder_bytes(tmp_path / "staged") == folder_bytes(tmp_path / "reference")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "reference", "staged"]


def test_staged_errors_are_clear(models, tmp_path):
    data = make_dataset(tmp_path / "data")
    staging = medaug.make_staging_folder(tmp_path / "out")
    with pytest.raises(medaug.InvalidArgumentError, match="have not been written"):
        medaug.expand_dataset_finish(data, staging, tmp_path / "out", 9, **OPTIONS)
    with pytest.raises(medaug.InvalidArgumentError, match="0..<6"):
        medaug.expand_dataset_steps(data, staging, 9, models["generator"], 5, 2, **OPTIONS)
    with pytest.raises(medaug.InvalidArgumentError, match="does not exist"):
        medaug.expand_dataset_steps(data, tmp_path / "nowhere", 9, models["generator"], 0, 1, **OPTIONS)
    with pytest.raises(medaug.InvalidArgumentError, match="edit label value 9"):
        medaug.expand_dataset_steps(data, staging, 9, models["generator"], 0, 1, edit_labels=[9])
    with pytest.raises(medaug.InvalidArgumentError, match="no real train items|manifest"):
        medaug.expand_dataset_plan(tmp_path, 9)
    with pytest.raises(medaug.InvalidArgumentError, match="target"):
        medaug.expand_dataset_plan(data, 2)
    with pytest.raises(medaug.InvalidArgumentError, match="already exists"):
        medaug.make_staging_folder(data)
    assert not (tmp_path / "out").exists()
