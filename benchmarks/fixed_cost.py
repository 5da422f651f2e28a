"""Fixed cost per run of a study: wall time of `ebano-dal run` not spent in the DAL loop's own work, per run.

    python benchmarks/fixed_cost.py [--seeds 3] [--cli ebano-dal] [--out /tmp/fixed-cost]
    python benchmarks/fixed_cost.py --study outputs/fashion-mnist      # the same split of a finished study's runs

Runs Random and Entropy for the given seeds in the default regime of params/fashion-mnist.yaml (1,000 initial
labels, 5 iterations of 200, a 10,000-image pool, the full test set) without the report, then splits the wall time:
the loop's work is what metrics.csv times (training, prediction, explanation and query seconds of iterations 1..tau,
plus each seed's base model once); the rest, divided by the number of runs, is the fixed cost per run (kernel start,
imports, data loading, model building, figures). The overrides are explicit, so the same command measures any
version of ebano-dal (pass --cli to another checkout's console script to compare). With --study, nothing runs: the
wall time is the sum over runs.csv of each run's seconds and its share of its notebook's overhead (overhead_s).
"""
import argparse
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd

REGIME = ["s0=100", "pool=1000", "val=50", "test=1000", "q=200", "tau=5", "epochs=4", "l_U=120", "l_A=60",
          "kappa=600", "model={width: 16, dropout: 0.3}", "report={baselines: [random, entropy]}"]
TIMED = ["train_s", "predict_s", "explain_s", "query_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cli", default="ebano-dal", help="the ebano-dal console script to measure")
    ap.add_argument("--params", default=str(Path(__file__).resolve().parent.parent / "params" / "fashion-mnist.yaml"))
    ap.add_argument("--out", default="/tmp/fixed-cost")
    ap.add_argument("--study", help="a finished study folder to analyse instead of running one")
    a = ap.parse_args()
    if a.study:
        out = Path(a.study)
        table = pd.read_csv(out / "runs.csv")
        table = table[table.seed.notna()]
        wall = float(table.seconds.sum() + table.get("overhead_s", pd.Series(0.0)).sum())
        metrics = {p: pd.read_csv(p) for p in out.glob("*/seed-*/metrics.csv")}
    else:
        out = Path(a.out)
        shutil.rmtree(out, ignore_errors=True)
        grid = f"grid={{seeds: {list(range(a.seeds))}, experiments: [{{strategy: random}}, {{strategy: entropy}}]}}"
        sets = [x for s in [*REGIME, grid] for x in ("--set", s)]
        t0 = time.perf_counter()
        subprocess.run([a.cli, "run", a.params, "--out", str(out), "--no-report", *sets], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        metrics = {p: pd.read_csv(p) for p in out.glob("*/*/seed-*/metrics.csv")}
    loop = sum(m[m.iteration > 0][TIMED].to_numpy().sum() for m in metrics.values())
    base = {p.parent.name: m[m.iteration == 0][TIMED].to_numpy().sum() for p, m in metrics.items()}
    runs = len(metrics)
    fixed = (wall - loop - sum(base.values())) / runs
    print(f"{a.study or a.cli}: {runs} runs in {wall:.0f} s; loop work {loop:.0f} s, base models {sum(base.values()):.0f} s; "
          f"fixed cost per run {fixed:.1f} s ({fixed / (wall / runs):.0%} of a run's {wall / runs:.1f} s)")


if __name__ == "__main__":
    main()
