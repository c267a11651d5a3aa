#!/usr/bin/env python3
"""Training benchmark: medaug vs Keras/TensorFlow (release build, not part of CI).

  scripts/bench train [--json] [--steps N] [--rounds R]

One full pix2pix training step at 256x256, batch 1, the paper's recipe
(docs/design.md §1): G forward, D forward on the fake and the real pair, both
backward, Adam (lr 1e-4, beta1 0.5) on both; loss BCE from logits + 100 x L1.
G: 7 down blocks 64, 128, 256, 512, 512, 512, 512, bottleneck 512 (1x1, ReLU,
no BatchNorm), 7 up blocks with BatchNorm and dropout 0.3, ConvTranspose
output + tanh; D: PatchGAN 64, 128, 256, 512, 512 (7x7 logits). Input: a
one-hot label map of 4 classes; output: 1 channel. 2 threads each.

Keras builds G and D as the TensorFlow pix2pix tutorial does, with this
configuration, and times the tutorial's `@tf.function` train step (two
GradientTapes). medaug times `medaug train-gan --time-steps`. Both train on
the same dataset folder (12 random 256x256 pairs), written to a temporary
folder. Every engine runs in its own process; with R rounds they alternate,
and each side's figure is the median of all its timed steps after warm-up
(medaug: its first step, which allocates; Keras: the first 2 calls, which
trace and build). ratio = medaug ms / Keras ms (< 1: medaug faster).

The orchestrator imports nothing heavy: the dataset is written by the
`_dataset` helper process (numpy, tifffile) and TensorFlow runs only in the
`_keras-worker` process.

Env: MEDAUG_SKIP_BUILD=1 uses the existing .build/release/medaug (or
MEDAUG_BIN) instead of running `swift build -c release --product medaug` first.
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
SIZE = 256
BATCH = 1
CLASSES = 4
PAIRS = 12
MODEL = "pix2pix-256"
KERAS_WARMUP = 2            # trace + first execution (oneDNN primitives, Adam slots)

# The paper's configuration, as GeneratorConfig.paper / DiscriminatorConfig.paper
# give it at 256x256 (Sources/MedaugModels/Config/).
DOWN_FILTERS = [64, 128, 256, 512, 512, 512, 512]
BOTTLENECK_FILTERS = 512
UP_FILTERS = DOWN_FILTERS[::-1]
DROPOUT = 0.3
# medaug's paper config puts dropout in every up block (dropout_up_blocks = 7;
# docs/design.md §1: "7 up blocks: ConvTranspose, Dropout(0.3), ReLU"); the TensorFlow
# tutorial has it only in the first 3. Same work as medaug: all 7.
DROPOUT_UP_BLOCKS = 7
DISCRIMINATOR_FILTERS = [64, 128, 256, 512, 512]
LEAKY_SLOPE = 0.2
BN_MOMENTUM = 0.9           # Keras convention; medaug's PyTorch-style 0.1
BN_EPSILON = 1e-5
L1_WEIGHT = 100.0
LEARNING_RATE = 1e-4
BETA_1 = 0.5
ADAM_EPSILON = 1e-8         # medaug's AdamOptions.paper


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    log(f"bench: error: {msg}")
    sys.exit(1)


# -------------------------------------------------------------- dataset --
# A dataset folder (docs/design.md §3.3; Sources/MedaugImaging/Dataset/DatasetManifest.swift):
# manifest.json + images/ID.tif (uint16, one page) + masks/ID.tif (uint8
# label values), every item in the train split.

def write_dataset(folder, seed=0):
    import numpy as np
    import tifffile
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "masks"))
    items = []
    for i in range(PAIRS):
        item_id = f"pair{i:02d}"
        image, mask = f"images/{item_id}.tif", f"masks/{item_id}.tif"
        tifffile.imwrite(os.path.join(folder, image), rng.integers(0, 65536, (SIZE, SIZE), dtype=np.uint16))
        tifffile.imwrite(os.path.join(folder, mask), rng.integers(0, CLASSES, (SIZE, SIZE), dtype=np.uint8))
        items.append({"id": item_id, "image": image, "mask": mask, "split": "train", "synthetic": False,
                      "source": {"benchmark": "random", "seed": seed, "index": i}})
    manifest = {"format": "medaug-dataset", "version": 1,
                "classes": [f"class_{c}" for c in range(CLASSES)], "label_values": list(range(CLASSES)),
                "channels": ["channel_0"], "spacing_mm": [1.0, 1.0],
                "intensity": {"stored": "uint16", "stored_range": [0, 65535], "network_range": [-1, 1]},
                "items": items}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps({"folder": folder, "pairs": PAIRS}))


def read_dataset(folder):
    """The train pairs in network form, NHWC: one-hot label maps
    [PAIRS, S, S, classes] and images [PAIRS, S, S, 1] in [-1, 1]."""
    import numpy as np
    import tifffile
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    lo, hi = manifest["intensity"]["stored_range"]
    nlo, nhi = manifest["intensity"]["network_range"]
    index = {v: c for c, v in enumerate(manifest["label_values"])}
    lut = np.zeros(max(index) + 1, np.int64)
    for v, c in index.items():
        lut[v] = c
    conditions, targets = [], []
    for item in manifest["items"]:
        if item["split"] != "train":
            continue
        image = tifffile.imread(os.path.join(folder, item["image"])).astype(np.float64)
        mask = tifffile.imread(os.path.join(folder, item["mask"]))
        targets.append((nlo + (image - lo) / (hi - lo) * (nhi - nlo)).astype(np.float32)[..., None])
        conditions.append(np.eye(len(index), dtype=np.float32)[lut[mask]])
    return np.stack(conditions), np.stack(targets)


# ---------------------------------------------------------- Keras worker --
# The TensorFlow pix2pix tutorial's networks and train step
# (tensorflow/docs: site/en/tutorials/generative/pix2pix.ipynb) with the
# paper's configuration above. Channels-last: TensorFlow's CPU layout.

def keras_worker(a):
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(0)
    layers = tf.keras.layers

    def init():
        return tf.random_normal_initializer(0.0, 0.02)

    def batchnorm():
        return layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON)

    def downsample(filters, apply_batchnorm=True, activation="leaky"):
        block = tf.keras.Sequential()
        block.add(layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init(), use_bias=False))
        if apply_batchnorm:
            block.add(batchnorm())
        block.add(layers.LeakyReLU(negative_slope=LEAKY_SLOPE) if activation == "leaky" else layers.ReLU())
        return block

    def upsample(filters, apply_dropout=False):
        block = tf.keras.Sequential()
        block.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same", kernel_initializer=init(),
                                         use_bias=False))
        block.add(batchnorm())
        if apply_dropout:
            block.add(layers.Dropout(DROPOUT))
        block.add(layers.ReLU())
        return block

    def generator_model():
        inputs = layers.Input(shape=[SIZE, SIZE, CLASSES])
        down_stack = [downsample(f, apply_batchnorm=i > 0) for i, f in enumerate(DOWN_FILTERS)]
        # The tutorial's 8th down block is the bottleneck; the paper's has no
        # BatchNorm and a ReLU (a 1x1 map at batch 1).
        down_stack.append(downsample(BOTTLENECK_FILTERS, apply_batchnorm=False, activation="relu"))
        up_stack = [upsample(f, apply_dropout=j < DROPOUT_UP_BLOCKS) for j, f in enumerate(UP_FILTERS)]
        last = layers.Conv2DTranspose(1, 4, strides=2, padding="same", kernel_initializer=init(),
                                      activation="tanh")
        x, skips = inputs, []
        for down in down_stack:
            x = down(x)
            skips.append(x)
        for up, skip in zip(up_stack, reversed(skips[:-1])):
            x = up(x)
            x = layers.Concatenate()([x, skip])
        return tf.keras.Model(inputs=inputs, outputs=last(x))

    def discriminator_model():
        inp = layers.Input(shape=[SIZE, SIZE, CLASSES], name="input_image")
        tar = layers.Input(shape=[SIZE, SIZE, 1], name="target_image")
        x = layers.concatenate([inp, tar])
        for i, f in enumerate(DISCRIMINATOR_FILTERS):
            x = downsample(f, apply_batchnorm=i > 0)(x)
        x = layers.ZeroPadding2D()(x)                  # 4x4, stride 1, padding 1: 8x8 -> 7x7 logits
        last = layers.Conv2D(1, 4, strides=1, kernel_initializer=init())(x)
        return tf.keras.Model(inputs=[inp, tar], outputs=last)

    generator = generator_model()
    discriminator = discriminator_model()
    loss_object = tf.keras.losses.BinaryCrossentropy(from_logits=True)

    def generator_loss(disc_generated_output, gen_output, target):
        gan_loss = loss_object(tf.ones_like(disc_generated_output), disc_generated_output)
        l1_loss = tf.reduce_mean(tf.abs(target - gen_output))
        return gan_loss + L1_WEIGHT * l1_loss, gan_loss, l1_loss

    def discriminator_loss(disc_real_output, disc_generated_output):
        real_loss = loss_object(tf.ones_like(disc_real_output), disc_real_output)
        generated_loss = loss_object(tf.zeros_like(disc_generated_output), disc_generated_output)
        return real_loss + generated_loss

    generator_optimizer = tf.keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=ADAM_EPSILON)
    discriminator_optimizer = tf.keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1, epsilon=ADAM_EPSILON)
    generator_optimizer.build(generator.trainable_variables)
    discriminator_optimizer.build(discriminator.trainable_variables)

    @tf.function
    def train_step(input_image, target):
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            gen_output = generator(input_image, training=True)
            disc_real_output = discriminator([input_image, target], training=True)
            disc_generated_output = discriminator([input_image, gen_output], training=True)
            gen_total_loss, _, _ = generator_loss(disc_generated_output, gen_output, target)
            disc_loss = discriminator_loss(disc_real_output, disc_generated_output)
        generator_gradients = gen_tape.gradient(gen_total_loss, generator.trainable_variables)
        discriminator_gradients = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(generator_gradients, generator.trainable_variables))
        discriminator_optimizer.apply_gradients(zip(discriminator_gradients, discriminator.trainable_variables))
        return gen_total_loss, disc_loss

    conditions, targets = read_dataset(a.data)
    batches = [(tf.constant(conditions[i:i + BATCH]), tf.constant(targets[i:i + BATCH]))
               for i in range(0, len(conditions) - BATCH + 1, BATCH)]
    times = []
    for i in range(KERAS_WARMUP + a.steps):
        x, y = batches[i % len(batches)]
        t0 = time.perf_counter()
        g_loss, d_loss = train_step(x, y)
        losses = (float(g_loss.numpy()), float(d_loss.numpy()))      # waits for the step
        if i >= KERAS_WARMUP:
            times.append((time.perf_counter() - t0) * 1e3)
        if not all(np.isfinite(losses)):
            raise SystemExit(f"non-finite loss at step {i}: {losses}")
    print(json.dumps({"ms_per_step": times, "version": tf.__version__,
                      "generator_parameters": int(generator.count_params()),
                      "discriminator_parameters": int(discriminator.count_params())}))


# ------------------------------------------------------------ processes --

def run_json(cmd, env=None):
    """Runs cmd in its own process; returns the JSON object on its last stdout line."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        die(f"command failed (exit {out.returncode}): {' '.join(cmd)}\n{out.stderr.strip()[-2000:]}")
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        die(f"no JSON line from: {' '.join(cmd)}\n{out.stdout[-2000:]}")


