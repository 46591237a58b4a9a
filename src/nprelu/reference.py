"""The specification of nprelu's ufuncs, in plain NumPy.

These functions define the results bit for bit; the compiled ufuncs must
return exactly the same bits and dtype.  They favour clarity over speed.

======================  ==============  ===========  ===================
x (floating point)      relu(x)         relu_grad    relu_backward(dy, x)
======================  ==============  ===========  ===================
x > 0 (incl. +inf)      x, same bits    1            dy, same bits
+0.0, -0.0              +0.0            +0.0         +0.0
x < 0 (incl. -inf)      +0.0            +0.0         +0.0
NaN (any sign/payload)  x, same bits    +0.0         +0.0
======================  ==============  ===========  ===================

Integers: ``relu(x) = max(x, 0)`` and ``relu_grad(x) = (x > 0)`` in the
input's type; bool input computes in int8, as the ufuncs do.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["relu", "relu_and_grad", "relu_backward", "relu_grad"]


def _as_input(x: ArrayLike) -> NDArray[np.generic]:
    """The operand as the ufuncs see it: bool computes as int8."""
    a = np.asarray(x)
    if a.dtype == np.bool_:
        a = a.astype(np.int8)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"unsupported dtype {a.dtype}")
    return a


def _positive(a: NDArray[np.generic]) -> NDArray[np.bool_]:
    """``a > 0``; False at NaN.  (Flags raised here do not matter.)"""
    with np.errstate(invalid="ignore"):
        positive: NDArray[np.bool_] = np.greater(a, 0)
    return positive


def relu(x: ArrayLike) -> NDArray[np.generic]:
    """``x`` where ``x > 0`` or NaN (same bits), else +0 in ``x``'s dtype.

    >>> relu(np.array([-1.0, -0.0, 2.0, np.nan], dtype=np.float32))
    array([ 0.,  0.,  2., nan], dtype=float32)
    """
    a = _as_input(x)
    keep = _positive(a)
    if a.dtype.kind == "f":
        keep |= np.isnan(a)
    return np.where(keep, a, np.zeros((), a.dtype))


def relu_grad(x: ArrayLike) -> NDArray[np.generic]:
    """1 where ``x > 0``, else +0 (also at 0 and NaN), in ``x``'s dtype.

    >>> relu_grad(np.array([-1, 0, 5], dtype=np.int8))
    array([0, 0, 1], dtype=int8)
    """
    a = _as_input(x)
    return _positive(a).astype(a.dtype)


def _float_loop_dtype(dy: ArrayLike, x: ArrayLike) -> np.dtype[np.floating]:
    """The dtype NumPy's type resolution picks for ``(dy, x)`` among the loops
    ``ee->e ff->f dd->d gg->g``: exactly the loops of ``np.nextafter``, so its
    resolution (weak Python scalars, value-based casting on old NumPy and all)
    is the rule.  Only the dtype of an array operand matters, so an empty
    array of that dtype stands in for it; scalars and 0-d arrays go as they
    are, since their values may."""

    def probe(v: ArrayLike) -> ArrayLike:
        return v if np.ndim(v) == 0 else np.asarray(v).reshape(-1)[:0]

    with np.errstate(all="ignore"):
        return np.asarray(np.nextafter(probe(dy), probe(x))).dtype


def relu_backward(dy: ArrayLike, x: ArrayLike) -> NDArray[np.floating]:
    """``dy`` where ``x > 0`` (same bits), else +0.

    The dtype is the one NumPy picks for two operands among the float loops
    ``ee->e ff->f dd->d gg->g`` (integers promote to float as in ``np.sqrt``).

    >>> relu_backward(np.array([np.inf, np.nan, 3.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 3.])
    """
    dtype = _float_loop_dtype(dy, x)
    d = np.asarray(dy).astype(dtype, copy=False)
    a = np.asarray(x).astype(dtype, copy=False)
    return np.where(_positive(a), d, np.zeros((), dtype))


def relu_and_grad(x: ArrayLike) -> tuple[NDArray[np.generic], NDArray[np.generic]]:
    """``(relu(x), relu_grad(x))``."""
    return relu(x), relu_grad(x)
