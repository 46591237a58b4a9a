"""Nothing is lost: no call writes a byte it should not.

* A call that raises leaves ``out`` and every input exactly as they were,
  whatever the error: bad dtype, bad ``out`` shape, read-only ``out``, unsafe
  cast, operands that do not broadcast, a bad ``where``, one bad output of two.
* ``where=False`` positions of ``out`` are never written: ``out`` is preset with
  sentinel bit patterns (negative signalling NaNs with a payload, for floats)
  and compared bit for bit, in every layout of ``out`` (strided, reversed,
  swapped byte order, unaligned) and through NumPy's buffered casting.
* No input is ever written unless it is passed as ``out``: after every kind of
  call (fresh result, ``out=``, ``relu_and_grad`` with an out tuple, strided,
  broadcast, swapped and unaligned inputs, in place on one operand only,
  interleaved input and output, ``where=``, ``.accumulate``, ``.at``) every
  byte of every buffer involved, including the gaps between the elements of a
  strided view, is what it must be.

All checks are on the buffers' bytes (for ``longdouble``, the value bytes), so
they see writes that element-wise comparisons of the views would miss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
N = 2 * 8192 + 37  # past NumPy's buffer size, so buffered calls take several chunks

View = Callable[[np.ndarray], np.ndarray]


def as_tuple(r: Any) -> tuple[Any, ...]:
    return r if isinstance(r, tuple) else (r,)


def sentinel(dtype: Any, n: int, fmt: Any, quiet: bool = False) -> np.ndarray:
    """Values no call produces: negative signalling (or quiet) NaNs with varying
    payloads for floats; for integers the most negative value (unsigned: a
    0xA5 pattern)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        f = fmt(dtype)
        q = f.quiet if quiet else 0
        return f.from_ints(f.encode(1, f.emax, q | (0x5A + (i % 64))) for i in range(n))
    if dtype.kind == "u":
        return np.full(n, int.from_bytes(b"\xa5" * dtype.itemsize, "little") >> 1, dtype)
    return np.full(n, np.iinfo(dtype).min, dtype)


LONGDOUBLE_VALUE_BYTES = 10 if np.finfo(np.longdouble).nmant == 63 else np.dtype("g").itemsize


def value_bytes(a: np.ndarray) -> np.ndarray:
    """The bytes of a contiguous buffer that hold values: all of them, except
    the padding of x87 long doubles (either byte order)."""
    raw = a.reshape(-1).view(np.uint8)
    if a.dtype.char != "g" or LONGDOUBLE_VALUE_BYTES == a.itemsize:
        return raw
    items = raw.reshape(-1, a.itemsize)
    nb = LONGDOUBLE_VALUE_BYTES
    return items[:, :nb] if a.dtype.isnative else items[:, -nb:]


