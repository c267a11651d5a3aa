#!/usr/bin/env python3
"""Engine benchmark: medaug vs ONNX Runtime, OpenVINO and ncnn (release
build, not part of CI).

  scripts/bench engine [--json] [--rounds R] [--cpu TIER]

The paper generator (256x256) and the segmenter (256x256, 4 classes, default
depth) at batch 1 and 8 on 2 threads. Every engine computes the same function
from the same safetensors file (running-mode BatchNorm, dropout off): ONNX
Runtime and OpenVINO (f32 inference precision set explicitly, latency hint)
read its ONNX export; ncnn reads that ONNX converted by pnnx with fp16=0 and
runs with every fp16/bf16 option off (a batch of 8 is 8 extractions: ncnn has
no batch dimension). Every measurement is its own process, so its peak RSS
(wait4 on that pid) is its own; the engines take turns for R rounds, in a
rotating order, so drift hits all equally. The ratio that counts is medaug's
time over the fastest other engine's (ratio_vs_best); `ratio` stays medaug /
ONNX Runtime. --cpu forces medaug's CPU tier (MEDAUG_CPU); the other engines
keep their own kernel choice, except with --cpu avx2 on an AVX-512 CPU, where
every process sees an AVX2-only CPU (cpu_view.py). A forced tier is not a
measurement of a CPU of that tier. The packages come with `scripts/bootstrap --bench`.

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

import cpu_view

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


# -------------------------------------------------------------- workers --
# Separate processes that import only numpy, safetensors and one engine and
# load a model file saved beforehand, so each peak RSS is that engine's.

def ort_runner(model, x):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    return (lambda: sess.run(["out"], {"input": x})[0]), ort.__version__


def openvino_runner(model, x):
    import openvino as ov
    core = ov.Core()
    net = core.read_model(model)
    net.reshape(list(x.shape))       # static shapes: one process per batch size
    compiled = core.compile_model(net, "CPU", {
        # f32 explicitly: on CPUs with AMX or AVX512-BF16 OpenVINO may pick bf16.
        "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": THREADS})
    request = compiled.create_infer_request()
    return (lambda: request.infer({0: x})[compiled.output(0)]), ov.__version__


def ncnn_runner(model, x):
    import ncnn
    import numpy as np
    net = ncnn.Net()
    net.opt.num_threads = THREADS
    net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = False
    net.opt.use_bf16_storage = False
    net.load_param(model)
    net.load_model(model[:-len(".param")] + ".bin")

    def run():
        outs = []
        for image in x:                  # ncnn has no batch dimension
            with net.create_extractor() as ex:
                ex.input("in0", ncnn.Mat(np.ascontiguousarray(image)))
                outs.append(np.array(ex.extract("out0")[1]))
        return np.stack(outs)
    return run, ncnn.__version__


RUNNERS = {"ort": ort_runner, "openvino": openvino_runner, "ncnn": ncnn_runner}


def worker(a):
    import numpy as np
    from safetensors.numpy import load_file
    x = np.ascontiguousarray(load_file(a.input)["input"], dtype=np.float32)
    run, version = RUNNERS[a.engine](a.model, x)
    times = []
    for i in range(a.warmup + a.runs):
        t0 = time.perf_counter()
        y = run()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    result = {"times_ms": times, "version": version}
    if a.compare:      # parity: medaug's output for the same input file
        ref = load_file(a.compare)["out"]
        if ref.shape != y.shape:
            raise SystemExit(f"output shapes differ: medaug {ref.shape}, {a.engine} {y.shape}")
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
    ncnn_param = convert_to_ncnn(tmp, name, onnx_path, [1, config["input_channels"], 256, 256])
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
    return [path, onnx_path, inputs, flops, ncnn_param]


def pnnx_binary():
    """The pnnx converter of `pip install --no-deps pnnx` (its torch
    dependency is only for tracing PyTorch models, not for ONNX input)."""
    import importlib.util
    spec = importlib.util.find_spec("pnnx")       # finds without importing (that needs torch)
    if spec is None or not spec.submodule_search_locations:
        die("pnnx is not installed: scripts/bootstrap --bench")
    return os.path.join(list(spec.submodule_search_locations)[0], "pnnx")


def convert_to_ncnn(tmp, name, onnx_path, shape):
    """ONNX -> ncnn with pnnx at fp16=0; returns the .param path."""
    folder = os.path.join(tmp, f"{name}-ncnn")
    os.makedirs(folder, exist_ok=True)
    copy = os.path.join(folder, "model.onnx")
    os.link(onnx_path, copy)
    run_checked([pnnx_binary(), copy, "inputshape=[" + ",".join(map(str, shape)) + "]", "fp16=0"],
                cwd=folder)
    return os.path.join(folder, "model.ncnn.param")


def prepare_all(a):
    print(json.dumps({name: prepare(a.medaug, a.dir, name, kind, seed)
                      for seed, (name, kind) in enumerate(MODELS, 1)}))


# ------------------------------------------------------------ processes --

def run_checked(cmd, env=None, cwd=None):
    """Run cmd in its own process; return (stdout, peak RSS in MB of that
    process). wait4 on the pid: RUSAGE_CHILDREN would be the max over all
    children so far, not this one's."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
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


