"""Behaviours that come from NumPy's ufunc machinery rather than from the
loops, each documented in docs/semantics.rst or a docstring:
weak Python scalars, the loop NumPy picks for bool, the reduction methods of a
two-input ufunc, and both outputs of relu_and_grad in one array."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

# --------------------------------------------------------------------------- weak scalars


def test_python_float_is_cast_to_the_array_dtype_first(assert_same: Any) -> None:
    """relu_backward(f32_array, 1e-50): the Python float is a weak scalar, cast
    to float32 (0.0) before the loop, so no element passes (0 is not > 0)."""
    dy = np.array([1.0, -2.0, np.inf], np.float32)
    assert np.float32(1e-50) == 0
    got = nprelu.relu_backward(dy, 1e-50)
    assert_same(got, np.zeros(3, np.float32))
    assert_same(got, reference.relu_backward(dy, np.float32(1e-50)))


def test_float64_array_keeps_the_small_value(assert_same: Any) -> None:
    """The way round the trap: give x as a float64 array; the result is float64."""
    dy = np.array([1.0, -2.0, np.inf], np.float32)
    x = np.array([1e-50])
    got = nprelu.relu_backward(dy, x)
    assert_same(got, dy.astype(np.float64))
    assert_same(got, reference.relu_backward(dy, x))


# --------------------------------------------------------------------------- bool


@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_bool_gives_int8_for_one_input(name: str, assert_same: Any) -> None:
    """The first loop that takes bool safely is int8 (``b``): NumPy casts to it."""
    b = np.array([True, False])
    got = getattr(nprelu, name)(b)
    assert got.dtype == np.int8
    assert_same(got, np.array([1, 0], np.int8))
    assert_same(got, getattr(reference, name)(b))


def test_bool_gives_int8_for_relu_and_grad(assert_same: Any) -> None:
    y, g = nprelu.relu_and_grad(np.array([True, False]))
    assert_same(y, np.array([1, 0], np.int8))
    assert_same(g, np.array([1, 0], np.int8))


def test_bool_gives_float16_for_relu_backward(assert_same: Any) -> None:
    """relu_backward has float loops only; the first that takes bool safely is
    float16 (``ee->e``), as for ``np.sqrt``."""
    b = np.array([True, True, False])
    x = np.array([True, False, True])
    got = nprelu.relu_backward(b, x)
    assert got.dtype == np.float16 == np.sqrt(b).dtype
    assert_same(got, np.array([1, 0, 0], np.float16))
    assert_same(got, reference.relu_backward(b, x))


# --------------------------------------------------------------------------- reduce


def _fold(x: np.ndarray) -> np.ndarray:
    """relu_backward folded along the first axis: acc = relu_backward(acc, x[i])."""
    return functools.reduce(reference.relu_backward, x[1:], x[0])


REDUCE_CASES = {
    "all positive after the first": np.array([-3.0, 2.0, 5.0], np.float32),
    "one non-positive": np.array([7.0, 2.0, -1.0, 4.0], np.float32),
    "NaN later": np.array([7.0, np.nan, 4.0], np.float32),
    "single": np.array([-5.0], np.float32),
}


@pytest.mark.parametrize("x", REDUCE_CASES.values(), ids=REDUCE_CASES.keys())
def test_relu_backward_reduce_is_a_fold(x: np.ndarray, assert_same: Any) -> None:
    """relu_backward.reduce(x) runs: x[0] if every later element is > 0, else +0."""
    got = nprelu.relu_backward.reduce(x)
    assert_same(got, _fold(x))
    later_positive = bool(np.all(x[1:] > 0))
    assert_same(got, x[0] if later_positive else np.float32(0))


def test_relu_backward_reduce_along_an_axis(assert_same: Any) -> None:
    x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [7.0, 8.0, 9.0]])
    assert_same(nprelu.relu_backward.reduce(x, axis=0), _fold(x))
    assert_same(nprelu.relu_backward.reduce(x, axis=1), _fold(x.T))


def test_relu_backward_reduce_limits() -> None:
    """No identity: an empty reduction raises; not reorderable: one axis at most."""
    with pytest.raises(ValueError, match="identity"):
        nprelu.relu_backward.reduce(np.array([], np.float32))
    with pytest.raises(ValueError, match="reorderable"):
        nprelu.relu_backward.reduce(np.ones((2, 2)), axis=None)


def test_relu_backward_accumulate_and_reduceat(assert_same: Any) -> None:
    x = np.array([5.0, 2.0, -1.0, 3.0, 4.0, 0.0, 6.0], np.float32)
    want = np.array([_fold(x[: i + 1]) for i in range(len(x))])
    assert_same(nprelu.relu_backward.accumulate(x), want)
    idx = [0, 3, 5]
    want = np.array([_fold(x[a:b]) for a, b in zip(idx, idx[1:] + [len(x)])])
    assert_same(nprelu.relu_backward.reduceat(x, idx), want)


def test_relu_backward_outer(assert_same: Any) -> None:
    dy = np.array([1.0, np.inf, -3.0])
    x = np.array([-1.0, 0.0, 2.0, np.nan])
    assert_same(nprelu.relu_backward.outer(dy, x), reference.relu_backward(dy[:, None], x[None, :]))


@pytest.mark.parametrize("method", ["reduce", "accumulate", "reduceat", "outer"])
@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_and_grad", "leaky_relu_backward"])
def test_methods_raise_where_not_binary(name: str, method: str) -> None:
    x = np.ones(3)
    args: tuple[Any, ...] = {"reduce": (x,), "accumulate": (x,), "reduceat": (x, [0]),
                             "outer": (x, x)}[method]
    with pytest.raises(ValueError, match="binary"):
        getattr(getattr(nprelu, name), method)(*args)


# --------------------------------------------------------------------------- out=(a, a)

ALIASED = """
import numpy as np, nprelu
rng = np.random.default_rng(0)
bad = []
for ch in "bhiqefdg":
    for n in (1, 3, 8, 17, 64, 1000, 5000):
        x = (rng.standard_normal(n) * 10).astype(ch)
        x[::7] = 0
        for layout in ("contiguous", "strided", "reversed"):
            base = np.full(2 * n, 99, ch)
            a = {"contiguous": base[:n], "strided": base[::2], "reversed": base[:n][::-1]}[layout]
            y, g = nprelu.relu_and_grad(x, out=(a, a))
            if y is not a or g is not a or not np.array_equal(a, nprelu.relu_grad(x)):
                bad.append((ch, n, layout))
        xi = x.copy()
        nprelu.relu_and_grad(xi, out=(xi, xi))
        if not np.array_equal(xi, nprelu.relu_grad(x)):
            bad.append((ch, n, "in place"))
print(nprelu.cpu_targets()["active"], bad)
"""


@pytest.mark.parametrize("target", nprelu.cpu_targets()["supported"])
def test_relu_and_grad_same_array_for_both_outputs(target: str) -> None:
    """NumPy accepts out=(a, a) and copies nothing; each element's gradient is
    written after its value, so ``a`` ends up holding relu_grad(x), on every
    target and layout (and with x itself as a)."""
    env = dict(os.environ, NPRELU_CPU_TARGET=target)
    proc = subprocess.run([sys.executable, "-c", ALIASED], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [target, "[]"], proc.stdout + proc.stderr
