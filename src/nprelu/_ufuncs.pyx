# cython: language_level=3
"""Registration of the nprelu ufuncs over the C loops of the chosen target."""

import os

cimport numpy as cnp
from numpy cimport (
    NPY_BYTE, NPY_UBYTE, NPY_SHORT, NPY_USHORT, NPY_INT, NPY_UINT, NPY_LONG,
    NPY_ULONG, NPY_LONGLONG, NPY_ULONGLONG, NPY_FLOAT, NPY_DOUBLE,
    NPY_LONGDOUBLE, PyUFuncGenericFunction, PyUFunc_FromFuncAndData,
    PyUFunc_None,
)

cdef extern from "numpy/ndarraytypes.h":
    enum: NPY_HALF  # missing from numpy's .pxd

cnp.import_array()
cnp.import_ufunc()

cdef extern from "dispatch.h":
    ctypedef void (*nprelu_loop)(char **, const cnp.npy_intp *,
                                 const cnp.npy_intp *, void *) noexcept nogil
    enum:
        NPRELU_N_ALL_TYPES
        NPRELU_N_FLOAT_TYPES
    ctypedef struct nprelu_kernels:
        nprelu_loop relu[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_grad[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_and_grad[NPRELU_N_ALL_TYPES]
        nprelu_loop relu_backward[NPRELU_N_FLOAT_TYPES]
    ctypedef struct nprelu_target:
        const char *name
        const char *description
        const nprelu_kernels *kernels
    int nprelu_n_targets()
    const nprelu_target *nprelu_target_at(int index)
    int nprelu_target_supported(int index)


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
cdef int i
for i in range(NPRELU_N_ALL_TYPES):
    types_1_1[2 * i] = types_1_1[2 * i + 1] = ALL_TYPES[i]
    types_1_2[3 * i] = types_1_2[3 * i + 1] = types_1_2[3 * i + 2] = ALL_TYPES[i]
for i in range(NPRELU_N_FLOAT_TYPES):
    types_2_1[3 * i] = types_2_1[3 * i + 1] = types_2_1[3 * i + 2] = (
        ALL_TYPES[NPRELU_N_ALL_TYPES - NPRELU_N_FLOAT_TYPES + i])

cdef void *no_data[NPRELU_N_ALL_TYPES]  # zero-initialised: the loops take no data
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_loops
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_grad_loops
cdef PyUFuncGenericFunction[NPRELU_N_ALL_TYPES] relu_and_grad_loops
cdef PyUFuncGenericFunction[NPRELU_N_FLOAT_TYPES] relu_backward_loops
for i in range(NPRELU_N_ALL_TYPES):
    relu_loops[i] = <PyUFuncGenericFunction>kernels.relu[i]
    relu_grad_loops[i] = <PyUFuncGenericFunction>kernels.relu_grad[i]
    relu_and_grad_loops[i] = <PyUFuncGenericFunction>kernels.relu_and_grad[i]
for i in range(NPRELU_N_FLOAT_TYPES):
    relu_backward_loops[i] = <PyUFuncGenericFunction>kernels.relu_backward[i]

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
The loops work on the bit pattern of floating-point values, so they never
raise a floating-point exception (no "invalid value" warning for NaN) and
float16 is handled without conversion.

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
quietly: no floating-point exception is raised for any input.

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
    and ``x`` (integers promote to float as in ``np.sqrt``).

See Also
--------
relu_grad : the derivative alone.

Notes
-----
This is a select, not ``dy * relu_grad(x)``: a unit whose input was not
positive passes back exactly 0, never ``0 * inf = nan``, as PyTorch's
``threshold_backward`` does.  It reads both inputs once and writes once.

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
    ``relu(x)``.
g : ndarray or scalar
    ``relu_grad(x)``.

See Also
--------
relu, relu_grad : the two results separately.

Notes
-----
Reading ``x`` once makes this faster than the two calls when memory
bandwidth is the limit, as it is for large arrays.

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
