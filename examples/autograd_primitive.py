"""nprelu inside autograd (HIPS/autograd): first and second derivatives.

autograd traces a function by passing ``ArrayBox`` objects through it.  A
compiled ufunc cannot compute on a box, so calling ``nprelu.relu`` under
``autograd.grad`` raises ``TypeError`` (NumPy's "operand type(s) all returned
NotImplemented").  The way in is autograd's own extension API: declare the ufunc
a ``primitive`` and give it its derivatives:

    relu(x)                 VJP and JVP:   g -> relu_backward(g, x)
    relu_backward(g, x)     with respect to g:  h -> relu_backward(h, x)
                            with respect to x:  0 (the slope is piecewise constant)

Making ``relu_backward`` a primitive as well is what lets autograd differentiate
the gradient again (Hessians, ``check_grads(order=2)``).

The script checks, and exits with status 1 if any check fails:

- ``autograd.test_util.check_grads`` passes in forward and reverse mode, to order
  1 and 2, on a small network ``tanh(relu(X @ W1 + b1) @ W2)`` and on an elementwise
  function, at points where no ReLU input lies within 1e-2 of 0 (the finite
  differences must not straddle the kink);
- the gradient of ``sum(relu(x) * w)`` is ``w`` where ``x > 0`` and exactly 0
  elsewhere (at 0, at -inf and at NaN too), bit for bit;
- the Hessian of ``0.5 * sum(relu(x) ** 2)`` is ``diag(relu_grad(x))``, bit for bit.

It also prints the one place where autograd's own ``np.maximum(x, 0)`` differs:
at ``x == 0`` autograd splits the gradient between the tied arguments (0.5); the
derivative of ReLU at 0 is 0 in nprelu, PyTorch and JAX.

    python examples/autograd_primitive.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import grad, hessian
from autograd.extend import defjvp, defvjp, primitive
from autograd.test_util import check_grads

import nprelu

def make_primitives() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Register nprelu.relu and nprelu.relu_backward as autograd primitives."""
    relu = primitive(nprelu.relu)
    relu_backward = primitive(nprelu.relu_backward)
    # relu's derivative, applied to a cotangent (reverse) or a tangent (forward).
    defvjp(relu, lambda ans, x: lambda g: relu_backward(g, x))
    defjvp(relu, lambda g, ans, x: relu_backward(g, x))
    # relu_backward is linear in g; its slope in x is 0 wherever it is defined.
    defvjp(relu_backward,
           lambda ans, g, x: lambda h: relu_backward(h, x),
           lambda ans, g, x: lambda h: anp.zeros_like(x))
    defjvp(relu_backward,
           lambda h, ans, g, x: relu_backward(h, x),
           lambda h, ans, g, x: anp.zeros_like(ans))
    return relu, relu_backward


def network(relu: Callable[..., Any], params: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    W1, b1, W2 = params
    return anp.sum(anp.tanh(relu(anp.dot(X, W1) + b1) @ W2))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape
            and bool(np.array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))))


def main() -> int:
    print(f"nprelu {nprelu.__version__}, autograd {version('autograd')}, NumPy {np.__version__}\n")
    failures: list[str] = []

    def check(claim: str, ok: bool) -> None:
        print(f"{'ok' if ok else 'FAILED'}: {claim}")
        if not ok:
            failures.append(claim)

    # Why the primitive: the bare ufunc cannot see through autograd's boxes.
    def bare(x: Any) -> Any:
        return anp.sum(nprelu.relu(x))

    try:
        grad(bare)(np.array([1.0, -1.0]))
        print("note: before registration, nprelu.relu under autograd.grad already worked")
    except TypeError as e:
        print(f"before registration, nprelu.relu under autograd.grad: TypeError ({str(e)[:58]}...)")
    relu, relu_backward = make_primitives()
    # Recent autograd also routes the bare ufunc to its registered primitive
    # (through ArrayBox.__array_ufunc__); informational only.
    try:
        ok = same_bits(grad(bare)(np.array([1.0, -1.0])), np.array([1.0, 0.0]))
        print(f"after registration, nprelu.relu under autograd.grad: {'works' if ok else 'wrong result'}")
    except TypeError:
        print("after registration, nprelu.relu under autograd.grad: still TypeError; call the primitive")
    print()

    rng = np.random.default_rng(0)
    np.random.seed(0)  # check_grads draws its directions from NumPy's global generator
    W1 = rng.standard_normal((8, 16))
    b1 = rng.standard_normal(16) * 0.1
    W2 = rng.standard_normal((16, 3)) / 4
    X = rng.standard_normal((64, 8))
    # Keep the rows whose every ReLU input is at least 1e-2 away from the kink.
    X = X[np.all(np.abs(X @ W1 + b1) > 1e-2, axis=1)]
    check(f"{len(X)} of 64 rows kept, all ReLU inputs |z| > 1e-2", len(X) >= 32)
    params = [W1, b1, W2]
    for order in (1, 2):
        for mode in ("rev", "fwd"):
            try:
                check_grads(lambda p: network(relu, p, X), modes=[mode], order=order)(params)
                ok = True
            except AssertionError as e:
                print(e)
                ok = False
            check(f"check_grads, network tanh(relu(X @ W1 + b1) @ W2), mode {mode}, order {order}", ok)

    x = rng.standard_normal(50)
    x = x[np.abs(x) > 1e-2]
    for order in (1, 2):
        try:
            check_grads(lambda v: anp.sum(anp.sin(relu(v) * 3.0) * relu(v)), modes=["fwd", "rev"], order=order)(x)
            ok = True
        except AssertionError as e:
            print(e)
            ok = False
        check(f"check_grads, elementwise sum(sin(3 relu(x)) * relu(x)), fwd and rev, order {order}", ok)

    # Exact values, including where finite differences cannot go.
    x = np.array([-np.inf, -2.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 3.0, np.inf, np.nan])
    w = np.linspace(1.0, 2.0, x.size)
    g = grad(lambda v: anp.sum(relu(v) * w))(x)
    want = np.where(x > 0, w, 0.0)
    check("grad of sum(relu(x) * w) is w where x > 0, +0.0 elsewhere (0, -inf, NaN included)",
          same_bits(g, want))
    H = hessian(lambda v: 0.5 * anp.sum(relu(v) ** 2))(x[np.isfinite(x)])
    check("Hessian of 0.5 * sum(relu(x) ** 2) is diag(relu_grad(x))",
          same_bits(H, np.diag(nprelu.reference.relu_grad(x[np.isfinite(x)]))))
    check("the primitive computes nprelu.relu's values, float32 kept",
          same_bits(relu(x.astype(np.float32)), nprelu.reference.relu(x.astype(np.float32))))

    tie = np.array([0.0])
    print(f"\nat x = 0: autograd's np.maximum(x, 0) gives slope "
          f"{grad(lambda v: anp.sum(anp.maximum(v, 0.0)))(tie)[0]}, the nprelu primitive "
          f"{grad(lambda v: anp.sum(relu(v)))(tie)[0]}\n")

    if failures:
        print(f"FAILED: {len(failures)} check(s)")
        return 1
    print("OK: first and second derivatives through nprelu pass check_grads and are exact where checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
