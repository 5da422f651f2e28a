"""The image store against today's ImageFolder path on an ILSVRC-shaped tree: speed, peak memory, and what
ImageNet-25/100/250 would take.

Usage: python benchmarks/store_benchmark.py [TREE] [--classes 10] [--per-class 1300] [--val-per-class 50]
           [--image-size 224] [--workers N] [--store-dir DIR] [--no-baseline]

TREE is a folder written by scripts/make_ilsvrc_tree.py (its tree.json names the filled classes). Without it,
the script writes one into a temporary folder first (--classes × --per-class training and --val-per-class
validation JPEGs of 400×350; not timed). Every measurement runs in a fresh child process, while this process
samples the resident memory and CPU time of the child and all its descendants (the build's worker processes)
every 20 ms:

  build     cold build of the train and val stores (store.imagenet_store, and ImageStore.from_folder for val
            with the train classes), listing and fingerprinting of the tree included;
  read      the stores opened again (nothing is decoded) and every image read through ImageStore.batches
            (batches of 256, float32);
  baseline  today's path on the same images: load_imagenet_subset(...).load(all) and the same for val, as
            the loop did before the image store (ImageFolder, 4 threads), uint8.

Memory is reported as the peak of the summed RSS of the process tree, and of its private part (RSS minus
file-backed pages): the store's pixels are file-backed pages of the page cache, shared by every process
that opens the store and dropped by the kernel under memory pressure, so the private figure is what each
run costs. The JPEG files are in the page cache (just written), and so is a store when it is read back: the
figures are decode and copy speeds, without disk reads. On a busy machine the wall-clock rates depend on the
other load; CPU milliseconds per image (summed over the process tree) do not. The extrapolation takes the
images of ImageNet-25, -100 and -250 (classes × (1,300 train + 50 val)) at the measured build rate, in CPU
minutes, and in bytes on disk at --image-size.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from ebano_dal.data import load_image_folder, load_imagenet_subset
from ebano_dal.store import IMAGES_FILE, ImageStore, imagenet_store

ROOT = Path(__file__).resolve().parent.parent
SUBSETS = {"ImageNet-25": 25, "ImageNet-100": 100, "ImageNet-250": 250}
TRAIN_PER_CLASS, VAL_PER_CLASS = 1300, 50


def stores(tree: Path, size: int, store_dir: Path, workers: int) -> tuple[ImageStore, ImageStore]:
    """The train and val stores of a tree (built first when missing), val with the train classes, as the loop does."""
    info = json.loads((tree / "tree.json").read_text())
    train = imagenet_store(tree / "train", store_dir, class_indices=info["class_indices"], image_size=size,
                           workers=workers)
    val = ImageStore.from_folder(load_image_folder(tree / "val", size, classes=train.classes), store_dir, workers)
    return train, val


def build(tree: Path, size: int, store_dir: Path, workers: int) -> dict:
    """Cold build of the tree's train and val stores; seconds, images, bytes on disk and build ids."""
    t0 = time.perf_counter()
    built = stores(tree, size, store_dir, workers)
    return {"seconds": time.perf_counter() - t0, "images": sum(map(len, built)),
            "disk_bytes": sum((s.path / IMAGES_FILE).stat().st_blocks * 512 for s in built),
            "build_ids": [s.record["build_id"] for s in built]}


def read(tree: Path, size: int, store_dir: Path, workers: int) -> dict:
    """The stores opened again and every image read in float32 batches; seconds, images and build ids."""
    t0 = time.perf_counter()
    opened = stores(tree, size, store_dir, workers)
    open_seconds = time.perf_counter() - t0
    for store in opened:
        for _ in store.batches(256):
            pass
    return {"seconds": time.perf_counter() - t0, "open_seconds": open_seconds, "images": sum(map(len, opened)),
            "build_ids": [s.record["build_id"] for s in opened]}


def baseline(tree: Path, size: int, store_dir: Path, workers: int) -> dict:
    """Today's path: every train and val image decoded into memory by ImageFolder.load; seconds and images."""
    info = json.loads((tree / "tree.json").read_text())
    t0 = time.perf_counter()
    train = load_imagenet_subset(tree / "train", class_indices=info["class_indices"], image_size=size)
    val = load_image_folder(tree / "val", size, classes=train.classes)
    x_train, x_val = train.load(np.arange(len(train))), val.load(np.arange(len(val)))
    return {"seconds": time.perf_counter() - t0, "images": len(x_train) + len(x_val),
            "pixel_bytes": x_train.nbytes + x_val.nbytes}


PHASES = {"build": build, "read": read, "baseline": baseline}


def sample_tree(proc: psutil.Process, cpu: dict[int, float]) -> tuple[int, int]:
    """Summed RSS and private RSS (RSS minus file-backed and shared pages) of proc and its descendants; their
    CPU seconds so far go into cpu (by pid)."""
    rss = private = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:                      # the child has just exited
        return 0, 0
    for p in procs:
        try:
            m, t = p.memory_info(), p.cpu_times()
        except psutil.Error:
            continue
        rss, private = rss + m.rss, private + m.rss - m.shared
        cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
    return rss, private


