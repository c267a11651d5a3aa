#!/usr/bin/env python3
"""Engine benchmark: medaug vs ONNX Runtime (release build, not part of CI).

  scripts/bench engine [--json] [--rounds R]

The paper generator (256x256) and the segmenter (256x256, 4 classes, default
depth) at batch 1 and 8 on 2 threads. Both engines compute the same function
from the same safetensors file (running-mode BatchNorm, dropout off). Every
measurement is its own process, so its peak RSS (wait4 on that pid) is its own;
medaug and ORT alternate for R rounds so drift hits both equally.

Linux keeps a process's RSS high-water mark across exec, so a child's ru_maxrss
is at least its parent's RSS at fork time: the orchestrator therefore imports
nothing heavy (numpy/onnx work runs in helper processes) and stays ~15 MB.

Env: MEDAUG_SKIP_BUILD=1 uses the existing .build/release/medaug (or MEDAUG_BIN)
instead of running `swift build -c release --product medaug` first.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THREADS = 2
MODELS = [("generator-256", "generator"), ("segmenter-256", "segmenter")]
BATCHES = [1, 8]
TIMED = {1: 5, 8: 3}        # timed runs per process after 1 warm-up run


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    log(f"bench: error: {msg}")
    sys.exit(1)


# ------------------------------------------------------------ ORT worker --
# A separate process that imports only numpy/onnxruntime/safetensors and loads
# a .onnx file saved beforehand, so its peak RSS is ORT's, not the builder's.

def ort_worker(a):
    import numpy as np
    import onnxruntime as ort
    from safetensors.numpy import load_file
    x = np.ascontiguousarray(load_file(a.input)["input"], dtype=np.float32)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    times = []
    for i in range(a.warmup + a.runs):
        t0 = time.perf_counter()
        (y,) = sess.run(["out"], {"input": x})
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    result = {"times_ms": times, "version": ort.__version__}
    if a.compare:      # parity: medaug's output for the same input file
        ref = load_file(a.compare)["out"]
        if ref.shape != y.shape:
            raise SystemExit(f"output shapes differ: medaug {ref.shape}, ORT {y.shape}")
        result["max_abs_diff"] = float(np.max(np.abs(ref.astype(np.float64) - y)))
    print(json.dumps(result))


# ---------------------------------------------------------- preparation --

def conv_flops_per_image(model):
    """2 x multiply-adds of every Conv/ConvTranspose, per image (batch 1 shapes).
    Shapes come from shape inference on a weight-free skeleton (fast)."""
    import onnx
    from onnx import helper
    g = model.graph
    weights = {i.name: list(i.dims) for i in g.initializer}
    inputs = list(g.input) + [helper.make_tensor_value_info(n, 1, d) for n, d in weights.items()]
    skel = helper.make_model(helper.make_graph(g.node, "skel", inputs, g.output),
                             opset_imports=model.opset_import)
    inferred = onnx.shape_inference.infer_shapes(skel, strict_mode=True).graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.value_info) + list(inferred.output) + list(inferred.input)}
    macs = 0
    for n in g.node:
        if n.op_type == "Conv":         # out elements x (Cin/group * kh * kw)
            w = weights[n.input[1]]
            o = shapes[n.output[0]]
            macs += o[1] * o[2] * o[3] * w[1] * w[2] * w[3]
        elif n.op_type == "ConvTranspose":  # in elements x (Cout * kh * kw), W is IOHW
            w = weights[n.input[1]]
            i = shapes[n.input[0]]
            macs += i[1] * i[2] * i[3] * w[1] * w[2] * w[3]
    return 2 * macs


def prepare(medaug, tmp, name, kind, seed):
    """Write the model (pix2pix init: speed does not depend on values), its ONNX
    twin with a dynamic batch dim and only 'out' as output, and one input file
    per batch (both engines time the same data). Runs in the `_prepare` helper
    process. Returns [model path, onnx path, {batch: input path}, flops/img]."""
    import numpy as np
    import onnx
    from safetensors.numpy import save_file
    sys.path.insert(0, os.path.join(ROOT, "scripts", "parity"))
    from onnx_reference import build_onnx, load_model

    path = os.path.join(tmp, f"{name}.safetensors")
    run_checked([medaug, "model", "init", "--kind", kind, "--image-size", "256", "--classes", "4",
                 "--image-channels", "1", "--seed", str(seed), "--output", path])
    config, tensors = load_model(path)
    model = build_onnx(config, tensors, "running", 1)
    del tensors
    # build_onnx exposes every block output for parity; a benchmark wants only
    # 'out', or ORT must keep (and cannot fuse across) every intermediate.
    out = next(o for o in model.graph.output if o.name == "out")
    del model.graph.output[:]
    model.graph.output.append(out)
    flops = conv_flops_per_image(model)
    for vi in (model.graph.input[0], model.graph.output[0]):
        vi.type.tensor_type.shape.dim[0].dim_param = "N"   # one file for both batches
    onnx_path = os.path.join(tmp, f"{name}.onnx")
    onnx.save(model, onnx_path)
    del model
    rng = np.random.default_rng(seed)
    c, s = config["input_channels"], config["image_size"]
    inputs = {}
    for b in BATCHES:
        if kind == "generator":        # one-hot random label maps, as the generator sees
            x = np.eye(c, dtype=np.float32)[rng.integers(0, c, (b, s, s))].transpose(0, 3, 1, 2)
        else:
            x = rng.standard_normal((b, c, s, s), dtype=np.float32)
        inputs[b] = os.path.join(tmp, f"{name}-b{b}-input.safetensors")
        save_file({"input": np.ascontiguousarray(x)}, inputs[b])
    return [path, onnx_path, inputs, flops]


def prepare_all(a):
    print(json.dumps({name: prepare(a.medaug, a.dir, name, kind, seed)
                      for seed, (name, kind) in enumerate(MODELS, 1)}))


# ------------------------------------------------------------ processes --

def run_checked(cmd, env=None):
    """Run cmd in its own process; return (stdout, peak RSS in MB of that
    process). wait4 on the pid: RUSAGE_CHILDREN would be the max over all
    children so far, not this one's."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)   # already reaped by wait4
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        die(f"command failed (exit {p.returncode}): {' '.join(cmd)}\n{stderr.strip()[-2000:]}")
    return stdout, usage.ru_maxrss / 1024.0          # Linux: ru_maxrss is KB


