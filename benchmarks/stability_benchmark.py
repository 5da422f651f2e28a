"""Stability benchmark: how often an engine's best explanation changes with the engine's own seed.

Every EBAnO query score (m = nPIR_fmax − nPIRP_fmax, the mean score m̄) is read from the best-k explanation, so an
explanation that changes with the seed is a noisy query signal. For each model, on the same test images:

  fast      BatchEBAnO (default fast mode) with --seeds A and B, on --images images;
  express   ExpressEBAnO (the original: PCA 30, scikit-learn KMeans with ten starts) with the same two seeds, on
            the first --express-images of those images; the fast engine's figures on that same subset are printed
            beside it, so the two engines are compared on the same images.

Figures per engine (seed A against seed B): the share of images whose best k is the same, the mean adjusted Rand
index (ARI) of the best-k feature maps, the mean ARI of the maps for every fixed k (the clustering's own stability,
before the choice of k), and for the EBAnO-Uncertainty score m: the mean |m_A − m_B| and the Spearman correlation.
--ablation adds the fast engine with other numbers of k-means candidates per added centroid (kmeans_candidates; 1 is
close to a single k-means++ start), which shows where the stability comes from.

Models: "fashion" is the notebooks' fashion_cnn (28×28 grey Fashion-MNIST); "rgb64" is the same small CNN trained
for two epochs on 3,000 Fashion-MNIST training images resized bilinearly to 64×64 and converted to RGB.

Example (a quick check):  python benchmarks/stability_benchmark.py --models fashion --images 64 --express-images 8
Full run:                 python benchmarks/stability_benchmark.py --ablation --out stability.json
Prints tables; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score

from ebano_dal.data import load_fashion_mnist
from ebano_dal.engine import BatchEBAnO, ExactPCAKMeans
from ebano_dal.explain import ExpressEBAnO
from ebano_dal.models import fashion_cnn, small_cnn, train_base
from ebano_dal.records import versions, write_json
from train_throughput import sized


def rgb64_cnn(n_train: int = 3000, epochs: int = 2, seed: int = 0) -> keras.Model:
    """small_cnn at 64×64×3 trained by train_base on n_train Fashion-MNIST images resized to 64×64 RGB."""
    (x, y), _ = load_fashion_mnist()
    model = small_cnn((64, 64, 3), seed=seed)
    train_base(model, sized(x[:n_train], 64), y[:n_train], sized(x[n_train:n_train + 500], 64),
               y[n_train:n_train + 500], epochs=epochs, patience=2, batch_size=32, seed=seed)
    return model


def setup(name: str, n: int) -> tuple[keras.Model, np.ndarray]:
    """The model of `name` and its first n Fashion-MNIST test images in the model's input shape."""
    _, (xt, _) = load_fashion_mnist()
    if name == "fashion":
        return fashion_cnn(), xt[:n, ..., None].astype("float32")
    return rgb64_cnn(), sized(xt[:n], 64).astype("float32")


def best(per_k: list) -> object:
    """The kept explanation of one image: the most informative k (the first on ties, as the engines do)."""
    return max(per_k, key=lambda e: e.informativeness)


def m_score(e) -> float:
    """EBAnO-Uncertainty's score of an explanation: nPIR − nPIRP of its f_max."""
    return e.npir_fmax - e.npirp_fmax


def agreement(a: list, b: list) -> dict:
    """Seed-against-seed figures of two runs (per image, the list of explanations for every k)."""
    ba, bb = [best(x) for x in a], [best(x) for x in b]
    ks = [e.k for e in a[0]]
    ma, mb = np.array([m_score(e) for e in ba]), np.array([m_score(e) for e in bb])
    row = {"images": len(a), "same best k": np.mean([x.k == y.k for x, y in zip(ba, bb)]),
           "best-k ARI": np.mean([adjusted_rand_score(x.features.ravel(), y.features.ravel()) for x, y in zip(ba, bb)]),
           "mean |Δm|": float(np.abs(ma - mb).mean()),
           "m Spearman": float(spearmanr(ma, mb).statistic) if len(ma) > 2 else np.nan}
    for i, k in enumerate(ks):
        row[f"ARI k={k}"] = np.mean([adjusted_rand_score(x[i].features.ravel(), y[i].features.ravel())
                                     for x, y in zip(a, b)])
    return row


def run(engine, images: np.ndarray) -> tuple[list, float]:
    """Every k's explanations of images and the seconds per image."""
    t = time.perf_counter()
    out = engine.explain(images, all_k=True)
    return out, (time.perf_counter() - t) / len(images)


def main() -> None:
    """Parse options, run both engines with two seeds per model, print the tables, write JSON on request."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["fashion", "rgb64"], choices=["fashion", "rgb64"])
    ap.add_argument("--images", type=int, default=512, help="test images of the fast engine")
    ap.add_argument("--express-images", type=int, default=64, help="of those, the first ones Express explains")
    ap.add_argument("--seeds", type=int, nargs=2, default=[0, 1])
    ap.add_argument("--ablation", action="store_true", help="also the fast engine with kmeans_candidates 1, 8, 32, 256")
    ap.add_argument("--out", help="write the figures as JSON to this file")
    args = ap.parse_args()
    pd.set_option("display.width", 250, "display.max_columns", 30)
    print(f"keras {keras.__version__} ({keras.backend.backend()}), seeds {args.seeds[0]} and {args.seeds[1]}")
    rows = []
    for name in args.models:
        model, images = setup(name, max(args.images, args.express_images))
        variants = {"fast": {}} | ({f"fast, {c} candidates": {"kmeans_candidates": c} for c in (1, 8, 32, 256)}
                                   if args.ablation else {})
        for label, options in variants.items():
            runs = []
            for seed in args.seeds:
                engine = BatchEBAnO(model, ExactPCAKMeans(**options), seed=seed)
                engine.explain(images[:2])                       # compilation is not timed
                runs.append(run(engine, images[:args.images]))
            rows.append({"model": name, "engine": label, **agreement(runs[0][0], runs[1][0]),
                         "s/image": np.mean([s for _, s in runs])})
            if label == "fast" and args.express_images:
                n = args.express_images
                rows.append({"model": name, "engine": "fast, Express's images",
                             **agreement(runs[0][0][:n], runs[1][0][:n]), "s/image": np.nan})
        if args.express_images:
            express = [run(ExpressEBAnO(model, seed=seed), images[:args.express_images]) for seed in args.seeds]
            rows.append({"model": name, "engine": "express", **agreement(express[0][0], express[1][0]),
                         "s/image": np.mean([s for _, s in express])})
        print(pd.DataFrame([r for r in rows if r["model"] == name]).round(3).to_string(index=False), flush=True)
    if args.out:
        write_json(args.out, {"args": vars(args), "versions": versions(), "rows": rows})


if __name__ == "__main__":
    main()