class Memory:
    """The buffers of a call, and what the call may write into them.

    ``snapshot()`` records every buffer's bytes (buffers made later are
    recorded as they are made); ``expect()`` declares what may be written;
    ``check()`` compares every buffer with its snapshot plus those writes.
    """

    def __init__(self) -> None:
        self.roots: list[np.ndarray] = []
        self.before: list[np.ndarray] = []
        self.snapped = False
        self.writes: list[tuple[np.ndarray, View, np.ndarray]] = []

    def root(self, a: np.ndarray) -> np.ndarray:
        r = np.array(a, copy=True)
        assert r.flags.c_contiguous
        self.roots.append(r)
        if self.snapped:
            self.before.append(r.copy())
        return r

    def unaligned_root(self, dtype: Any, n: int) -> tuple[np.ndarray, View]:
        """A uint8 buffer, and the view of n unaligned items of dtype in it."""
        dtype = np.dtype(dtype)
        r = self.root(np.full(n * dtype.itemsize + 2, 0xA5, np.uint8))

        def view(b: np.ndarray) -> np.ndarray:
            return b[1:1 + n * dtype.itemsize].view(dtype)
        assert not view(r).flags.aligned or dtype.itemsize == 1
        return r, view

    def snapshot(self) -> None:
        self.before = [r.copy() for r in self.roots]
        self.snapped = True

    def expect(self, root: np.ndarray, view: View, values: np.ndarray) -> None:
        """The call may write ``values`` into ``view(root)``: nothing else."""
        self.writes.append((root, view, values))

    def check(self, what: str) -> None:
        assert self.snapped and len(self.before) == len(self.roots), "snapshot() first"
        for i, (r, b) in enumerate(zip(self.roots, self.before)):
            want = b.copy()
            for wr, view, values in self.writes:
                if wr is r:
                    view(want)[...] = values
            got_bytes, want_bytes = value_bytes(r), value_bytes(want)
            if not np.array_equal(got_bytes, want_bytes):
                per_item = (got_bytes != want_bytes).reshape(r.size, -1).any(axis=1)
                bad = np.flatnonzero(per_item)
                raise AssertionError(
                    f"{what}: buffer {i} ({r.dtype.str}, {r.shape}) differs from what the call "
                    f"may write at {bad.size} items, first at {bad[:5].tolist()}: "
                    f"got {r.reshape(-1)[bad[:3]]!r}, want {want.reshape(-1)[bad[:3]]!r}")


# --------------------------------------------------------------------------- errors


