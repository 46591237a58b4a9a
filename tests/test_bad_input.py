"""Bad input is refused with NumPy's own exception, naming the ufunc, and
nothing is written: ``out`` and the inputs are exactly as before the call.

Each case runs in this process, so a crash (instead of an exception) would
take the whole test run down with it.
"""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]

BAD_INPUTS: dict[str, Callable[[], Any]] = {
    "complex64": lambda: np.array([1 + 2j, -1 - 1j], np.complex64),
    "complex128": lambda: np.array([1 + 2j, -1 - 1j], np.complex128),
    "clongdouble": lambda: np.array([1 + 2j, -1 - 1j], np.clongdouble),
    "python_complex": lambda: 1 + 2j,
    "object_numbers": lambda: np.array([1.0, -2.0], dtype=object),
    "object_none": lambda: np.array([None, None], dtype=object),
    "object_mixed_list": lambda: [1.0, "a"],
    "python_huge_int": lambda: 2**70,
    "str": lambda: np.array(["1.0", "-2"]),
    "bytes": lambda: np.array([b"1", b"-2"]),
    "python_str": lambda: "1.0",
    "datetime64": lambda: np.array(["2024-01-01", "2024-01-02"], dtype="M8[D]"),
    "datetime_scalar": lambda: np.datetime64("2024-01-01"),
    "python_datetime": lambda: datetime.datetime(2024, 1, 1),
    "timedelta64": lambda: np.array([1, -2], dtype="m8[s]"),
    "timedelta_scalar": lambda: np.timedelta64(-3, "s"),
    "structured": lambda: np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
    "void": lambda: np.zeros(2, dtype="V8"),
}


def snapshot(*arrays: Any) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in arrays]


def assert_unchanged(before: list[Any], after: tuple[Any, ...], assert_same: Any) -> None:
    for b, a in zip(before, after, strict=True):
        if not isinstance(b, np.ndarray):
            continue
        if b.dtype.kind in "biuf":
            assert_same(a, b)
        elif b.dtype.kind == "O":
            assert a.dtype == b.dtype and all(p is q for p, q in zip(a.ravel(), b.ravel()))
        else:  # complex, strings, datetimes, structured: every byte
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def name_pattern(name: str) -> str:
    return rf"\b{re.escape(name)}\b"


def outs_for(name: str, n: int = 2) -> tuple[np.ndarray, ...]:
    nout = getattr(nprelu, name).nout
    return tuple(np.full(n, 7.5) for _ in range(nout))


# A Python int too large for int64 is object for the unary ufuncs; next to a
# float array it is weak and becomes float (see test_huge_python_int_backward).
UNSUPPORTED = [(name, kind) for name in NAMES for kind in BAD_INPUTS
               if not (name == "relu_backward" and kind == "python_huge_int")]


@pytest.mark.parametrize("name,kind", UNSUPPORTED, ids=[f"{n}-{k}" for n, k in UNSUPPORTED])
def test_unsupported_dtype(name: str, kind: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    positions = [0, 1] if name == "relu_backward" else [0]
    for pos in positions:
        bad = BAD_INPUTS[kind]()
        args = [np.array([1.0, -1.0]) for _ in range(f.nin)]
        args[pos] = bad
        outs = outs_for(name)
        before = snapshot(*args, *outs)
        with pytest.raises(TypeError, match=name_pattern(name)):
            f(*args)
        with pytest.raises(TypeError, match=name_pattern(name)):
            f(*args, out=outs)
        assert_unchanged(before, (*args, *outs), assert_same)


@pytest.mark.parametrize("name", NAMES)
def test_read_only_out(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    args = [np.array([-1.0, 2.0]) for _ in range(f.nin)]
    outs = outs_for(name)
    outs[0].flags.writeable = False
    before = snapshot(*args, *outs)
    with pytest.raises(ValueError, match="read-only"):
        f(*args, out=outs)
    assert_unchanged(before, (*args, *outs), assert_same)
    if f.nout == 2:  # the second output read-only instead
        outs = outs_for(name)
        outs[1].flags.writeable = False
        before = snapshot(*args, *outs)
        with pytest.raises(ValueError, match="read-only"):
            f(*args, out=outs)
        assert_unchanged(before, (*args, *outs), assert_same)


@pytest.mark.parametrize("shape", [(4,), (6,), (), (5, 2), (5, 1)])
@pytest.mark.parametrize("name", NAMES)
def test_wrongly_shaped_out(name: str, shape: tuple[int, ...], assert_same: Any) -> None:
    f = getattr(nprelu, name)
    args = [np.linspace(-2, 2, 5) for _ in range(f.nin)]
    outs = tuple(np.full(shape, 7.5) for _ in range(f.nout))
    before = snapshot(*args, *outs)
    with pytest.raises(ValueError):
        f(*args, out=outs)
    assert_unchanged(before, (*args, *outs), assert_same)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (3, 2)), ((5,), (2, 4))])
