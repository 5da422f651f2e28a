"""Wall time of one query of every registered strategy on a pool of Fashion-MNIST images, as ratios to entropy.

One run, one machine: the small CNN (with dropout 0.3, so that BALD can run) is trained by train_base on
3,000 training images, the pool is the next `--pool` training images, and each strategy answers one query
through the loop's own QueryContext (ebano_dal.loop.query_context: BatchEBAnO explanations, penultimate
features, Monte-Carlo dropout passes), with the options of params/fashion-mnist.yaml (q, l_U, l_A, κ, η)
unless given here. The pool's softmax output is computed once, outside the timings, as the loop does; the
time of that prediction is printed as a second yardstick. Each strategy first answers a small warm-up query
(compilation is not timed). Prints a table; asserts nothing about time.

Example:  python benchmarks/query_benchmark.py --pool 10000
Quick:    python benchmarks/query_benchmark.py --pool 1000 --strategies entropy ebano_uncertainty
"""
from __future__ import annotations

import argparse
import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from ebano_dal.data import load_fashion_mnist
from ebano_dal.loop import query_context
from ebano_dal.models import predict_proba, small_cnn, train_base
from ebano_dal.records import Stopwatch
from ebano_dal.spec import RunSpec
from ebano_dal.strategies import STRATEGIES
from ebano_dal.study import load_params

logging.getLogger("tensorflow").setLevel(logging.ERROR)   # retracing notices are not results

STUDY_OPTIONS = ("q", "l_U", "l_A", "kappa", "eta")


def study_options(path: str) -> dict:
    """The query options of a params file, checked and with defaults filled in."""
    params = load_params(path)
    return {k: params[k] for k in STUDY_OPTIONS}


def trained_model(seed: int) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """The small CNN with dropout trained on 3,000 Fashion-MNIST images, and the training images/labels."""
    (x, y), _ = load_fashion_mnist()
    x = x[..., None].astype("float32")
    model = small_cnn(seed=seed, dropout=0.3)
    train_base(model, x[:3000], y[:3000], x[3000:4000], y[3000:4000], epochs=3, patience=2, seed=seed)
    return model, x, y


def time_query(spec: RunSpec, model, x_all: np.ndarray, pool: np.ndarray, labeled: list[int], probs: np.ndarray,
               seed: int) -> float:
    """Seconds of one query of the spec's strategy on the pool."""
    ctx = query_context(spec, model, x_all, pool, labeled, probs, np.random.default_rng(seed), 1, Stopwatch(),
                        annotate=lambda pos: np.zeros(len(pos), np.int64))
    strategy = spec.query.build()
    start = time.perf_counter()
    result = strategy.query(ctx)
    seconds = time.perf_counter() - start
    assert len(result.indices) == spec.query.q
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=10_000, help="pool images (after the 4,000 used for the model)")
    ap.add_argument("--params", default="params/fashion-mnist.yaml", help="params file giving q, l_U, l_A, kappa, eta")
    ap.add_argument("--strategies", nargs="*", default=sorted(STRATEGIES), help="strategies to time (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    unknown = sorted(set(args.strategies) - set(STRATEGIES))
    if unknown:
        raise SystemExit(f"unknown strategies {', '.join(unknown)}; known: {', '.join(sorted(STRATEGIES))}.")
    options = study_options(args.params)
    model, x_all, _ = trained_model(args.seed)
    pool = np.arange(4000, 4000 + args.pool)
    if pool[-1] >= len(x_all):
        raise SystemExit(f"--pool {args.pool} needs more than the {len(x_all) - 4000} training images left; lower it.")
    labeled = list(range(1000))
    start = time.perf_counter()
    probs = predict_proba(model, x_all[pool])
    predict_s = time.perf_counter() - start
    rows = []
    for name in ["entropy"] + [s for s in args.strategies if s != "entropy"]:
        spec = RunSpec.from_dict({"strategy": name, "model": {"dropout": 0.3}, "seed": args.seed, **options})
        warm = np.arange(4000, 4000 + max(spec.query.q * 2, spec.query.kappa or 0))
        time_query(spec, model, x_all, warm, labeled, predict_proba(model, x_all[warm]), args.seed)   # compile
        seconds = time_query(spec, model, x_all, pool, labeled, probs, args.seed)
        rows.append({"strategy": name, "seconds": seconds})
        print(f"{name:18s} {seconds:9.3f} s", flush=True)
    table = pd.DataFrame(rows).set_index("strategy")
    table["× entropy"] = table.seconds / table.loc["entropy", "seconds"]
    table["× pool prediction"] = table.seconds / predict_s
    print(f"\npool {args.pool} images, options {options}; pool prediction {predict_s:.3f} s "
          f"(keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs)")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
