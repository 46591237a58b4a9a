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

The leaky family, with ``a`` the negative slope in the loop's dtype:

======================  ==============  ================  =========================
x                       leaky_relu      leaky_relu_grad   leaky_relu_backward(dy, x)
======================  ==============  ================  =========================
x > 0 (incl. +inf)      x, same bits    1                 dy, same bits
+0.0, -0.0, x < 0       x * a           a                 dy * a
NaN                     x, same bits    a                 dy * a
======================  ==============  ================  =========================

Products are rounded as ``np.multiply`` rounds them in the loop's dtype.
Where both factors are NaN (``dy`` and ``a``) the product is one of the two
NaNs, quieted: IEEE 754 leaves the choice to the platform, and
``np.multiply`` itself returns the first factor's NaN at some positions of an
array and the second's at others, so the tests accept either there.

The ``ml_dtypes`` types (bfloat16, float8, float6, float4, int4, int2) keep
their type in the relu family; which elements are positive, NaN or zero is
decided by ``ml_dtypes``' own conversion to float32, and the results are bit
patterns of the input (relu, relu_backward), all-zero bits (+0), or the
format's one.  Importing this module does not import ``ml_dtypes``.

Results are in native byte order, as the ufuncs return them.  Operands with
no loop raise ``TypeError`` naming the function.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "leaky_relu",
    "leaky_relu_backward",
    "leaky_relu_grad",
    "relu",
    "relu_and_grad",
    "relu_backward",
    "relu_grad",
]

# The loops of relu, relu_grad and relu_and_grad, in registration order, and
# the float loops of relu_backward and the leaky family.
_UNARY_LOOPS = "bBhHiIlLqQefdg"
_FLOAT_LOOPS = "efdg"

# The ml_dtypes types the relu family has loops for (same type out).
ML_FLOAT_TYPES = (
    "bfloat16",
    "float8_e3m4",
    "float8_e4m3",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e4m3b11fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float6_e2m3fn",
    "float6_e3m2fn",
    "float4_e2m1fn",
)
ML_INT_TYPES = ("int4", "uint4", "int2", "uint2")
ML_TYPES = ML_FLOAT_TYPES + ML_INT_TYPES


# --------------------------------------------------------------------------- operands


# NumPy before 2.0 promotes by value (NEP 50 replaced that with weak scalars).
_LEGACY_PROMOTION = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def _is_ml_dtype(dtype: np.dtype[Any]) -> bool:
    """A type from ``ml_dtypes``, told without importing it."""
    return getattr(dtype.type, "__module__", "") == "ml_dtypes"


def _has_ml_loop(dtype: np.dtype[Any]) -> bool:
    return _is_ml_dtype(dtype) and dtype.name in ML_TYPES


def _is_python_scalar(v: object) -> bool:
    """A Python int, float or complex: a weak scalar for NumPy (NEP 50).
    (A Python bool is not weak: it is ``np.bool_``.)"""
    return type(v) in (int, float, complex)


def _native(a: NDArray[Any]) -> NDArray[Any]:
    """``a`` in native byte order (the bits of each value unchanged)."""
    if a.dtype.byteorder not in "=|":
        return a.astype(a.dtype.newbyteorder("="))
    return a


def _unary_loop_dtype(name: str, a: NDArray[Any]) -> np.dtype[Any]:
    """The loop NumPy picks for one operand: an exact match first (an
    ``ml_dtypes`` loop included), else the first loop, in registration order,
    that the operand casts to safely (bool -> int8)."""
    dt = a.dtype
    if dt.kind in "biuf" and dt.char in _UNARY_LOOPS:
        return dt.newbyteorder("=")
    if _has_ml_loop(dt):
        return dt
    for char in _UNARY_LOOPS:
        if np.can_cast(dt, char, "safe"):
            return np.dtype(char)
    raise TypeError(f"{name}: unsupported dtype {dt}")


