"""Benchmark of the explanation engines: speed, roofline efficiency and clustering quality.

Compares ExpressEBAnO (ebano_dal.explain, one image at a time) with BatchEBAnO using the thesis's clustering
step (TSVDFaiss, mode "thesis") and the fast one (ExactPCAKMeans, mode "fast") on the same images, for (a) the
small CNN on Fashion-MNIST (trained for one quick epoch here) and (b) ResNet-50 at 224×224 with random weights
(random images). Prints figures; asserts nothing about time.

  (1) speed:    wall and CPU (process) seconds per explained image of each engine.
  (2) roofline: explained images/s × (Σk + 1) ÷ the model's own batched forward images/s, measured in the
                same run at the benchmark's and the engine's forward batch size, the faster of the two
                (Σk + 1 = 55 forward passes per image for k = 2..10).
  (3) first call: after a warm-up call on 2 images, the wall seconds of a first call on 1, 5, 12, 37, 64 and
                100 images and of the same call repeated, and their ratio (the engine pads every call to its fixed
                shapes, so a new number of images compiles nothing and the ratio stays near 1).
  (4) quality:  per-image adjusted Rand index (ARI) of fast vs Express and thesis vs Express cluster maps for
                every fixed k and for each engine's own best k, and the mean silhouette of each engine's
                best-k clustering on its own reduced hypercolumns (a random 5,000-pixel sample at most);
                the measurements themselves are ebano_dal.compare's (thesis section 3.2.2).

Example (a quick check):  python benchmarks/engine_benchmark.py --models cnn --images 32 --express-images 4
First calls only:         python benchmarks/engine_benchmark.py --models cnn --parts first-call
Full run:                 python benchmarks/engine_benchmark.py --models cnn resnet --images 256 \
                              --express-images 16 --resnet-images 8 --resnet-express-images 1 --quality-images 64
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from ebano_dal.compare import clustering_comparison, silhouette_differences, timed
from ebano_dal.data import load_fashion_mnist
from ebano_dal.engine import BatchEBAnO, ExactPCAKMeans, TSVDFaiss
from ebano_dal.explain import ExpressEBAnO
from ebano_dal.models import fashion_cnn, resnet50


def cnn_setup(n: int, seed: int) -> tuple[keras.Model, np.ndarray]:
    """The notebooks' fashion_cnn (the small CNN trained two epochs on 3,000 Fashion-MNIST images) and n test images."""
    _, (xt, _) = load_fashion_mnist()
    return fashion_cnn(seed=seed), xt[:n, ..., None].astype("float32")


def resnet_setup(n: int, seed: int) -> tuple[keras.Model, np.ndarray]:
    """ResNet-50 with random weights (224×224, pixel-space input) and n random images."""
    keras.utils.set_random_seed(seed)
    return resnet50(), np.random.default_rng(seed).uniform(0, 255, (n, 224, 224, 3)).astype("float32")


def engines(model, args) -> dict:
    """The three engines, all analysing BatchEBAnO's default layers (the last three conv layers)."""
    fast = BatchEBAnO(model, ExactPCAKMeans(), batch_size=args.batch_size, mixed_precision=args.bfloat16,
                      seed=args.seed)
    common = dict(layers=fast.layers, k_range=fast.ks, seed=args.seed)
    return {"express": ExpressEBAnO(model, **common),
            "thesis": BatchEBAnO(model, TSVDFaiss(), batch_size=args.batch_size, **common), "fast": fast}


