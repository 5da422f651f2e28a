"""GPU benchmark: ResNet-50 forward, BatchEBAnO and training throughput, and the time to explain a pool.

Install on a GPU machine that has Python 3.12 with JAX (CUDA) and PyTorch but no TensorFlow or Keras, and
no network (ebano_dal needs no TensorFlow on the JAX backend; nothing here downloads weights or data):

  1. On a connected machine, in a checkout of this repository, fetch the wheels with a Python 3.12 (pip evaluates
     the requirements' environment markers with the Python it runs on) for Linux x86-64, glibc 2.28 or newer (list
     every platform tag: pip does not widen manylinux_2_28 to the older tags):

       python3.12 -m pip download --only-binary=:all: --python-version 3.12 --implementation cp \
           --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d wheels/ \
           keras faiss-cpu scikit-learn pandas matplotlib pillow

     These are what `import ebano_dal.engine, ebano_dal.models` needs besides numpy and JAX (TensorFlow is not
     imported on the JAX backend). keras brings absl-py, h5py, ml-dtypes, namex, optree, rich and packaging;
     scikit-learn scipy, joblib and threadpoolctl; pandas python-dateutil and tzdata; matplotlib contourpy, cycler,
     fonttools, kiwisolver and pyparsing (about 120 MB in all). numpy comes too; the machine's own is kept when it
     is new enough. faiss-cpu only because ebano_dal.engine imports faiss when it loads: the fast mode measured
     here never calls it (faiss-gpu, built for CUDA 12, would do as well).
     For the study too (`ebano-dal run`), add to both pip commands:
       pyyaml papermill ipykernel nbconvert seaborn tqdm dask distributed setuptools
     and install the package without its requirements (they name TensorFlow):
       pip install --no-index --find-links wheels/ --no-deps --no-build-isolation -e .
  2. Carry wheels/ and the checkout to the GPU machine; there, in the checkout:

       pip install --no-index --find-links wheels/ keras faiss-cpu scikit-learn pandas matplotlib pillow
       KERAS_BACKEND=jax python -c "import keras, jax; print(keras.backend.backend(), jax.devices())"
       KERAS_BACKEND=jax python benchmarks/gpu_benchmark.py --out outputs/gpu-benchmark.json

     The script finds ebano_dal/ beside benchmarks/ when the package is not installed.

What it measures, for ResNet-50 (ebano_dal.models.resnet50, random weights) on random pixel images of
--size × --size, for every precision of --dtype (float32; bfloat16 = Keras mixed precision with float32 outputs,
ebano_dal.engine.bfloat16_model, the engine's mixed_precision=True):

  forward images/s    batched predict_on_batch at the engine's forward batch size (the faster of --batch and
                      the engine's forward_batch_size), after a warm-up call at the timed shape
  explained images/s  BatchEBAnO (default fast mode: exact PCA + batched k-means) explaining --images images
                      for their predicted class, after a warm-up batch (compilation is not timed)
  roofline            explained/s × 55 ÷ forward images/s: each explanation costs Σk + 1 = 55 forward passes
                      (one of the image, one per feature for k = 2..10), so 1.0 means the engine runs as fast as
                      its forward passes alone allow
  train images/s      keras fit (SGD + momentum + weight decay, as ebano_dal.models.train) on random labels,
                      --images images in mini-batches of --batch, the second epoch (the first compiles)
  pool time           --pool images (default 22,500: ImageNet-25's pool, 900 × 25) ÷ explained images/s

Prints a table and, with --out, writes the figures as JSON (with versions, device and peak device memory where
the backend reports it). Runs on any backend and on the CPU at a tiny size, e.g.:
  python benchmarks/gpu_benchmark.py --size 64 --images 16 --batch 8
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.append(str(Path(__file__).resolve().parent.parent))  # a checkout's ebano_dal/, when it is not installed

import keras
import numpy as np
import pandas as pd

from ebano_dal.engine import BatchEBAnO, bfloat16_model
from ebano_dal.models import resnet50
from ebano_dal.records import versions, write_json

IMAGENET25_POOL = 22_500  # 900 pool images per class × 25 classes (thesis table 4.1)


def device_info() -> dict:
    """The accelerator Keras computes on, in words, and its peak memory use in bytes where the backend says."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax
            d = jax.devices()[0]
            peak = (d.memory_stats() or {}).get("peak_bytes_in_use") if d.platform != "cpu" else None
            return {"device": f"{d.platform}: {d.device_kind} ×{jax.device_count()}", "peak_bytes": peak}
        if backend == "tensorflow":
            import tensorflow as tf
            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
                return {"device": f"gpu: {name} ×{len(gpus)}",
                        "peak_bytes": tf.config.experimental.get_memory_info("GPU:0")["peak"]}
        if backend == "torch":
            import torch
            if torch.cuda.is_available():
                return {"device": f"gpu: {torch.cuda.get_device_name(0)}", "peak_bytes": torch.cuda.max_memory_allocated()}
    except Exception as e:  # a benchmark figure, not a reason to fail
        return {"device": f"unknown ({type(e).__name__}: {e})", "peak_bytes": None}
    return {"device": f"cpu ({os.cpu_count()} cores)", "peak_bytes": None}


