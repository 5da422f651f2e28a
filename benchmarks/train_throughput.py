"""Small-CNN training throughput and Fashion-MNIST accuracy after base training on 5,000 images.

Usage: python benchmarks/train_throughput.py [--train 5000] [--val 1000] [--test 10000] [--epochs 30]
           [--patience 5] [--batch-size 128] [--width 16] [--depth 3] [--seed 0] [--image-size 28]
           [--jit-compile auto|true|false]

Trains `ebano_dal.models.small_cnn` with `train_base` (the thesis 4.3 recipe: SGD lr 0.1,
momentum 0.9, weight decay 1e-4, plateau decay, random horizontal flip, best weights kept) on
`--train` Fashion-MNIST training images (`--val` further training images for validation), then prints
training images/s (training steps only, validation excluded, over the steady-state epochs: all but
the first, which includes compilation), the process CPU seconds per image, and the accuracy of the
kept weights on `--test` test images. `--image-size 224` trains on the images resized (bilinear, Pillow) to
224×224 and made RGB, the input the small CNN gets on ImageNet-sized data. Runs on any Keras backend
(KERAS_BACKEND).
"""
from __future__ import annotations

import argparse
import time

import keras
import numpy as np
from PIL import Image

from ebano_dal.data import load_fashion_mnist
from ebano_dal.models import predict_proba, small_cnn, train_base


def sized(x: np.ndarray, side: int) -> np.ndarray:
    """Grey 28×28 images as N×28×28×1, or resized bilinearly to N×side×side×3 (RGB) when side is not 28."""
    if side == 28:
        return x[..., None]
    return np.stack([np.asarray(Image.fromarray(im).resize((side, side), Image.Resampling.BILINEAR).convert("RGB"))
                     for im in x])


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=5000, help="training images")
    ap.add_argument("--val", type=int, default=1000, help="validation images")
    ap.add_argument("--test", type=int, default=10000, help="test images")
    ap.add_argument("--image-size", type=int, default=28, help="side the images are resized to (28: as they are)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jit-compile", choices=["auto", "true", "false"], default=None,
                    help="compiled training step (default: train's choice, false on TensorFlow, auto elsewhere)")
    args = ap.parse_args()
    if args.epochs < 2:
        ap.error("--epochs must be at least 2 (the first epoch is excluded from the throughput).")

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    idx = np.random.default_rng(args.seed).permutation(len(x_train))
    tr, va = idx[:args.train], idx[args.train:args.train + args.val]
    x_tr, x_va = sized(x_train[tr], args.image_size), sized(x_train[va], args.image_size)
    x_test, y_test = sized(x_test[:args.test], args.image_size), y_test[:args.test]

    model = small_cnn(x_tr.shape[1:], width=args.width, depth=args.depth, seed=args.seed)
    cpu0 = time.process_time()
    hist = train_base(model, x_tr, y_train[tr], x_va, y_train[va], epochs=args.epochs,
                      patience=args.patience, batch_size=args.batch_size, seed=args.seed,
                      jit_compile={None: None, "auto": "auto", "true": True, "false": False}[args.jit_compile])
    cpu = time.process_time() - cpu0
    acc = float((predict_proba(model, x_test).argmax(1) == y_test).mean())

    steady = hist.train_seconds[1:]
    print(f"backend={keras.backend.backend()} width={args.width} depth={args.depth} "
          f"params={model.count_params()} batch_size={args.batch_size} train={len(tr)} epochs={args.epochs} "
          f"jit_compile={args.jit_compile or 'default'}")
    print(f"train images/s (epochs 2..{args.epochs}, training steps only): {len(tr) * len(steady) / sum(steady):.0f}"
          f" (median epoch {len(tr) / np.median(steady):.0f}, first epoch {len(tr) / hist.train_seconds[0]:.0f})")
    print(f"process CPU seconds per trained image (all epochs, validation included): {cpu / (len(tr) * args.epochs) * 1e3:.2f} ms")
    print(f"best epoch {hist.best_epoch} (val_loss {hist.best_val_loss:.4f}), lr schedule {sorted(set(hist.lr), reverse=True)}")
    print(f"test accuracy ({len(y_test):,} images): {acc:.4f}   total training time {hist.seconds:.1f} s")


if __name__ == "__main__":
    main()
