"""Where a BatchEBAnO call spends its time, in float32 and with bfloat16 forward passes (mixed_precision=True).

The engine's own stages are timed by wrapping them on the engine object (nothing of the pipeline is copied here):
  forward     the batch's forward pass (probabilities and activations of the analysed layers, `_predict`);
  cluster     reduction + clustering (`clustering.cluster`: PCA and the incremental k-means for every k);
  perturb     the blur and the Σk perturbed copies of every image (`_perturbed`);
  predict     the forward passes of the perturbed images (`predict_on_batch` of the engine's network);
  score       nPIR/nPIRP and the choice of k (`best_explanations`).
Wall and CPU (process) milliseconds per image are printed for each stage and each precision, with the model's own
forward images/s at the engine's pass size in both precisions. Then the bfloat16 engine's agreement with the
float32 one on the same images (share of the same best k, mean ARI of the best-k maps) beside the float32 engine's
own seed-to-seed floor (seed 0 against seed 1). Prints figures; asserts nothing.

    python benchmarks/stage_profile.py --images 512 --out stage_profile.json
"""
from __future__ import annotations

import argparse
import inspect
import os
import time
from collections import defaultdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

import ebano_dal.engine as engine_module
from ebano_dal.data import load_fashion_mnist
from ebano_dal.engine import BatchEBAnO
from ebano_dal.models import fashion_cnn
from ebano_dal.records import versions, write_json
from engine_benchmark import forward_rate

STAGES = ("forward", "cluster", "perturb", "predict", "score")


def clocked(fn, stage: str, spent: dict):
    """fn, adding its wall and CPU seconds to spent[stage]; a generator's time is counted item by item."""
    def call(*args, **kwargs):
        w, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        spent[stage] += np.array([time.perf_counter() - w, time.process_time() - c])
        return out

    def gen(*args, **kwargs):
        it = fn(*args, **kwargs)
        while True:
            w, c = time.perf_counter(), time.process_time()
            try:
                item = next(it)
            except StopIteration:
                return
            finally:
                spent[stage] += np.array([time.perf_counter() - w, time.process_time() - c])
            yield item
    return gen if inspect.isgeneratorfunction(fn) else call


def profile(engine: BatchEBAnO, images: np.ndarray) -> tuple[list, dict]:
    """The engine's explanations of images and the wall/CPU seconds of each stage (after a warm-up call)."""
    engine.explain(images[:engine.batch_size])
    spent = defaultdict(lambda: np.zeros(2))
    engine._predict = clocked(engine._predict, "forward", spent)
    engine.clustering.cluster = clocked(engine.clustering.cluster, "cluster", spent)
    engine._perturbed = clocked(engine._perturbed, "perturb", spent)
    engine._net.predict_on_batch = clocked(engine._net.predict_on_batch, "predict", spent)
    score = engine_module.best_explanations
    engine_module.best_explanations = clocked(score, "score", spent)
    try:
        w, c = time.perf_counter(), time.process_time()
        expl = engine.explain(images)
        spent["total"] = np.array([time.perf_counter() - w, time.process_time() - c])
    finally:
        engine_module.best_explanations = score
    return expl, dict(spent)


def agreement(a: list, b: list) -> dict:
    """Share of images with the same best k and mean ARI of the best-k feature maps."""
    return {"same k": float(np.mean([x.k == y.k for x, y in zip(a, b)])),
            "mean ARI": float(np.mean([adjusted_rand_score(x.features.ravel(), y.features.ravel()) for x, y in zip(a, b)]))}


def main() -> None:
    """Parse options, profile both precisions, print and optionally save the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=512, help="Fashion-MNIST test images explained")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", help="write the figures as JSON to this file")
    args = ap.parse_args()
    _, (xt, _) = load_fashion_mnist()
    images, model = xt[:args.images, ..., None].astype("float32"), fashion_cnn()
    print(f"keras {keras.__version__} ({keras.backend.backend()}), {os.cpu_count()} CPUs, {args.images} images, "
          f"batch size {args.batch_size}")
    runs, rows = {}, []
    for name, mixed in (("float32", False), ("bfloat16", True)):
        eng = BatchEBAnO(model, batch_size=args.batch_size, mixed_precision=mixed)
        runs[name], spent = profile(eng, images)
        for stage in (*STAGES, "total"):
            wall, cpu = spent.get(stage, np.zeros(2)) * 1000 / args.images
            rows.append({"precision": name, "stage": stage, "wall ms/image": wall, "cpu ms/image": cpu})
        rows.append({"precision": name, "stage": f"model forward at {eng.pass_size} images",
                     "wall ms/image": 1000 / forward_rate(eng._net, images, eng.pass_size, 10), "cpu ms/image": np.nan})
    table = pd.DataFrame(rows).pivot(index="stage", columns="precision")
    order = [*STAGES, "total"] + [s for s in table.index if s.startswith("model")]
    table = table.loc[order]
    table[("bf16 ÷ f32", "wall")] = table[("wall ms/image", "bfloat16")] / table[("wall ms/image", "float32")]
    pd.set_option("display.width", 200, "display.max_columns", 20)
    print(table.round(3).to_string())
    floor = agreement(runs["float32"], BatchEBAnO(model, batch_size=args.batch_size, seed=1).explain(images))
    bf = agreement(runs["bfloat16"], runs["float32"])
    print(f"bfloat16 against float32 (seed 0): same k {bf['same k']:.1%}, mean ARI {bf['mean ARI']:.3f}; "
          f"float32 seed 0 against seed 1: same k {floor['same k']:.1%}, mean ARI {floor['mean ARI']:.3f}")
    if args.out:
        write_json(args.out, {"images": args.images, "batch_size": args.batch_size, "cpus": os.cpu_count(),
                              "stages": {stage: {" ".join(c): float(v) for c, v in row.items()}
                                         for stage, row in table.iterrows()},
                              "bfloat16_vs_float32": bf, "seed_floor": floor, "versions": versions()})


if __name__ == "__main__":
    main()
