"""Static checks of nprelu's stubs: ``mypy --strict`` must accept this file.

Run by tests/test_typing.py; never imported by pytest (no ``test_`` prefix).
Each ``assert_type`` states the type the stubs promise for one call.  The test
also executes this file, so every call here is a valid call at run time too;
each function named ``*_raises`` is typed ``NoReturn`` and the test checks that
it raises ValueError.  The leaky family is in reveal_leaky.py.
"""

from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import nprelu

f32: npt.NDArray[np.float32] = np.zeros(3, dtype=np.float32)
f64: npt.NDArray[np.float64] = np.zeros(3, dtype=np.float64)
f16: npt.NDArray[np.float16] = np.zeros(3, dtype=np.float16)
i16: npt.NDArray[np.int16] = np.zeros(3, dtype=np.int16)
u8: npt.NDArray[np.uint8] = np.zeros(3, dtype=np.uint8)

# One input, one output: the loops are T -> T.
assert_type(nprelu.relu(f32), npt.NDArray[np.float32])
assert_type(nprelu.relu(f64), npt.NDArray[np.float64])
assert_type(nprelu.relu(f16), npt.NDArray[np.float16])
assert_type(nprelu.relu(u8), npt.NDArray[np.uint8])
assert_type(nprelu.relu_grad(i16), npt.NDArray[np.int16])
assert_type(nprelu.relu_grad(f32), npt.NDArray[np.float32])

# Scalars in, the same scalar type out.
assert_type(nprelu.relu(np.float64(1)), np.float64)
assert_type(nprelu.relu(np.float32(-1)), np.float32)
assert_type(nprelu.relu_grad(np.int8(3)), np.int8)

# Keywords do not change the result type.
assert_type(nprelu.relu(f32, out=None, where=f32 > 0, casting="no", order="C"), npt.NDArray[np.float32])

# Keywords that may change the type: an array of a type decided at run time.
assert_type(nprelu.relu(f32, dtype=np.float64), npt.NDArray[Any])
assert_type(nprelu.relu(f32, signature="f->f"), npt.NDArray[Any])
assert_type(nprelu.relu(f32, signature=(np.float32, None)), npt.NDArray[Any])
assert_type(nprelu.relu(np.float32(1), dtype=np.float64), Any)

# Lists, bool arrays (int8 out) and arrays of a dtype the checker does not
# know (ml_dtypes' types are such): an array; Python scalars: a scalar.
assert_type(nprelu.relu([1.0, -2.0]), npt.NDArray[Any])
b8: npt.NDArray[np.bool_] = np.zeros(3, dtype=np.bool_)
assert_type(nprelu.relu(b8), npt.NDArray[Any])
unknown: npt.NDArray[Any] = f32
assert_type(nprelu.relu(unknown), npt.NDArray[Any])
assert_type(nprelu.relu_grad(unknown), npt.NDArray[Any])
assert_type(nprelu.relu_backward(unknown, unknown), npt.NDArray[Any])
assert_type(nprelu.relu_and_grad(unknown), tuple[npt.NDArray[Any], npt.NDArray[Any]])
assert_type(nprelu.relu(1.5), Any)
assert_type(nprelu.relu(3), Any)

# out= returns the type of out, whatever it is.
out2d: np.ndarray[tuple[int, int], np.dtype[np.float32]] = np.empty((3, 3), np.float32)
assert_type(nprelu.relu(f32, out=out2d), np.ndarray[tuple[int, int], np.dtype[np.float32]])
out64: npt.NDArray[np.float64] = np.empty(3, dtype=np.float64)
assert_type(nprelu.relu(f32, out=out64), npt.NDArray[np.float64])
assert_type(nprelu.relu([1.0, 2.0, 3.0], out=(out64,)), npt.NDArray[np.float64])
assert_type(nprelu.relu_grad(i16, out=out64), npt.NDArray[np.float64])
assert_type(nprelu.relu(f32, out64), npt.NDArray[np.float64])  # out positionally
out32: npt.NDArray[np.float32] = np.empty(3, dtype=np.float32)
assert_type(nprelu.relu(f32, out=out32, signature="f->f"), npt.NDArray[np.float32])
assert_type(nprelu.relu(f32, out=out32, dtype=np.float32, casting="no"), npt.NDArray[np.float32])
# out=(None,) and out=None: no output given
assert_type(nprelu.relu(f32, out=(None,)), npt.NDArray[np.float32])
assert_type(nprelu.relu(f32, out=None), npt.NDArray[np.float32])
assert_type(nprelu.relu(np.float64(2), out=(None,)), np.float64)

# Backward: two inputs of one float type, that type out.
assert_type(nprelu.relu_backward(f32, f32), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(f64, f64), npt.NDArray[np.float64])
assert_type(nprelu.relu_backward(f32, f64, out=out64), npt.NDArray[np.float64])
assert_type(nprelu.relu_backward(f32, f32, out=out32, signature="ff->f"), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(f32, f32, out32), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(f32, f32, out=(None,)), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(np.float32(1), np.float32(2)), np.float32)
# A Python number is a weak scalar: the array's type wins (1e-50 becomes 0.0).
assert_type(nprelu.relu_backward(f32, 1e-50), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(1.0, f32), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(f32, 1), npt.NDArray[np.float32])
# Mixed float types: a float type decided at run time (promotion); other types: an array.
assert_type(nprelu.relu_backward(f32, f64), npt.NDArray[np.floating[Any]])
assert_type(nprelu.relu_backward(i16, i16), npt.NDArray[Any])
assert_type(nprelu.relu_backward(1.0, 2.0), Any)