def worker_cmd(engine, model_file, inp, warmup, runs, extra=()):
    return [sys.executable, os.path.abspath(__file__), "_worker", "--engine", engine, "--model", model_file,
            "--input", inp, "--warmup", str(warmup), "--runs", str(runs), *extra]


OTHERS = ["ort", "openvino", "ncnn"]
NAMES = {"ort": "onnxruntime", "openvino": "openvino", "ncnn": "ncnn"}
# Workers: no idle numpy/OpenBLAS thread pool beside the engine's own 2
# threads (ncnn's OpenMP team is sized by its num_threads option).
WORKER_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")
ENGINE_ENV = {"ort": dict(WORKER_ENV, OMP_NUM_THREADS="1"), "openvino": WORKER_ENV, "ncnn": WORKER_ENV}


def model_file(engine, model):
    """The file an engine reads: the ONNX export, or its ncnn conversion."""
    return model[4] if engine == "ncnn" else model[1]


def max_abs_diffs(medaug, model, inp, tmp, env, engine_env):
    """One run of each engine on the same input (not timed, not in the RSS)."""
    m_out = os.path.join(tmp, "medaug-out.safetensors")
    run_checked(medaug_cmd(medaug, model[0], inp, 1, ["--output", m_out]), env)
    diffs = {}
    for engine in OTHERS:
        cmd = worker_cmd(engine, model_file(engine, model), inp, 0, 1, ["--compare", m_out])
        diffs[engine] = parse_json(run_checked(cmd, engine_env[engine])[0], cmd)["max_abs_diff"]
    return diffs


