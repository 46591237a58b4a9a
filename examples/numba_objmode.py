"""Calling nprelu from numba-compiled code: ``numba.objmode``.

numba compiles a ``@njit`` function for the types it knows; a ufunc from a
compiled extension is not one of them, so ``nprelu.relu(x)`` inside an ``@njit``
function fails to compile (a ``TypingError`` at the first call).  An
``objmode`` block is numba's way back into the interpreter: inside it, the
ufunc runs as in plain Python on the block's arrays, and the block declares the
types of the values it hands back to compiled code.

The script checks, and exits with status 1 if any check fails:

- the ``@njit`` function calling ``nprelu.relu`` directly raises numba's
  ``TypingError``;
- an ``@njit`` layer (an elementwise affine map written as loops, numba's
  strength, then ReLU and its backward pass through ``objmode``) returns the same
  bits as the same steps in plain NumPy + nprelu, float32 and float64.

An ``objmode`` block costs a few microseconds per entry (the interpreter is
re-entered), so it belongs around whole-array calls, not inside element loops.

    pip install numba
    python examples/numba_objmode.py
"""

from __future__ import annotations

import re
import sys

import numba
import numpy as np
from numba.core.errors import TypingError

import nprelu


@numba.njit
def relu_direct(x: np.ndarray) -> np.ndarray:
    return nprelu.relu(x)


@numba.njit
def affine(x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``x * scale + shift`` per column, in loops (what numba compiles well)."""
    z = np.empty_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[i, j] = x[i, j] * scale[j] + shift[j]
    return z


def make_layer(dtype: str) -> numba.core.registry.CPUDispatcher:
    # The objmode block must declare the types it returns: a C-contiguous
    # 2-d array of the layer's dtype.  (A type string such as "float32[:, ::1]"
    # works too when written literally in the block.)
    array_type = numba.types.Array(numba.from_dtype(np.dtype(dtype)), 2, "C")

    @numba.njit
    def layer(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, dy: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        z = affine(x, scale, shift)
        with numba.objmode(h=array_type, dz=array_type):
            h = nprelu.relu(z)
            dz = nprelu.relu_backward(dy, z)
        return h, dz

    return layer


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.dtype == b.dtype and a.shape == b.shape
            and bool(np.array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))))


def main() -> int:
    print(f"nprelu {nprelu.__version__}, numba {numba.__version__}, NumPy {np.__version__}\n")
    failures: list[str] = []

    def check(claim: str, ok: bool) -> None:
        print(f"{'ok' if ok else 'FAILED'}: {claim}")
        if not ok:
            failures.append(claim)

    try:
        relu_direct(np.ones(3))
        raised = ""
    except TypingError as e:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().splitlines()  # no terminal colours
        raised = next((line.strip() for line in lines if "relu" in line), lines[0])
    print(f"nprelu.relu called in nopython mode: TypingError: {raised.split(' of type ')[0]}")
    check("an @njit function calling nprelu.relu directly fails to compile (TypingError)", bool(raised))

    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        x = rng.standard_normal((500, 64)).astype(dtype)
        x[0, :4] = [-0.0, np.inf, -np.inf, np.nan]
        scale = rng.standard_normal(64).astype(dtype)
        shift = rng.standard_normal(64).astype(dtype)
        dy = rng.standard_normal((500, 64)).astype(dtype)
        h, dz = make_layer(dtype)(x, scale, shift, dy)
        z = affine.py_func(x, scale, shift)  # the same loops, run by the interpreter
        check(f"{dtype}: @njit layer with objmode gives the same bits as plain Python + nprelu",
              same_bits(h, nprelu.relu(z)) and same_bits(dz, nprelu.relu_backward(dy, z)))
        check(f"{dtype}: the compiled affine map equals the interpreted one "
              "(so the comparison above is of the ReLU step)", same_bits(affine(x, scale, shift), z))

    if failures:
        print(f"\nFAILED: {len(failures)} check(s)")
        return 1
    print("\nOK: nprelu runs from @njit code through objmode, with identical results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