def _as_input(name: str, x: ArrayLike) -> NDArray[Any]:
    """The operand as a unary loop sees it: cast to the loop's dtype, native."""
    a = np.asarray(x)
    dtype = _unary_loop_dtype(name, a)
    return _native(a) if a.dtype == dtype else a.astype(dtype)


def _builtin_stand_in(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """For an ``ml_dtypes`` type with no loop of its own: the first float loop
    it casts to safely, as NumPy's search over the loops finds it."""
    for char in _FLOAT_LOOPS:
        if np.can_cast(dtype, char, "safe"):
            return np.dtype(char)
    return dtype  # no loop at all: left for NumPy's resolution to refuse


def _probe(v: object, ml_loops: bool) -> Any:
    """A stand-in for an operand in dtype resolution.  Only the dtype of an
    array matters, so an empty array of that dtype stands in for it; scalars
    and 0-d arrays go as they are, since their values may (value-based
    casting before NumPy 2).  An ``ml_dtypes`` operand the ufunc has no loop
    for is replaced by the built-in type NumPy would cast it to."""
    if _is_python_scalar(v):
        return v
    a = np.asarray(v)
    if _is_ml_dtype(a.dtype) and not (ml_loops and a.dtype.name in ML_TYPES):
        return np.empty(0, _builtin_stand_in(a.dtype))
    return a if a.ndim == 0 else a.reshape(-1)[:0]


def _cast_source(v: object, by_value: bool = True) -> np.dtype[Any]:
    """The dtype NumPy checks for a safe cast of an operand to a user loop's
    type: a Python int by its value (its smallest type), a Python float or
    complex as float64 or complex128, anything else by its dtype.  Before
    NumPy 2, when every operand is a scalar, no value counts: a Python int
    is the default integer (``by_value=False``)."""
    if type(v) is int:
        return np.min_scalar_type(v) if by_value else np.dtype(int)
    if type(v) in (float, complex):
        return np.dtype(type(v))
    return np.asarray(v).dtype


def _ml_loop(operands: tuple[object, ...]) -> np.dtype[Any] | None:
    """relu_backward's ``(T, T) -> T`` loops for the ml_dtypes types, searched
    as NumPy searches loops registered for a user type: for each operand of
    such a type T in turn, the loop is taken when every operand casts safely
    to T."""
    by_value = not (_LEGACY_PROMOTION and all(np.asarray(o).ndim == 0 for o in operands))
    for v in operands:
        if _is_python_scalar(v):
            continue
        t = np.asarray(v).dtype
        if _has_ml_loop(t) and all(
                np.can_cast(_cast_source(o, by_value), t, "safe") for o in operands):
            return t
    return None


def _float_loop_dtype(name: str, *operands: object, ml_loops: bool = False) -> np.dtype[Any]:
    """The dtype NumPy's type resolution picks for ``operands`` among the
    loops ``e f d g`` (all operands and the output of one type).

    For two operands these are exactly the loops of ``np.nextafter``, so its
    resolution (weak Python scalars, value-based casting on old NumPy and
    all) is the rule.  relu_backward's loops for the ``ml_dtypes`` types
    (``ml_loops``) are searched first, as NumPy searches loops registered for
    user types; an ``ml_dtypes`` type with no loop stands in as the built-in
    type it casts to safely.  With three
    operands the search over a chain of loops picks the widest of the loops
    each operand needs, so each operand is resolved against every operand
    that is not a Python scalar (against which it is weak), or, when all are
    Python scalars (none is weak then), as arrays of their default dtypes.
    """
    if ml_loops:
        t = _ml_loop(operands)
        if t is not None:
            return t
    probes = [_probe(v, ml_loops) for v in operands]
    try:
        with np.errstate(all="ignore"):
            if len(probes) == 2:
                return np.asarray(np.nextafter(probes[0], probes[1])).dtype
            if _LEGACY_PROMOTION:
                # value-based casting looks at all operands at once
                common = np.result_type(*probes)
                loops = [c for c in _FLOAT_LOOPS if np.can_cast(common, c)]
                if not loops:
                    raise TypeError(common)
                return np.dtype(loops[0])
            anchors = [p for p, v in zip(probes, operands) if not _is_python_scalar(v)]
            if not anchors:
                probes = anchors = [np.asarray(p) for p in probes]
            found = {np.asarray(np.nextafter(p, q)).dtype for p in probes for q in anchors}
    except TypeError:
        kinds = ", ".join(
            type(v).__name__ if _is_python_scalar(v) else str(np.asarray(v).dtype)
            for v in operands)
        raise TypeError(f"{name}: unsupported operand types ({kinds})") from None
    return max(found, key=lambda d: _FLOAT_LOOPS.index(d.char))


def _as_loop_dtype(v: object, dtype: np.dtype[Any]) -> NDArray[Any]:
    """The operand converted to the loop's dtype, as NumPy converts it."""
    a = np.asarray(v)
    return _native(a) if a.dtype == dtype else a.astype(dtype)


def _positive(a: NDArray[Any]) -> NDArray[np.bool_]:
    """``a > 0``; False at NaN.  (Flags raised here do not matter.)"""
    with np.errstate(invalid="ignore"):
        positive: NDArray[np.bool_] = np.greater(a, 0)
    return positive


# --------------------------------------------------------------------------- ml_dtypes


def _ml_bits(a: NDArray[Any]) -> NDArray[Any]:
    """The storage of an ml_dtypes array as unsigned integers."""
    return a.view(f"u{a.dtype.itemsize}")


def _ml_positive(a: NDArray[Any]) -> NDArray[np.bool_]:
    """``x > 0`` by ``ml_dtypes``' conversion to float32 (exact for every
    format, integers included)."""
    return _positive(a.astype(np.float32))


def _ml_keep(a: NDArray[Any]) -> NDArray[np.bool_]:
    """relu keeps ``x`` where ``x > 0`` or NaN."""
    f = a.astype(np.float32)
    keep: NDArray[np.bool_] = _positive(f) | np.isnan(f)
    return keep


def _ml_select(mask: NDArray[np.bool_], bits: Any, dtype: np.dtype[Any]) -> NDArray[Any]:
    """``bits`` where ``mask``, else the all-zero pattern (+0 of every format)."""
    zero = np.zeros((), f"u{dtype.itemsize}")
    return np.asarray(np.where(mask, bits, zero)).view(dtype)


def _ml_one(dtype: np.dtype[Any]) -> NDArray[Any]:
    """The bits of 1 in the format, by ``ml_dtypes``' conversion."""
    return _ml_bits(np.ones((), np.float32).astype(dtype).reshape(1)).reshape(())


# --------------------------------------------------------------------------- the relu family


def relu(x: ArrayLike) -> NDArray[Any]:
    """``x`` where ``x > 0`` or NaN (same bits), else +0 in ``x``'s dtype.

    >>> relu(np.array([-1.0, -0.0, 2.0, np.nan], dtype=np.float32))
    array([ 0.,  0.,  2., nan], dtype=float32)
    """
    a = _as_input("relu", x)
    if _is_ml_dtype(a.dtype):
        return _ml_select(_ml_keep(a), _ml_bits(a), a.dtype)
    keep = _positive(a)
    if a.dtype.kind == "f":
        keep |= np.isnan(a)
    return np.where(keep, a, np.zeros((), a.dtype))


def relu_grad(x: ArrayLike) -> NDArray[Any]:
    """1 where ``x > 0``, else +0 (also at 0 and NaN), in ``x``'s dtype.

    >>> relu_grad(np.array([-1, 0, 5], dtype=np.int8))
    array([0, 0, 1], dtype=int8)
    """
    a = _as_input("relu_grad", x)
    if _is_ml_dtype(a.dtype):
        return _ml_select(_ml_positive(a), _ml_one(a.dtype), a.dtype)
    return _positive(a).astype(a.dtype)


def relu_backward(dy: ArrayLike, x: ArrayLike) -> NDArray[Any]:
    """``dy`` where ``x > 0`` (same bits), else +0.

    The dtype is the one NumPy picks for two operands among the float loops
    ``ee->e ff->f dd->d gg->g`` (integers promote to float as in ``np.sqrt``),
    and the ``(T, T) -> T`` loops of the ``ml_dtypes`` types.

    >>> relu_backward(np.array([np.inf, np.nan, 3.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 3.])
    """
    dtype = _float_loop_dtype("relu_backward", dy, x, ml_loops=True)
    d = _as_loop_dtype(dy, dtype)
    a = _as_loop_dtype(x, dtype)
    if _is_ml_dtype(dtype):
        d, a = np.broadcast_arrays(d, a)
        return _ml_select(_ml_positive(a), _ml_bits(d), dtype)
    return np.where(_positive(a), d, np.zeros((), dtype))


def relu_and_grad(x: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    """``(relu(x), relu_grad(x))``."""
    try:
        return relu(x), relu_grad(x)
    except TypeError as e:
        raise TypeError(str(e).replace("relu:", "relu_and_grad:", 1)) from None


# --------------------------------------------------------------------------- the leaky family


def _multiply(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
    """``np.multiply`` in the loop's dtype (its flags do not matter here)."""
    with np.errstate(all="ignore"):
        product: NDArray[Any] = np.multiply(a, b)
    return product


def leaky_relu(x: ArrayLike, negative_slope: ArrayLike) -> NDArray[Any]:
    """``x`` where ``x > 0`` or NaN (same bits), else ``x * negative_slope``.

    The dtype is the one NumPy picks among the loops ``ee ff dd gg``: a
    Python float slope keeps the array's dtype.  A slope array broadcasts
    (PReLU: one slope per channel).

    >>> leaky_relu(np.array([-2.0, -0.0, 3.0, np.nan], dtype=np.float32), 0.25)
    array([-0.5, -0. ,  3. ,  nan], dtype=float32)
    """
    dtype = _float_loop_dtype("leaky_relu", x, negative_slope)
    a, s = np.broadcast_arrays(_as_loop_dtype(x, dtype), _as_loop_dtype(negative_slope, dtype))
    keep = _positive(a) | np.isnan(a)
    return np.where(keep, a, _multiply(a, s))


def leaky_relu_grad(x: ArrayLike, negative_slope: ArrayLike) -> NDArray[Any]:
    """1 where ``x > 0``, else ``negative_slope`` (at 0 and NaN too).

    >>> leaky_relu_grad(np.array([-2.0, 0.0, 3.0, np.nan]), 0.25)
    array([0.25, 0.25, 1.  , 0.25])
    """
    dtype = _float_loop_dtype("leaky_relu_grad", x, negative_slope)
    a, s = np.broadcast_arrays(_as_loop_dtype(x, dtype), _as_loop_dtype(negative_slope, dtype))
    return np.where(_positive(a), np.ones((), dtype), s)


def leaky_relu_backward(dy: ArrayLike, x: ArrayLike, negative_slope: ArrayLike) -> NDArray[Any]:
    """``dy`` where ``x > 0`` (same bits), else ``dy * negative_slope``.

    >>> leaky_relu_backward(np.array([4.0, 4.0, 4.0]), np.array([-1.0, np.nan, 2.0]), 0.5)
    array([2., 2., 4.])
    """
    dtype = _float_loop_dtype("leaky_relu_backward", dy, x, negative_slope)
    d, a, s = np.broadcast_arrays(_as_loop_dtype(dy, dtype), _as_loop_dtype(x, dtype),
                                  _as_loop_dtype(negative_slope, dtype))
    return np.where(_positive(a), d, _multiply(d, s))
