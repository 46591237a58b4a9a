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
decided by ``ml_dtypes``' own conversion to float32 of each stored byte
(whatever its bits above a sub-byte format's width), and the results are the
canonical bit patterns of the values read (relu, relu_backward; the bits
ml_dtypes writes for them), all-zero bits (+0), or the format's one.
Importing this module does not import ``ml_dtypes``.

Results are in native byte order, as the ufuncs return them.  Operands with
no loop raise ``TypeError`` naming the function.
"""

from __future__ import annotations

import sys
from typing import Any, cast

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
    "float8_e5m3fnu",
    "float6_e2m3fn",
    "float6_e3m2fn",
    "float4_e2m1fn",
)
ML_INT_TYPES = ("int4", "uint4", "int2", "uint2")
ML_TYPES = ML_FLOAT_TYPES + ML_INT_TYPES


# --------------------------------------------------------------------------- operands


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


def _casts_safely(v: object, to: np.dtype[Any], weak: bool) -> bool:
    """Whether NumPy's loop search takes operand ``v`` for a loop of type
    ``to``: an array or NumPy scalar by a safe cast of its dtype; a weak
    Python int or float (NEP 50) to any of the float loops, and to an
    ``ml_dtypes`` loop where NumPy's promotion of that type with the scalar
    is the type itself; a Python scalar otherwise as its default dtype
    (int64, float64, complex128)."""
    if _is_python_scalar(v):
        if weak and type(v) is not complex and to.char in _FLOAT_LOOPS:
            return True
        if weak and _is_ml_dtype(to):
            try:
                return bool(np.result_type(to, cast(complex, v)) == to)
            except (TypeError, OverflowError):
                return False
        return np.can_cast(np.asarray(v).dtype, to, "safe")
    return np.can_cast(np.asarray(v).dtype, to, "safe")


def _unsupported(name: str, operands: tuple[object, ...]) -> TypeError:
    kinds = ", ".join(
        type(v).__name__ if _is_python_scalar(v) else str(np.asarray(v).dtype)
        for v in operands)
    return TypeError(f"{name}: unsupported operand types ({kinds})")


def _ml_dtypes_promotes() -> bool:
    """Whether the imported ml_dtypes registers promoters beside its loops
    (0.7 and later), as nprelu then does beside its own.  Asked only when an
    ml_dtypes operand exists, so ml_dtypes is imported."""
    version = str(getattr(sys.modules.get("ml_dtypes"), "__version__", "0.7"))
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return (major, minor) >= (0, 7)


def _loop_dtype(name: str, *operands: object, ml_loops: tuple[str, ...] = (),
                promoted_at: tuple[int, ...] | None = None) -> np.dtype[Any]:
    """The loop (all operands and the output of one type) that NumPy
    resolves ``operands`` to, among the float loops ``e f d g`` and, with
    ``ml_loops``, the ``(T, ..., T) -> T`` loops of the ``ml_dtypes`` types.

    The rule, written out rather than borrowed from a NumPy function whose
    loops a third party may extend:

    0. Operands of NumPy's own types and Python scalars only: the first
       float loop that every array casts to safely, each Python scalar as
       the type NumPy's promotion gives it with the arrays
       (``np.result_type``, NEP 50: int8 and 1.0 need float64, float16 and
       1.0 float16, int8 alone float16).

    With an ``ml_dtypes`` operand:

    1. Where an operand (at a position of ``promoted_at``, or any) is an
       ``ml_dtypes`` type with a loop (``ml_loops``, the names): the common
       dtype of the operands by NumPy's promotion (``np.result_type``, the
       operands' own dtypes first and the Python scalars after them, which
       ml_dtypes' rules then treat as weak or not), when it is such a type
       (nprelu's promoter, keyed on those positions);
    2. otherwise the first loop, ``ml_dtypes`` loops first (in operand
       order), then ``e f d g``, that every operand casts to safely
       (``_casts_safely``); Python scalars are weak unless every operand is
       one.
    """
    concrete = [v for v in operands if not _is_python_scalar(v)]
    weak = len(concrete) > 0
    if not any(_is_ml_dtype(np.asarray(v).dtype) for v in concrete):
        # NumPy's own types and Python scalars: the first float loop that
        # every array casts to safely, and every Python scalar as the type
        # it promotes to with the arrays (NEP 50: int8 and 1.0 is float64,
        # float16 and 1.0 float16; alone, its default type).
        dtypes = [np.asarray(v).dtype for v in concrete]
        try:
            stand_ins = [np.result_type(*dtypes, cast(complex, v)) if _is_python_scalar(v)
                         else np.asarray(v).dtype for v in operands]
        except (TypeError, OverflowError):
            stand_ins = []
        for char in _FLOAT_LOOPS:
            if stand_ins and all(np.can_cast(d, char, "safe") for d in stand_ins):
                return np.dtype(char)
        raise _unsupported(name, operands)
    def has_loop(d: np.dtype[Any]) -> bool:
        return _is_ml_dtype(d) and d.name in ml_loops

    keyed = [v for i, v in enumerate(operands)
             if (promoted_at is None or i in promoted_at) and not _is_python_scalar(v)]
    if _ml_dtypes_promotes() and any(has_loop(np.asarray(v).dtype) for v in keyed):
        scalars = [cast(complex, v) for v in operands if _is_python_scalar(v)]
        try:
            common = np.result_type(*[np.asarray(v).dtype for v in concrete], *scalars)
        except TypeError:
            common = None
        if common is not None and has_loop(common):
            return common
    candidates = [np.asarray(v).dtype for v in concrete if has_loop(np.asarray(v).dtype)]
    candidates += [np.dtype(c) for c in _FLOAT_LOOPS]
    for loop in candidates:
        if all(_casts_safely(v, loop, weak) for v in operands):
            return loop
    raise _unsupported(name, operands)


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


def _ml_canonical(a: NDArray[Any]) -> NDArray[Any]:
    """The bits ml_dtypes writes for the values it reads from ``a``: each
    value converted to float32 and back (exact: float32 holds every value
    of every format), NaN patterns as they are.  A byte of a sub-byte type
    with bits set above the format's width becomes its canonical pattern;
    every other pattern maps to itself."""
    f = a.astype(np.float32)
    with np.errstate(all="ignore"):
        back = _ml_bits(f.astype(a.dtype))
    bits: NDArray[Any] = np.where(np.isnan(f), _ml_bits(a), back)
    return bits


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
        return _ml_select(_ml_keep(a), _ml_canonical(a), a.dtype)
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
    dtype = _loop_dtype("relu_backward", dy, x, ml_loops=ML_TYPES)
    d = _as_loop_dtype(dy, dtype)
    a = _as_loop_dtype(x, dtype)
    if _is_ml_dtype(dtype):
        d, a = np.broadcast_arrays(d, a)
        return _ml_select(_ml_positive(a), _ml_canonical(d), dtype)
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

    The dtype is the one NumPy picks among the loops ``ee ff dd gg`` and the
    ``(T, T) -> T`` loops of the ``ml_dtypes`` float types: a Python float
    slope keeps the array's dtype.  A slope array broadcasts (PReLU: one
    slope per channel).  For an ``ml_dtypes`` type the product is
    ``np.multiply``'s, ml_dtypes' own.

    >>> leaky_relu(np.array([-2.0, -0.0, 3.0, np.nan], dtype=np.float32), 0.25)
    array([-0.5, -0. ,  3. ,  nan], dtype=float32)
    """
    dtype = _loop_dtype("leaky_relu", x, negative_slope, ml_loops=ML_FLOAT_TYPES)
    a, s = np.broadcast_arrays(_as_loop_dtype(x, dtype), _as_loop_dtype(negative_slope, dtype))
    if _is_ml_dtype(dtype):
        product = _ml_bits(np.ascontiguousarray(_multiply(a, s)))
        bits: NDArray[Any] = np.where(_ml_keep(a), _ml_canonical(a), product)
        return bits.view(dtype)
    keep = _positive(a) | np.isnan(a)
    return np.where(keep, a, _multiply(a, s))


def leaky_relu_grad(x: ArrayLike, negative_slope: ArrayLike) -> NDArray[Any]:
    """1 where ``x > 0``, else ``negative_slope`` (at 0 and NaN too).

    >>> leaky_relu_grad(np.array([-2.0, 0.0, 3.0, np.nan]), 0.25)
    array([0.25, 0.25, 1.  , 0.25])
    """
    dtype = _loop_dtype("leaky_relu_grad", x, negative_slope, ml_loops=ML_FLOAT_TYPES)
    a, s = np.broadcast_arrays(_as_loop_dtype(x, dtype), _as_loop_dtype(negative_slope, dtype))
    if _is_ml_dtype(dtype):
        bits: NDArray[Any] = np.where(_ml_positive(a), _ml_one(dtype), _ml_canonical(s))
        return bits.view(dtype)
    return np.where(_positive(a), np.ones((), dtype), s)


def leaky_relu_backward(dy: ArrayLike, x: ArrayLike, negative_slope: ArrayLike) -> NDArray[Any]:
    """``dy`` where ``x > 0`` (same bits), else ``dy * negative_slope``.

    >>> leaky_relu_backward(np.array([4.0, 4.0, 4.0]), np.array([-1.0, np.nan, 2.0]), 0.5)
    array([2., 2., 4.])
    """
    dtype = _loop_dtype("leaky_relu_backward", dy, x, negative_slope,
                        ml_loops=ML_FLOAT_TYPES, promoted_at=(1,))
    d, a, s = np.broadcast_arrays(_as_loop_dtype(dy, dtype), _as_loop_dtype(x, dtype),
                                  _as_loop_dtype(negative_slope, dtype))
    if _is_ml_dtype(dtype):
        product = _ml_bits(np.ascontiguousarray(_multiply(d, s)))
        bits: NDArray[Any] = np.where(_ml_positive(a), _ml_canonical(d), product)
        return bits.view(dtype)
    return np.where(_positive(a), d, _multiply(d, s))
