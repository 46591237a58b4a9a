"""scikit-learn's MLP with its ReLU layer computed by nprelu.

``MLPClassifier`` and ``MLPRegressor`` look their activation up in two dicts of
``sklearn.neural_network._base``:

    ACTIVATIONS["relu"](X)             np.maximum(X, 0, out=X)
    DERIVATIVES["relu"](Z, delta)      delta[Z == 0] = 0        (Z: the layer's output)

``nprelu_in_sklearn()`` below replaces those two entries, for the duration of a
``with`` block, by

    nprelu.relu(X, out=X)
    nprelu.relu_backward(delta, Z, out=delta)

both in place and in one pass, where scikit-learn's derivative builds a boolean
mask and scatters through it.  ``relu_backward`` is defined on the layer's input,
but ``relu(x) > 0`` exactly where ``x > 0``, so passing the layer's output ``Z``
gives the same selection.  (They differ only at NaN: scikit-learn keeps ``delta``
where ``Z`` is NaN, nprelu passes back 0; a NaN activation means the fit has
already diverged.)

The dicts must be changed in place: ``sklearn.neural_network._multilayer_perceptron``
imported them by name, so binding new dicts to ``_base`` would not reach it.

The script fits the same estimator, same data and same ``random_state`` with and
without the patch, on several configurations (adam, sgd, lbfgs; float32 and
float64; sparse input; ``partial_fit``; early stopping; a regressor), checks that
``coefs_``, ``intercepts_`` and the predictions are identical to the bit, and
exits with status 1 if any result differs.  It then prints the fit-time ratio of
one wider float32 fit, best of three alternating runs (for information; the
matrix products dominate a fit).

    python examples/sklearn_mlp.py
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
import scipy.sparse
import sklearn
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network import _base
from threadpoolctl import threadpool_limits  # installed with scikit-learn

import nprelu

# How often the patched functions ran, so that "identical" cannot come from a
# patch that was never used.
CALLS: Counter[str] = Counter()


def inplace_relu(X: np.ndarray) -> None:
    CALLS["relu"] += 1
    nprelu.relu(X, out=X)


def inplace_relu_derivative(Z: np.ndarray, delta: np.ndarray) -> None:
    CALLS["relu_backward"] += 1
    nprelu.relu_backward(delta, Z, out=delta)


@contextmanager
def nprelu_in_sklearn() -> Iterator[None]:
    """Compute scikit-learn's MLP ReLU layer with nprelu inside the block."""
    saved = _base.ACTIVATIONS["relu"], _base.DERIVATIVES["relu"]
    _base.ACTIVATIONS["relu"] = inplace_relu
    _base.DERIVATIVES["relu"] = inplace_relu_derivative
    try:
        yield
    finally:
        _base.ACTIVATIONS["relu"], _base.DERIVATIVES["relu"] = saved


