"""Differential fuzzing of the four ufuncs against ``nprelu.reference``.

Hypothesis draws, for every call:

* the dtype: float16/32/64, longdouble, every integer type and bool (which
  computes in int8); for ``relu_backward`` also mixed operand types, promoted
  by NumPy's rules (integer and bool operands are cast; a float operand is
  always of the loop's type, so that no float-to-float cast of NumPy's own can
  touch a signalling NaN);
* a shape of up to 4 dimensions (``hypothesis.extra.numpy``), including empty
  and 0-d ones;
* the memory of every operand: a view into a raw byte buffer with positive and
  negative steps and offsets on every axis, transposed, stride-0 (broadcast,
  explicit with ``np.broadcast_to`` or left to the ufunc), reshaped from a
  shifted and possibly reversed flat slice, in native or swapped byte order
  (``'>f4'``, ``'>i2'`` on this little-endian machine) and aligned or at an odd
  byte offset;
* ``out=``: none, a fresh view, the input itself, or another view into the
  input's buffer that partially overlaps it (``x = base[:-1]``,
  ``out = base[1:]`` and every other overlap the views above can make);
* ``where=``: a mask broadcast to the output, with ``out`` preset, so that the
  positions it leaves alone are checked too;
* ``relu_backward.accumulate`` on any axis, into nothing, a fresh ``out``, the
  input itself or an overlapping view (NumPy feeds ``out`` back as ``dy``);
* the values: raw bit patterns drawn as bytes (every encoding: NaNs with any
  payload, quiet or signalling, of either sign, subnormals, infinities, signed
  zeros), mixed with drawn special values.

Expected results are computed by the reference on native copies of the
operands taken before the call (``out`` may alias an input), and compared bit
for bit, dtype included.  After the call, every byte of every buffer is
compared with what the call may have written (the ``out`` views, and only where
``where`` allows), so a stray write anywhere, to an input, to the gaps of a
strided view or to a masked-out position, fails.  Calls run under
``np.errstate(all='raise')`` with every warning an error.

Runs are derandomized and use no example database, so CI is reproducible.
The active SIMD target gets 1000 examples per ufunc, every other target the
CPU supports 400 (in a subprocess with ``NPRELU_CPU_TARGET``).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nprelu
from nprelu import reference

# Examples per ufunc under the active SIMD target; every other target this CPU
# runs gets OTHER_TARGET_EXAMPLES in a subprocess (test_fuzz_under_other_targets).
EXAMPLES = int(os.environ.get("NPRELU_FUZZ_EXAMPLES", "1000"))
OTHER_TARGET_EXAMPLES = 400

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    # The fixtures used (assert_same) are pure functions: nothing to reset.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- float bit layouts

KNOWN_FORMATS = {(5, 10), (8, 23), (11, 52), (15, 63), (15, 112)}


@dataclass(frozen=True)
class Bits:
    """Bit layout of a float dtype (IEEE 754, or x87 extended with its explicit
    integer bit); values are Python ints of the value bits."""

    dtype: np.dtype[Any]
    nexp: int
    nmant: int

    @property
    def explicit(self) -> bool:
        return (self.nexp, self.nmant) == (15, 63)

    @property
    def exp_shift(self) -> int:
        return self.nmant + int(self.explicit)

    @property
    def emax(self) -> int:
        return (1 << self.nexp) - 1

    @property
    def nbytes(self) -> int:
        """Bytes holding the value (x87: 10 of 16)."""
        return 10 if self.explicit else self.dtype.itemsize

    def encode(self, sign: int, exp: int, frac: int) -> int:
        v = (sign << (self.exp_shift + self.nexp)) | (exp << self.exp_shift) | frac
        if self.explicit and exp:
            v |= 1 << self.nmant
        return v

    def valid(self, v: int) -> int:
        """x87: the integer bit must be set exactly when the exponent is not 0
        (the other encodings are invalid operands for the FPU, not numbers)."""
        if not self.explicit:
            return v
        if (v >> self.exp_shift) & self.emax:
            return v | (1 << self.nmant)
        return v & ~(1 << self.nmant)

    def array(self, ints: list[int]) -> np.ndarray:
        size = self.dtype.itemsize
        raw = b"".join(int(v).to_bytes(size, sys.byteorder) for v in ints)
        return np.frombuffer(raw, dtype=self.dtype).copy()

    def specials(self) -> np.ndarray:
        e, m = self.emax, (1 << self.nmant) - 1
        q = 1 << (self.nmant - 1)
        mags = [(0, 0), (e, 0), (e, q), (e, q | 0x15), (e, m), (e, 1), (e, q - 1), (e, q >> 1),
                (0, 1), (0, m), (1, 0), (self.bias, 0), (self.bias, q), (e - 1, m)]
        return self.array([self.encode(s, x, f) for x, f in mags for s in (0, 1)])

    @property
    def bias(self) -> int:
        return (1 << (self.nexp - 1)) - 1


@cache
def bits_of(char: str) -> Bits | None:
    dt = np.dtype(char)
    info = np.finfo(dt)
    key = (int(info.nexp), int(info.nmant))
    if key not in KNOWN_FORMATS or (key == (15, 63) and sys.byteorder != "little"):
        return None
    return Bits(dt, *key)


def value_nbytes(dt: np.dtype[Any]) -> int:
    if dt.kind == "f":
        b = bits_of(dt.char)
        assert b is not None
        return b.nbytes
    return dt.itemsize


FLOATS = [c for c in "efdg" if bits_of(c) is not None]
INTS = list("bBhHiIlLqQ")
UNARY_CHARS = INTS + FLOATS + ["?"]
# what the unary fuzzers draw from: floats, where the special values are, weigh more
UNARY_PICK = INTS + 3 * FLOATS + ["?"]


@cache
def specials(char: str) -> np.ndarray:
    dt = np.dtype(char)
    if dt.kind == "f":
        b = bits_of(char)
        assert b is not None
        return b.specials()
    info = np.iinfo(dt)
    vals = [0, 1, -1, 2, info.min, info.max, info.min + 1, info.max - 1]
    return np.array([v for v in vals if info.min <= v <= info.max], dtype=dt)


@cache
def sentinel(char: str, n: int) -> np.ndarray:
    """Preset for out: never a value the ufuncs produce (a negative NaN with a
    payload for floats, the most negative value for signed integers)."""
    dt = np.dtype(char)
    if dt.kind == "f":
        b = bits_of(char)
        assert b is not None
        return b.array([b.encode(1, b.emax, 0x2A5 + 3 * i) for i in range(n)])
    info = np.iinfo(dt)
    return np.full(n, info.min if info.min < 0 else info.max - 0x5A, dtype=dt)


def native(dt: np.dtype[Any]) -> np.dtype[Any]:
    return dt.newbyteorder("=")


def native_copy(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return np.array(a, dtype=native(a.dtype), copy=True)


# --------------------------------------------------------------------------- drawing values


def draw_values(data: st.DataObject, dt: np.dtype[Any], n: int, label: str) -> np.ndarray:
    """``n`` values of native ``dt``: raw bit patterns, some replaced by specials."""
    if dt.kind == "b":
        raw = data.draw(st.binary(min_size=n, max_size=n), label=f"{label} bits")
        return (np.frombuffer(raw, np.uint8) & 1).astype(bool)
    nb = value_nbytes(dt)
    raw = data.draw(st.binary(min_size=n * nb, max_size=n * nb), label=f"{label} bits")
    sel = np.frombuffer(data.draw(st.binary(min_size=n, max_size=n), label=f"{label} specials"),
                        np.uint8)
    if nb != dt.itemsize:  # x87: build each element from its 10 value bytes
        b = bits_of(dt.char)
        assert b is not None
        vals = b.array([b.valid(int.from_bytes(raw[i * nb:(i + 1) * nb], "little"))
                        for i in range(n)])
    else:
        vals = np.frombuffer(raw, dtype=dt).copy()
    sp = specials(dt.char)
    pick = sel < 96
    vals[pick] = sp[sel[pick] % len(sp)]
    return vals


# --------------------------------------------------------------------------- memory layouts

STEPS = (1, 1, 1, -1, 2, -2, 3, -3)
MAX_BASE = 6000  # elements of the buffer behind one view


@dataclass
class Plan:
    """How one operand's view is cut out of its buffer.

    ``grid``: per axis a step (negative: reversed; 0: a stride-0 broadcast
    axis) and an offset, then a transpose.  ``flat``: a shifted, possibly
    reversed, 1-d slice reshaped to the shape in C or F order.
    """

    full: tuple[int, ...]
    kind: str = "grid"
    steps: tuple[int, ...] = ()
    offsets: tuple[int, ...] = ()
    perm: tuple[int, ...] = ()
    start: int = 0
    reverse: bool = False
    order: str = "C"
    explicit: bool = True  # broadcast with np.broadcast_to, else leave it to the ufunc

    @property
    def pre(self) -> tuple[int, ...]:
        pre = [0] * len(self.full)
        for j, p in enumerate(self.perm):
            pre[p] = self.full[j]
        return tuple(pre)

    @property
    def broadcast(self) -> bool:
        return self.kind == "grid" and 0 in self.steps

    def need(self) -> tuple[int, ...]:
        if self.kind == "flat":
            return (self.start + math.prod(self.full),)
        return tuple(o + 1 if s == 0 or n == 0 else o + abs(s) * (n - 1) + 1
                     for n, s, o in zip(self.pre, self.steps, self.offsets))

    def view(self, base: np.ndarray) -> np.ndarray:
        """The writable view (stride-0 axes still of length 1)."""
        if self.kind == "flat":
            v = base[self.start:self.start + math.prod(self.full)]
            if self.reverse:
                v = v[::-1]
            v = v.reshape(self.full, order=self.order)
            assert v.size == 0 or np.shares_memory(v, base)
            return v
        idx, rev = [], []
        for n, s, o in zip(self.pre, self.steps, self.offsets):
            if s == 0:
                idx.append(slice(o, o + 1))
            elif n == 0:
                idx.append(slice(o, o))
            else:
                idx.append(slice(o, o + abs(s) * (n - 1) + 1, abs(s)))
            rev.append(slice(None, None, -1) if s < 0 else slice(None))
        # the Ellipsis keeps a 0-d result a view (not a scalar)
        return base[(*idx, ...)][(*rev, ...)].transpose(self.perm)

    def operand(self, base: np.ndarray) -> np.ndarray:
        """What is passed to the ufunc."""
        v = self.view(base)
        if self.broadcast and self.explicit:
            return np.broadcast_to(v, self.full)
        return v


def draw_plan(data: st.DataObject, full: tuple[int, ...], *, allow_broadcast: bool,
              label: str) -> Plan:
    nd = len(full)
    if nd and data.draw(st.integers(0, 4), label=f"{label} flat?") == 0:
        return Plan(full, "flat", start=data.draw(st.integers(0, 3)),
                    reverse=data.draw(st.booleans()), order=data.draw(st.sampled_from("CF")))
    steps = list(data.draw(st.lists(st.sampled_from(STEPS + ((0,) if allow_broadcast else ())),
                                    min_size=nd, max_size=nd), label=f"{label} steps"))
    offsets = list(data.draw(st.lists(st.integers(0, 2), min_size=nd, max_size=nd),
                             label=f"{label} offsets"))
    perm = tuple(data.draw(st.permutations(range(nd)), label=f"{label} transpose"))
    explicit = data.draw(st.booleans(), label=f"{label} explicit broadcast") if 0 in steps else True
    plan = Plan(full, steps=tuple(steps), offsets=tuple(offsets), perm=perm, explicit=explicit)
    # keep the buffer small: turn the largest steps into +-1 until it fits
    while math.prod(plan.need()) > MAX_BASE:
        k = max(range(nd), key=lambda i: (abs(steps[i]), offsets[i]))
        steps[k] = 1 if steps[k] >= 0 else -1
        offsets[k] = 0
        plan = Plan(full, steps=tuple(steps), offsets=tuple(offsets), perm=perm, explicit=explicit)
    return plan


MEMORY = ["native"] * 5 + ["swapped", "unaligned", "swapped_unaligned"]


class Buffer:
    """Raw bytes shared by the views of one or more operands."""

    def __init__(self, dtype: np.dtype[Any], memory: str) -> None:
        self.dtype = dtype.newbyteorder("S") if "swapped" in memory else native(dtype)
        self.offset = 1 if "unaligned" in memory else 0
        self.plans: list[Plan] = []
        self.raw = np.zeros(0, np.uint8)

    def allocate(self) -> None:
        n = max((math.prod(p.need()) for p in self.plans), default=0)
        self.raw = np.full(n * self.dtype.itemsize + self.offset + 3, 0xA5, np.uint8)

    def base(self, plan: Plan, raw: np.ndarray | None = None) -> np.ndarray:
        raw = self.raw if raw is None else raw
        n = math.prod(plan.need())
        b = raw[self.offset:self.offset + n * self.dtype.itemsize].view(self.dtype)
        return b.reshape(plan.need())

    def value_mask(self) -> np.ndarray:
        """Bytes that hold values (x87 long double: not the 6 padding bytes)."""
        mask = np.ones(self.raw.size, bool)
        nb = value_nbytes(native(self.dtype))
        if nb != self.dtype.itemsize:
            item = np.zeros(self.dtype.itemsize, bool)
            if self.dtype.isnative:
                item[:nb] = True
            else:
                item[-nb:] = True
            n = (self.raw.size - self.offset) // self.dtype.itemsize
            mask[self.offset:self.offset + n * self.dtype.itemsize] = np.tile(item, n)
        return mask


def draw_shape(data: st.DataObject, dtypes: list[np.dtype[Any]]) -> tuple[int, ...]:
    """Up to 4-d; long 1-d shapes reach past the SIMD unrolls."""
    shape = list(data.draw(st.one_of(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                      max_side=8),
                                     st.tuples(st.integers(0, 300))), label="shape"))
    cap = min(300, 1600 // max(value_nbytes(dt) for dt in dtypes))
    while math.prod(shape) > cap:
        k = int(np.argmax(shape))
        shape[k] //= 2
    return tuple(shape)


def draw_where(data: st.DataObject, full: tuple[int, ...]) -> Any:
    kind = data.draw(st.sampled_from(["array", "array", "broadcast", "scalar"]), label="where")
    if kind == "scalar":
        return data.draw(st.booleans(), label="where scalar")
    shape = list(full)
    if kind == "broadcast":
        shape = [1 if data.draw(st.booleans()) else n for n in shape]
        while shape and shape[0] == 1 and data.draw(st.booleans()):
            shape.pop(0)
    n = math.prod(shape)
    raw = data.draw(st.binary(min_size=n, max_size=n), label="where bits")
    return (np.frombuffer(raw, np.uint8) & 1).astype(bool).reshape(shape)


# --------------------------------------------------------------------------- running a call




def loop_dtype(a: np.dtype[Any], b: np.dtype[Any]) -> np.dtype[Any]:
    """The float loop NumPy picks for relu_backward (the reference's rule)."""
    with np.errstate(all="ignore"):
        return np.nextafter(np.empty(0, a), np.empty(0, b)).dtype


def draw_dtypes(data: st.DataObject, name: str) -> tuple[list[np.dtype[Any]], list[np.dtype[Any]]]:
    """(input dtypes, result dtypes)."""
    if name != "relu_backward":
        dt = np.dtype(data.draw(st.sampled_from(UNARY_PICK), label="dtype"))
        res = np.dtype(np.int8) if dt.kind == "b" else dt
        return [dt], [res] * getattr(nprelu, name).nout
    if data.draw(st.integers(0, 3), label="same dtypes (0: mixed)"):
        dt = np.dtype(data.draw(st.sampled_from(FLOATS), label="dtype"))
        return [dt, dt], [dt]
    a, b = (np.dtype(data.draw(st.sampled_from(UNARY_CHARS), label=f"dtype {i}")) for i in (0, 1))
    res = loop_dtype(a, b)
    # A float operand cast to a wider float would go through NumPy's own cast
    # (which may quiet a signalling NaN): only integers and bools are cast.
    a, b = (res if d.kind == "f" else d for d in (a, b))
    res = loop_dtype(a, b)
    if res.char not in FLOATS:
        a = b = res = np.dtype(FLOATS[-1])
    return [a, b], [res]


def run_case(data: st.DataObject, name: str, assert_same: Callable[[Any, Any], None],
             strict_fp: Any) -> None:
    f = getattr(nprelu, name)
    ref = getattr(reference, name)
    in_dts, res_dts = draw_dtypes(data, name)
    full = draw_shape(data, in_dts + res_dts)

    # inputs: their own buffer, or (relu_backward) the other input's
    buffers: list[Buffer] = []
    in_plans: list[Plan] = []
    in_buf: list[Buffer] = []
    for i, dt in enumerate(in_dts):
        plan = draw_plan(data, full, allow_broadcast=True, label=f"in{i}")
        buf = None
        if i and dt.char == in_dts[0].char and data.draw(st.booleans(), label="inputs share"):
            buf = in_buf[0]
        if buf is None:
            buf = Buffer(dt, data.draw(st.sampled_from(MEMORY), label=f"in{i} memory"))
            buffers.append(buf)
        buf.plans.append(plan)
        in_plans.append(plan)
        in_buf.append(buf)

    # outputs: none, fresh, the very input, or a view into an input's buffer
    out_plans: list[Plan | None] = []
    out_buf: list[Buffer | None] = []
    out_alias: list[int | None] = []
    taken: set[int] = set()
    for k, rdt in enumerate(res_dts):
        mode = data.draw(st.sampled_from(["none", "fresh", "fresh", "alias", "overlap"]),
                         label=f"out{k}")
        cands = [i for i, d in enumerate(in_dts)
                 if d.char == rdt.char and id(in_buf[i]) not in taken]
        if mode in ("alias", "overlap") and not cands:
            mode = "fresh"
        alias = None
        if mode == "none":
            out_plans.append(None)
            out_buf.append(None)
            out_alias.append(None)
            continue
        if mode == "fresh":
            plan = draw_plan(data, full, allow_broadcast=False, label=f"out{k}")
            buf = Buffer(rdt, data.draw(st.sampled_from(MEMORY), label=f"out{k} memory"))
            buffers.append(buf)
        else:
            i = data.draw(st.sampled_from(cands), label=f"out{k} shares input")
            buf = in_buf[i]
            p = in_plans[i]
            if mode == "alias" and not (p.broadcast and p.explicit) and p.view(
                    np.empty(p.need(), np.uint8)).shape == full:
                plan, alias = p, i
            else:
                plan = draw_plan(data, full, allow_broadcast=False, label=f"out{k}")
        taken.add(id(buf))
        buf.plans.append(plan)
        out_plans.append(plan)
        out_buf.append(buf)
        out_alias.append(alias)

    for buf in buffers:
        buf.allocate()
    args = []
    for i, (plan, buf, dt) in enumerate(zip(in_plans, in_buf, in_dts)):
        v = plan.view(buf.base(plan))
        v[...] = draw_values(data, dt, v.size, f"in{i}").reshape(v.shape)
    for plan, buf in zip(in_plans, in_buf):
        args.append(plan.operand(buf.base(plan)))
    outs: list[np.ndarray | None] = []
    for k, (plan, buf) in enumerate(zip(out_plans, out_buf)):
        if plan is None or buf is None:
            outs.append(None)
            continue
        v = args[out_alias[k]] if out_alias[k] is not None else plan.view(buf.base(plan))
        if buf not in in_buf:
            v[...] = sentinel(res_dts[k].char, v.size).reshape(v.shape)
        outs.append(v)

    kwargs: dict[str, Any] = {}
    where = None
    if any(o is not None for o in outs):
        if len(outs) == 1 and data.draw(st.booleans(), label="out bare"):
            kwargs["out"] = outs[0]
        else:
            kwargs["out"] = tuple(outs)
        if all(o is not None for o in outs) and data.draw(st.booleans(), label="where?"):
            where = draw_where(data, full)
            kwargs["where"] = where

    # everything the expectation needs, copied before the call
    raw_before = [buf.raw.copy() for buf in buffers]
    arg_copies = [native_copy(a) for a in args]
    presets = [None if o is None else native_copy(o) for o in outs]
    wants = ref(*arg_copies)
    wants = wants if isinstance(wants, tuple) else (wants,)

    what = (f"{name}(" + ", ".join(f"{a.dtype.str}{a.shape} strides={a.strides}" for a in args)
            + f", out={[None if o is None else (o.dtype.str, o.strides) for o in outs]}"
            + f", where={'-' if where is None else np.shape(where)})")
    with strict_fp(what):
        got = f(*args, **kwargs)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(res_dts)

    # the shape of the call: the inputs' and the given outputs' broadcast
    shape = np.broadcast_shapes(*(np.shape(a) for a in args),
                                *(o.shape for o in outs if o is not None))
    expected_outs: list[np.ndarray | None] = []
    for k, (g, w, o, pre) in enumerate(zip(got, wants, outs, presets)):
        assert w.dtype == res_dts[k] and w.dtype.char == res_dts[k].char, (w.dtype, res_dts[k])
        if o is None:
            assert_same(g, np.broadcast_to(w, shape) if shape != w.shape else w)
            expected_outs.append(None)
            continue
        assert g is o, what
        exp = np.broadcast_to(w, full).copy()
        if where is not None:
            assert pre is not None
            wb = np.broadcast_to(where, full)
            exp = np.where(wb, exp, pre)
        assert g.dtype.char == res_dts[k].char
        assert_same(native_copy(g), exp)
        expected_outs.append(exp)

    # every byte of every buffer: only the out views changed, as expected
    for buf, before in zip(buffers, raw_before):
        want_raw = before.copy()
        for k, (plan, ob) in enumerate(zip(out_plans, out_buf)):
            if ob is buf and plan is not None:
                plan.view(buf.base(plan, want_raw))[...] = expected_outs[k]
        mask = buf.value_mask()
        bad = np.flatnonzero((buf.raw != want_raw) & mask)
        assert bad.size == 0, (f"{what}: {bad.size} stray bytes changed in a "
                               f"{buf.dtype.str} buffer, first at byte {bad[0]}")


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_backward", "relu_and_grad"])
@FUZZ
@given(data=st.data())
def test_fuzz_ufunc(name: str, data: st.DataObject, assert_same: Any, strict_fp: Any) -> None:
    run_case(data, name, assert_same, strict_fp)


def fold(a: np.ndarray, axis: int) -> np.ndarray:
    """relu_backward.accumulate by the reference: acc[i] = relu_backward(acc[i-1], a[i])."""
    m = np.moveaxis(a, axis, 0)
    acc = m.copy()
    for i in range(1, m.shape[0]):
        acc[i] = reference.relu_backward(acc[i - 1], m[i])
    return np.moveaxis(acc, 0, axis)


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=st.data())
def test_fuzz_relu_backward_accumulate(data: st.DataObject, assert_same: Any, strict_fp: Any) -> None:
    """NumPy feeds the output back as dy one item behind; with ``out`` the
    input, or overlapping it, on any axis of any layout."""
    dt = np.dtype(data.draw(st.sampled_from(FLOATS), label="dtype"))
    full = draw_shape(data, [dt])
    if not full:
        full = (data.draw(st.integers(0, 40), label="length"),)
    axis = data.draw(st.integers(-len(full), len(full) - 1), label="axis")
    plan = draw_plan(data, full, allow_broadcast=True, label="in")
    if plan.broadcast:
        plan.explicit = True
    buf = Buffer(dt, data.draw(st.sampled_from(MEMORY), label="in memory"))
    buf.plans.append(plan)
    mode = data.draw(st.sampled_from(["none", "fresh", "alias", "overlap"]), label="out")
    if mode == "alias" and plan.broadcast:
        mode = "overlap"
    out_plan = None if mode in ("none", "alias") else draw_plan(data, full, allow_broadcast=False,
                                                                 label="out")
    out_buf = buf
    if mode == "fresh":
        out_buf = Buffer(dt, data.draw(st.sampled_from(MEMORY), label="out memory"))
    if out_plan is not None:
        out_buf.plans.append(out_plan)
    buffers = [buf] if out_buf is buf else [buf, out_buf]
    for b in buffers:
        b.allocate()
    v = plan.view(buf.base(plan))
    v[...] = draw_values(data, dt, v.size, "in").reshape(v.shape)
    a = plan.operand(buf.base(plan))
    out = None
    if mode == "alias":
        out, out_plan = a, plan
    elif out_plan is not None:
        out = out_plan.view(out_buf.base(out_plan))
        if mode == "fresh":
            out[...] = sentinel(dt.char, out.size).reshape(out.shape)

    raw_before = [b.raw.copy() for b in buffers]
    want = fold(native_copy(a), axis)
    what = (f"relu_backward.accumulate({a.dtype.str}{a.shape} strides={a.strides}, axis={axis}, "
            f"out={None if out is None else (out.dtype.str, out.strides)})")
    with strict_fp(what):
        got = nprelu.relu_backward.accumulate(a, axis=axis, out=out)
    if out is None:
        assert_same(got, want)
    else:
        assert got is out
        assert_same(native_copy(got), want)
    for b, before in zip(buffers, raw_before):
        want_raw = before.copy()
        if out_plan is not None and out_buf is b:
            out_plan.view(b.base(out_plan, want_raw))[...] = want
        bad = np.flatnonzero((b.raw != want_raw) & b.value_mask())
        assert bad.size == 0, f"{what}: {bad.size} stray bytes changed, first at byte {bad[0]}"


