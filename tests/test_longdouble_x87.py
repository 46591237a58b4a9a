"""x87 long double: the encodings the 387 and later reject.

An 80-bit extended value carries its integer bit explicitly.  With a nonzero
exponent and that bit clear (unnormals, pseudo-infinities, pseudo-NaNs) the
hardware treats the operand as invalid, that is as a NaN: ``np.isnan`` is
True and ``x > 0`` is False.  The loops classify by bits, so they must agree
with the hardware on these encodings too; ``nprelu.reference`` uses the
hardware's own comparisons, and the expected bits here are spelled out.
A pseudo-denormal (exponent zero, integer bit set) is a number.
"""

from __future__ import annotations

import platform
import struct

import numpy as np
import pytest

import nprelu
from nprelu import reference

X87 = (np.finfo(np.longdouble).nmant == 63
       and platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"))
pytestmark = pytest.mark.skipif(not X87, reason="long double is not x87 extended here")

SIGN = 0x8000
# name: (sign+exponent, 64-bit significand, the hardware's view: NaN?, > 0?)
ENCODINGS = {
    "+unnormal": (0x3FFF, 0x4000000000000000, True, False),
    "-unnormal": (SIGN | 0x3FFF, 0x4000000000000000, True, False),
    "+pseudo-infinity": (0x7FFF, 0x0000000000000000, True, False),
    "-pseudo-infinity": (SIGN | 0x7FFF, 0x0000000000000000, True, False),
    "pseudo-NaN": (0x7FFF, 0x0000000000000001, True, False),
    "+pseudo-denormal": (0x0000, 0x8000000000000001, False, True),
    "-pseudo-denormal": (SIGN | 0x0000, 0x8000000000000001, False, False),
}


def encode(se: int, mant: int) -> np.ndarray:
    raw = struct.pack("<QH", mant, se).ljust(np.dtype(np.longdouble).itemsize, b"\0")
    return np.frombuffer(raw, dtype=np.longdouble).copy()


def value_bytes(a: np.ndarray) -> bytes:
    return b"".join(bytes(v.tobytes()[:10]) for v in np.ascontiguousarray(a).reshape(-1))


ONE = value_bytes(np.ones(1, np.longdouble))
ZERO = bytes(10)


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_hardware_view(name: str) -> None:
    se, mant, is_nan, positive = ENCODINGS[name]
    x = encode(se, mant)
    with np.errstate(invalid="ignore"):
        assert bool(np.isnan(x)[0]) is is_nan
        assert bool((x > 0)[0]) is positive


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_relu_family(name: str) -> None:
    se, mant, is_nan, positive = ENCODINGS[name]
    x = encode(se, mant)
    dy = np.array([2.5], dtype=np.longdouble)
    kept = positive or is_nan
    with np.errstate(all="raise"):
        y, g = nprelu.relu(x), nprelu.relu_grad(x)
        b = nprelu.relu_backward(dy, x)
        y2, g2 = nprelu.relu_and_grad(x)
    assert value_bytes(y) == (value_bytes(x) if kept else ZERO)
    assert value_bytes(g) == (ONE if positive else ZERO)
    assert value_bytes(b) == (value_bytes(dy) if positive else ZERO)
    assert value_bytes(y2) == value_bytes(y) and value_bytes(g2) == value_bytes(g)
    with np.errstate(invalid="ignore"):
        assert value_bytes(y) == value_bytes(reference.relu(x))
        assert value_bytes(g) == value_bytes(reference.relu_grad(x))
        assert value_bytes(b) == value_bytes(reference.relu_backward(dy, x))


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_leaky_family(name: str) -> None:
    se, mant, is_nan, positive = ENCODINGS[name]
    x = encode(se, mant)
    a = np.array([0.25], dtype=np.longdouble)
    dy = np.array([2.0], dtype=np.longdouble)
    if is_nan:  # returned unchanged, never multiplied: no flag
        with np.errstate(all="raise"):
            assert value_bytes(nprelu.leaky_relu(x, a)) == value_bytes(x)
            assert value_bytes(nprelu.leaky_relu_grad(x, a)) == value_bytes(a)
            assert value_bytes(nprelu.leaky_relu_backward(dy, x, a)) == value_bytes(dy * a)
    with np.errstate(all="ignore"):
        for ours, spec, args in (
            (nprelu.leaky_relu, reference.leaky_relu, (x, a)),
            (nprelu.leaky_relu_grad, reference.leaky_relu_grad, (x, a)),
            (nprelu.leaky_relu_backward, reference.leaky_relu_backward, (dy, x, a)),
        ):
            assert value_bytes(ours(*args)) == value_bytes(spec(*args)), ours.__name__


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_backward"])
def test_product_padding_bytes_are_zero(name: str) -> None:
    """An x87 long double fills 10 of its storage bytes; where the result is
    a product, the loop writes zeros in the rest (not the never-written
    padding of a temporary), whatever the output held before."""
    size = np.dtype(np.longdouble).itemsize
    x = np.array([-1.5, -3.0, 2.0, -0.25], np.longdouble)
    a = np.longdouble(0.5)
    args = (x, a) if name == "leaky_relu" else (np.full_like(x, 3.0), x, a)
    for fill in (0xAA, 0x55, 0xFF):
        out = np.frombuffer(bytes([fill]) * (size * x.size), np.uint8).copy().view(np.longdouble)
        getattr(nprelu, name)(*args, out=out)
        raw = out.view(np.uint8).reshape(x.size, size)
        products = [0, 1, 3]
        assert raw[products, 10:].tolist() == [[0] * (size - 10)] * len(products), fill
        assert out[products].tolist() == getattr(reference, name)(*args)[products].tolist()