def measure(phase: str, args: argparse.Namespace, tree: Path, store_dir: Path) -> dict:
    """Run one phase in a fresh child process, sampling its process tree; its figures, memory peaks and CPU seconds."""
    cmd = [sys.executable, __file__, str(tree), "--phase", phase, "--image-size", str(args.image_size),
           "--workers", str(args.workers), "--store-dir", str(store_dir)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    proc, peaks, cpu, done = psutil.Process(child.pid), [0, 0], {}, threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[:] = np.maximum(peaks, sample_tree(proc, cpu)).tolist()
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = child.communicate()
    done.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"the {phase} phase failed (exit status {child.returncode}); see its output above.")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss": peaks[0], "peak_private": peaks[1],
            "cpu_seconds": sum(cpu.values())}


def make_tree(args: argparse.Namespace, folder: Path) -> Path:
    """Write a tree with scripts/make_ilsvrc_tree.py into folder; return it."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_ilsvrc_tree.py"), str(folder),
                    "--classes", str(args.classes), "--per-class", str(args.per_class),
                    "--val-per-class", str(args.val_per_class), "--workers", str(args.workers)], check=True)
    return folder


def report(args: argparse.Namespace, tree: Path, figures: dict) -> None:
    """Print the measured figures and the extrapolation to the thesis's ImageNet subsets."""
    gb = 1e9
    b, r = figures["build"], figures["read"]
    info = json.loads((tree / "tree.json").read_text())
    print(f"\ntree {tree}: {b['images']} JPEGs of {info['width']}×{info['height']} "
          f"(mean {info['bytes'] / info['images'] / 1e3:.0f} kB); stores at {args.image_size}×{args.image_size}×3; "
          f"{args.workers} workers on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'path':<34}{'seconds':>9}{'images/s':>10}{'CPU ms/image':>14}{'peak RSS GB':>13}{'private GB':>12}")
    rows = [("store: cold build", b), ("store: reopen + full read (warm)", r)]
    rows += [("today: ImageFolder.load(all)", figures["baseline"])] if "baseline" in figures else []
    for name, f in rows:
        print(f"{name:<34}{f['seconds']:>9.1f}{f['images'] / f['seconds']:>10.0f}"
              f"{f['cpu_seconds'] / f['images'] * 1e3:>14.2f}{f['peak_rss'] / gb:>13.2f}{f['peak_private'] / gb:>12.2f}")
    print(f"reopen: {r['open_seconds']:.2f} s, nothing decoded again (build ids unchanged: "
          f"{r['build_ids'] == b['build_ids']}); store on disk {b['disk_bytes'] / gb:.2f} GB")
    if "baseline" in figures:
        print(f"pixels held by today's path: {figures['baseline']['pixel_bytes'] / gb:.2f} GB")
    rate, cpu = b["images"] / b["seconds"], b["cpu_seconds"] / b["images"]
    row = args.image_size * args.image_size * 3
    print(f"\nextrapolated at {args.image_size}×{args.image_size}×3: build minutes at the measured rate "
          f"({rate:.0f} images/s with {args.workers} workers) and CPU minutes ({cpu * 1e3:.2f} ms per image; "
          f"divide by the cores of an idle machine)")
    print(f"{'subset':<14}{'images':>9}{'build min':>11}{'CPU min':>9}{'disk GB':>9}")
    for name, classes in SUBSETS.items():
        n = classes * (TRAIN_PER_CLASS + VAL_PER_CLASS)
        print(f"{name:<14}{n:>9,}{n / rate / 60:>11.1f}{n * cpu / 60:>9.1f}{n * row / gb:>9.1f}")


def main() -> int:
    """Run the phases (each in its own process) and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", type=Path, help="a tree written by scripts/make_ilsvrc_tree.py")
    ap.add_argument("--classes", type=int, default=10, help="classes of the tree made when TREE is not given")
    ap.add_argument("--per-class", type=int, default=1300, help="training images per class of that tree")
    ap.add_argument("--val-per-class", type=int, default=50, help="validation images per class of that tree")
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="store build worker processes")
    ap.add_argument("--store-dir", type=Path, help="an empty folder for the stores (default: a temporary one, deleted)")
    ap.add_argument("--no-baseline", action="store_true", help="skip today's path (it holds all pixels twice)")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)   # internal: run one phase here
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.tree, args.image_size, args.store_dir, args.workers)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = args.tree.expanduser() if args.tree else make_tree(args, Path(tmp) / "tree")
        if not (tree / "tree.json").is_file():
            ap.error(f"{tree} has no tree.json; write the tree with scripts/make_ilsvrc_tree.py.")
        store_dir = (args.store_dir or Path(tmp) / "stores").expanduser()
        if store_dir.is_dir() and any(store_dir.iterdir()):
            ap.error(f"--store-dir {store_dir} is not empty; the build must be cold: give an empty or new folder.")
        phases = ["build", "read"] + ([] if args.no_baseline else ["baseline"])
        report(args, tree, {p: measure(p, args, tree, store_dir) for p in phases})
    return 0


if __name__ == "__main__":
    sys.exit(main())