# TensorFlow sizes its pools from the thread options; OpenBLAS (numpy) stays idle.
KERAS_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(THREADS),
                 TF_CPP_MIN_LOG_LEVEL="1")


def keras_cmd(data, steps):
    return [sys.executable, os.path.abspath(__file__), "_keras-worker", "--data", data, "--steps", str(steps)]


def medaug_binary():
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
    return medaug


def train_environments(cpu, tmp):
    """medaug's and Keras's environments for --cpu, and how AVX2 is emulated.

    --cpu avx2: both sides on AVX2 code on a CPU that has more (an emulation,
    not an AVX2 host; cpu_view.py). With CPUID faulting both processes see an
    AVX2-only CPU (medaug's tier, OpenBLAS's and oneDNN's kernels follow);
    without it medaug's tier is forced, OpenBLAS set to its Haswell kernels
    and TensorFlow's oneDNN capped at AVX2."""
    if cpu != "avx2":
        return None, KERAS_ENV, None
    m_env = dict(os.environ, MEDAUG_CPU="avx2")
    library, view = cpu_view.avx2_emulation(tmp, "capping with variables instead")
    if view == "cpuid":
        return cpu_view.preloaded(m_env, library), cpu_view.preloaded(KERAS_ENV, library), view
    if view == "variables":
        return dict(m_env, OPENBLAS_CORETYPE="Haswell"), dict(KERAS_ENV, ONEDNN_MAX_CPU_ISA="AVX2"), view
    return m_env, KERAS_ENV, None