def engine_environments(cpu, tmp):
    """Environments of medaug's and the other engines' processes for --cpu,
    the engines whose instruction set was capped ({name: ISA}), and how.

    --cpu avx2 on an AVX-512 host is an emulation (cpu_view.py): with CPUID
    faulting every engine sees an AVX2-only CPU; without it medaug's tier is
    forced and OpenVINO (oneDNN) capped at AVX2, while ONNX Runtime, ncnn
    and OpenBLAS keep their AVX-512 kernels. Not a measurement of an AVX2
    host (README, "Benchmarks")."""
    m_env = dict(os.environ, MEDAUG_CPU=cpu) if cpu else None
    engine_env = dict(ENGINE_ENV)
    if cpu != "avx2":
        return m_env, engine_env, {}, None
    library, view = cpu_view.avx2_emulation(tmp, "capping OpenVINO with ONEDNN_MAX_CPU_ISA instead")
    if view == "cpuid":
        m_env = cpu_view.preloaded(m_env, library)
        engine_env = {e: cpu_view.preloaded(env, library) for e, env in engine_env.items()}
        return m_env, engine_env, {NAMES.get(e, e): "AVX2" for e in ["medaug", *OTHERS]}, view
    if view == "variables":
        engine_env["openvino"] = dict(engine_env["openvino"], ONEDNN_MAX_CPU_ISA="AVX2")
        return m_env, engine_env, {"openvino": "AVX2"}, view
    return m_env, engine_env, {}, None


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
        m_env, engine_env, capped, view = engine_environments(a.cpu, tmp)
        log("preparing models, ONNX files and inputs")
        cmd = [sys.executable, os.path.abspath(__file__), "_prepare", "--medaug", medaug,
               "--dir", tmp]
        models = parse_json(run_checked(cmd)[0], cmd)
        for m in models.values():                 # JSON object keys are strings
            m[2] = {int(b): p for b, p in m[2].items()}
        # The sgemm peak in its own process, once: not mixed into any timing.
        seg = models["segmenter-256"]       # the cheaper model carries the probe
        cmd = medaug_cmd(medaug, seg[0], seg[2][1], 1, ["--measure-sgemm"])
        peak = parse_json(run_checked(cmd, m_env)[0], cmd)
        engines = ["medaug", *OTHERS]
        cells = {(n, b): {"times": {e: [] for e in engines}, "rss": {e: [] for e in engines}}
                 for n, _ in MODELS for b in BATCHES}
        for (name, b), c in cells.items():
            log(f"parity {name} batch {b}")
            c["diffs"] = max_abs_diffs(medaug, models[name], models[name][2][b], tmp, m_env, engine_env)
        versions = {}
        for r in range(a.rounds):
            for (name, b), c in cells.items():
                model, inputs = models[name], models[name][2]
                log(f"round {r + 1}/{a.rounds}: {name} batch {b}")
                # Rotate which engine goes first so none always runs on a
                # machine another has just warmed (caches, frequency).
                order = engines[r % len(engines):] + engines[:r % len(engines)]
                for engine in order:
                    if engine == "medaug":
                        cmd = medaug_cmd(medaug, model[0], inputs[b], 1 + TIMED[b])
                        out, rss = run_checked(cmd, m_env)
                        j = parse_json(out, cmd)
                        c["times"][engine] += j["times_ms"][1:]       # first run is the warm-up
                        c["arena"] = (j["arena_bytes"], j["arena_lower_bound_bytes"])
                    else:
                        cmd = worker_cmd(engine, model_file(engine, model), inputs[b], 1, TIMED[b])
                        out, rss = run_checked(cmd, engine_env[engine])
                        j = parse_json(out, cmd)
                        c["times"][engine] += j["times_ms"]
                        versions[engine] = j["version"]
                    c["rss"][engine].append(rss)
    elapsed = time.time() - started

    results = []
    for (name, b), c in cells.items():
        # Median over all timed runs of all rounds, per image.
        ms = {e: statistics.median(t) / b for e, t in c["times"].items()}
        best = min(OTHERS, key=lambda e: ms[e])
        row = {"model": name, "batch": b, "cpu_tier": peak["cpu_tier"]}
        for e in ["medaug", *OTHERS]:
            row[f"{NAMES.get(e, e)}_ms_per_image"] = round(ms[e], 3)
        row.update({
            "ratio": round(ms["medaug"] / ms["ort"], 4),
            "best_other_engine": NAMES[best], "ratio_vs_best": round(ms["medaug"] / ms[best], 4),
            "medaug_gflops": round(models[name][3] / (ms["medaug"] * 1e-3) / 1e9, 2)})
        for e in ["medaug", *OTHERS]:         # peak over its processes
            row[f"{NAMES.get(e, e)}_peak_rss_mb"] = round(max(c["rss"][e]), 1)
        row.update({"arena_bytes": c["arena"][0], "arena_lower_bound_bytes": c["arena"][1],
                    "max_abs_diff": c["diffs"]["ort"], "openvino_max_abs_diff": c["diffs"]["openvino"],
                    "ncnn_max_abs_diff": c["diffs"]["ncnn"]})
        results.append(row)
    if a.json:
        print(json.dumps({"sgemm_peak_gflops": round(peak["sgemm_peak_gflops"], 2),
                          "cpu_tier": peak["cpu_tier"], "versions": versions,
                          "capped_isa": capped, "emulation": view, "results": results}))
        return
    print(f"medaug CPU tier: {peak['cpu_tier']}; sgemm peak: {peak['sgemm_peak_gflops']:.1f} GFLOP/s on "
          f"{THREADS} threads ({peak['blas']}); ONNX Runtime {versions.get('ort')}, "
          f"OpenVINO {versions.get('openvino')}, ncnn {versions.get('ncnn')}")
    if view == "cpuid":
        print("emulated AVX2-only CPU: every engine's CPUID shows no AVX-512, AMX or AVX-VNNI "
              "(scripts/benchmarks/cpuid_avx2.c); this host's cores and caches: not an AVX2-host measurement")
    elif view == "variables":
        print("emulated: openvino capped at AVX2 (ONEDNN_MAX_CPU_ISA); ONNX Runtime and ncnn run this "
              "CPU's own kernels: not an AVX2-host measurement")
    for name, _ in MODELS:
        print(f"{name}: {models[name][3] / 1e9:.2f} GFLOP per image (2 x conv multiply-adds)")
    print(f"{a.rounds} rounds, {THREADS} threads; vs best = medaug / fastest other engine's time "
          "(< 1: medaug faster); ratio = medaug / ORT")
    head = ("model", "batch", "medaug ms/img", "ORT", "OpenVINO", "ncnn", "vs best", "ratio",
            "medaug GFLOP/s", "RSS MB medaug/ORT/OV/ncnn", "arena / bound MB", "max |diff| ORT/OV/ncnn")
    rows = [(r["model"], str(r["batch"]), f"{r['medaug_ms_per_image']:.1f}",
             f"{r['onnxruntime_ms_per_image']:.1f}", f"{r['openvino_ms_per_image']:.1f}",
             f"{r['ncnn_ms_per_image']:.1f}", f"{r['ratio_vs_best']:.3f} ({r['best_other_engine']})",
             f"{r['ratio']:.3f}", f"{r['medaug_gflops']:.1f}",
             "/".join(f"{r[k + '_peak_rss_mb']:.0f}" for k in ["medaug", "onnxruntime", "openvino", "ncnn"]),
             f"{r['arena_bytes'] / 2**20:.1f} / {r['arena_lower_bound_bytes'] / 2**20:.1f}",
             f"{r['max_abs_diff']:.1e}/{r['openvino_max_abs_diff']:.1e}/{r['ncnn_max_abs_diff']:.1e}")
            for r in results]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(x.rjust(w) if i else x.ljust(w) for i, (x, w) in enumerate(zip(row, widths))))
    log(f"total {elapsed:.0f} s")


def main():
    ap = argparse.ArgumentParser(description="medaug benchmarks (release build, not part of CI)")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="engine")
    e = sub.add_parser("engine", help="medaug vs ONNX Runtime, OpenVINO and ncnn: generator and segmenter, "
                                      "batch 1 and 8")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine (default 3)")
    e.add_argument("--cpu", choices=["generic", "avx2", "avx512", "neon"],
                   help="force medaug's CPU tier (MEDAUG_CPU)")
    w = sub.add_parser("_worker")         # internal: one measurement process of another engine
    w.add_argument("--engine", choices=list(RUNNERS), required=True)
    w.add_argument("--model", required=True)
    w.add_argument("--input", required=True)
    w.add_argument("--warmup", type=int, default=1)
    w.add_argument("--runs", type=int, default=3)
    w.add_argument("--compare", help="medaug output to compare with (parity run)")
    p = sub.add_parser("_prepare")        # internal: models, ONNX files, inputs
    p.add_argument("--medaug", required=True)
    p.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.cmd == "_worker":
        worker(a)
    elif a.cmd == "_prepare":
        prepare_all(a)
    elif a.rounds < 1:
        die("--rounds must be >= 1")
    else:
        bench_engine(a)


if __name__ == "__main__":
    main()
