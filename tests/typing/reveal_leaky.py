"""Static checks of the leaky family's stubs (see reveal_nprelu.py)."""

from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import nprelu

f32: npt.NDArray[np.float32] = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
f64: npt.NDArray[np.float64] = np.array([-2.0, 0.0, 3.0], dtype=np.float64)
out32: npt.NDArray[np.float32] = np.empty(3, dtype=np.float32)
slope32: npt.NDArray[np.float32] = np.full(3, 0.1, dtype=np.float32)

# Two inputs: x and negative_slope.  A Python float slope keeps x's type.
assert_type(nprelu.leaky_relu(f32, 0.01), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(f64, 0.01), npt.NDArray[np.float64])
assert_type(nprelu.leaky_relu(f32, slope32), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(f32, np.float32(0.2)), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(np.float32(-1), 0.5), np.float32)
assert_type(nprelu.leaky_relu_grad(f32, 0.01), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu_grad(f64, 0.01, out=(None,)), npt.NDArray[np.float64])
assert_type(nprelu.leaky_relu(f32, 0.01, out=out32), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(f32, 0.01, out32), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(f32, 0.01, out=out32, signature="ff->f"), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu(f32, f64), npt.NDArray[np.floating[Any]])
unknown: npt.NDArray[Any] = f32
assert_type(nprelu.leaky_relu(unknown, unknown), npt.NDArray[Any])

# Three inputs: dy, x and negative_slope.
assert_type(nprelu.leaky_relu_backward(f32, f32, 0.01), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu_backward(f64, f64, f64), npt.NDArray[np.float64])
assert_type(nprelu.leaky_relu_backward(f32, f32, slope32, out=out32), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu_backward(f32, f32, 0.01, out32), npt.NDArray[np.float32])
assert_type(nprelu.leaky_relu_backward(np.float64(1), np.float64(-1), 0.1), np.float64)
assert_type(nprelu.leaky_relu_backward(f32, f64, 0.01), npt.NDArray[np.floating[Any]])

# Names and arities.
assert_type(nprelu.leaky_relu.__name__, Literal["leaky_relu"])
assert_type(nprelu.leaky_relu_grad.__name__, Literal["leaky_relu_grad"])
assert_type(nprelu.leaky_relu_backward.__name__, Literal["leaky_relu_backward"])
assert_type(nprelu.leaky_relu.nin, Literal[2])
assert_type(nprelu.leaky_relu_backward.nin, Literal[3])
assert_type(nprelu.leaky_relu_backward.nargs, Literal[4])
assert_type(nprelu.leaky_relu.ntypes, Literal[4])
assert_type(nprelu.leaky_relu_backward.ntypes, Literal[4])

# Methods: the two-input ones have NumPy's; the three-input one none.
buf = f32.copy()
assert_type(nprelu.leaky_relu.at(buf, [0], 0.5), None)
nprelu.leaky_relu.reduce(f32)
nprelu.leaky_relu_grad.outer(f32, f32)


def leaky_relu_backward_at_raises() -> NoReturn:
    nprelu.leaky_relu_backward.at(buf, [0], 1.0)


def leaky_relu_backward_reduce_raises() -> NoReturn:
    nprelu.leaky_relu_backward.reduce(f32)


def leaky_relu_backward_accumulate_raises() -> NoReturn:
    nprelu.leaky_relu_backward.accumulate(f32)


def leaky_relu_backward_reduceat_raises() -> NoReturn:
    nprelu.leaky_relu_backward.reduceat(f32, [0])


def leaky_relu_backward_outer_raises() -> NoReturn:
    nprelu.leaky_relu_backward.outer(f32, f32)


ufuncs: list[np.ufunc] = [nprelu.leaky_relu, nprelu.leaky_relu_grad, nprelu.leaky_relu_backward]