def forward_rate(model, images: np.ndarray, batch_size: int, repeats: int) -> float:
    """The model's own batched forward images/s on the same images (after a warm-up call)."""
    x = np.concatenate([images] * max(1, -(-batch_size * repeats // len(images))))[:batch_size * repeats]
    model.predict_on_batch(x[:batch_size])  # warm-up at the timed batch shape (fewer images than a batch retrace)
    _, wall, _ = timed(lambda: [model.predict_on_batch(x[s:s + batch_size]) for s in range(0, len(x), batch_size)])
    return len(x) / wall


def speed(name, model, images, eng, args, n_express: int) -> list[dict]:
    """Per-image wall/CPU time of each engine and the fast/thesis roofline efficiency."""
    rows = []
    # the limit is the model's fastest batched rate: try the engine's own forward batch size too
    fwd = max(forward_rate(model, images, b, args.forward_repeats)
              for b in sorted({args.batch_size, eng["fast"].forward_batch_size}))
    n_pass = sum(eng["fast"].ks) + 1
    for engine_name, e in eng.items():
        n = n_express if engine_name == "express" else len(images)
        if engine_name != "express":
            e.explain(images[:args.batch_size])  # warm-up on a full batch: compilation and tracing are not timed
        _, wall, cpu = timed(e.explain, images[:n])
        rows.append({"model": name, "engine": engine_name, "images": n, "wall s/image": wall / n,
                     "cpu s/image": cpu / n, "roofline": n / wall * n_pass / fwd if engine_name != "express" else np.nan,
                     "forward images/s": fwd})
    table = pd.DataFrame(rows)
    for col in ("wall s/image", "cpu s/image"):
        table[f"express ÷ engine ({col.split()[0]})"] = table.loc[table.engine == "express", col].iloc[0] / table[col]
    return table.to_dict("records")


FIRST_CALL_SIZES = (1, 5, 12, 37, 64, 100)


def first_calls(name, images, eng) -> list[dict]:
    """Wall seconds of the fast engine's first call on each of FIRST_CALL_SIZES images and of the same call again."""
    fast, rows = eng["fast"], []
    fast.explain(images[:2])                                    # the warm-up: any first call
    for n in FIRST_CALL_SIZES:
        x = images[np.arange(n) % len(images)]
        _, first, _ = timed(fast.explain, x)
        _, again, _ = timed(fast.explain, x)
        rows.append({"model": name, "images": n, "first call s": first, "repeated call s": again,
                     "first ÷ repeated": first / again})
    return rows


def quality(images, eng, args) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean ARI against Express per k (and for each engine's best k), and per-image silhouettes with differences."""
    ari, sil = clustering_comparison(images, {"thesis": eng["thesis"], "fast": eng["fast"]}, eng["express"], args.seed)
    per_k = ari.groupby(["k", "engine"], sort=False).ari.mean().unstack()
    per_k.columns = [f"mean ARI vs express, {c}" for c in per_k.columns]
    return per_k, silhouette_differences(sil)


def main() -> None:
    """Parse options, run the requested parts, print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", nargs="+", default=["speed", "first-call", "quality"],
                    choices=["speed", "first-call", "quality"], help="speed includes the roofline efficiency")
    ap.add_argument("--models", nargs="+", default=["cnn", "resnet"], choices=["cnn", "resnet"])
    ap.add_argument("--images", type=int, default=128, help="small-CNN images timed for the batch engines")
    ap.add_argument("--express-images", type=int, default=16, help="small-CNN images timed for Express")
    ap.add_argument("--resnet-images", type=int, default=8, help="ResNet-50 images timed for the batch engines")
    ap.add_argument("--resnet-express-images", type=int, default=1, help="ResNet-50 images timed for Express")
    ap.add_argument("--quality-images", type=int, default=32, help="small-CNN images of the quality comparison")
    ap.add_argument("--resnet-quality-images", type=int, default=0, help="ResNet-50 images of the quality comparison")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--forward-repeats", type=int, default=20, help="batches timed for the forward rate")
    ap.add_argument("--bfloat16", action="store_true", help="fast mode with mixed_precision=True")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pd.set_option("display.width", 200, "display.max_columns", 20)
    print(f"keras {keras.__version__} ({keras.backend.backend()}), {os.cpu_count()} CPUs, batch size {args.batch_size}")
    sizes = {"cnn": (args.images, args.express_images, args.quality_images),
             "resnet": (args.resnet_images, args.resnet_express_images, args.resnet_quality_images)}
    for name in args.models:
        n, n_express, n_quality = sizes[name]
        model, images = (cnn_setup if name == "cnn" else resnet_setup)(max(n, n_quality), args.seed)
        eng = engines(model, args)
        print(f"\n=== {name}: input {images.shape[1:]}, layers {eng['fast'].layers}")
        if "speed" in args.parts:
            print(pd.DataFrame(speed(name, model, images[:n], eng, args, n_express)).round(4).to_string(index=False))
        if "first-call" in args.parts:
            print(pd.DataFrame(first_calls(name, images, eng)).round(4).to_string(index=False))
        if "quality" in args.parts and n_quality:
            per_k, sil = quality(images[:n_quality], eng, args)
            print(per_k.round(3).to_string())
            print(f"silhouette per image over {n_quality} images (diff = engine − express):")
            print(sil.describe().loc[["mean", "std"]].round(3).to_string())


if __name__ == "__main__":
    main()