def forward_rate(model: keras.Model, images: np.ndarray, batch: int, repeats: int) -> float:
    """Batched forward images/s of model at batch size `batch` (after a warm-up call at that shape)."""
    x = np.concatenate([images] * max(1, -(-batch * repeats // len(images))))[:batch * repeats]
    np.asarray(model.predict_on_batch(x[:batch]))
    t = time.perf_counter()
    for s in range(0, len(x), batch):
        np.asarray(model.predict_on_batch(x[s:s + batch]))  # to numpy: the device has finished
    return len(x) / (time.perf_counter() - t)


def train_rate(model: keras.Model, images: np.ndarray, labels: np.ndarray, batch: int) -> float:
    """Training images/s of keras fit with the project's optimizer on images, the second epoch timed."""
    jit = False if keras.backend.backend() == "tensorflow" else "auto"  # as ebano_dal.models.train
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, weight_decay=1e-4),
                  loss="sparse_categorical_crossentropy", jit_compile=jit)
    model.fit(images, labels, batch_size=batch, epochs=1, shuffle=False, verbose=0)  # compiles the step
    t = time.perf_counter()
    model.fit(images, labels, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    return len(images) / (time.perf_counter() - t)


def measure(dtype: str, base: keras.Model, images: np.ndarray, labels: np.ndarray, args) -> dict:
    """Every figure of one precision: forward, explain (+ roofline, pool time) and training throughput."""
    bf16 = dtype == "bfloat16"
    row: dict = {"dtype": dtype}
    try:
        engine = BatchEBAnO(base, batch_size=args.batch, mixed_precision=bf16, seed=args.seed,
                            forward_batch_size=args.forward_batch)
    except ValueError as e:  # e.g. no bfloat16 kernels on this device
        return {**row, "error": str(e)}
    passes = sum(engine.ks) + 1
    net = bfloat16_model(base) if bf16 else base  # what the engine predicts with
    if "forward" in args.parts or "explain" in args.parts:
        row["forward images/s"] = max(forward_rate(net, images, b, args.forward_repeats)
                                      for b in sorted({args.batch, engine.forward_batch_size}))
    if "explain" in args.parts:
        engine.explain(images[:args.batch])  # warm-up batch: compilation and tracing are not timed
        t = time.perf_counter()
        explanations = engine.explain(images)
        rate = len(images) / (time.perf_counter() - t)
        assert len(explanations) == len(images)
        row.update({"explained images/s": rate, "passes per explanation": passes,
                    "roofline": rate * passes / row["forward images/s"],
                    "pool": args.pool, "pool explain s": args.pool / rate})
    if "train" in args.parts:
        keras.utils.set_random_seed(args.seed)
        trainee = bfloat16_model(base) if bf16 else keras.models.clone_model(base)
        row["train images/s"] = train_rate(trainee, images, labels, args.batch)
    return row


def hours(seconds: float) -> str:
    """Seconds as h:mm:ss."""
    m, s = divmod(round(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"


def main() -> None:
    """Parse options, measure every precision, print the table, write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=224, help="image side in pixels (ResNet-50 is built for it)")
    ap.add_argument("--batch", type=int, default=64, help="BatchEBAnO batch size, forward and training mini-batch")
    ap.add_argument("--forward-batch", type=int, default=None,
                    help="BatchEBAnO's forward_batch_size for the perturbed images (default: the engine's own)")
    ap.add_argument("--images", type=int, default=512,
                    help="images explained and trained on (rounded down to a multiple of --batch, at least one batch)")
    ap.add_argument("--dtype", choices=["float32", "bfloat16", "both"], default="both")
    ap.add_argument("--parts", nargs="+", choices=["forward", "explain", "train"],
                    default=["forward", "explain", "train"])
    ap.add_argument("--pool", type=int, default=IMAGENET25_POOL, help="pool size the explain time is extrapolated to")
    ap.add_argument("--forward-repeats", type=int, default=20, help="batches timed for the forward rate")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write the figures as JSON to this path")
    args = ap.parse_args()
    for name in ("size", "batch", "images", "pool", "forward_repeats", "classes"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be a positive int.")
    n = max(args.batch, args.images // args.batch * args.batch)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    images = rng.uniform(0, 255, (n, args.size, args.size, 3)).astype("float32")
    labels = rng.integers(0, args.classes, n)
    base = resnet50(input_shape=(args.size, args.size, 3), num_classes=args.classes)
    info = {**versions(), **device_info()}
    print(f"keras {info['keras']} on {info['backend']} {info['backend_version']}, {info['device']}; ResNet-50 at "
          f"{args.size}×{args.size}, batch {args.batch}, {n} images", flush=True)

    rows = []
    for dtype in (["float32", "bfloat16"] if args.dtype == "both" else [args.dtype]):
        t = time.perf_counter()
        rows.append(measure(dtype, base, images, labels, args))
        print(f"  {dtype}: measured in {time.perf_counter() - t:.0f} s", flush=True)
    info = {**info, **device_info()}  # peak memory after the runs

    table = pd.DataFrame(rows).set_index("dtype")
    shown = table.drop(columns=[c for c in ("pool", "passes per explanation") if c in table]).copy()
    if "pool explain s" in shown:
        shown[f"explain {args.pool:,} images (h:mm:ss)"] = shown.pop("pool explain s").map(
            lambda s: hours(s) if pd.notna(s) else "")
    pd.set_option("display.width", 200, "display.max_columns", 20)
    print(shown.round(3).to_string())
    if info.get("peak_bytes"):
        print(f"peak device memory: {info['peak_bytes'] / 2 ** 30:.1f} GiB")
    if args.out:
        record = {**info, "model": "resnet50", "size": args.size, "batch": args.batch, "images": n,
                  "forward_batch_size": args.forward_batch, "seed": args.seed,
                  "results": {r["dtype"]: {k: v for k, v in r.items() if k != "dtype"} for r in rows}}
        print(f"wrote {write_json(args.out, record)}")


if __name__ == "__main__":
    main()
