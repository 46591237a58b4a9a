"""Static checks of nprelu's stubs: ``mypy --strict`` must accept this file.

Run by tests/test_typing.py; never imported by pytest (no ``test_`` prefix).
Each ``assert_type`` states the type the stubs promise for one call.
"""

from typing import Any, Literal

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
assert_type(nprelu.relu(f32, where=f32 > 0, casting="no", order="C"), npt.NDArray[np.float32])

# Anything else: NumPy's usual Any.
assert_type(nprelu.relu([1.0, -2.0]), Any)
assert_type(nprelu.relu(f32, dtype=np.float64), Any)

# out= returns the type of out, whatever it is.
out2d: np.ndarray[tuple[int, int], np.dtype[np.float32]] = np.empty((3, 3), np.float32)
assert_type(nprelu.relu(f32, out=out2d), np.ndarray[tuple[int, int], np.dtype[np.float32]])
out64: npt.NDArray[np.float64] = np.empty(3, dtype=np.float64)
assert_type(nprelu.relu(f32, out=out64), npt.NDArray[np.float64])
assert_type(nprelu.relu([1.0, 2.0, 3.0], out=(out64,)), npt.NDArray[np.float64])
assert_type(nprelu.relu_grad(i16, out=out64), npt.NDArray[np.float64])

# Backward: two inputs of one float type, that type out.
assert_type(nprelu.relu_backward(f32, f32), npt.NDArray[np.float32])
assert_type(nprelu.relu_backward(f64, f64), npt.NDArray[np.float64])
assert_type(nprelu.relu_backward(f32, f64, out=out64), npt.NDArray[np.float64])
assert_type(nprelu.relu_backward(1.0, f32), Any)

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

# They are NumPy ufuncs.
u: np.ufunc = nprelu.relu
ufuncs: list[np.ufunc] = [nprelu.relu, nprelu.relu_grad, nprelu.relu_backward, nprelu.relu_and_grad]

# The rest of the public API.
assert_type(nprelu.__version__, str)
assert_type(nprelu.cpu_targets(), nprelu.CpuTargets)
assert_type(nprelu.show_runtime(), None)
assert_type(nprelu.reference.relu(f32), npt.NDArray[np.generic])

# cpu_targets() is a TypedDict
targets = nprelu.cpu_targets()
assert_type(targets["active"], str)
assert_type(targets["compiled"], tuple[str, ...])
