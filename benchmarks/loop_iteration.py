"""Seconds per DAL iteration on Fashion-MNIST, split into train / predict / explain / query.

Runs `ebano_dal.loop.run_dal` for entropy and EBAnO-Uncertainty (kappa = the whole pool by
default) from one shared base model, one seed, and prints one row per iteration.  The goal it
checks: explaining the whole pool costs at most as much as training (explain_s <= train_s).

    python benchmarks/loop_iteration.py                                  # pool 10,000, two iterations
    python benchmarks/loop_iteration.py --set pool=100 --set s0=50       # a quicker, smaller pool (per class)

Any run key of `ebano_dal.spec.RunSpec` can be set with --set KEY=VALUE (YAML values); the
benchmark's own starting point is BENCHMARK below. Timings taken on a shared machine are provisional.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from ebano_dal.loop import run_dal, run_inputs
from ebano_dal.spec import RunSpec
from ebano_dal.study import parse_set

COLUMNS = ["strategy", "iteration", "labeled", "test_accuracy", "train_s", "predict_s", "explain_s", "query_s"]
BENCHMARK = {"s0": 100, "pool": 1000, "val": 100, "test": None, "q": 100, "tau": 2, "epochs": 10, "patience": 3}


def parse_args() -> argparse.Namespace:
    """Command-line settings: the strategies to time, run-key overrides and the output folder."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strategies", nargs="+", default=["entropy", "ebano_uncertainty"])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a run key (YAML value)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the runs (default: a temporary one)")
    return ap.parse_args()


def main() -> None:
    """Run each strategy for a few iterations and print the per-iteration time split."""
    args = parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="loop_iteration."))
    spec = RunSpec.from_dict({**BENCHMARK, **parse_set(args.set), "cache_dir": str(out / "cache")})
    split, data = run_inputs(spec)
    rows = []
    for name in args.strategies:
        t0 = time.perf_counter()
        run = run_dal(spec.replace(strategy=name, out_dir=str(out / name)), split, data, verbose=True)
        print(f"{name}: {time.perf_counter() - t0:.0f} s in all (base model included when trained here)")
        rows.append(run.metrics.assign(strategy=name))
    table = pd.concat(rows)[COLUMNS]
    base = table[table.iteration == 0].iloc[0]
    its = table[table.iteration > 0]
    q, t = spec.query, spec.train
    print(f"\nFashion-MNIST, seed {spec.seed}: S0 {len(split.s0)}, pool {len(split.pool)}, val {len(split.val)}, "
          f"test {len(split.test)}, q {q.q}, {t.epochs} epochs, kappa {q.kappa or len(split.pool)}")
    print(f"base model: train {base.train_s:.1f} s, test accuracy {base.test_accuracy:.4f}\n")
    print(its.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    means = its.groupby("strategy")[["train_s", "predict_s", "explain_s", "query_s"]].mean()
    means["explain/train"] = means.explain_s / means.train_s
    print("\nmean seconds per iteration\n" + means.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"\nruns in {out}")


if __name__ == "__main__":
    main()