# --------------------------------------------------------------------------- the harness itself


def test_harness_catches_a_wrong_loop(assert_same: Any) -> None:
    """The byte-level buffer check sees a write to a masked-out position and to
    an input: run the same machinery on np.negative, which differs."""
    buf = Buffer(np.dtype("f4"), "swapped_unaligned")
    plan = Plan((5,), steps=(-2,), offsets=(1,), perm=(0,))
    buf.plans.append(plan)
    buf.allocate()
    v = plan.view(buf.base(plan))
    v[...] = np.arange(5, dtype="f4") - 2
    assert v.dtype.str == ">f4" and not v.flags.aligned and v.strides == (-8,)
    before = buf.raw.copy()
    np.negative(v, out=v)
    assert np.count_nonzero(before != buf.raw) > 0
    with pytest.raises(AssertionError):
        assert_same(native_copy(v), reference.relu(np.arange(5, dtype="f4") - 2))
    # the x87 padding mask leaves out exactly the padding
    if bits_of("g") is not None and value_nbytes(np.dtype("g")) == 10:
        lb = Buffer(np.dtype("g"), "unaligned")
        lb.plans.append(Plan((3,), steps=(1,), offsets=(0,), perm=(0,)))
        lb.allocate()
        assert np.count_nonzero(lb.value_mask()) == lb.raw.size - 6 * 3


