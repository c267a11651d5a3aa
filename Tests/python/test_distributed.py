"""pytest suite for medaug.distributed: the dataset expansion on Dask (a
LocalCluster of 2 single-threaded worker processes) and Ray (ray.init with 2
CPUs) writes the folder medaug.expand_dataset writes, byte for byte, from at
least 2 worker processes; a worker killed mid-run leaves, after the engine's
retry, the complete folder, or none when the engine gives up.

    python3 -m pytest -q Tests/python/test_distributed.py
"""
import os
import signal
import sys

import pytest

pytest.importorskip("numpy")
pytest.importorskip("tifffile")

from medaug_binding import INSTALLED, ROOT, folder_bytes, make_dataset, make_models, medaug  # noqa: E402

import medaug.distributed as distributed_expansion  # noqa: E402

OPTIONS = {"edit_labels": [4], "seed": 5}
TARGET = 3 + 40


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Models, the input folder and medaug.expand_dataset's output."""
    folder = tmp_path_factory.mktemp("reference")
    models = make_models(folder)
    data = make_dataset(folder / "data", pairs=3, test_pairs=1)
    medaug.expand_dataset(data, folder / "expected", TARGET, models["generator"], **OPTIONS)
    return {"generator": models["generator"], "data": data, "expected": folder_bytes(folder / "expected")}


def leftovers(folder):
    """What a run left in ``folder`` beside the output (staging folders)."""
    return sorted(name for name in os.listdir(folder) if name != "out")


# Dask

@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_writes_the_in_process_bytes_from_two_workers(reference, dask_client, tmp_path):
    calls = []
    result = distributed_expansion.expand_dataset_dask(
        reference["data"], tmp_path / "out", TARGET, reference["generator"], client=dask_client,
        progress=lambda done, total: calls.append((done, total)), **OPTIONS)
    assert folder_bytes(tmp_path / "out") == reference["expected"]
    worker_pids = set(dask_client.run(os.getpid).values())
    assert len(result.workers) >= 2, result.workers
    assert {int(name.split("/")[1]) for name in result.workers} <= worker_pids, "written by the worker processes"
    assert (result.steps, result.tasks, sum(result.workers.values())) == (40, 8, 8)
    assert calls[-1] == (40, 40) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert leftovers(tmp_path) == []
    with pytest.raises(medaug.InvalidArgumentError, match="already exists"):
        distributed_expansion.expand_dataset_dask(reference["data"], tmp_path / "out", TARGET, reference["generator"],
                                                  client=dask_client, **OPTIONS)


def test_dask_task_errors_arrive_whole_and_leave_nothing(reference, dask_client, tmp_path):
    with pytest.raises(medaug.InvalidArgumentError, match="edit label value 9") as failure:
        distributed_expansion.expand_dataset_dask(reference["data"], tmp_path / "out", TARGET, reference["generator"],
                                                  client=dask_client, edit_labels=[9])
    assert failure.value.status == medaug._ffi.MEDAUG_INVALID_ARGUMENT
    assert leftovers(tmp_path) == [] and not (tmp_path / "out").exists()
    with pytest.raises(medaug.InvalidArgumentError, match="model file path"):
        distributed_expansion.expand_dataset_dask(reference["data"], tmp_path / "out", TARGET,
                                                  medaug.load_model(reference["generator"]), client=dask_client)


class KillWorkerOnce:
    """A Dask worker plugin: the worker that starts the task ``key`` first
    kills its own process (SIGKILL), once per marker file."""

    name = "medaug-test-kill-once"

    def __init__(self, key_suffix, marker):
        self.key_suffix, self.marker = key_suffix, marker

    def setup(self, worker):
        pass

    def teardown(self, worker):
        pass

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and str(key).endswith(self.key_suffix) and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)


