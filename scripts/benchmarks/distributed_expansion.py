#!/usr/bin/env python3
# (Not named distributed.py: that would shadow the Dask package of that name.)
"""Distributed expansion benchmark: Dask and Ray against the in-process
expansion (release library, not in CI).

  scripts/bench distributed [--json] [--pairs N] [--rounds R]

Expands a 30-pair 256x256 dataset folder (4 labels, lesion edits on label 3)
by N new pairs with the paper's 256x256 generator (random weights: speed does
not depend on them), half rendered, half classic. Each configuration runs in
its own process, alternating for R rounds; the time is the expansion call's
wall time once the cluster is up (the workers load the generator inside it),
median of the rounds:
  in-process  medaug.expand_dataset with threads = 1 and 2
  dask        expand_dataset_dask, LocalCluster of 1 and 2 single-threaded workers
  ray         expand_dataset_ray, ray.init(num_cpus=2), 1 and 2 single-CPU actors
Reported per row: pairs per second, the ratio against the in-process run with
the same total threads, and the overhead per pair in ms = (t - t_in_process)
/ N at the same total threads. Every output is checked byte-identical to the
in-process output. Cluster start-up time is printed separately.
Needs dask, distributed and ray (scripts/bootstrap installs them).
Env: MEDAUG_SKIP_BUILD=1 uses the existing .build/release/libMedaugC.so.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDINGS = os.path.join(ROOT, "bindings", "python")
SIZE, REAL = 256, 30
OPTIONS = {"edit_labels": [3], "seed": 1}
CONFIGS = [("in-process", 1), ("in-process", 2), ("dask", 1), ("dask", 2), ("ray", 1), ("ray", 2)]


def make_inputs(folder):
    """The dataset folder (phantom slices) and the generator."""
    import numpy as np
    import tifffile
    import medaug
    os.makedirs(os.path.join(folder, "data", "images"))
    os.makedirs(os.path.join(folder, "data", "masks"))
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    items = []
    for i in range(REAL):
        mask = np.zeros((SIZE, SIZE), np.uint8)
        mask[(y - 128) ** 2 / 100 ** 2 + (x - 128) ** 2 / 80 ** 2 < 1] = 1
        mask[(y - 128) ** 2 / 40 ** 2 + (x - 128) ** 2 / 30 ** 2 < 1] = 2
        mask[(y - 90 - i) ** 2 + (x - 100 - 2 * i) ** 2 < 150] = 3
        image = (mask.astype(np.int64) * 300 + 200 + (x * 3 + y * 2) % 50).astype(np.uint16)
        tifffile.imwrite(os.path.join(folder, "data", "images", f"s{i}.tif"), image)
        tifffile.imwrite(os.path.join(folder, "data", "masks", f"s{i}.tif"), mask)
        items.append({"id": f"s{i}", "image": f"images/s{i}.tif", "mask": f"masks/s{i}.tif", "split": "train",
                      "synthetic": False, "source": {}})
    manifest = {"format": "medaug-dataset", "version": 1, "classes": ["background", "tissue", "core", "lesion"],
                "label_values": [0, 1, 2, 3], "channels": ["T1"], "spacing_mm": [1, 1],
                "intensity": {"stored": "uint16", "stored_range": [0, 1500], "network_range": [-1, 1]},
                "items": items}
    with open(os.path.join(folder, "data", "manifest.json"), "w") as f:
        json.dump(manifest, f)
    medaug.init_model(os.path.join(folder, "generator.safetensors"), "generator", image_size=SIZE, classes=4)


def worker(engine, workers, folder, output, pairs):
    """One configuration in this process: prints {"seconds", "startup"}."""
    import medaug
    import medaug.distributed as md
    data, generator = os.path.join(folder, "data"), os.path.join(folder, "generator.safetensors")
    target = REAL + pairs
    started = time.perf_counter()
    if engine == "in-process":
        startup = 0.0
        started = time.perf_counter()
        medaug.expand_dataset(data, output, target, generator, threads=workers, **OPTIONS)
    elif engine == "dask":
        import distributed
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
        client = distributed.Client(cluster)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        md.expand_dataset_dask(data, output, target, generator, client=client, threads=1, **OPTIONS)
    else:
        import ray
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": BINDINGS}})
        ray.data.DataContext.get_current().enable_progress_bars = False
        startup = time.perf_counter() - started
        started = time.perf_counter()
        md.expand_dataset_ray(data, output, target, generator, workers=workers, threads=1, **OPTIONS)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "startup": startup}))
    os._exit(0)     # skip the engines' slow shutdown: the next configuration is a new process


def folder_bytes(folder):
    out = {}
    for base, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pairs", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--_worker", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    library = os.environ.get("MEDAUG_LIBRARY", os.path.join(ROOT, ".build", "release", "libMedaugC.so"))
    os.environ["MEDAUG_LIBRARY"] = library
    sys.path.insert(0, BINDINGS)
    if a._worker:
        engine, workers, folder, output = a._worker
        return worker(engine, int(workers), folder, output, a.pairs)
    if not os.environ.get("MEDAUG_SKIP_BUILD"):
        if subprocess.run(["swift", "build", "-c", "release", "--product", "MedaugC"], cwd=ROOT,
                          stdout=sys.stderr).returncode != 0:
            sys.exit("bench: release build failed")
    import medaug
    env = {**os.environ, "PYTHONPATH": BINDINGS}
    times = {config: [] for config in CONFIGS}
    startups = {config: [] for config in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        make_inputs(tmp)
        reference = None
        for round in range(a.rounds):
            for engine, workers in CONFIGS:
                output = os.path.join(tmp, "out")
                cmd = [sys.executable, os.path.abspath(__file__), "--pairs", str(a.pairs),
                       "--_worker", engine, str(workers), tmp, output]
                run = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if run.returncode != 0:
                    sys.exit(f"bench: {engine} x{workers} failed ({run.returncode}): {run.stderr.strip()[-1500:]}")
                result = json.loads(run.stdout.strip().splitlines()[-1])
                files = folder_bytes(output)
                if reference is None:
                    reference = files
                elif files != reference:
                    sys.exit(f"bench: {engine} x{workers} wrote a different folder than in-process x1")
                shutil.rmtree(output)
                times[(engine, workers)].append(result["seconds"])
                startups[(engine, workers)].append(result["startup"])
    rows = []
    for engine, workers in CONFIGS:
        seconds = statistics.median(times[(engine, workers)])
        base = statistics.median(times[("in-process", workers)])
        rows.append({"engine": engine, "workers": workers, "total_threads": workers, "seconds": seconds,
                     "pairs_per_second": a.pairs / seconds, "ratio_vs_in_process": seconds / base,
                     "overhead_ms_per_pair": (seconds - base) / a.pairs * 1e3,
                     "startup_seconds": statistics.median(startups[(engine, workers)])})
    report = {"cpu_tier": medaug.cpu_tier(), "pairs": a.pairs, "image_size": SIZE, "rounds": a.rounds,
              "identical_outputs": True, "results": rows}
    if a.json:
        print(json.dumps(report))
        return
    print(f"cpu tier {report['cpu_tier']}; {a.pairs} new pairs of {SIZE}x{SIZE} from {REAL}, median of {a.rounds} "
          f"rounds; every output byte-identical to in-process x1")
    print(f"{'engine':<11} {'workers':>7} {'seconds':>8} {'pairs/s':>8} {'vs in-proc':>10} {'overhead ms/pair':>17} "
          f"{'startup s':>10}")
    for r in rows:
        print(f"{r['engine']:<11} {r['workers']:>7} {r['seconds']:>8.2f} {r['pairs_per_second']:>8.2f} "
              f"{r['ratio_vs_in_process']:>10.3f} {r['overhead_ms_per_pair']:>17.1f} {r['startup_seconds']:>10.1f}")


if __name__ == "__main__":
    main()