def parse_json(stdout, cmd):
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        die(f"no JSON line from: {' '.join(cmd)}\n{stdout[-2000:]}")


def medaug_cmd(medaug, model, inp, repeat, extra=()):
    return [medaug, "run", "--model", model, "--input", inp, "--threads", str(THREADS),
            "--repeat", str(repeat), "--normalization", "running", "--dropout", "off",
            "--json", *extra]


def ort_cmd(onnx_path, inp, warmup, runs, extra=()):
    return [sys.executable, os.path.abspath(__file__), "_ort-worker", "--model", onnx_path,
            "--input", inp, "--warmup", str(warmup), "--runs", str(runs), *extra]


# Workers: no idle numpy/OpenBLAS thread pool beside ORT's own 2 threads.
ORT_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")


def max_abs_diff(medaug, model, onnx_path, inp, tmp):
    """One run of each engine on the same input (not timed, not in the RSS)."""
    m_out = os.path.join(tmp, "medaug-out.safetensors")
    run_checked(medaug_cmd(medaug, model, inp, 1, ["--output", m_out]))
    cmd = ort_cmd(onnx_path, inp, 0, 1, ["--compare", m_out])
    return parse_json(run_checked(cmd, ORT_ENV)[0], cmd)["max_abs_diff"]


def bench_engine(a):
    if os.environ.get("MEDAUG_SKIP_BUILD") == "1":
        medaug = os.environ.get("MEDAUG_BIN", os.path.join(ROOT, ".build", "release", "medaug"))
    else:   # README: benchmarks build with -c release; build output to stderr keeps --json clean
        if subprocess.run(["swift", "build", "-c", "release", "--product", "medaug"],
                          cwd=ROOT, stdout=sys.stderr).returncode != 0:
            die("swift build -c release failed")
        bindir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        medaug = os.path.join(bindir, "medaug")
    if not os.access(medaug, os.X_OK):
        die(f"no medaug binary at {medaug}")
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="medaug-bench-") as tmp:
        log("preparing models, ONNX files and inputs")
        cmd = [sys.executable, os.path.abspath(__file__), "_prepare", "--medaug", medaug,
               "--dir", tmp]
        models = parse_json(run_checked(cmd)[0], cmd)
        for m in models.values():                 # JSON object keys are strings
            m[2] = {int(b): p for b, p in m[2].items()}
        # The sgemm peak in its own process, once: not mixed into any timing.
        seg = models["segmenter-256"]       # the cheaper model carries the probe
        cmd = medaug_cmd(medaug, seg[0], seg[2][1], 1, ["--measure-sgemm"])
        peak = parse_json(run_checked(cmd)[0], cmd)
        cells = {(n, b): {"m_times": [], "o_times": [], "m_rss": [], "o_rss": []}
                 for n, _ in MODELS for b in BATCHES}
        for (name, b), c in cells.items():
            model, onnx_path, inputs, _ = models[name]
            log(f"parity {name} batch {b}")
            c["diff"] = max_abs_diff(medaug, model, onnx_path, inputs[b], tmp)
        ort_version = "?"
        for r in range(a.rounds):
            for (name, b), c in cells.items():
                model, onnx_path, inputs, _ = models[name]
                log(f"round {r + 1}/{a.rounds}: {name} batch {b}")
                # Alternate which engine goes first so neither always runs on a
                # machine the other has just warmed (caches, frequency).
                order = ["medaug", "ort"] if r % 2 == 0 else ["ort", "medaug"]
                for engine in order:
                    if engine == "medaug":
                        cmd = medaug_cmd(medaug, model, inputs[b], 1 + TIMED[b])
                        out, rss = run_checked(cmd)
                        j = parse_json(out, cmd)
                        c["m_times"] += j["times_ms"][1:]       # first run is the warm-up
                        c["m_rss"].append(rss)
                        c["arena"] = (j["arena_bytes"], j["arena_lower_bound_bytes"])
                    else:
                        cmd = ort_cmd(onnx_path, inputs[b], 1, TIMED[b])
                        out, rss = run_checked(cmd, ORT_ENV)
                        j = parse_json(out, cmd)
                        c["o_times"] += j["times_ms"]
                        c["o_rss"].append(rss)
                        ort_version = j["version"]
    elapsed = time.time() - started

    results = []
    for (name, b), c in cells.items():
        m = statistics.median(c["m_times"]) / b      # median over all timed runs, all rounds
        o = statistics.median(c["o_times"]) / b
        results.append({
            "model": name, "batch": b,
            "medaug_ms_per_image": round(m, 3), "onnxruntime_ms_per_image": round(o, 3),
            "ratio": round(m / o, 4),
            "medaug_gflops": round(models[name][3] / (m * 1e-3) / 1e9, 2),
            "medaug_peak_rss_mb": round(max(c["m_rss"]), 1),    # peak over its processes
            "onnxruntime_peak_rss_mb": round(max(c["o_rss"]), 1),
            "arena_bytes": c["arena"][0], "arena_lower_bound_bytes": c["arena"][1],
            "max_abs_diff": c["diff"]})
    if a.json:
        print(json.dumps({"sgemm_peak_gflops": round(peak["sgemm_peak_gflops"], 2),
                          "cpu_tier": peak["cpu_tier"], "results": results}))
        return
    print(f"medaug CPU tier: {peak['cpu_tier']}; sgemm peak: {peak['sgemm_peak_gflops']:.1f} GFLOP/s on "
          f"{THREADS} threads ({peak['blas']}); ONNX Runtime {ort_version}")
    for name, _ in MODELS:
        print(f"{name}: {models[name][3] / 1e9:.2f} GFLOP per image (2 x conv multiply-adds)")
    print(f"{a.rounds} rounds, {THREADS} threads; ratio = medaug / ORT time (< 1: medaug faster)")
    head = ("model", "batch", "medaug ms/img", "ORT ms/img", "ratio", "medaug GFLOP/s",
            "RSS medaug MB", "RSS ORT MB", "arena / bound MB", "max |diff|")
    rows = [(r["model"], str(r["batch"]), f"{r['medaug_ms_per_image']:.1f}",
             f"{r['onnxruntime_ms_per_image']:.1f}", f"{r['ratio']:.3f}",
             f"{r['medaug_gflops']:.1f}", f"{r['medaug_peak_rss_mb']:.0f}",
             f"{r['onnxruntime_peak_rss_mb']:.0f}",
             f"{r['arena_bytes'] / 2**20:.1f} / {r['arena_lower_bound_bytes'] / 2**20:.1f}",
             f"{r['max_abs_diff']:.2e}") for r in results]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(x.rjust(w) if i else x.ljust(w) for i, (x, w) in enumerate(zip(row, widths))))
    log(f"total {elapsed:.0f} s")


def main():
    ap = argparse.ArgumentParser(description="medaug benchmarks (release build, not part of CI)")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="engine")
    e = sub.add_parser("engine", help="medaug vs ONNX Runtime: generator and segmenter, batch 1 and 8")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine (default 3)")
    w = sub.add_parser("_ort-worker")     # internal: one ORT measurement process
    w.add_argument("--model", required=True)
    w.add_argument("--input", required=True)
    w.add_argument("--warmup", type=int, default=1)
    w.add_argument("--runs", type=int, default=3)
    w.add_argument("--compare", help="medaug output to compare with (parity run)")
    p = sub.add_parser("_prepare")        # internal: models, ONNX files, inputs
    p.add_argument("--medaug", required=True)
    p.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.cmd == "_ort-worker":
        ort_worker(a)
    elif a.cmd == "_prepare":
        prepare_all(a)
    elif a.rounds < 1:
        die("--rounds must be >= 1")
    else:
        bench_engine(a)


if __name__ == "__main__":
    main()
