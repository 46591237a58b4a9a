"""Calls the stubs must reject: ``mypy --strict`` must report, on each line
marked ``# E: <code>``, an error with that code, and no error elsewhere.

Run by tests/test_typing.py, never executed.
"""

from typing import Literal

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import nprelu

f32: npt.NDArray[np.float32] = np.zeros(3, dtype=np.float32)
f64: npt.NDArray[np.float64] = np.zeros(3, dtype=np.float64)
i16: npt.NDArray[np.int16] = np.zeros(3, dtype=np.int16)
o: npt.NDArray[np.float32] = np.zeros(3, dtype=np.float32)

# Literal attributes.
two: Literal[2] = nprelu.relu.nout  # E: assignment
one: Literal[1] = nprelu.relu_and_grad.nout  # E: assignment
name: Literal["relu"] = nprelu.relu_grad.__name__  # E: assignment
three: Literal[3] = nprelu.leaky_relu.nin  # E: assignment

# Result types.
assert_type(nprelu.relu(f32), npt.NDArray[np.float64])  # E: assert-type
assert_type(nprelu.relu_grad(i16), npt.NDArray[np.float32])  # E: assert-type
assert_type(nprelu.relu(np.float64(1)), np.float32)  # E: assert-type
assert_type(nprelu.relu_and_grad(f32), npt.NDArray[np.float32])  # E: assert-type
assert_type(nprelu.relu(f32, out=(None,)), None)  # E: assert-type
assert_type(nprelu.relu_backward(f32, f32), npt.NDArray[np.float64])  # E: assert-type
assert_type(nprelu.leaky_relu(f64, 0.1), npt.NDArray[np.float32])  # E: assert-type

# Arity.
nprelu.relu(f32, f32, f32)  # E: call-overload
nprelu.relu_backward(f32)  # E: call-overload
nprelu.relu_and_grad(f32, o, o, o)  # E: call-overload
nprelu.leaky_relu(f32)  # E: call-overload
nprelu.leaky_relu_grad(f32)  # E: call-overload
nprelu.leaky_relu_backward(f32, f32)  # E: call-overload

# Keywords.
nprelu.relu(f32, casting="sometimes")  # E: call-overload
nprelu.relu(f32, order="X")  # E: call-overload
nprelu.relu(f32, axis=0)  # E: call-overload
nprelu.relu_backward(f32, f32, keepdims=True)  # E: call-overload
nprelu.relu(f32, out=o, signature=3)  # E: call-overload
nprelu.relu_and_grad(f32, o, out=(o, o))  # E: call-overload
nprelu.relu(f32, out=[o])  # E: call-overload

# Methods: at() takes as many operands as the ufunc has inputs.
nprelu.relu.at(o, [0], 1.0)  # E: call-arg
nprelu.relu_backward.at(o, [0])  # E: call-arg


# A method that returns is not NoReturn (relu_backward.reduce runs).
def backward_reduce_returns() -> int:
    return nprelu.relu_backward.reduce(f32)  # E: no-any-return


# Names that do not exist.
nprelu.not_there(f32)  # E: attr-defined
nprelu.relu.not_a_method  # E: attr-defined
