"""Write an ILSVRC-2012-shaped image tree from Fashion-MNIST, for image-store tests and benchmarks without ImageNet.

Usage: python scripts/make_ilsvrc_tree.py OUT [--subset imagenet-25] [--classes 10] [--per-class 1300]
           [--val-per-class 50] [--width 400] [--height 350] [--quality 90] [--seed 0] [--workers N]

OUT/train and OUT/val each get the 1000 synset folders of an ILSVRC-2012 copy, named n######## and sorted.
The real synset ids are not in this repository and are not needed: the thesis's class indices
(ebano_dal.data.IMAGENET_SUBSETS) only refer to the sorted order of the folder names, so the names are drawn
with --seed. Images go only into the first --classes class indices of --subset (`--subset none`: indices
0, 1, 2, ...): --per-class training images in OUT/train, named like ILSVRC's (n01440764_1.JPEG), and
--val-per-class validation images in OUT/val (ILSVRC2012_val_00000001.JPEG), sorted into the same synset
folders. That is what params/imagenet-*.yaml expect: data_root=OUT/train, val_root=OUT/val, and
`load_imagenet_subset(OUT/train, subset)` selects the filled folders (with --subset none, pass
class_indices=[0, ..., classes-1]).

The k-th filled class holds Fashion-MNIST images of class k mod 10 (training images from the official training
set, validation images from the test set), upscaled bilinearly to WIDTH×HEIGHT, tinted with a colour of the
class over a gradient background, with uniform noise so that the JPEGs (quality --quality) are tens of kB,
like photos of that size. The same arguments write the same images whatever --workers: every image has its
own seeded generator. OUT/tree.json records the arguments, the synset names and the class indices filled.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from ebano_dal.data import IMAGENET_CLASSES, IMAGENET_SUBSETS, load_fashion_mnist

SPLITS = ("train", "val")
NOISE = 48          # amplitude of the uniform noise, in grey levels
_FASHION: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def synset_names(seed: int) -> list[str]:
    """1000 distinct sorted synset-like folder names (n########) drawn with seed."""
    ids = np.random.default_rng(seed).choice(np.arange(1_000_000, 16_000_000), size=IMAGENET_CLASSES, replace=False)
    return sorted(f"n{i:08d}" for i in ids)


def fashion(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images and labels for a split of the tree (train: official train set; val: test set), cached."""
    if split not in _FASHION:
        (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
        _FASHION.update(train=(x_train, y_train), val=(x_test, y_test))
    return _FASHION[split]


def picture(source: np.ndarray, colour: np.ndarray, rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A 28×28 grey image upscaled to width×height, tinted with colour over a gradient background, with noise."""
    g = np.asarray(Image.fromarray(source).resize((width, height), Image.Resampling.BILINEAR),
                   dtype=np.float32)[..., None] / 255
    ramp_x = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    ramp_y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    background = 30 + 60 * ramp_x * rng.uniform(0.3, 1, 3).astype(np.float32) \
        + 40 * ramp_y * rng.uniform(0.3, 1, 3).astype(np.float32)
    noise = rng.integers(0, NOISE, (height, width, 3), dtype=np.uint8).astype(np.float32) - NOISE / 2
    img = background * (1 - g) + g * colour.astype(np.float32) + noise
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def write_class(task: dict) -> int:
    """Write the images of one filled class of one split; return the bytes written."""
    x, y = fashion(task["split"])
    members = np.flatnonzero(y == task["rank"] % 10)
    colour = np.random.default_rng([task["seed"], task["index"]]).uniform(60, 255, 3)
    folder, written = Path(task["folder"]), 0
    for i in range(task["count"]):
        rng = np.random.default_rng([task["seed"], task["index"], SPLITS.index(task["split"]), i])
        source = x[members[(i + task["offset"]) % len(members)]]
        name = (f"ILSVRC2012_val_{task['first_val'] + i + 1:08d}.JPEG" if task["split"] == "val"
                else f"{folder.name}_{i + 1}.JPEG")
        picture(source, colour, rng, task["width"], task["height"]).save(folder / name, quality=task["quality"])
        written += (folder / name).stat().st_size
    return written


def class_indices(subset: str, classes: int) -> list[int]:
    """The first `classes` class indices of a thesis subset, or 0..classes-1 for subset 'none'."""
    if subset == "none":
        if not 1 <= classes <= IMAGENET_CLASSES:
            raise SystemExit(f"--classes {classes} must lie in 1..{IMAGENET_CLASSES}.")
        return list(range(classes))
    if subset not in IMAGENET_SUBSETS:
        raise SystemExit(f"--subset {subset} is unknown; choose one of {', '.join(IMAGENET_SUBSETS)} or none.")
    if not 1 <= classes <= len(IMAGENET_SUBSETS[subset]):
        raise SystemExit(f"--classes {classes} must lie in 1..{len(IMAGENET_SUBSETS[subset])}, the class indices "
                         f"of {subset}; use --subset none for more classes.")
    return list(IMAGENET_SUBSETS[subset][:classes])


def main() -> int:
    """Write the tree and print what was written."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="the folder to write OUT/train, OUT/val and OUT/tree.json into")
    ap.add_argument("--subset", default="imagenet-25", help="thesis subset whose classes are filled, or none")
    ap.add_argument("--classes", type=int, default=10, help="how many of the subset's classes get images")
    ap.add_argument("--per-class", type=int, default=1300, help="training images per filled class")
    ap.add_argument("--val-per-class", type=int, default=50, help="validation images per filled class")
    ap.add_argument("--width", type=int, default=400)
    ap.add_argument("--height", type=int, default=350)
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    if min(args.per_class, args.val_per_class + 1, args.width, args.height, args.workers) < 1:
        ap.error("--per-class, --width, --height and --workers must be positive, --val-per-class non-negative.")
    out = args.out.expanduser()
    if any((out / s).exists() for s in SPLITS):
        ap.error(f"{out} already holds a train or val folder; delete it or choose another folder.")
    indices, names = class_indices(args.subset, args.classes), synset_names(args.seed)
    for split in SPLITS:
        for name in names:
            (out / split / name).mkdir(parents=True)
    counts = {"train": args.per_class, "val": args.val_per_class}
    common = {"seed": args.seed, "width": args.width, "height": args.height, "quality": args.quality}
    tasks = [{**common, "split": split, "index": c, "rank": k, "count": counts[split],
              "offset": (k // 10) * counts[split], "first_val": k * args.val_per_class,
              "folder": str(out / split / names[c])}
             for split in SPLITS for k, c in enumerate(indices) if counts[split]]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        written = sum(pool.map(write_class, tasks))
    seconds = time.perf_counter() - t0
    n = len(indices) * (args.per_class + args.val_per_class)
    (out / "tree.json").write_text(json.dumps({**vars(args), "out": str(out), "class_indices": indices,
                                               "synsets": names, "images": n, "bytes": written}, indent=1))
    print(f"wrote {n} JPEGs ({len(indices)} classes × {args.per_class} train + {args.val_per_class} val, "
          f"{args.width}×{args.height}, mean {written / max(n, 1) / 1e3:.0f} kB) under {out} in {seconds:.1f} s "
          f"with {args.workers} workers; data_root={out / 'train'} val_root={out / 'val'} "
          f"class_indices={indices}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
