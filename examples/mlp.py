"""A two-layer NumPy network on scikit-learn's digits, trained twice.

The same network (64 -> hidden ReLU -> 10 softmax, cross-entropy, minibatch SGD),
the same seed, the same initial weights and the same batches, trained once with the
usual NumPy idioms for the ReLU layer and once with nprelu:

    forward    h = z * (z > 0)              h = nprelu.relu(z, out=h_buf)
    backward   dz = dh * (z > 0)            dz = nprelu.relu_backward(dh, z, out=dz_buf)

Everything is float32.  The data is ``sklearn.datasets.load_digits`` (bundled with
scikit-learn, nothing is downloaded): 1797 8x8 images, 80 % for training.

    python examples/mlp.py [--epochs 40] [--hidden 1024] [--batch 256] [--seed 0] [--blas-threads 1]

The two networks train side by side, epoch by epoch.  It prints the test accuracy,
the median wall time of an epoch and the part of it spent in the ReLU layer
(forward + backward) for both, and whether the two trained networks agree.  It exits with status 1 if they disagree or the accuracy is below 90 %.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits  # installed with scikit-learn

import nprelu

F = np.float32


def load(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    x = (digits.data / 16.0).astype(F)  # pixels are 0..16
    x -= x.mean(axis=0)
    return train_test_split(x, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)


def init(seed: int, n_in: int, n_hidden: int, n_out: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in)).astype(F)  # He
    w2 = (rng.standard_normal((n_hidden, n_out)) * np.sqrt(1.0 / n_hidden)).astype(F)
    return [w1, np.zeros(n_hidden, F), w2, np.zeros(n_out, F)]


def softmax_xent_grad(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d(mean cross-entropy)/d(logits), softmax included."""
    p = logits - logits.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    p /= F(len(y))
    return p


class Run:
    """One network and its training state; ``epoch()`` trains one pass."""

    def __init__(self, name: str, use_nprelu: bool, data: tuple[np.ndarray, ...], args: argparse.Namespace) -> None:
        self.name, self.use_nprelu, self.args = name, use_nprelu, args
        self.x_train, self.x_test, self.y_train, self.y_test = data
        self.params = init(args.seed, self.x_train.shape[1], args.hidden, 10)
        self.rng = np.random.default_rng(args.seed + 1)  # the same batches for both runs
        # Preallocated buffers for nprelu's out=; the last, short batch uses a slice.
        self.h_buf = np.empty((args.batch, args.hidden), F)
        self.dz_buf = np.empty((args.batch, args.hidden), F)
        self.epoch_s: list[float] = []
        self.relu_s: list[float] = []

    def relu(self, z: np.ndarray) -> np.ndarray:
        if self.use_nprelu:
            return nprelu.relu(z, out=self.h_buf[: len(z)])
        return z * (z > 0)

    def relu_backward(self, dh: np.ndarray, z: np.ndarray) -> np.ndarray:
        if self.use_nprelu:
            return nprelu.relu_backward(dh, z, out=self.dz_buf[: len(z)])
        return dh * (z > 0)

    def epoch(self) -> None:
        w1, b1, w2, b2 = self.params
        lr, batch = F(self.args.lr), self.args.batch
        t_epoch = time.perf_counter()
        t_relu = 0.0
        order = self.rng.permutation(len(self.x_train))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            xb, yb = self.x_train[idx], self.y_train[idx]
            z = xb @ w1
            z += b1
            t = time.perf_counter()
            h = self.relu(z)
            t_relu += time.perf_counter() - t
            dlogits = softmax_xent_grad(h @ w2 + b2, yb)
            dw2 = h.T @ dlogits
            db2 = dlogits.sum(axis=0)
            dh = dlogits @ w2.T
            t = time.perf_counter()
            dz = self.relu_backward(dh, z)
            t_relu += time.perf_counter() - t
            dw1 = xb.T @ dz
            db1 = dz.sum(axis=0)
            for p, g in zip(self.params, (dw1, db1, dw2, db2)):
                p -= lr * g
        self.epoch_s.append(time.perf_counter() - t_epoch)
        self.relu_s.append(t_relu)

    def accuracy(self) -> float:
        w1, b1, w2, b2 = self.params
        z = self.x_test @ w1 + b1
        hidden = nprelu.relu(z) if self.use_nprelu else z * (z > 0)
        return float(np.mean((hidden @ w2 + b2).argmax(axis=1) == self.y_test))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--blas-threads", type=int, default=1,
        help="threads for the matrix products (default 1: on a busy machine, BLAS "
        "threads waiting for a core make every epoch, ReLU included, erratic)",
    )
    args = ap.parse_args(argv)
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        return run(args)


def run(args: argparse.Namespace) -> int:

    data = load(args.seed)
    print(
        f"nprelu {nprelu.__version__} (CPU target {nprelu.cpu_targets()['active']}), NumPy {np.__version__}\n"
        f"digits: {len(data[0])} train / {len(data[1])} test; MLP 64-{args.hidden}-10, float32, "
        f"batch {args.batch}, {args.epochs} epochs, lr {args.lr}, seed {args.seed}, "
        f"{args.blas_threads} BLAS thread(s)\n"
    )
    runs = [
        Run("z * (z > 0), dh * (z > 0)", False, data, args),
        Run("nprelu.relu, relu_backward", True, data, args),
    ]
    # The two train side by side, epoch by epoch, so that whatever else the
    # machine is doing slows both alike.
    for _ in range(args.epochs):
        for r in runs:
            r.epoch()
    skip = 1 if args.epochs > 1 else 0  # the first epoch warms caches up
    # Medians over the epochs: a busy machine (or BLAS threads fighting over
    # the cores) makes a few epochs very slow, and a mean would show that noise.
    head = f"{'ReLU layer written as':<30} {'test acc':>8} {'ms/epoch':>9} {'of which ReLU':>14}"
    print(head)
    print("-" * len(head))
    acc = [r.accuracy() for r in runs]
    for r, a in zip(runs, acc):
        print(
            f"{r.name:<30} {100 * a:7.2f}% {1e3 * np.median(r.epoch_s[skip:]):9.2f} "
            f"{1e3 * np.median(r.relu_s[skip:]):14.2f}"
        )
    seed_run, nprelu_run = runs
    same = all(np.array_equal(a, b) for a, b in zip(seed_run.params, nprelu_run.params))
    speedup = np.median(seed_run.relu_s[skip:]) / np.median(nprelu_run.relu_s[skip:])
    print(f"\nReLU layer {speedup:.1f}x faster with nprelu; trained weights identical: {same}")
    print(f"(median of epochs 2..{args.epochs}; both trained in {sum(sum(r.epoch_s) for r in runs):.1f} s)")
    ok = same and acc[0] == acc[1] and acc[1] > 0.9
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