def bench_train(a):
    medaug = medaug_binary()
    started = time.time()
    m_times, k_times, version, tier, blas = [], [], "?", "?", "?"
    with tempfile.TemporaryDirectory(prefix="medaug-bench-") as tmp:
        m_env, k_env, view = train_environments(a.cpu, tmp)
        data = os.path.join(tmp, "data")
        log(f"writing {PAIRS} random {SIZE}x{SIZE} pairs ({CLASSES} classes) to {data}")
        run_json([sys.executable, os.path.abspath(__file__), "_dataset", "--dir", data])
        for r in range(a.rounds):
            # Alternate which engine goes first so neither always runs on a
            # machine the other has just warmed (caches, frequency).
            for engine in (["medaug", "keras"] if r % 2 == 0 else ["keras", "medaug"]):
                log(f"round {r + 1}/{a.rounds}: {engine}, {a.steps} timed steps")
                if engine == "medaug":
                    j = run_json([medaug, "train-gan", "--data", data, "--time-steps", str(a.steps + 1),
                                  "--batch", str(BATCH), "--threads", str(THREADS)], m_env)
                    if len(j["ms_per_step"]) != a.steps + 1:
                        die(f"medaug timed {len(j['ms_per_step'])} steps, asked for {a.steps + 1}")
                    m_times += j["ms_per_step"][1:]        # the first step allocates: warm-up
                    tier, blas = j["cpu_tier"], j["blas"]
                else:
                    j = run_json(keras_cmd(data, a.steps), k_env)
                    k_times += j["ms_per_step"]
                    version = j["version"]
    elapsed = time.time() - started

    m, k = statistics.median(m_times), statistics.median(k_times)
    results = [{"model": MODEL, "batch": BATCH, "medaug_ms_per_step": round(m, 3),
                "keras_ms_per_step": round(k, 3), "ratio": round(m / k, 4), "cpu_tier": tier, "blas": blas}]
    capped = {"medaug": "AVX2", "tensorflow": "AVX2"} if view else {}
    if a.json:
        print(json.dumps({"cpu_tier": tier, "blas": blas, "capped_isa": capped, "emulation": view,
                          "results": results}))
        return
    print(f"pix2pix training step, {SIZE}x{SIZE}, {CLASSES} classes -> 1 channel, {THREADS} threads; "
          f"medaug CPU tier {tier}, {blas}; TensorFlow {version}")
    if view == "cpuid":
        print("emulated AVX2-only CPU: both processes' CPUID shows no AVX-512, AMX or AVX-VNNI "
              "(scripts/benchmarks/cpuid_avx2.c); this host's cores and caches: not an AVX2-host measurement")
    elif view == "variables":
        print("emulated AVX2: medaug forced to avx2 with OpenBLAS Haswell kernels, TensorFlow capped at AVX2 "
              "(ONEDNN_MAX_CPU_ISA); not an AVX2-host measurement")
    print(f"{a.rounds} round(s) x {a.steps} timed steps; ratio = medaug / Keras time (< 1: medaug faster)")
    head = ("model", "batch", "medaug ms/step", "keras ms/step", "ratio")
    rows = [(r["model"], str(r["batch"]), f"{r['medaug_ms_per_step']:.1f}", f"{r['keras_ms_per_step']:.1f}",
             f"{r['ratio']:.3f}") for r in results]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(x.rjust(w) if i else x.ljust(w) for i, (x, w) in enumerate(zip(row, widths))))
    log(f"total {elapsed:.0f} s")


def main():
    ap = argparse.ArgumentParser(description="medaug benchmarks (release build, not part of CI)")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="train")
    t = sub.add_parser("train", help="medaug vs Keras/TensorFlow: one pix2pix training step, 256x256, batch 1")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    t.add_argument("--steps", type=int, default=10, help="timed steps per process after warm-up (default 10)")
    t.add_argument("--rounds", type=int, default=1, help="alternating rounds per engine (default 1)")
    t.add_argument("--cpu", choices=["avx2"], help="emulate an AVX2-only CPU for both sides (CPUID "
                   "faulting where the host has it, else medaug's tier, OpenBLAS and oneDNN capped)")
    w = sub.add_parser("_keras-worker")   # internal: one Keras measurement process
    w.add_argument("--data", required=True)
    w.add_argument("--steps", type=int, default=10)
    d = sub.add_parser("_dataset")        # internal: writes the dataset folder
    d.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.cmd == "_keras-worker":
        keras_worker(a)
    elif a.cmd == "_dataset":
        write_dataset(a.dir)
    elif a.steps < 1 or a.rounds < 1:
        die("--steps and --rounds must be >= 1")
    else:
        bench_train(a)


if __name__ == "__main__":
    main()
