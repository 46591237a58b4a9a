# cython: language_level=3
"""Registration of the nprelu ufuncs over the C loops of the chosen target."""

import os

import numpy as np

cimport numpy as cnp
from numpy cimport (
    NPY_BYTE, NPY_UBYTE, NPY_SHORT, NPY_USHORT, NPY_INT, NPY_UINT, NPY_LONG,
    NPY_ULONG, NPY_LONGLONG, NPY_ULONGLONG, NPY_FLOAT, NPY_DOUBLE,
    NPY_LONGDOUBLE, PyUFuncGenericFunction, PyUFunc_FromFuncAndData,
    PyUFunc_None,
)

cdef extern from "numpy/ndarraytypes.h":
    enum: NPY_HALF, NPY_USERDEF  # missing from numpy's .pxd

cnp.import_array()
cnp.import_ufunc()

cdef extern from "dispatch.h":
    ctypedef void (*nprelu_loop)(char **, const cnp.npy_intp *,
                                 const cnp.npy_intp *, void *) noexcept nogil
    enum:
        NPRELU_N_ALL_TYPES
        NPRELU_N_FLOAT_TYPES
        NPRELU_N_FORMAT_WIDTHS
        NPRELU_FORMAT_NARROW
        NPRELU_MAX_FORMATS
    ctypedef struct nprelu_format:
        const char *name
        unsigned bits
        unsigned short low_mask
    const nprelu_format nprelu_formats[]
    const int nprelu_n_formats
    ctypedef struct nprelu_leaky_format:
        const nprelu_format *format
        const unsigned char *products
    nprelu_leaky_format nprelu_leaky_formats[]
    ctypedef struct nprelu_kernels:
        nprelu_loop relu[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_grad[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_and_grad[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_backward[NPRELU_N_FLOAT_TYPES]
        nprelu_loop leaky_relu[NPRELU_N_FLOAT_TYPES]
        nprelu_loop leaky_relu_grad[NPRELU_N_FLOAT_TYPES]
        nprelu_loop leaky_relu_backward[NPRELU_N_FLOAT_TYPES]
        nprelu_loop format_relu[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_relu_grad[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_relu_and_grad[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_relu_backward[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_leaky_relu[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_leaky_relu_grad[NPRELU_N_FORMAT_WIDTHS]
        nprelu_loop format_leaky_relu_backward[NPRELU_N_FORMAT_WIDTHS]
        int streaming_stores
    ctypedef struct nprelu_target:
        const char *name
        const char *description
        const nprelu_kernels *kernels
    int nprelu_n_targets()
    const nprelu_target *nprelu_target_at(int index)
    int nprelu_target_supported(int index)

cdef extern from "cacheinfo.h":
    Py_ssize_t nprelu_stream_threshold
    size_t nprelu_last_level_cache_bytes()
    Py_ssize_t nprelu_threshold_for_cache(size_t llc_bytes)


# ---------------------------------------------------------------------------
# Target choice: the best target the CPU supports, or NPRELU_CPU_TARGET.
# ---------------------------------------------------------------------------

COMPILED_TARGETS = tuple(
    nprelu_target_at(i).name.decode() for i in range(nprelu_n_targets()))
SUPPORTED_TARGETS = tuple(
    t for i, t in enumerate(COMPILED_TARGETS) if nprelu_target_supported(i))


def choose_target(forced, compiled, supported):
    """The target to run: `forced` (a name, or empty for the best supported)."""
    forced = forced.strip().lower()
    if not forced:
        return supported[-1]
    if forced not in compiled:
        raise ImportError(
            f"NPRELU_CPU_TARGET={forced!r}: this build of nprelu has no such "
            f"target; compiled targets: {', '.join(compiled)}")
    if forced not in supported:
        raise ImportError(
            f"NPRELU_CPU_TARGET={forced!r}: target is not supported by this "
            f"CPU; supported targets: {', '.join(supported)}")
    return forced


ACTIVE_TARGET = choose_target(
    os.environ.get("NPRELU_CPU_TARGET", ""), COMPILED_TARGETS, SUPPORTED_TARGETS)
cdef const nprelu_kernels *kernels = nprelu_target_at(
    COMPILED_TARGETS.index(ACTIVE_TARGET)).kernels

# ---------------------------------------------------------------------------
# Streaming stores: from which output size (bytes, per loop call) the
# contiguous loops write around the cache.  Derived from the last-level cache
# size; NPRELU_STREAM_THRESHOLD=<bytes> overrides it (a testing aid).
# ---------------------------------------------------------------------------

STREAMING_STORES = bool(kernels.streaming_stores)
LAST_LEVEL_CACHE = int(nprelu_last_level_cache_bytes())


def stream_threshold(forced, llc_bytes):
    """Bytes from which outputs are streamed, or None for never."""
    forced = forced.strip()
    if forced:
        try:
            value = int(forced)
        except ValueError:
            value = -1
        if value < 0:
            raise ImportError(
                f"NPRELU_STREAM_THRESHOLD={forced!r}: expected a number of "
                f"bytes (an integer >= 0)")
        return value
    value = nprelu_threshold_for_cache(llc_bytes)
    return None if value == PY_SSIZE_T_MAX else value


cdef extern from *:
    Py_ssize_t PY_SSIZE_T_MAX

STREAM_THRESHOLD = stream_threshold(
    os.environ.get("NPRELU_STREAM_THRESHOLD", ""), LAST_LEVEL_CACHE)


def set_stream_threshold(nbytes):
    """Set the streaming threshold (bytes, or None for never); returns the
    previous one.  For benchmarks and tests that compare both store kinds in
    one process: not thread-safe against loops running at the same time."""
    global STREAM_THRESHOLD, nprelu_stream_threshold
    previous = STREAM_THRESHOLD
    if nbytes is not None and nbytes < 0:
        raise ValueError("the threshold is a number of bytes >= 0, or None")
    nprelu_stream_threshold = (PY_SSIZE_T_MAX if nbytes is None
                               else min(nbytes, PY_SSIZE_T_MAX))
    STREAM_THRESHOLD = nbytes
    return previous


set_stream_threshold(STREAM_THRESHOLD)

# ---------------------------------------------------------------------------
# Type tables.  NumPy keeps pointers to these arrays (and to the docstrings)
# without copying, so all are static.  Loop order follows kernels.h.
# ---------------------------------------------------------------------------

cdef char[NPRELU_N_ALL_TYPES] ALL_TYPES = [
    NPY_BYTE, NPY_UBYTE, NPY_SHORT, NPY_USHORT, NPY_INT, NPY_UINT, NPY_LONG,
    NPY_ULONG, NPY_LONGLONG, NPY_ULONGLONG,
    NPY_HALF, NPY_FLOAT, NPY_DOUBLE, NPY_LONGDOUBLE,
]

# Per loop: the input and output types, all equal.
cdef char[2 * NPRELU_N_ALL_TYPES] types_1_1
cdef char[3 * NPRELU_N_ALL_TYPES] types_1_2
cdef char[3 * NPRELU_N_FLOAT_TYPES] types_2_1
cdef char[4 * NPRELU_N_FLOAT_TYPES] types_3_1
cdef int i
for i in range(NPRELU_N_ALL_TYPES):
    types_1_1[2 * i] = types_1_1[2 * i + 1] = ALL_TYPES[i]
    types_1_2[3 * i] = types_1_2[3 * i + 1] = types_1_2[3 * i + 2] = ALL_TYPES[i]
for i in range(NPRELU_N_FLOAT_TYPES):
    types_2_1[3 * i] = types_2_1[3 * i + 1] = types_2_1[3 * i + 2] = (
        ALL_TYPES[NPRELU_N_ALL_TYPES - NPRELU_N_FLOAT_TYPES + i])
    types_3_1[4 * i] = types_3_1[4 * i + 1] = types_3_1[4 * i + 2] = (
        types_3_1[4 * i + 3]) = types_2_1[3 * i]

cdef void *no_data[NPRELU_N_ALL_TYPES]  # zero-initialised: the loops take no data
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_loops
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_grad_loops
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_and_grad_loops
cdef PyUFuncGenericFunction[NPRELU_N_FLOAT_TYPES] relu_backward_loops
cdef PyUFuncGenericFunction[NPRELU_N_FLOAT_TYPES] leaky_relu_loops
cdef PyUFuncGenericFunction[NPRELU_N_FLOAT_TYPES] leaky_relu_grad_loops
cdef PyUFuncGenericFunction[NPRELU_N_FLOAT_TYPES] leaky_relu_backward_loops
for i in range(NPRELU_N_ALL_TYPES):
    relu_loops[i] = <PyUFuncGenericFunction>kernels.relu[i]
    relu_grad_loops[i] = <PyUFuncGenericFunction>kernels.relu_grad[i]
    relu_and_grad_loops[i] = <PyUFuncGenericFunction>kernels.relu_and_grad[i]
for i in range(NPRELU_N_FLOAT_TYPES):
    relu_backward_loops[i] = <PyUFuncGenericFunction>kernels.relu_backward[i]
    leaky_relu_loops[i] = <PyUFuncGenericFunction>kernels.leaky_relu[i]
    leaky_relu_grad_loops[i] = <PyUFuncGenericFunction>kernels.leaky_relu_grad[i]
    leaky_relu_backward_loops[i] = (
        <PyUFuncGenericFunction>kernels.leaky_relu_backward[i])

# ---------------------------------------------------------------------------
# Docstrings (NumPy prepends the call signature itself).
# ---------------------------------------------------------------------------

cdef const char *RELU_DOC = """\
Rectified linear unit, elementwise: ``max(x, 0)``.

Parameters
----------
x : array_like
    Input array.  Integer, bool and floating types are supported.
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
y : ndarray or scalar
    ``x`` where ``x > 0``; ``+0`` where ``x`` is zero or negative (so
    ``-0.0`` gives ``+0.0``); NaN inputs are returned unchanged, bit for bit.
    Same dtype as ``x`` (bool gives int8).  This is a scalar if ``x`` is a
    scalar.

See Also
--------
relu_grad : the derivative of relu.
relu_and_grad : relu and its derivative in one pass.
numpy.maximum : elementwise maximum of two arrays.

Notes
-----
The loops work on the bit pattern of floating-point values, so for an
operand already in the loop's dtype they raise no floating-point exception
flag (no "invalid value" warning for any NaN, signalling ones included), and
float16 is handled without conversion.  Casts that NumPy performs around the
loop (``dtype=``, an ``out=`` of another dtype) raise what NumPy's casts
raise: ``relu(x, out=out64)`` with a float32 signalling NaN in ``x`` warns
"invalid value encountered in relu", although the cast raised the flag.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> nprelu.relu(np.array([-2.0, -0.0, 0.5, np.inf, np.nan]))
array([0. , 0. , 0.5, inf, nan])
>>> nprelu.relu(np.array([-3, 7], dtype=np.int16))
array([0, 7], dtype=int16)
"""

cdef const char *RELU_GRAD_DOC = """\
Derivative of the rectified linear unit, elementwise: 1 where ``x > 0``.

Parameters
----------
x : array_like
    Input array.  Integer, bool and floating types are supported.
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
g : ndarray or scalar
    1 where ``x > 0`` (including ``+inf``), else ``+0``: at zero, at
    negative values and at NaN.  Same dtype as ``x`` (bool gives int8).  This
    is a scalar if ``x`` is a scalar.

See Also
--------
relu : the function itself.
relu_backward : ``dy`` masked by ``x > 0``, the backward pass in one step.
relu_and_grad : relu and its derivative in one pass.

Notes
-----
The derivative at 0 is taken as 0, as PyTorch and JAX do.  NaN compares
quietly: no floating-point exception flag is raised for an operand already
in the loop's dtype.  Casts that NumPy performs around the loop (``dtype=``,
an ``out=`` of another dtype) raise what NumPy's casts raise.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> nprelu.relu_grad(np.array([-1.0, 0.0, 3.0, np.nan], dtype=np.float32))
array([0., 0., 1., 0.], dtype=float32)
"""

cdef const char *RELU_BACKWARD_DOC = """\
Backpropagate through relu: ``dy`` where ``x > 0``, else 0.

Parameters
----------
dy : array_like
    Gradient of the loss with respect to ``relu(x)``.
x : array_like
    The input that was given to relu in the forward pass.
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
dx : ndarray or scalar
    ``dy`` (same bits) where ``x > 0``, else ``+0``, even where ``dy`` is
    inf or NaN.  Floating-point only; the dtype is the promotion of ``dy``
    and ``x`` (integers promote to float as in ``np.sqrt``, bool to
    float16).  A Python float is cast to the other operand's dtype first
    (NEP 50): ``relu_backward(dy32, 1e-50)`` compares ``float32(1e-50)``,
    which is 0, so it is all zeros.

See Also
--------
relu_grad : the derivative alone.

Notes
-----
This is a select, not ``dy * relu_grad(x)``: a unit whose input was not
positive passes back exactly 0, never ``0 * inf = nan``, as PyTorch's
``threshold_backward`` does.  It reads both inputs once and writes once.

No floating-point exception flag is raised for operands already in the
loop's dtype.  Mixed dtypes are cast by NumPy first, and the casts raise
what NumPy's casts raise: a float32 signalling NaN beside a float64 array
warns "invalid value encountered in cast" (or "in relu_backward" when a
large operand is cast in chunks).

Having two inputs, ``relu_backward`` also has NumPy's ``reduce``,
``accumulate``, ``reduceat`` and ``outer``.  They fold
``relu_backward(acc, x[i])``: ``relu_backward.reduce(x)`` is ``x[0]`` where
every later element is positive, else +0, and an empty reduction raises.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> x = np.array([-1.0, 0.0, 2.0, 3.0])
>>> dy = np.array([10.0, 10.0, np.inf, -4.0])
>>> nprelu.relu_backward(dy, x)
array([ 0.,  0., inf, -4.])
"""

cdef const char *RELU_AND_GRAD_DOC = """\
relu and its derivative in one pass over ``x``.

Parameters
----------
x : array_like
    Input array.  Integer, bool and floating types are supported.
out1, out2 : ndarray or None, optional
    Locations for the two results; or pass ``out=(out1, out2)``.
where : array_like, optional
    Where False, the outputs keep their previous values.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
y : ndarray or scalar
    ``relu(x)``, same dtype as ``x`` (bool gives int8).
g : ndarray or scalar
    ``relu_grad(x)``, same dtype as ``x`` (bool gives int8).

See Also
--------
relu, relu_grad : the two results separately.

Notes
-----
Reading ``x`` once makes this faster than the two calls when memory
bandwidth is the limit, as it is for large arrays.  With one array for both
outputs, ``out=(a, a)``, NumPy copies nothing and ``a`` ends up holding
``relu_grad(x)``: each gradient is written after its value.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> y, g = nprelu.relu_and_grad(np.array([-1.0, 0.0, 2.0]))
>>> y
array([0., 0., 2.])
>>> g
array([0., 0., 1.])
"""

cdef const char *LEAKY_RELU_DOC = """\
The slope is positional and has no default: call
``nprelu.leaky_relu(x, 0.01)``.  ``leaky_relu(x, negative_slope=0.01)`` and
``leaky_relu(x)`` raise ``TypeError`` (a ufunc's inputs cannot be passed by
keyword; PyTorch's default slope is 0.01).

Leaky rectified linear unit, elementwise: ``x`` where ``x > 0``, else
``x * negative_slope``.

Parameters
----------
x : array_like
    Input array (floating point; integers promote to float as in
    ``np.sqrt``).
negative_slope : array_like
    The slope for ``x <= 0``.  A Python float keeps the dtype of ``x``; an
    array broadcasts against ``x``, so one slope per channel gives PReLU.
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
y : ndarray or scalar
    ``x`` (same bits) where ``x > 0`` or ``x`` is NaN; elsewhere (zeros,
    negative values, ``-inf``) the product ``x * negative_slope`` rounded as
    ``np.multiply`` rounds it in the loop's dtype.

See Also
--------
leaky_relu_grad : the derivative.
leaky_relu_backward : the backward pass in one step.
relu : the case ``negative_slope = 0`` (up to the sign of zero).

Notes
-----
Only elements whose result is the product are multiplied, so an element
``x > 0`` never raises a floating-point flag (no overflow from
``3e38 * 10``, no invalid from ``0 * inf``); where the result is a product,
the flags are those of ``np.multiply`` for that element.  float16 products
are computed exactly in float32 and rounded once, as ``np.multiply`` does.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> nprelu.leaky_relu(np.array([-2.0, 0.0, 3.0], dtype=np.float32), 0.1)
array([-0.2,  0. ,  3. ], dtype=float32)

PReLU, one slope per channel (the last axis), by broadcasting:

>>> x = np.array([[-1.0, -1.0], [2.0, -4.0]])
>>> nprelu.leaky_relu(x, np.array([0.1, 0.5]))
array([[-0.1, -0.5],
       [ 2. , -2. ]])
"""

cdef const char *LEAKY_RELU_GRAD_DOC = """\
The slope is positional and has no default: call
``nprelu.leaky_relu_grad(x, 0.01)``.  ``negative_slope=0.01`` as a keyword
raises ``TypeError`` (a ufunc's inputs cannot be passed by keyword).

Derivative of the leaky ReLU, elementwise: 1 where ``x > 0``, else
``negative_slope``.

Parameters
----------
x : array_like
    Input array (floating point).
negative_slope : array_like
    The slope for ``x <= 0``; broadcasts against ``x``.
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
g : ndarray or scalar
    1 where ``x > 0`` (including ``+inf``), else ``negative_slope`` (at
    zero, at negative values and at NaN).

See Also
--------
leaky_relu : the function itself.
leaky_relu_backward : ``dy`` scaled by this derivative, in one step.

Notes
-----
No arithmetic is done, so no floating-point flag is raised.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> nprelu.leaky_relu_grad(np.array([-1.0, 0.0, 2.0, np.nan]), 0.01)
array([0.01, 0.01, 1.  , 0.01])
"""

cdef const char *LEAKY_RELU_BACKWARD_DOC = """\
The slope is positional and has no default: call
``nprelu.leaky_relu_backward(dy, x, 0.01)``, upstream gradient first.
``negative_slope=0.01`` as a keyword raises ``TypeError`` (a ufunc's inputs
cannot be passed by keyword).

Backpropagate through leaky_relu: ``dy`` where ``x > 0``, else
``dy * negative_slope``.

Parameters
----------
dy : array_like
    Gradient of the loss with respect to ``leaky_relu(x, negative_slope)``.
x : array_like
    The input that was given to leaky_relu in the forward pass.
negative_slope : array_like
    The slope for ``x <= 0``; broadcasts (PReLU: one per channel).
out : ndarray, None, or tuple of ndarray and None, optional
    A location into which the result is stored.
where : array_like, optional
    Where False, ``out`` keeps its previous value.
**kwargs
    For other keyword-only arguments, see the
    :ref:`ufunc docs <ufuncs.kwargs>`.

Returns
-------
dx : ndarray or scalar
    ``dy`` (same bits) where ``x > 0``; elsewhere (NaN ``x`` included)
    ``dy * negative_slope`` as ``np.multiply`` rounds it.

See Also
--------
leaky_relu_grad : the derivative alone.
relu_backward : the same for relu.

Notes
-----
One pass over the three operands; only the elements whose result is the
product are multiplied.  The gradient with respect to a PReLU slope is
``np.where(x > 0, 0, dy * x)`` summed over the broadcast axes.

Examples
--------
>>> import numpy as np
>>> import nprelu
>>> x = np.array([[-1.0, 3.0], [2.0, -4.0]])
>>> dy = np.ones_like(x)
>>> nprelu.leaky_relu_backward(dy, x, np.array([0.1, 0.5]))
array([[0.1, 1. ],
       [1. , 0.5]])
"""

# ---------------------------------------------------------------------------
# The ufuncs.  The C name must equal the exported name (pickling finds a
# ufunc by __name__ in its module).
# ---------------------------------------------------------------------------

relu = PyUFunc_FromFuncAndData(
    relu_loops, no_data, types_1_1, NPRELU_N_ALL_TYPES, 1, 1, PyUFunc_None,
    "relu", RELU_DOC, 0)
relu_grad = PyUFunc_FromFuncAndData(
    relu_grad_loops, no_data, types_1_1, NPRELU_N_ALL_TYPES, 1, 1, PyUFunc_None,
    "relu_grad", RELU_GRAD_DOC, 0)
relu_and_grad = PyUFunc_FromFuncAndData(
    relu_and_grad_loops, no_data, types_1_2, NPRELU_N_ALL_TYPES, 1, 2, PyUFunc_None,
    "relu_and_grad", RELU_AND_GRAD_DOC, 0)
relu_backward = PyUFunc_FromFuncAndData(
    relu_backward_loops, no_data, types_2_1, NPRELU_N_FLOAT_TYPES, 2, 1, PyUFunc_None,
    "relu_backward", RELU_BACKWARD_DOC, 0)
leaky_relu = PyUFunc_FromFuncAndData(
    leaky_relu_loops, no_data, types_2_1, NPRELU_N_FLOAT_TYPES, 2, 1,
    PyUFunc_None, "leaky_relu", LEAKY_RELU_DOC, 0)
leaky_relu_grad = PyUFunc_FromFuncAndData(
    leaky_relu_grad_loops, no_data, types_2_1, NPRELU_N_FLOAT_TYPES, 2, 1,
    PyUFunc_None, "leaky_relu_grad", LEAKY_RELU_GRAD_DOC, 0)
leaky_relu_backward = PyUFunc_FromFuncAndData(
    leaky_relu_backward_loops, no_data, types_3_1, NPRELU_N_FLOAT_TYPES, 3, 1,
    PyUFunc_None, "leaky_relu_backward", LEAKY_RELU_BACKWARD_DOC, 0)

# ---------------------------------------------------------------------------
# ml_dtypes: loops for its formats (formats.c), added to the relu family
# when ml_dtypes is imported (__init__.py says when).  One loop per storage
# kind, handed its format's constants as the loop data; NumPy keeps the data
# pointer, so the table is static, and so are the type arrays.
# ---------------------------------------------------------------------------

from cpython.pycapsule cimport PyCapsule_New
from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF
from cpython.exc cimport PyErr_ExceptionMatches, PyErr_Clear

cdef extern from "numpy/arrayobject.h":
    ctypedef struct PyArray_DTypeMeta:
        pass
    PyArray_DTypeMeta *PyArray_PromoteDTypeSequence(
        cnp.npy_intp length, PyArray_DTypeMeta **dtypes)
    # The DTypes of Python int, float and complex operands (NEP 50).
    PyArray_DTypeMeta PyArray_PyLongDType
    PyArray_DTypeMeta PyArray_PyFloatDType
    PyArray_DTypeMeta PyArray_PyComplexDType

cdef extern from "numpy/ufuncobject.h":
    int PyUFunc_AddPromoter(object ufunc, object dtypes, object promoter) except -1

cdef int format_types[NPRELU_MAX_FORMATS][3]
cdef int format_types4[NPRELU_MAX_FORMATS][4]
# format name -> the products table of its leaky loops (kept alive here:
# the loops read it through nprelu_leaky_formats)
_product_tables = {}


def is_float_format(name):
    """A float format of the table (the leaky family has loops for these);
    the others are integers."""
    return not name.startswith(("int", "uint"))


def product_table(dtype):
    """x * a for every pair of stored bytes of an 8-bit format, as
    ml_dtypes' own np.multiply rounds it, as a C-contiguous (256, 256)
    array of bytes indexed [a, x]: the products of one slope are one row."""
    b = np.arange(256, dtype=np.uint8).view(dtype)
    with np.errstate(all="ignore"):
        products = np.multiply(b[:, None], b[None, :])
    return np.ascontiguousarray(products.view(np.uint8).T)


# format name -> its dtype, for the formats with loops
_registered_formats = {}


# The DTypes that have format loops (NumPy keeps them alive: they are
# registered types); the promoter takes only these.
cdef PyArray_DTypeMeta *format_dtypes[NPRELU_MAX_FORMATS]
cdef int format_is_float[NPRELU_MAX_FORMATS]
cdef int n_format_dtypes = 0


cdef inline int is_python_scalar(PyArray_DTypeMeta *dt) noexcept:
    return (dt == &PyArray_PyLongDType or dt == &PyArray_PyFloatDType
            or dt == &PyArray_PyComplexDType)


cdef int promote(PyObject *ufunc, PyArray_DTypeMeta **op_dtypes,
                 PyArray_DTypeMeta **signature, PyArray_DTypeMeta **new_op_dtypes,
                 bint floats_only) noexcept:
    """A NumPy promoter (``PyArrayMethod_PromoterFunction``) beside the
    loops of the ml_dtypes types: where NumPy's promotion rules (extended by
    ml_dtypes for its own types) give the inputs a common DType that has a
    format loop (a float format's, with ``floats_only``), every operand
    takes it; elsewhere NumPy's legacy loop search decides, as it does for
    np.add's legacy loops.  So a Python float beside a bfloat16 array is
    bfloat16 where ml_dtypes makes Python scalars weak for its types."""
    cdef cnp.ufunc uf = <cnp.ufunc>ufunc
    cdef PyArray_DTypeMeta *inputs[8]
    cdef cnp.npy_intp n = 0
    cdef int i, weak
    if uf.nin > 8:
        return -1
    # The operands' own DTypes first, the Python scalars' after them: NumPy
    # asks the first DType of a pair for the common one, and Python float's
    # answer beside a user type is the old float16-based guess (float32 for
    # bfloat16) even where the user type says its own type.
    for weak in range(2):
        for i in range(uf.nin):
            if op_dtypes[i] != NULL and is_python_scalar(op_dtypes[i]) == weak:
                inputs[n] = op_dtypes[i]
                n += 1
    cdef PyArray_DTypeMeta *common = PyArray_PromoteDTypeSequence(n, inputs)
    if common == NULL:
        if PyErr_ExceptionMatches(TypeError):
            PyErr_Clear()  # no common DType: the legacy search decides
        return -1
    cdef int has_loop = 0
    for i in range(n_format_dtypes):
        if format_dtypes[i] == common and (format_is_float[i] or not floats_only):
            has_loop = 1
    if not has_loop:
        # Returning -1 with no error set hands the operands to NumPy's
        # legacy type resolution (the loop search by safe casts).
        Py_DECREF(<object><PyObject *>common)
        return -1
    cdef PyArray_DTypeMeta *chosen
    for i in range(uf.nargs):
        chosen = signature[i] if signature[i] != NULL else common
        Py_INCREF(<object><PyObject *>chosen)
        new_op_dtypes[i] = chosen
    Py_DECREF(<object><PyObject *>common)
    return 0


cdef int any_format_promoter(
        PyObject *ufunc, PyArray_DTypeMeta **op_dtypes,
        PyArray_DTypeMeta **signature, PyArray_DTypeMeta **new_op_dtypes) noexcept:
    """For relu_backward, which has loops for every format."""
    return promote(ufunc, op_dtypes, signature, new_op_dtypes, False)


cdef int float_format_promoter(
        PyObject *ufunc, PyArray_DTypeMeta **op_dtypes,
        PyArray_DTypeMeta **signature, PyArray_DTypeMeta **new_op_dtypes) noexcept:
    """For the leaky family, which has loops for the float formats only."""
    return promote(ufunc, op_dtypes, signature, new_op_dtypes, True)


cdef object ANY_FORMAT_PROMOTER = PyCapsule_New(
    <void *>any_format_promoter, "numpy._ufunc_promoter", NULL)
cdef object FLOAT_FORMAT_PROMOTER = PyCapsule_New(
    <void *>float_format_promoter, "numpy._ufunc_promoter", NULL)


cdef add_loop(ufunc, int type_num, nprelu_loop loop, int *types, void *data):
    cnp.PyUFunc_RegisterLoopForType(
        ufunc, type_num, <PyUFuncGenericFunction>loop, types, data)


def add_promoters(ufunc, dtypes, promoter):
    """``promoter`` (one of the two above) for the operand DTypes of
    ``ufunc`` that hold one of ``dtypes``.  Two inputs: for those types T and U, ``(T, U)`` (U may
    be T) first, then ``(T, any)`` and ``(any, T)``: NumPy takes the most
    specific match but refuses two equally specific ones met in turn, so the
    pairs come first (``(T, any)`` and ``(any, U)`` tie for ``(T, U)``), as
    ml_dtypes orders its own.  Three inputs (leaky_relu_backward(dy, x, a)):
    ``(any, T, any)``, keyed on x alone, so that no two keys can tie.
    Operands of NumPy's own types alone meet no promoter: their resolution
    is NumPy's loop search, unchanged."""
    metas = [type(d) for d in dtypes]
    if ufunc.nin == 2:
        keys = [(a, b) for a in metas for b in metas]
        keys += [k for m in metas for k in ((m, None), (None, m))]
    elif ufunc.nin == 3:
        keys = [(None, m, None) for m in metas]
    else:
        return
    for key in keys:
        PyUFunc_AddPromoter(ufunc, key + (None,) * ufunc.nout, promoter)


def format_dtype_problem(name, dtype, unsigned bits):
    """Why ``dtype`` cannot take the loops of the table's format ``name``
    (storage of ``bits`` bits), or None: the loops read and write exactly
    bits / 8 bytes per element, aligned to that size, of a type of its own."""
    if dtype.num < NPY_USERDEF:
        return f"it is NumPy's own {dtype.name}, not a user-defined type"
    if dtype.itemsize * 8 != bits or dtype.alignment * 8 != bits:
        return (f"itemsize {dtype.itemsize} and alignment {dtype.alignment} "
                f"do not match the {bits}-bit format nprelu knows")
    return None


cdef register_leaky(int k, int w, int t, dtype, name):
    """The leaky family's loops for float format k (storage kind w, type
    number t), with its products table for 8-bit storage."""
    cdef cnp.ndarray products
    nprelu_leaky_formats[k].format = &nprelu_formats[k]
    nprelu_leaky_formats[k].products = NULL
    if nprelu_formats[k].bits == 8:
        products = product_table(dtype)
        _product_tables[name] = products
        nprelu_leaky_formats[k].products = <const unsigned char *>cnp.PyArray_DATA(products)
    format_types4[k][0] = format_types4[k][1] = format_types4[k][2] = t
    format_types4[k][3] = t
    cdef void *data = <void *>&nprelu_leaky_formats[k]
    add_loop(leaky_relu, t, kernels.format_leaky_relu[w], format_types[k], data)
    add_loop(leaky_relu_grad, t, kernels.format_leaky_relu_grad[w], format_types[k], data)
    add_loop(leaky_relu_backward, t, kernels.format_leaky_relu_backward[w],
             format_types4[k], data)


def ml_dtypes_promotes(ml_dtypes):
    """Whether this ml_dtypes registers promoters beside its own loops (0.7
    and later: a Python float beside its types is weak, np.add(bf16, 1.0) is
    bfloat16).  nprelu does exactly when it does, so that its ufuncs resolve
    as NumPy's own do under each release; before 0.7 neither has any, and
    NumPy's loop search decides for both alike."""
    try:
        major, minor = (int(p) for p in str(ml_dtypes.__version__).split(".")[:2])
    except (AttributeError, ValueError):
        return True  # a release that does not say: the newest behaviour
    return (major, minor) >= (0, 7)


def register_formats(ml_dtypes):
    """Add the loops (and promoters) for every format of the table that
    ``ml_dtypes`` has, once per type; returns the names registered so far.

    A format this version of ml_dtypes lacks is left out; one whose dtype
    does not match the table (itemsize, alignment) is skipped with a
    RuntimeWarning naming it.  Not thread-safe by itself: __init__.py calls
    it under a lock.
    """
    import warnings
    global n_format_dtypes
    cdef int k, w, t
    cdef void *data
    added = []
    added_floats = []
    for k in range(nprelu_n_formats):
        name = nprelu_formats[k].name.decode()
        scalar_type = getattr(ml_dtypes, name, None)
        if scalar_type is None or name in _registered_formats:
            continue
        dtype = np.dtype(scalar_type)
        problem = format_dtype_problem(name, dtype, nprelu_formats[k].bits)
        if problem is not None:
            warnings.warn(f"nprelu: no loops for ml_dtypes.{name}: {problem}",
                          RuntimeWarning, stacklevel=2)
            continue
        t = dtype.num
        format_types[k][0] = format_types[k][1] = format_types[k][2] = t
        if nprelu_formats[k].bits == 16:
            w = 1
        elif nprelu_formats[k].low_mask == 0xFF:
            w = 0
        else:
            w = NPRELU_FORMAT_NARROW
        data = <void *>&nprelu_formats[k]
        add_loop(relu, t, kernels.format_relu[w], format_types[k], data)
        add_loop(relu_grad, t, kernels.format_relu_grad[w], format_types[k], data)
        add_loop(relu_and_grad, t, kernels.format_relu_and_grad[w],
                 format_types[k], data)
        add_loop(relu_backward, t, kernels.format_relu_backward[w],
                 format_types[k], data)
        meta = type(dtype)
        format_dtypes[n_format_dtypes] = <PyArray_DTypeMeta *><PyObject *>meta
        format_is_float[n_format_dtypes] = is_float_format(name)
        n_format_dtypes += 1
        added.append(dtype)
        _registered_formats[name] = dtype
        if is_float_format(name):
            register_leaky(k, w, t, dtype, name)
            added_floats.append(dtype)
    if ml_dtypes_promotes(ml_dtypes):
        add_promoters(relu_backward, added, ANY_FORMAT_PROMOTER)
        for ufunc in (leaky_relu, leaky_relu_grad, leaky_relu_backward):
            add_promoters(ufunc, added_floats, FLOAT_FORMAT_PROMOTER)
    return tuple(_registered_formats)


# ---------------------------------------------------------------------------
# The x86 decision of dispatch.c, callable with made-up register values so the
# tests can check it for CPUs and operating systems that are not at hand.
# ---------------------------------------------------------------------------

from libc.stdint cimport uint32_t, uint64_t

cdef extern from "dispatch.h":
    ctypedef struct nprelu_x86_cpu:
        uint32_t max_leaf
        uint32_t max_ext_leaf
        uint32_t leaf1_ecx
        uint32_t leaf7_ebx
        uint32_t leaf7_ecx
        uint32_t ext1_ecx
        uint64_t xcr0
        int os_avx512
    int nprelu_x86_has_v3(const nprelu_x86_cpu *cpu)
    int nprelu_x86_has_v4(const nprelu_x86_cpu *cpu)
    int nprelu_x86_has_v4_vbmi(const nprelu_x86_cpu *cpu)


def _x86_levels(uint32_t max_leaf, uint32_t max_ext_leaf, uint32_t leaf1_ecx,
                uint32_t leaf7_ebx, uint32_t ext1_ecx, uint64_t xcr0,
                int os_avx512, uint32_t leaf7_ecx=0):
    """``(x86-64-v3, x86-64-v4, x86-64-v4 with VBMI)`` as dispatch.c decides
    them from these CPUID/XGETBV values (``os_avx512``: 1, 0, or -1 to trust
    XCR0)."""
    cdef nprelu_x86_cpu c
    c.max_leaf = max_leaf
    c.max_ext_leaf = max_ext_leaf
    c.leaf1_ecx = leaf1_ecx
    c.leaf7_ebx = leaf7_ebx
    c.leaf7_ecx = leaf7_ecx
    c.ext1_ecx = ext1_ecx
    c.xcr0 = xcr0
    c.os_avx512 = os_avx512
    return (bool(nprelu_x86_has_v3(&c)), bool(nprelu_x86_has_v4(&c)),
            bool(nprelu_x86_has_v4_vbmi(&c)))
