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
        return np.greater(a, 0)


def relu(x: ArrayLike) -> NDArray[np.generic]:
    """``x`` where ``x > 0`` or NaN (same bits), else +0 in ``x``'s dtype."""
    a = _as_input(x)
    keep = _positive(a)
    if a.dtype.kind == "f":
        keep |= np.isnan(a)
    return np.where(keep, a, np.zeros((), a.dtype))


def relu_grad(x: ArrayLike) -> NDArray[np.generic]:
    """1 where ``x > 0``, else +0 (also at 0 and NaN), in ``x``'s dtype."""
    a = _as_input(x)
    return _positive(a).astype(a.dtype)


def relu_backward(dy: ArrayLike, x: ArrayLike) -> NDArray[np.floating]:
    """``dy`` where ``x > 0`` (same bits), else +0.

    The dtype is the promotion of ``dy`` and ``x`` with at least float16, as
    NumPy picks the first of the loops ``ee->e ff->f dd->d gg->g`` to which
    both cast safely.
    """
    # Python scalars stay weakly typed in the promotion, as in a ufunc call.
    dy, x = (v if type(v) in (int, float) else np.asarray(v) for v in (dy, x))
    dtype = np.result_type(dy, x, np.float16)
    d, a = np.asarray(dy), np.asarray(x)
    if dtype.kind != "f":
        raise TypeError(f"unsupported dtype {dtype}")
    d = d.astype(dtype, copy=False)
    return np.where(_positive(a.astype(dtype, copy=False)), d,
                    np.zeros((), dtype))


def relu_and_grad(x: ArrayLike) -> tuple[NDArray[np.generic], NDArray[np.generic]]:
    """``(relu(x), relu_grad(x))``."""
    return relu(x), relu_grad(x)