def test_backward_mismatched_shapes(shapes: tuple[tuple[int, ...], ...], assert_same: Any) -> None:
    dy, x = np.ones(shapes[0]), -np.ones(shapes[1])
    before = snapshot(dy, x)
    with pytest.raises(ValueError):
        nprelu.relu_backward(dy, x)
    assert_unchanged(before, (dy, x), assert_same)


@pytest.mark.parametrize("name", NAMES)
def test_unsafe_output_cast(name: str, assert_same: Any) -> None:
    """float64 results cannot go to int32 under the default same_kind casting."""
    f = getattr(nprelu, name)
    args = [np.array([-1.5, 2.5]) for _ in range(f.nin)]
    for k in range(f.nout):  # each output in turn is the int32 one
        outs = list(outs_for(name))
        outs[k] = np.array([7, 7], np.int32)
        before = snapshot(*args, *outs)
        with pytest.raises(TypeError, match=name_pattern(name)):
            f(*args, out=tuple(outs))
        assert_unchanged(before, (*args, *outs), assert_same)
    with pytest.raises(TypeError, match=name_pattern(name)):  # and with casting='safe'
        f(*[np.array([1, 2], np.int64)] * f.nin,
          out=tuple(np.zeros(2, np.float32) for _ in range(f.nout)), casting="safe")


@pytest.mark.parametrize("name", NAMES)
def test_unsafe_input_cast(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    args = [np.array([-1.5, 2.5]) for _ in range(f.nin)]
    before = snapshot(*args)
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*args, dtype=np.int8)  # float64 -> int8 is not same_kind
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*args, dtype=np.complex128)  # no such loop
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*args, casting="no", dtype=np.float32)
    assert_unchanged(before, tuple(args), assert_same)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_call(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    x = np.array([-1.0, 1.0])
    before = snapshot(x)
    with pytest.raises(TypeError, match=name_pattern(name)):
        f()
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * (f.nargs + 1))
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * f.nin, bogus=1)
    with pytest.raises(TypeError):
        f(*[x] * f.nin, out=[np.empty(2)] * f.nout)  # a list is not an out tuple
    with pytest.raises(TypeError):
        f(*[x] * f.nin, out=(3.0,) * f.nout)  # not an array
    with pytest.raises(ValueError):
        f(*[x] * f.nin, out=(np.empty(2),) * (f.nout + 1))
    with pytest.raises(ValueError):
        f(*[x] * f.nin, casting="sometimes")
    with pytest.raises(ValueError):
        f(*[x] * f.nin, order="Z")
    with pytest.raises(ValueError):
        f(*[x] * f.nin, out=tuple(np.empty(2) for _ in range(f.nout)),
          where=np.ones(3, bool))
    assert_unchanged(before, (x,), assert_same)


def test_backward_needs_two_inputs() -> None:
    with pytest.raises(TypeError, match="relu_backward"):
        nprelu.relu_backward(np.ones(3))


def test_two_output_tuple_wrong_length() -> None:
    x = np.ones(3)
    with pytest.raises(ValueError):
        nprelu.relu_and_grad(x, out=(np.empty(3),))
    with pytest.raises(ValueError):
        nprelu.relu(x, out=(np.empty(3), np.empty(3)))


def test_bad_where_dtype(assert_same: Any) -> None:
    x, o = np.array([-1.0, 2.0]), np.full(2, 7.5)
    with pytest.raises(TypeError):
        nprelu.relu(x, out=o, where=np.array(["a", "b"]))
    assert_same(o, np.full(2, 7.5))


def test_huge_python_int_backward(assert_same: Any) -> None:
    """As for np.nextafter (same loops): float under NEP 50 (NumPy 2), object before."""
    x = np.array([1.0, -1.0])
    try:
        np.nextafter(2**70, x)
    except TypeError:
        with pytest.raises(TypeError, match=name_pattern("relu_backward")):
            nprelu.relu_backward(2**70, x)
        return
    assert_same(nprelu.relu_backward(2**70, x), np.array([2.0**70, 0.0]))
    assert_same(nprelu.relu_backward(x, 2**70), np.array([1.0, -1.0]))


# --------------------------------------------------------------------------- the leaky family

LEAKY = ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"]
LEAKY_BAD = ["complex64", "complex128", "python_complex", "object_numbers", "object_none",
             "str", "bytes", "python_str", "datetime64", "timedelta64", "structured", "void"]
LEAKY_CASES = [(name, kind) for name in LEAKY for kind in LEAKY_BAD]