def same_bits(a: Any, b: Any) -> bool:
    """Same dtype, shape and bits (signed zeros and NaNs included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        a, b = a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}")
    return bool(np.array_equal(a, b))


def digits(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()  # bundled with scikit-learn: nothing is downloaded
    return (d.data / 16.0).astype(dtype), d.target


def regression(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(n_samples=800, n_features=30, noise=5.0, random_state=0)
    return X.astype(dtype), (y / 100.0).astype(dtype)


def fit(make: Callable[[], Any], X: Any, y: np.ndarray, partial: int) -> Any:
    est = make()
    if partial:
        classes = np.unique(y) if isinstance(est, MLPClassifier) else None
        for i in range(partial):
            rows = slice(i * 300, (i + 1) * 300)
            if classes is not None:
                est.partial_fit(X[rows], y[rows], classes=classes)
            else:
                est.partial_fit(X[rows], y[rows])
    else:
        est.fit(X, y)
    return est


# name, estimator factory, data, number of partial_fit calls (0: one fit call)
CONFIGS: list[tuple[str, Callable[[], Any], Callable[[], tuple[Any, np.ndarray]], int]] = [
    ("classifier adam float64",
     lambda: MLPClassifier(hidden_layer_sizes=(128, 64), solver="adam", max_iter=30, random_state=0),
     lambda: digits(np.float64), 0),
    ("classifier adam float32",
     lambda: MLPClassifier(hidden_layer_sizes=(128, 64), solver="adam", max_iter=30, random_state=0),
     lambda: digits(np.float32), 0),
    ("classifier sgd nesterov float64",
     lambda: MLPClassifier(hidden_layer_sizes=(128,), solver="sgd", momentum=0.9, nesterovs_momentum=True,
                           learning_rate_init=0.05, max_iter=30, random_state=1),
     lambda: digits(np.float64), 0),
    ("classifier sgd adaptive float32",
     lambda: MLPClassifier(hidden_layer_sizes=(96, 48), solver="sgd", learning_rate="adaptive", max_iter=30,
                           random_state=2),
     lambda: digits(np.float32), 0),
    ("classifier lbfgs float64",
     lambda: MLPClassifier(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=60, random_state=3),
     lambda: digits(np.float64), 0),
    ("classifier lbfgs float32",
     lambda: MLPClassifier(hidden_layer_sizes=(64, 32), solver="lbfgs", max_iter=60, random_state=4),
     lambda: digits(np.float32), 0),
    ("classifier adam, sparse CSR input",
     lambda: MLPClassifier(hidden_layer_sizes=(64,), solver="adam", max_iter=20, random_state=5),
     lambda: (lambda X, y: (scipy.sparse.csr_matrix(X), y))(*digits(np.float64)), 0),
    ("classifier adam early_stopping",
     lambda: MLPClassifier(hidden_layer_sizes=(64,), solver="adam", early_stopping=True, max_iter=40,
                           random_state=6),
     lambda: digits(np.float64), 0),
    ("classifier sgd partial_fit x5 float32",
     lambda: MLPClassifier(hidden_layer_sizes=(64,), solver="sgd", random_state=7),
     lambda: digits(np.float32), 5),
    ("regressor adam float64",
     lambda: MLPRegressor(hidden_layer_sizes=(64, 32), solver="adam", max_iter=40, random_state=8),
     lambda: regression(np.float64), 0),
    ("regressor lbfgs float32",
     lambda: MLPRegressor(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=60, random_state=9),
     lambda: regression(np.float32), 0),
    ("regressor adam partial_fit x2 float64",
     lambda: MLPRegressor(hidden_layer_sizes=(32,), solver="adam", random_state=10),
     lambda: regression(np.float64), 2),
]


def outputs(est: Any, X: Any) -> list[np.ndarray]:
    out = [*est.coefs_, *est.intercepts_, est.predict(X)]
    if isinstance(est, MLPClassifier):
        out.append(est.predict_proba(X))
    return out


def main() -> int:
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # short fits on purpose
    print(f"nprelu {nprelu.__version__}, scikit-learn {sklearn.__version__}, NumPy {np.__version__}")
    print("Each configuration is fitted without and with nprelu_in_sklearn(), same random_state.\n")
    head = f"{'configuration':<40} {'weights':>7} {'iterations':>10} {'calls':>6} {'identical':>9}"
    print(head)
    print("-" * len(head))
    failures = []
    for name, make, data, partial in CONFIGS:
        X, y = data()
        base = fit(make, X, y, partial)
        CALLS.clear()
        with nprelu_in_sklearn():
            patched = fit(make, X, y, partial)
            patched_out = outputs(patched, X)  # predicting runs the forward pass too
        base_out = outputs(base, X)
        same = len(base_out) == len(patched_out) and all(
            same_bits(a, b) for a, b in zip(base_out, patched_out))
        used = CALLS["relu"] > 0 and CALLS["relu_backward"] > 0
        if not same:
            failures.append(f"{name}: weights or predictions differ")
        if not used:
            failures.append(f"{name}: the patched functions were not called ({dict(CALLS)})")
        # (lbfgs trains in float64 whatever the input: scipy's optimizer works in float64)
        print(f"{name:<40} {patched.coefs_[0].dtype.name:>7} {patched.n_iter_:>10} "
              f"{CALLS['relu'] + CALLS['relu_backward']:>6} {str(same and used):>9}")
    print("(calls: of the patched relu and relu_backward during the fit and the predictions)\n")

    # A fit in which the ReLU layer has a visible share: wide layers, float32.
    # Plain and patched fits alternate, and the best of three counts, so that
    # whatever else the machine runs slows both alike.
    X, y = digits(np.float32)
    make = lambda: MLPClassifier(hidden_layer_sizes=(512, 512), solver="adam", batch_size=256,  # noqa: E731
                                 max_iter=8, random_state=0)
    best = [np.inf, np.inf]
    for _ in range(3):
        for i, patch in enumerate((False, True)):
            with nprelu_in_sklearn() if patch else nullcontext():
                t = time.perf_counter()
                fit(make, X, y, 0)
                best[i] = min(best[i], time.perf_counter() - t)
    print(f"timing fit, digits float32, MLP 64-512-512-10, adam, 8 epochs, best of 3: "
          f"{best[0]:.3f} s plain, {best[1]:.3f} s with nprelu, ratio {best[1] / best[0]:.2f} "
          "(informational)\n")

    restored = (_base.ACTIVATIONS["relu"] is not inplace_relu
                and _base.DERIVATIVES["relu"] is not inplace_relu_derivative)
    if not restored:
        failures.append("the patch was not undone on leaving the with block")

    for f in failures:
        print("FAILED:", f)
    if failures:
        return 1
    print(f"OK: coefs_, intercepts_ and predictions identical to the bit on all {len(CONFIGS)} "
          "configurations; the patch is undone on exit")
    return 0


if __name__ == "__main__":
    with threadpool_limits(limits=1, user_api="blas"):  # steadier timings on a busy machine
        sys.exit(main())