def good_args(mem: Memory, name: str, sample: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Strided float64 inputs (gaps in their buffers) and preset outs, all of 6 items."""
    rng = np.random.default_rng(len(name))
    f = getattr(nprelu, name)
    args = [mem.root(sample(np.float64, 13, rng))[1::2] for _ in range(f.nin)]
    outs = [mem.root(np.full(12, np.pi))[::-2] for _ in range(f.nout)]
    return args, outs


def readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


# name -> (exception, how the call goes wrong): each gets good strided inputs and
# preset outs, and may replace some of them or add keywords
ERRORS: dict[str, tuple[type[BaseException], Callable[..., Any]]] = {
    "complex_input": (TypeError, lambda f, a, o, m: f(*[x.astype(complex) for x in a], out=o)),
    "complex_second_input": (TypeError, lambda f, a, o, m: f(*a[:-1], a[-1].astype(complex),
                                                             out=o)),
    "string_input": (TypeError, lambda f, a, o, m: f(*[np.array(["1"] * 6)] * len(a), out=o)),
    "object_input": (TypeError, lambda f, a, o, m: f(*[np.array([None] * 6)] * len(a), out=o)),
    "datetime_input": (TypeError, lambda f, a, o, m: f(
        *[np.arange(6).astype("M8[D]")] * len(a), out=o)),
    "out_shape": (ValueError, lambda f, a, o, m: f(*a, out=tuple(
        m.root(np.full(5, 2.0)) for _ in o))),
    "out_shape_last": (ValueError, lambda f, a, o, m: f(
        *a, out=(*o[:-1], m.root(np.full(5, 2.0))))),
    "out_readonly": (ValueError, lambda f, a, o, m: f(*a, out=tuple(readonly(x) for x in o))),
    "out_readonly_last": (ValueError, lambda f, a, o, m: f(*a, out=(*o[:-1], readonly(o[-1])))),
    "out_unsafe_cast": (TypeError, lambda f, a, o, m: f(*a, out=(
        *o[:-1], m.root(np.full(6, 3, np.int8))))),
    "out_casting_no": (TypeError, lambda f, a, o, m: f(*a, out=tuple(
        m.root(np.full(6, 3.0, np.float32)) for _ in o), casting="no")),
    "input_unsafe_cast": (TypeError, lambda f, a, o, m: f(*a, out=o, dtype=np.int16)),
    "no_such_loop": (TypeError, lambda f, a, o, m: f(*a, out=o, dtype=np.complex64)),
    "input_not_broadcastable": (ValueError, lambda f, a, o, m: f(
        *a[:-1], m.root(np.ones(4))[:4], out=o)),
    "out_smaller_than_inputs": (ValueError, lambda f, a, o, m: f(
        *[np.broadcast_to(x, (3, 6)) for x in a], out=o)),
    "where_shape": (ValueError, lambda f, a, o, m: f(*a, out=o, where=m.root(np.ones(4, bool)))),
    "where_dtype": (TypeError, lambda f, a, o, m: f(*a, out=o, where=np.array(["x"] * 6))),
    "out_tuple_length": (ValueError, lambda f, a, o, m: f(*a, out=(*o, o[0]))),
    "bad_keyword": (TypeError, lambda f, a, o, m: f(*a, out=o, bogus=True)),
    "bad_order": (ValueError, lambda f, a, o, m: f(*a, out=o, order="Z")),
}


@pytest.mark.parametrize("error", ERRORS)
@pytest.mark.parametrize("name", NAMES)
def test_error_leaves_everything_untouched(name: str, error: str, sample: Any) -> None:
    f = getattr(nprelu, name)
    mem = Memory()
    args, outs = good_args(mem, name, sample)
    exc, call = ERRORS[error]
    mem.snapshot()
    with pytest.raises(exc):
        call(f, args, tuple(outs), mem)
    mem.check(f"{name} with {error}")


@pytest.mark.parametrize("name", NAMES)
def test_error_in_a_big_buffered_call_leaves_everything(name: str, sample: Any) -> None:
    """Big arrays that NumPy would process in several buffered chunks (float32
    in, float64 out), with the last output or the last input bad: not even a
    first chunk may have been written."""
    f = getattr(nprelu, name)
    mem = Memory()
    rng = np.random.default_rng(1)
    args = [mem.root(sample(np.float32, N, rng)) for _ in range(f.nin)]
    outs = [mem.root(np.full(N, 1.25, np.float64)) for _ in range(f.nout)]  # cast f4 -> f8
    mem.snapshot()
    with pytest.raises(ValueError):
        f(*args, out=(*outs[:-1], readonly(outs[-1])))
    with pytest.raises(TypeError):
        f(*args, out=(*outs[:-1], mem.root(np.zeros(N, np.int32))))
    with pytest.raises(ValueError):
        f(*args[:-1], args[-1][:-1], out=tuple(outs))
    mem.check(f"{name}: late error")


def numpy_refuses_readonly_accumulate_out() -> bool:
    """NumPy 1.26 accumulates into a read-only view of a writable array (np.add
    as much as any ufunc); later NumPy raises."""
    o = np.zeros(3)
    try:
        np.add.accumulate(np.ones(3), out=readonly(o))
    except ValueError:
        return True
    return False


def test_accumulate_and_at_errors_leave_everything_untouched(sample: Any) -> None:
    mem = Memory()
    rng = np.random.default_rng(2)
    a = mem.root(sample(np.float64, 40, rng))
    o = mem.root(np.full(40, np.e))
    mem.snapshot()
    with pytest.raises(ValueError):
        nprelu.relu_backward.accumulate(a, out=o[:39])
    if numpy_refuses_readonly_accumulate_out():
        with pytest.raises(ValueError):
            nprelu.relu_backward.accumulate(a, out=readonly(o))
    with pytest.raises(ValueError):
        nprelu.relu_backward.accumulate(a.reshape(8, 5), axis=2)
    with pytest.raises(TypeError):
        nprelu.relu_backward.accumulate(a.astype(complex))
    with pytest.raises(IndexError):
        nprelu.relu.at(a, np.array([0, 5, 40]))  # the last index is out of bounds
    # (a read-only first operand of .at is not tested: NumPy 2.4's ufunc.at
    # writes into it without an error, np.negative.at as much as nprelu's)
    with pytest.raises(ValueError):
        nprelu.relu_backward.at(a, [1, 2], np.ones(3))  # values do not broadcast
    mem.check("accumulate/at errors")


# --------------------------------------------------------------------------- where=False


OUT_LAYOUTS = ["contiguous", "stride3", "reversed", "fortran", "swapped", "unaligned"]
_SENTINELS: dict[tuple[str, bool], np.ndarray] = {}


def sentinel_fill(dtype: np.dtype[Any], n: int, fmt: Any, quiet: bool) -> np.ndarray:
    if (dtype.str, quiet) not in _SENTINELS:
        _SENTINELS[dtype.str, quiet] = sentinel(dtype, 64, fmt, quiet)
    return np.resize(_SENTINELS[dtype.str, quiet], n)


def out_layout(mem: Memory, name: str, dtype: np.dtype[Any], shape: tuple[int, ...],
               fmt: Any, quiet: bool = False) -> tuple[np.ndarray, View]:
    """(root, view) of an out of ``shape`` laid out as ``name``; every byte of
    the root preset (sentinels, or 0xA5 around an unaligned view)."""
    n = int(np.prod(shape))
    s = sentinel_fill(dtype, 3 * n + 1, fmt, quiet)
    if name == "contiguous":
        return mem.root(s[:n]), lambda r: r.reshape(shape)
    if name == "stride3":
        return mem.root(s), lambda r: r[: 3 * n : 3].reshape(shape)
    if name == "reversed":
        return mem.root(s[:n]), lambda r: r[::-1].reshape(shape)
    if name == "fortran":
        return mem.root(s[:n]), lambda r: r.reshape(shape[::-1]).T
    if name == "swapped":
        return mem.root(s[:n].astype(dtype.newbyteorder("S"))), lambda r: r.reshape(shape)
    assert name == "unaligned"
    r, view = mem.unaligned_root(dtype, n)
    view(r)[...] = s[:n]
    return r, lambda b: view(b).reshape(shape)


def masks(shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
    m = rng.random(shape) < 0.5
    alt = (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)
    return {
        "scalar_false": False,
        "all_false": np.zeros(shape, bool),
        "random": m,
        "alternating": alt,
        "mostly_false": rng.random(shape) < 0.02,
        "row": rng.random(shape[-1:]) < 0.5,  # broadcast over the leading axis
        "column": rng.random(shape[:-1] + (1,)) < 0.5,
        "strided": np.repeat(m, 2, axis=-1)[..., ::2],
    }


def where_inputs(name: str, dtype: np.dtype[Any], shape: tuple[int, ...], sample: Any,
                 rng: np.random.Generator) -> list[np.ndarray]:
    f = getattr(nprelu, name)
    n = int(np.prod(shape))
    return [sample(dtype, n, rng).reshape(shape) for _ in range(f.nin)]


# relu_backward has float loops only; integers reach it through casts (below)
WHERE_CASES = [(name, np.dtype(c)) for name in NAMES for c in "efdgbHq"
               if name != "relu_backward" or c in "efdg"]


@pytest.mark.parametrize("name,dtype", WHERE_CASES,
                         ids=[f"{n}-{d.char}" for n, d in WHERE_CASES])
def test_where_false_never_written(name: str, dtype: np.dtype[Any], sample: Any,
                                   fmt: Any) -> None:
    f = getattr(nprelu, name)
    rng = np.random.default_rng(3)
    shape = (7, 2351)  # 16457 elements: several buffer chunks when buffered
    for mask_name, mask in masks(shape, rng).items():
        args = where_inputs(name, dtype, shape, sample, rng)
        wants = as_tuple(getattr(reference, name)(*[a.copy() for a in args]))
        for lay_name in OUT_LAYOUTS:
            if lay_name == "unaligned" and dtype == np.longdouble:
                continue
            mem = Memory()
            arg_roots = [mem.root(a) for a in args]
            outs = []
            for w in wants:
                root, view = out_layout(mem, lay_name, w.dtype, shape, fmt)
                pre = np.array(view(root), dtype=w.dtype)
                mem.expect(root, view, np.where(np.broadcast_to(mask, shape), w, pre))
                outs.append((root, view))
            mem.snapshot()
            out_views = tuple(view(root) for root, view in outs)
            with np.errstate(all="raise"):
                got = as_tuple(f(*arg_roots, out=out_views, where=mask))
            assert all(g is o for g, o in zip(got, out_views))
            mem.check(f"{name} {dtype} where={mask_name} out={lay_name}")


# buffered casts on the way out (or in): (name, input dtype, out dtype)
CASTS = [("relu", "b", "i"), ("relu_grad", "h", "q"), ("relu_and_grad", "B", "H"),
         ("relu", "e", "f"), ("relu_grad", "f", "d"), ("relu_backward", "f", "d"),
         ("relu_backward", "h", "d"), ("relu_and_grad", "e", "d"), ("relu", "?", "h")]


@pytest.mark.parametrize("name,in_char,out_char", CASTS)
def test_where_false_never_written_through_casts(name: str, in_char: str, out_char: str,
                                                 fmt: Any) -> None:
    f = getattr(nprelu, name)
    rng = np.random.default_rng(4)
    shape = (3, 5501)
    n = int(np.prod(shape))
    if np.dtype(in_char).kind == "b":
        args = [rng.random(shape) < 0.5 for _ in range(f.nin)]
    elif np.dtype(in_char).kind == "f":  # no NaN: NumPy's float casts may flag a signalling one
        args = [(rng.standard_normal(shape) * 4).astype(in_char) for _ in range(f.nin)]
        args[0].reshape(-1)[::7] = -0.0
    else:
        info = np.iinfo(in_char)
        args = [rng.integers(info.min, info.max, shape, endpoint=True).astype(in_char)
                for _ in range(f.nin)]
    mask = rng.random(shape) < 0.3
    wants = as_tuple(getattr(reference, name)(*[a.copy() for a in args]))
    for lay_name in ("contiguous", "stride3", "swapped", "unaligned"):
        mem = Memory()
        arg_roots = [mem.root(a) for a in args]
        outs = []
        for w in wants:
            # quiet NaNs: with where= and a cast, NumPy casts out's old contents
            # into its buffer, and its narrowing float cast flags a signalling NaN
            # (np.positive does the same); that is NumPy's cast, not a loop
            root, view = out_layout(mem, lay_name, np.dtype(out_char), shape, fmt, quiet=True)
            pre = np.array(view(root), dtype=out_char)
            mem.expect(root, view, np.where(mask, w.astype(out_char), pre))
            outs.append((root, view))
        mem.snapshot()
        out_views = tuple(view(root) for root, view in outs)
        with np.errstate(all="raise"):
            f(*arg_roots, out=out_views, where=mask)
        mem.check(f"{name} {in_char}->{out_char} where out={lay_name} (n={n})")


# --------------------------------------------------------------------------- inputs never written


def make_inputs(mem: Memory, layout: str, dtype: Any, n: int, nin: int, sample: Any,
                rng: np.random.Generator) -> list[np.ndarray]:
    """``nin`` inputs of n items, each in its own buffer, in ``layout``."""
    out = []
    for _ in range(nin):
        vals = sample(dtype, 3 * n + 2, rng)
        if layout == "contiguous":
            out.append(mem.root(vals[:n]))
        elif layout == "strided":
            out.append(mem.root(vals)[1 : 3 * n + 1 : 3])
        elif layout == "reversed_strided":
            out.append(mem.root(vals)[3 * n : 0 : -3])
        elif layout == "broadcast":
            out.append(np.broadcast_to(mem.root(vals[:1]), (n,)))
        elif layout == "swapped":
            out.append(mem.root(vals[:n].astype(np.dtype(dtype).newbyteorder("S"))))
        elif layout == "unaligned":
            r, view = mem.unaligned_root(dtype, n)
            view(r)[...] = vals[:n]
            out.append(view(r))
        elif layout == "2d_transposed":
            out.append(mem.root(vals[: n - n % 7].reshape(7, -1)).T)
        else:  # pragma: no cover
            raise AssertionError(layout)
    return out


IN_LAYOUTS = ["contiguous", "strided", "reversed_strided", "broadcast", "swapped", "unaligned",
              "2d_transposed"]
IN_DTYPES = [np.dtype(c) for c in "efdgbHq?"]


@pytest.mark.parametrize("layout", IN_LAYOUTS)
@pytest.mark.parametrize("dtype", IN_DTYPES, ids=lambda d: d.char)
@pytest.mark.parametrize("name", NAMES)
def test_inputs_never_written(name: str, dtype: np.dtype[Any], layout: str, sample: Any,
                              assert_same: Any) -> None:
    """Fresh results, out= (array and tuple, partial tuple), where=, dtype=:
    the inputs' buffers keep every byte."""
    f = getattr(nprelu, name)
    rng = np.random.default_rng(5)
    n = 1000
    mem = Memory()
    args = make_inputs(mem, layout, dtype, n, f.nin, sample, rng)
    copies = [np.array(a, dtype=a.dtype.newbyteorder("=")) for a in args]
    wants = as_tuple(getattr(reference, name)(*copies))
    shape = np.broadcast_shapes(*(a.shape for a in args))
    mem.snapshot()

    calls: list[tuple[str, Callable[[], Any]]] = [("fresh", lambda: f(*args))]
    outs = tuple(np.empty(shape, w.dtype) for w in wants)
    calls.append(("out", lambda: f(*args, out=outs)))
    calls.append(("out_where", lambda: f(*args, out=outs, where=rng.random(shape) < 0.5)))
    if f.nout == 2:
        calls.append(("out_partial", lambda: f(*args, out=(outs[0], None))))
        calls.append(("out_partial2", lambda: f(*args, out=(None, outs[1]))))
    calls.append(("order_F", lambda: f(*args, order="F")))
    if wants[0].dtype.kind == "f" and wants[0].dtype != np.longdouble:
        # the inputs are cast (copied) first; NumPy's own float cast may flag a
        # signalling NaN, which is not the ufunc's doing
        calls.append(("dtype_g", lambda: f(*args, dtype=np.longdouble)))
    for what, call in calls:
        with np.errstate(all="raise", invalid="ignore" if what == "dtype_g" else "raise"):
            got = as_tuple(call())
        if what in ("fresh", "out", "order_F"):
            for g, w in zip(got, wants):
                assert_same(g, w)
        mem.check(f"{name} {dtype} {layout}: {what}")


@pytest.mark.parametrize("dtype", [np.dtype(c) for c in "efdg"], ids=lambda d: d.char)
def test_inplace_on_one_operand_only(dtype: np.dtype[Any], sample: Any) -> None:
    rng = np.random.default_rng(6)
    n = 513

    def fresh(k: int) -> tuple[Memory, list[np.ndarray]]:
        mem = Memory()
        return mem, [mem.root(sample(dtype, 2 * n, rng)) for _ in range(k)]

    whole: View = lambda r: r  # noqa: E731
    evens: View = lambda r: r[::2]  # noqa: E731
    odds: View = lambda r: r[1::2]  # noqa: E731

    # relu / relu_grad in place on a strided view: the gaps keep their bytes
    for name in ("relu", "relu_grad"):
        mem, (r,) = fresh(1)
        want = getattr(reference, name)(r[::2].copy())
        mem.expect(r, evens, want)
        mem.snapshot()
        getattr(nprelu, name)(r[::2], out=r[::2])
        mem.check(f"{name} in place on r[::2]")

    # relu_backward: out is dy, or x, or both are one array; the other keeps its bytes
    for out_is in ("dy", "x"):
        mem, (rd, rx) = fresh(2)
        want = reference.relu_backward(rd.copy(), rx.copy())
        mem.expect(rd if out_is == "dy" else rx, whole, want)
        mem.snapshot()
        nprelu.relu_backward(rd, rx, out=rd if out_is == "dy" else rx)
        mem.check(f"relu_backward in place on {out_is}")
    mem, (r,) = fresh(1)
    mem.expect(r, odds, reference.relu_backward(r[::2].copy(), r[1::2].copy()))
    mem.snapshot()
    nprelu.relu_backward(r[::2], r[1::2], out=r[1::2])  # dy and x interleaved in one buffer
    mem.check("relu_backward(r[::2], r[1::2], out=r[1::2])")

    # relu_and_grad: the input as one of the outputs, the other output separate
    for k in (0, 1):
        mem, (rx, rg) = fresh(2)
        wr, wg = reference.relu_and_grad(rx.copy())
        mem.expect(rx, whole, (wr, wg)[k])
        mem.expect(rg, whole, (wr, wg)[1 - k])
        mem.snapshot()
        nprelu.relu_and_grad(rx, out=(rx, rg) if k == 0 else (rg, rx))
        mem.check(f"relu_and_grad in place on output {k}")

    # input and output interleaved in one buffer: the input's items keep their bytes
    for name in NAMES:
        f = getattr(nprelu, name)
        mem, (r, other) = fresh(2)
        args = [r[::2]] if f.nin == 1 else [other[::2], r[::2]]
        wants = as_tuple(getattr(reference, name)(*[a.copy() for a in args]))
        extra = mem.root(np.zeros(n, wants[-1].dtype))
        outs = (r[1::2],) if f.nout == 1 else (r[1::2], extra)
        mem.expect(r, odds, wants[0])
        if f.nout == 2:
            mem.expect(extra, whole, wants[1])
        mem.snapshot()
        f(*args, out=outs)
        mem.check(f"{name}: input r[::2], out r[1::2]")


@pytest.mark.parametrize("dtype", [np.dtype(c) for c in "efdg"], ids=lambda d: d.char)
def test_accumulate_and_at_write_only_their_target(dtype: np.dtype[Any], sample: Any) -> None:
    rng = np.random.default_rng(7)
    mem = Memory()
    a = mem.root(sample(dtype, 300, rng))
    o = mem.root(np.zeros(300, dtype))
    acc = a.copy()
    for i in range(1, acc.size):
        acc[i] = reference.relu_backward(acc[i - 1 : i], acc[i : i + 1])[0]
    mem.expect(o, lambda r: r, acc)
    mem.snapshot()
    nprelu.relu_backward.accumulate(a, out=o)
    mem.check("accumulate into a separate out")

    # .at: only the indexed items of the first operand; indices and values untouched
    mem = Memory()
    t = mem.root(sample(dtype, 64, rng))
    idx = mem.root(np.array([3, 9, 9, 40, 63], np.intp))
    vals = mem.root(sample(dtype, 5, rng))
    want = t.copy()
    for j, i in enumerate(idx):
        want[i] = reference.relu_backward(want[i : i + 1], vals[j : j + 1])[0]
    mem.expect(t, lambda r: r, want)
    mem.snapshot()
    nprelu.relu_backward.at(t, idx, vals)
    mem.check("relu_backward.at")
    for name in ("relu", "relu_grad"):
        mem = Memory()
        t = mem.root(sample(dtype, 64, rng))
        idx = mem.root(np.array([0, 5, 5, 63], np.intp))
        want = t.copy()
        for i in idx:
            want[i] = getattr(reference, name)(want[i : i + 1])[0]
        mem.expect(t, lambda r: r, want)
        mem.snapshot()
        getattr(nprelu, name).at(t, idx)
        mem.check(f"{name}.at")


def test_where_mask_and_scalars_untouched() -> None:
    mem = Memory()
    x = mem.root(np.linspace(-3, 3, 101))
    mask = mem.root(np.arange(101) % 3 == 0)
    o = mem.root(np.full(101, 0.5))
    mem.expect(o, lambda r: r, np.where(mask, reference.relu(x), 0.5))
    mem.snapshot()
    s = np.float64(-2.0)
    for name in NAMES:
        f = getattr(nprelu, name)
        f(*[s] * f.nin)
        f(*[-2.0] * f.nin)
    assert s == -2.0
    nprelu.relu(x, out=o, where=mask)
    mem.check("where mask")