# One input, two outputs.
assert_type(nprelu.relu_and_grad(f32), tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]])
assert_type(nprelu.relu_and_grad(i16), tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]])
assert_type(nprelu.relu_and_grad(np.float32(1)), tuple[np.float32, np.float32])
y, g = nprelu.relu_and_grad(f64)
assert_type(y, npt.NDArray[np.float64])
assert_type(g, npt.NDArray[np.float64])
o1: npt.NDArray[np.float32] = np.empty(3, np.float32)
o2: npt.NDArray[np.float64] = np.empty(3, np.float64)
assert_type(nprelu.relu_and_grad(f32, out=(o1, o2)), tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]])
assert_type(nprelu.relu_and_grad(f32, o1, o2), tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]])
# One output given, positionally or in out=: the other is allocated.
assert_type(nprelu.relu_and_grad(f32, o1), tuple[npt.NDArray[np.float32], Any])
assert_type(nprelu.relu_and_grad(f32, None, o2), tuple[Any, npt.NDArray[np.float64]])
assert_type(nprelu.relu_and_grad(f32, out=(o1, None)), tuple[npt.NDArray[np.float32], Any])
assert_type(nprelu.relu_and_grad(f32, out=(None, o2)), tuple[Any, npt.NDArray[np.float64]])
assert_type(nprelu.relu_and_grad(f32, out=(None, None)), tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]])
assert_type(nprelu.relu_and_grad(f32, None), tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]])
assert_type(nprelu.relu_and_grad(f32, None, None), tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]])
assert_type(nprelu.relu_and_grad(f32, o1, o2, signature="f->ff"),
            tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]])
assert_type(nprelu.relu_and_grad(f32, dtype=np.float64), tuple[npt.NDArray[Any], npt.NDArray[Any]])

# Names and arities are literal types.
assert_type(nprelu.relu.__name__, Literal["relu"])
assert_type(nprelu.relu_grad.__name__, Literal["relu_grad"])
assert_type(nprelu.relu_backward.__name__, Literal["relu_backward"])
assert_type(nprelu.relu_and_grad.__name__, Literal["relu_and_grad"])
assert_type(nprelu.relu.nin, Literal[1])
assert_type(nprelu.relu.nout, Literal[1])
assert_type(nprelu.relu.nargs, Literal[2])
assert_type(nprelu.relu_backward.nin, Literal[2])
assert_type(nprelu.relu_backward.nout, Literal[1])
assert_type(nprelu.relu_and_grad.nin, Literal[1])
assert_type(nprelu.relu_and_grad.nout, Literal[2])
assert_type(nprelu.relu.ntypes, Literal[14])
assert_type(nprelu.relu_backward.ntypes, Literal[4])
assert_type(nprelu.relu.identity, None)

# Methods.  at() works on the one-output ufuncs; relu_backward, having two
# inputs and one output, also has NumPy's reduce, accumulate, reduceat, outer.
buf = f32.copy()
assert_type(nprelu.relu.at(buf, [0, 1]), None)
assert_type(nprelu.relu_grad.at(buf, np.array([2])), None)
assert_type(nprelu.relu_backward.at(buf, [0], 1.0), None)
nprelu.relu_backward.reduce(f32)
nprelu.relu_backward.accumulate(f32)
nprelu.relu_backward.reduceat(f32, [0, 2])
nprelu.relu_backward.outer(f32, f32)


# The rest raise ValueError always: typed NoReturn, so mypy accepts these
# functions without a return statement.
def relu_reduce_raises() -> NoReturn:
    nprelu.relu.reduce(f32)


def relu_accumulate_raises() -> NoReturn:
    nprelu.relu.accumulate(f32)


def relu_reduceat_raises() -> NoReturn:
    nprelu.relu.reduceat(f32, [0])


def relu_outer_raises() -> NoReturn:
    nprelu.relu.outer(f32, f32)


def relu_grad_reduce_raises() -> NoReturn:
    nprelu.relu_grad.reduce(f32)


def relu_and_grad_at_raises() -> NoReturn:
    nprelu.relu_and_grad.at(buf, [0])


def relu_and_grad_reduce_raises() -> NoReturn:
    nprelu.relu_and_grad.reduce(f32)


def relu_and_grad_accumulate_raises() -> NoReturn:
    nprelu.relu_and_grad.accumulate(f32)


def relu_and_grad_reduceat_raises() -> NoReturn:
    nprelu.relu_and_grad.reduceat(f32, [0])


def relu_and_grad_outer_raises() -> NoReturn:
    nprelu.relu_and_grad.outer(f32, f32)


# They are NumPy ufuncs.
u: np.ufunc = nprelu.relu
ufuncs: list[np.ufunc] = [nprelu.relu, nprelu.relu_grad, nprelu.relu_backward, nprelu.relu_and_grad]

# The rest of the public API.
assert_type(nprelu.__version__, str)
assert_type(nprelu.cpu_targets(), nprelu.CpuTargets)
assert_type(nprelu.show_runtime(), None)
assert_type(nprelu.reference.relu(f32), npt.NDArray[Any])

# cpu_targets() is a TypedDict
targets = nprelu.cpu_targets()
assert_type(targets["active"], str)
assert_type(targets["compiled"], tuple[str, ...])