def test_specials_are_drawn() -> None:
    """The special values cover every class of the SPEC's table, for every float dtype."""
    for c in FLOATS:
        s = specials(c)
        with np.errstate(invalid="ignore"):
            assert np.isnan(s).sum() >= 8 and np.isinf(s).sum() == 2
            assert (s == 0).sum() == 2 and np.signbit(s[s == 0]).sum() == 1
            sub = (s != 0) & (np.abs(s) < np.finfo(s.dtype).smallest_normal)
            assert sub.sum() == 4


# --------------------------------------------------------------------------- every SIMD target

TARGETS = nprelu.cpu_targets()
OTHERS = [t for t in TARGETS["supported"] if t != TARGETS["active"]]


@pytest.mark.skipif("NPRELU_CPU_TARGET" in os.environ,
                    reason="NPRELU_CPU_TARGET chose one target for this run")
@pytest.mark.parametrize("target", OTHERS or ["(none)"])
def test_fuzz_under_other_targets(target: str) -> None:
    """The four ufunc fuzzers again, under each other target's kernels."""
    if not OTHERS:
        pytest.skip("the CPU supports one target only")
    env = dict(os.environ, NPRELU_CPU_TARGET=target,
               NPRELU_FUZZ_EXAMPLES=str(OTHER_TARGET_EXAMPLES))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=-ra --strict-markers --import-mode=importlib",
         "-W", "error", __file__, "-k", "test_fuzz_ufunc",
         "--hypothesis-show-statistics"],
        env=env, capture_output=True, text=True, timeout=600, cwd=os.path.dirname(__file__))
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "4 passed" in r.stdout, r.stdout[-3000:]
    assert r.stdout.count(f"{OTHER_TARGET_EXAMPLES} passing") == 4, r.stdout[-3000:]
