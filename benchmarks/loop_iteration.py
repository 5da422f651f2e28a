"""Seconds per DAL iteration on Fashion-MNIST, split into train / predict / explain / query.

Runs `ebano_dal.loop.run_dal` for entropy and EBAnO-Uncertainty (kappa = the whole pool by
default) from one shared base model, one seed, and prints one row per iteration.  The goal it
checks: explaining the whole pool costs at most as much as training (explain_s <= train_s).

    python benchmarks/loop_iteration.py                       # Fashion-MNIST defaults (pool 10,000)
    python benchmarks/loop_iteration.py --pool 100 --s0 50    # a quicker, smaller pool (per class)

Timings taken on a shared machine are provisional.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from ebano_dal.data import fashion_mnist_split
from ebano_dal.loop import RunConfig, fashion_mnist_data, run_dal

COLUMNS = ["strategy", "iteration", "labeled", "test_accuracy", "train_s", "predict_s", "explain_s", "query_s"]


def parse_args() -> argparse.Namespace:
    """Command-line settings; defaults are the loop's Fashion-MNIST CPU defaults."""
    d = RunConfig.__dataclass_fields__
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--s0", type=int, default=100, help="S0 samples per class")
    ap.add_argument("--pool", type=int, default=1000, help="pool samples per class")
    ap.add_argument("--val", type=int, default=100, help="validation samples per class")
    ap.add_argument("--test", type=int, default=None, help="test samples per class (default: the whole test set)")
    ap.add_argument("--q", type=int, default=d["q"].default, help="samples queried per iteration")
    ap.add_argument("--iterations", type=int, default=2, help="DAL iterations timed per strategy")
    ap.add_argument("--epochs", type=int, default=d["epochs"].default, help="epochs per iteration (and base model)")
    ap.add_argument("--patience", type=int, default=d["patience"].default)
    ap.add_argument("--batch-size", type=int, default=d["batch_size"].default)
    ap.add_argument("--kappa", type=int, default=None, help="pool samples explained (default: the whole pool)")
    ap.add_argument("--engine-batch", type=int, default=None, help="BatchEBAnO batch_size (default: the engine's)")
    ap.add_argument("--strategies", nargs="+", default=["entropy", "ebano_uncertainty"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="folder for the runs (default: a temporary one)")
    return ap.parse_args()


def main() -> None:
    """Run each strategy for a few iterations and print the per-iteration time split."""
    args = parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="loop_iteration."))
    split = fashion_mnist_split(seed=args.seed, s0=args.s0, pool=args.pool, val=args.val, test=args.test)
    data = fashion_mnist_data()
    engine = {} if args.engine_batch is None else {"batch_size": args.engine_batch}
    rows = []
    for name in args.strategies:
        cfg = RunConfig(split, data=data, strategy=name, kappa=args.kappa, q=args.q, tau=args.iterations,
                        epochs=args.epochs, patience=args.patience, batch_size=args.batch_size, engine=engine,
                        seed=args.seed, out_dir=out / name, cache_dir=out / "cache")
        t0 = time.perf_counter()
        run = run_dal(cfg, verbose=True)
        print(f"{name}: {time.perf_counter() - t0:.0f} s in all (base model included when trained here)")
        rows.append(run.metrics.assign(strategy=name))
    table = pd.concat(rows)[COLUMNS]
    base = table[table.iteration == 0].iloc[0]
    its = table[table.iteration > 0]
    print(f"\nFashion-MNIST, seed {args.seed}: S0 {len(split.s0)}, pool {len(split.pool)}, val {len(split.val)}, "
          f"test {len(split.test)}, q {args.q}, {args.epochs} epochs, kappa {args.kappa or len(split.pool)}")
    print(f"base model: train {base.train_s:.1f} s, test accuracy {base.test_accuracy:.4f}\n")
    print(its.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    means = its.groupby("strategy")[["train_s", "predict_s", "explain_s", "query_s"]].mean()
    means["explain/train"] = means.explain_s / means.train_s
    print("\nmean seconds per iteration\n" + means.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"\nruns in {out}")


if __name__ == "__main__":
    main()