@pytest.mark.parametrize("name,kind", LEAKY_CASES, ids=[f"{n}-{k}" for n, k in LEAKY_CASES])
def test_leaky_unsupported_dtype(name: str, kind: str, assert_same: Any) -> None:
    """In every operand position (the slope too): NumPy's TypeError naming the
    ufunc; out, the inputs and the slope untouched."""
    f = getattr(nprelu, name)
    for pos in range(f.nin):
        args: list[Any] = [np.array([1.0, -1.0]) for _ in range(f.nin)]
        args[pos] = BAD_INPUTS[kind]()
        out = np.full(2, 7.5)
        before = snapshot(*args, out)
        with pytest.raises(TypeError, match=name_pattern(name)):
            f(*args)
        with pytest.raises(TypeError, match=name_pattern(name)):
            f(*args, out=out)
        assert_unchanged(before, (*args, out), assert_same)
        # the reference refuses them too, naming the function
        with pytest.raises(TypeError, match=name_pattern(name)):
            getattr(reference, name)(*args)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (3, 2)), ((5,), (2, 4))])
@pytest.mark.parametrize("name", LEAKY)
def test_leaky_mismatched_shapes(name: str, shapes: tuple[tuple[int, ...], ...],
                                 assert_same: Any) -> None:
    f = getattr(nprelu, name)
    for pos in range(f.nin):  # each operand in turn has the odd shape
        args = [-np.ones(shapes[0]) for _ in range(f.nin)]
        args[pos] = np.full(shapes[1], 0.5)
        out = np.full(shapes[0], 7.5)
        before = snapshot(*args, out)
        with pytest.raises(ValueError):
            f(*args)
        with pytest.raises(ValueError):
            f(*args, out=out)
        assert_unchanged(before, (*args, out), assert_same)


@pytest.mark.parametrize("shape", [(4,), (6,), (), (5, 2)])
@pytest.mark.parametrize("name", LEAKY)
def test_leaky_wrongly_shaped_out(name: str, shape: tuple[int, ...], assert_same: Any) -> None:
    f = getattr(nprelu, name)
    args = [np.linspace(-2, 2, 5) for _ in range(f.nin)]
    out = np.full(shape, 7.5)
    before = snapshot(*args, out)
    with pytest.raises(ValueError):
        f(*args, out=out)
    assert_unchanged(before, (*args, out), assert_same)


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_bad_calls(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    x = np.array([-1.0, 1.0])
    before = snapshot(x)
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(x)  # the slope is required
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * (f.nargs + 1))
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * f.nin, bogus=1)
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * f.nin, dtype=np.int32)  # no integer loop
    with pytest.raises(TypeError, match=name_pattern(name)):
        f(*[x] * f.nin, out=np.zeros(2, np.int32))  # float64 -> int32: not same_kind
    ro = np.full(2, 7.5)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        f(*[x] * f.nin, out=ro)
    assert_same(ro, np.full(2, 7.5))
    assert_unchanged(before, (x,), assert_same)


# --------------------------------------------------------------------------- the reference's errors


REFERENCE_BAD = [
    ("relu", (np.array([1j]),)),
    ("relu_grad", (np.array(["a"]),)),
    ("relu_and_grad", (np.array([None], dtype=object),)),
    ("relu_backward", (np.array([1j]), np.ones(1))),
    ("relu_backward", (np.ones(1), np.array(["a"]))),
    ("relu_backward", (np.ones(1), np.array([None], dtype=object))),
    ("leaky_relu", (np.ones(1), 1j)),
    ("leaky_relu_grad", (np.array(["2024"], "M8[D]"), 0.5)),
    ("leaky_relu_backward", (np.ones(1), np.ones(1), np.array([1j]))),
]


@pytest.mark.parametrize("name,args", REFERENCE_BAD, ids=[c[0] for c in REFERENCE_BAD])
def test_reference_errors_name_the_function(name: str, args: tuple[Any, ...]) -> None:
    """The reference refuses what the ufunc refuses, naming itself, never the
    NumPy function it resolves dtypes with."""
    with pytest.raises(TypeError) as info:
        getattr(reference, name)(*args)
    message = str(info.value)
    assert message.startswith(f"{name}: "), message
    assert "nextafter" not in message
    with pytest.raises(TypeError, match=name_pattern(name)):
        getattr(nprelu, name)(*args)


@pytest.mark.parametrize("char", ["f4", "f8", "f2", "i2", "u4", "i8"])
def test_reference_native_byte_order(char: str, assert_same: Any) -> None:
    """Non-native input gives native output, from the ufuncs and the reference."""
    swapped = np.dtype(">" + char if sys.byteorder == "little" else "<" + char)
    x = np.array([-2, 0, 3, 1]).astype(swapped)
    outs = [("relu", (x,)), ("relu_grad", (x,)), ("relu_and_grad", (x,))]
    if swapped.kind == "f":
        outs += [("relu_backward", (x, x)), ("leaky_relu", (x, 0.5)),
                 ("leaky_relu_grad", (x, 0.5)), ("leaky_relu_backward", (x, x, 0.5))]
    for name, args in outs:
        want = getattr(reference, name)(*args)
        got = getattr(nprelu, name)(*args)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,), strict=True):
            assert w.dtype.isnative and g.dtype.isnative, name
            assert_same(g, w)