def run_with_a_killed_worker(client, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    plugin = type("KillWorkerOncePlugin", (KillWorkerOnce, distributed.WorkerPlugin), {})(
        "-20", str(tmp_path / "killed"))       # the range starting at step 20, mid-run
    client.register_plugin(plugin)
    try:
        return distributed_expansion.expand_dataset_dask(reference["data"], tmp_path / "out", TARGET,
                                                         reference["generator"], client=client, **OPTIONS)
    finally:
        client.unregister_worker_plugin(KillWorkerOnce.name)


def test_dask_worker_killed_mid_run_is_retried_into_the_complete_folder(reference, dask_client, tmp_path):
    before = set(dask_client.run(os.getpid).values())
    run_with_a_killed_worker(dask_client, reference, tmp_path)
    assert (tmp_path / "killed").exists(), "a worker was killed"
    assert set(dask_client.run(os.getpid).values()) != before, "the nanny restarted it"
    assert folder_bytes(tmp_path / "out") == reference["expected"]
    assert leftovers(tmp_path) == ["killed"]


def test_dask_giving_up_after_a_killed_worker_leaves_no_folder(reference, tmp_path):
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            with pytest.raises(distributed.KilledWorker):
                run_with_a_killed_worker(client, reference, tmp_path)
    assert (tmp_path / "killed").exists()
    assert leftovers(tmp_path) == ["killed"] and not (tmp_path / "out").exists()


# Ray

@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    # Ray's worker processes import medaug from where this process does.
    env = {} if INSTALLED else {"PYTHONPATH": os.path.join(ROOT, "bindings", "python")}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


def actor_processes():
    """PIDs of the Ray Data actors that write ranges (their process titles name the class)."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as file:
                    if b"_RayRangeWriter" in file.read():
                        pids.append(int(name))
            except OSError:
                continue
    return pids


def test_ray_writes_the_in_process_bytes_from_two_actors(reference, ray_session, tmp_path):
    result = distributed_expansion.expand_dataset_ray(reference["data"], tmp_path / "out", TARGET,
                                                      reference["generator"], workers=2, **OPTIONS)
    assert folder_bytes(tmp_path / "out") == reference["expected"]
    assert len(result.workers) >= 2 and os.getpid() not in {int(n.split("/")[1]) for n in result.workers}
    assert (result.steps, result.tasks) == (40, 8)
    assert leftovers(tmp_path) == []


def test_ray_actor_killed_mid_run_is_restarted_into_the_complete_folder(reference, ray_session, tmp_path):
    killed = []

    def kill_an_actor(done, total):
        if not killed:
            assert done < total, "the kill must come mid-run"
            pids = actor_processes()
            assert pids, "no actor process found"
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    distributed_expansion.expand_dataset_ray(reference["data"], tmp_path / "out", TARGET, reference["generator"],
                                             workers=2, tasks_per_worker=8, progress=kill_an_actor, **OPTIONS)
    assert killed
    assert folder_bytes(tmp_path / "out") == reference["expected"]
    assert leftovers(tmp_path) == []


def test_ray_errors_arrive_as_medaug_errors_and_leave_nothing(reference, ray_session, tmp_path):
    with pytest.raises(medaug.InvalidArgumentError, match="edit label value 9"):
        distributed_expansion.expand_dataset_ray(reference["data"], tmp_path / "out", TARGET, reference["generator"],
                                                 workers=2, edit_labels=[9])
    not_a_model = tmp_path / "not-a-model.safetensors"
    not_a_model.write_bytes(b"\x00" * 64)
    with pytest.raises(medaug.Error):
        distributed_expansion.expand_dataset_ray(reference["data"], tmp_path / "out", TARGET, not_a_model, workers=2)
    assert leftovers(tmp_path) == ["not-a-model.safetensors"]


def test_the_core_package_does_not_import_the_engines():
    code = ("import sys, medaug, medaug.distributed; "
            "assert not {'dask', 'distributed', 'ray'} & set(sys.modules), sorted(sys.modules)")
    import subprocess
    path = os.pathsep.join(p for p in sys.path if p)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": path})
    assert result.returncode == 0, result.stderr
