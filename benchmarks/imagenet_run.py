"""Memory and CPU of the ImageNet path through the command line: two runs of params/imagenet-25.yaml on a tree.

Runs `ebano-dal run params/imagenet-25.yaml` twice into one output folder, seed 0 and then seed 1 (the
second finds the first's runs finished and adds its own), on an ILSVRC-shaped tree such as
scripts/make_ilsvrc_tree.py writes, with tiny training settings (the small CNN, one epoch, one iteration;
override with --set). While each command runs, the resident anonymous memory (RssAnon: heap, not the
page cache of memory-mapped files) of its whole process tree (the runner, its papermill kernel, the store's
decoding workers) is sampled every 0.2 s; the CPU seconds of the tree are read from the finished children.
Prints, per run: wall seconds, CPU seconds, peak anonymous memory; and the second run's CPU as a share of
the first's (the first also decodes the image store; the second reuses it). Asserts nothing.

Also prints the decoding worker-seconds and build id of each store after each run: the second run leaves them as
they are (the store is decoded once). Most of a run's memory is not the images: it is TensorFlow in the kernel
(about 0.4 GB; the runner checks the runs with Keras in a child process that ends before the runs start) and the
small CNN's activations at 224×224, which grow with the batch size (training in batches of batch_size, validation,
testing and the pool in batches of predict_batch_size; 256 images a batch take about 1.4 GB of them), hence
batch_size and predict_batch_size 16 here; memory_mb=256 bounds the images held while training.

Example:  python scripts/make_ilsvrc_tree.py /tmp/ilsvrc --classes 10 --per-class 1300 --val-per-class 5
          python benchmarks/imagenet_run.py /tmp/ilsvrc --out /tmp/imagenet-run
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil   # installed with ipykernel

TINY = ["architecture=small_cnn", "model={}", "epochs=1", "base_epochs=1", "patience=1", "base_patience=1",
        "tau=1", "batch_size=16", "predict_batch_size=16", "memory_mb=256"]


def tree_anon_mb(pid: int) -> float:
    """MiB of anonymous resident memory of a process and all its descendants (0 once it has ended)."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("RssAnon:")), 0)
        except OSError:
            continue
    return total / 1024


def measured(cmd: list[str], log: Path) -> dict:
    """Run cmd; its wall seconds, the CPU seconds of its process tree and its peak anonymous memory (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, peak = time.perf_counter(), [0.0]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

        def sample():
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_anon_mb(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"rc": rc, "wall_s": time.perf_counter() - start, "cpu_s": cpu, "peak_anon_mb": peak[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path, help="ILSVRC-shaped tree with train/ (and optionally val/) synset folders")
    ap.add_argument("--out", type=Path, default=Path("outputs/imagenet-run"), help="the study's output folder")
    ap.add_argument("--store-dir", type=Path, default=None, help="image store folder (default: OUT/stores)")
    ap.add_argument("--strategy", default="random", help="the one experiment of each run")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="more overrides")
    args = ap.parse_args()
    train = args.tree / "train"
    if not train.is_dir():
        raise SystemExit(f"{train} does not exist; write a tree with scripts/make_ilsvrc_tree.py {args.tree}.")
    store = args.store_dir or args.out / "stores"
    sets = [*TINY, f"data_root={train}", f"store_dir={store}", *args.set]
    if (args.tree / "val").is_dir():
        sets.append(f"val_root={args.tree / 'val'}")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in (0, 1):
        grid = f"grid={{seeds: [{seed}], experiments: [{{strategy: {args.strategy}}}]}}"
        cmd = [str(Path(sys.executable).parent / "ebano-dal"), "run", "params/imagenet-25.yaml", "--out", str(args.out),
               "--no-report", *[a for s in [*sets, grid] for a in ("--set", s)]]
        r = measured(cmd, args.out / f"command-seed{seed}.log")
        rows.append(r)
        print(f"run {seed + 1} (seed {seed}): exit {r['rc']}, {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU, "
              f"peak anonymous memory {r['peak_anon_mb']:.0f} MiB", flush=True)
        for rec in sorted(store.glob("*/record.json")):
            d = json.loads(rec.read_text())
            print(f"  store {rec.parent.name}: {d['n']} images, decoded in {d['decode_seconds']:.0f} worker-seconds "
                  f"(build {d['build_id'][:8]})", flush=True)
    print(f"second run's CPU / first run's: {rows[1]['cpu_s'] / rows[0]['cpu_s']:.0%} "
          f"({os.cpu_count()} CPUs; the commands' output is in {args.out}/command-seed*.log)")


if __name__ == "__main__":
    main()
