"""The ufunc protocol: the four functions behave like any NumPy ufunc.

Broadcasting, ``out=``, ``where=``, ``dtype=``, ``casting=``, ``order=``,
in-place and overlapping operands, ``.at``, ``.outer``, ``.reduce``,
``.accumulate``, ``__array_ufunc__`` dispatch, subclasses (MaskedArray),
scalars, lists, 0-d, empty and 32-dimensional input, and the ufunc attributes.
Values are compared bit for bit with ``nprelu.reference``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nprelu
from nprelu import reference

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad"]
UNARY = ["relu", "relu_grad", "relu_and_grad"]
SINGLE = ["relu", "relu_grad", "relu_backward"]


def data(shape: Any = (5, 7), dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=dtype)
    flat[: min(flat.size, 5)] = specials[: min(flat.size, 5)]
    return x


def args_for(name: str, x: np.ndarray) -> tuple[np.ndarray, ...]:
    return (data(x.shape, x.dtype, seed=99), x) if name == "relu_backward" else (x,)


def as_tuple(r: Any) -> tuple[Any, ...]:
    return r if isinstance(r, tuple) else (r,)


# --------------------------------------------------------------------------- attributes


EXPECTED_TYPES = {
    1: ["b->b", "B->B", "h->h", "H->H", "i->i", "I->I", "l->l", "L->L", "q->q", "Q->Q",
        "e->e", "f->f", "d->d", "g->g"],
}


@pytest.mark.parametrize("name,nin,nout", [("relu", 1, 1), ("relu_grad", 1, 1),
                                           ("relu_backward", 2, 1), ("relu_and_grad", 1, 2)])
def test_attributes(name: str, nin: int, nout: int) -> None:
    f = getattr(nprelu, name)
    assert isinstance(f, np.ufunc)
    assert f.__name__ == name
    assert (f.nin, f.nout, f.nargs) == (nin, nout, nin + nout)
    assert f.identity is None
    assert f.signature is None  # elementwise, not a gufunc
    if name == "relu_backward":
        types = ["ee->e", "ff->f", "dd->d", "gg->g"]
    elif name == "relu_and_grad":
        types = [t + t[-1] for t in EXPECTED_TYPES[1]]
    else:
        types = EXPECTED_TYPES[1]
    assert f.types == types  # registered in this order: integer loops first
    assert f.ntypes == len(types)


def test_public_names() -> None:
    for name in NAMES:
        assert name in nprelu.__all__
        assert getattr(nprelu, name) is getattr(nprelu._ufuncs, name)
    assert callable(nprelu.reference.relu)
    assert isinstance(nprelu.__version__, str) and nprelu.__version__


# --------------------------------------------------------------------------- broadcasting


def test_broadcasting_backward(assert_same: Any) -> None:
    dy = data((4, 1, 3), seed=1)
    x = data((5, 1), seed=2)
    got = nprelu.relu_backward(dy, x)
    assert got.shape == (4, 5, 3)
    assert_same(got, reference.relu_backward(*np.broadcast_arrays(dy, x)))
    # a scalar on either side
    assert_same(nprelu.relu_backward(dy, 1.0), np.broadcast_to(dy, dy.shape))
    assert_same(nprelu.relu_backward(dy, -1.0), np.zeros_like(dy))
    assert_same(nprelu.relu_backward(3.5, x), reference.relu_backward(np.full(x.shape, 3.5), x))


@pytest.mark.parametrize("name", UNARY)
def test_broadcasting_into_out(name: str, assert_same: Any) -> None:
    """A (3,) input broadcast into a (4, 3) out, as for np.negative."""
    x = data((3,), seed=3)
    want = as_tuple(getattr(reference, name)(np.broadcast_to(x, (4, 3))))
    outs = tuple(np.empty((4, 3), w.dtype) for w in want)
    got = as_tuple(getattr(nprelu, name)(x, out=outs))
    for g, o, w in zip(got, outs, want, strict=True):
        assert g is o
        assert_same(o, w)


# --------------------------------------------------------------------------- out=


@pytest.mark.parametrize("name", SINGLE)
def test_out_array_and_tuple(name: str, assert_same: Any) -> None:
    f, args = getattr(nprelu, name), args_for(name, data())
    want = getattr(reference, name)(*args)
    for spelling in ("array", "tuple", "positional"):
        o = np.full_like(want, 7)
        if spelling == "array":
            r = f(*args, out=o)
        elif spelling == "tuple":
            r = f(*args, out=(o,))
        else:
            r = f(*args, o)
        assert r is o, spelling
        assert_same(o, want)
    r = f(*args, out=None)
    assert isinstance(r, np.ndarray)
    assert_same(r, want)


def test_relu_and_grad_two_outputs(assert_same: Any) -> None:
    x = data()
    want_r, want_g = reference.relu_and_grad(x)
    a, b = np.empty_like(x), np.empty_like(x)
    r = nprelu.relu_and_grad(x, out=(a, b))
    assert isinstance(r, tuple) and len(r) == 2 and r[0] is a and r[1] is b
    assert_same(a, want_r)
    assert_same(b, want_g)
    a, b = np.empty_like(x), np.empty_like(x)
    r = nprelu.relu_and_grad(x, a, b)  # positional outputs
    assert r[0] is a and r[1] is b
    assert_same(a, want_r)
    assert_same(b, want_g)
    # one output given, the other allocated
    b = np.empty_like(x)
    r = nprelu.relu_and_grad(x, out=(None, b))
    assert r[1] is b and r[0] is not b
    assert_same(r[0], want_r)
    assert_same(b, want_g)
    # plain call: a tuple of two fresh arrays
    r = nprelu.relu_and_grad(x)
    assert isinstance(r, tuple) and len(r) == 2
    assert not np.shares_memory(r[0], r[1])
    assert_same(r[0], want_r)
    assert_same(r[1], want_g)


# --------------------------------------------------------------------------- where=


@pytest.mark.parametrize("name", NAMES)
def test_where(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    args = args_for(name, data((6, 5)))
    want = as_tuple(getattr(reference, name)(*args))
    mask = np.random.default_rng(4).random((6, 5)) < 0.5
    outs = tuple(np.full(w.shape, -7.25, w.dtype) for w in want)
    got = as_tuple(f(*args, out=outs, where=mask))
    for g, o, w in zip(got, outs, want, strict=True):
        assert g is o
        assert_same(o[mask], w[mask])
        assert_same(o[~mask], np.full(int((~mask).sum()), -7.25, w.dtype))


def test_where_broadcasts(assert_same: Any) -> None:
    x = data((4, 3))
    o = np.full((4, 3), 9.0)
    nprelu.relu(x, out=o, where=np.array([True, False, True]))
    want = reference.relu(x)
    assert_same(o[:, [0, 2]], want[:, [0, 2]])
    assert_same(o[:, 1], np.full(4, 9.0))


def test_where_false_everywhere_keeps_out(assert_same: Any) -> None:
    x = data()
    o = np.full_like(x, np.pi)
    nprelu.relu(x, out=o, where=False)
    assert_same(o, np.full_like(x, np.pi))


# --------------------------------------------------------------------------- dtype=, casting=, promotion


def test_dtype_keyword(assert_same: Any) -> None:
    i = np.array([-3, 0, 4, 127, -128], dtype=np.int8)
    got = nprelu.relu(i, dtype=np.float32)
    assert_same(got, reference.relu(i.astype(np.float32)))
    assert_same(nprelu.relu_grad(i, dtype=np.float64), reference.relu_grad(i.astype(np.float64)))
    x = np.array([-1.5, -0.0, 2.25, np.inf, -np.inf])
    assert_same(nprelu.relu(x, dtype=np.float32), reference.relu(x.astype(np.float32)))
    r, g = nprelu.relu_and_grad(i, dtype=np.int16)
    assert_same(r, reference.relu(i.astype(np.int16)))
    assert_same(g, reference.relu_grad(i.astype(np.int16)))
    b = nprelu.relu_backward(x, x, dtype=np.float16)
    assert_same(b, reference.relu_backward(x.astype(np.float16), x.astype(np.float16)))
    # signature= picks the loop as dtype= does
    assert_same(nprelu.relu(i, signature="f->f"), reference.relu(i.astype(np.float32)))


def test_casting_keyword(assert_same: Any) -> None:
    x = np.array([-1.5, -0.0, 2.25, 1e30, -np.inf])
    # same_kind (the default): float64 results into a float32 out
    o32 = np.empty(5, np.float32)
    nprelu.relu(x, out=o32)
    assert_same(o32, reference.relu(x).astype(np.float32))
    # unsafe: into int32
    oi = np.empty(3, np.int32)
    nprelu.relu(x[:3], out=oi, casting="unsafe")
    assert oi.tolist() == [0, 0, 2]
    # safe: int8 -> int16 out
    i = np.array([-5, 5], dtype=np.int8)
    o16 = np.empty(2, np.int16)
    nprelu.relu(i, out=o16, casting="safe")
    assert_same(o16, np.array([0, 5], np.int16))
    # no / equiv: an exact out is fine
    o = np.empty_like(x)
    nprelu.relu(x, out=o, casting="no")
    assert_same(o, reference.relu(x))
    with pytest.raises(TypeError, match="relu"):
        nprelu.relu(x, out=o32, casting="no")
    with pytest.raises(TypeError, match="relu"):
        nprelu.relu(x, out=o32, casting="safe")


# The dtype relu_backward returns follows NumPy's promotion over the loops
# ee->e ff->f dd->d gg->g.  np.nextafter has exactly these loops (checked
# below), so it is an independent oracle for every combination.
PROMO_VALUES = {
    "int": 1, "float": 2.0, "bool": True,
    "i1": np.int8(1), "u8": np.uint64(1), "f2": np.float16(1), "f4": np.float32(1),
    "g": np.longdouble(1),
    "[i1]": np.array([1], np.int8), "[u1]": np.array([1], np.uint8),
    "[i2]": np.array([1], np.int16), "[i4]": np.array([1], np.int32),
    "[u4]": np.array([1], np.uint32), "[i8]": np.array([1], np.int64),
    "[u8]": np.array([1], np.uint64), "[?]": np.array([True]),
    "[f2]": np.array([1.0], np.float16), "[f4]": np.array([1.0], np.float32),
    "[f8]": np.array([1.0], np.float64), "[g]": np.array([1.0], np.longdouble),
}
PROMO_PAIRS = [(a, b) for a in PROMO_VALUES for b in PROMO_VALUES]


def test_nextafter_is_a_valid_oracle() -> None:
    assert np.nextafter.types == nprelu.relu_backward.types


def promotion_mismatches(impl: Any) -> list[str]:
    bad = []
    for dy, x in PROMO_PAIRS:
        a, b = PROMO_VALUES[dy], PROMO_VALUES[x]
        got = np.asarray(impl.relu_backward(a, b)).dtype
        want = np.asarray(np.nextafter(a, b)).dtype
        if got != want:
            bad.append(f"relu_backward({dy}, {x}) -> {got}, NumPy's rule gives {want}")
    return bad


def test_backward_promotion_like_numpy() -> None:
    assert promotion_mismatches(nprelu) == []


def test_reference_backward_promotion_like_numpy() -> None:
    """The reference's documented rule: "as NumPy picks the first of the loops"."""
    assert promotion_mismatches(reference) == []


def test_backward_mixed_values(assert_same: Any) -> None:
    dy = data((50,), np.float32, seed=5)
    x = data((50,), np.float64, seed=6)
    got = nprelu.relu_backward(dy, x)
    assert got.dtype == np.float64
    assert_same(got, reference.relu_backward(dy.astype(np.float64), x))
    xi = np.arange(-25, 25, dtype=np.int16)
    got = nprelu.relu_backward(dy, xi)
    assert got.dtype == np.float32
    assert_same(got, reference.relu_backward(dy, xi.astype(np.float32)))


@pytest.mark.parametrize("char,out", [("?", "b"), ("b", "b"), ("B", "B"), ("h", "h"),
                                      ("H", "H"), ("i", "i"), ("I", "I"), ("l", "l"),
                                      ("L", "L"), ("q", "q"), ("Q", "Q"), ("e", "e"),
                                      ("f", "f"), ("d", "d"), ("g", "g")])
@pytest.mark.parametrize("name", UNARY)
def test_unary_result_type(name: str, char: str, out: str) -> None:
    r = as_tuple(getattr(nprelu, name)(np.ones(3, dtype=char)))
    assert [a.dtype.char for a in r] == [out] * len(r)


# --------------------------------------------------------------------------- order=


@pytest.mark.parametrize("name", NAMES)
def test_order(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    c = data((6, 5))
    fo = np.asfortranarray(c)
    args_c, args_f = args_for(name, c), tuple(np.asfortranarray(a) for a in args_for(name, c))
    want = as_tuple(getattr(reference, name)(*args_c))
    for args, order, flag in ((args_c, "F", "F_CONTIGUOUS"), (args_f, "C", "C_CONTIGUOUS"),
                              (args_f, "K", "F_CONTIGUOUS"), (args_c, "K", "C_CONTIGUOUS"),
                              (args_f, "A", "F_CONTIGUOUS")):
        got = as_tuple(f(*args, order=order))
        for g, w in zip(got, want, strict=True):
            assert g.flags[flag], (order, flag)
            assert_same(g, w)
    assert fo.flags.f_contiguous


# --------------------------------------------------------------------------- in place and overlap


@pytest.mark.parametrize("name", SINGLE)
def test_inplace(name: str, assert_same: Any) -> None:
    x = data((40,))
    args = args_for(name, x)
    want = getattr(reference, name)(*args)
    y = args[-1].copy()
    new_args = args[:-1] + (y,)
    assert getattr(nprelu, name)(*new_args, out=y) is y
    assert_same(y, want)


OVERLAPS = {
    "shift_right": (slice(None, -1), slice(1, None)),
    "shift_left": (slice(1, None), slice(None, -1)),
    "shift_right_3": (slice(None, -3), slice(3, None)),
    "reversed": (slice(None, None, -1), slice(None)),
    "stride2_into_head": (slice(None, None, 2), slice(None, 32)),
    "head_into_stride2": (slice(None, 32), slice(None, None, 2)),
}


@pytest.mark.parametrize("overlap", OVERLAPS)
@pytest.mark.parametrize("name", SINGLE)
def test_overlapping_out(name: str, overlap: str, assert_same: Any) -> None:
    """Partial overlap of input and out gives what a copy of the input gives."""
    src, dst = OVERLAPS[overlap]
    buf = data((64,), seed=7)
    dy = data((64,), seed=8)[src]
    x_copy = buf[src].copy()
    args = (dy, buf[src]) if name == "relu_backward" else (buf[src],)
    want = getattr(reference, name)(*((dy, x_copy) if name == "relu_backward" else (x_copy,)))
    getattr(nprelu, name)(*args, out=buf[dst])
    assert_same(buf[dst], want)


@pytest.mark.parametrize("overlap", OVERLAPS)
def test_overlapping_out_backward_dy(overlap: str, assert_same: Any) -> None:
    src, dst = OVERLAPS[overlap]
    buf = data((64,), seed=9)
    x = data((64,), seed=10)[src]
    want = reference.relu_backward(buf[src].copy(), x)
    nprelu.relu_backward(buf[src], x, out=buf[dst])
    assert_same(buf[dst], want)


@pytest.mark.parametrize("out_is", ["dy", "x"])
def test_overlapping_inputs_and_out(out_is: str, assert_same: Any) -> None:
    """dy and x are overlapping views of one buffer, and out is one of them."""
    buf = data((64,), seed=17)
    dy, x = buf[:-1], buf[1:]
    want = reference.relu_backward(dy.copy(), x.copy())
    out = dy if out_is == "dy" else x
    assert nprelu.relu_backward(dy, x, out=out) is out
    assert_same(out, want)


@pytest.mark.parametrize("overlap", OVERLAPS)
def test_overlapping_out_relu_and_grad(overlap: str, assert_same: Any) -> None:
    src, dst = OVERLAPS[overlap]
    buf = data((64,), seed=11)
    want_r, want_g = reference.relu_and_grad(buf[src].copy())
    g = np.empty_like(want_g)
    nprelu.relu_and_grad(buf[src], out=(buf[dst], g))
    assert_same(buf[dst], want_r)
    assert_same(g, want_g)
    buf = data((64,), seed=11)
    r = np.empty_like(want_r)
    nprelu.relu_and_grad(buf[src], out=(r, buf[dst]))
    assert_same(r, want_r)
    assert_same(buf[dst], want_g)


# --------------------------------------------------------------------------- methods: at, outer, reduce, accumulate


@pytest.mark.parametrize("name", ["relu", "relu_grad"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8])
def test_at(name: str, dtype: Any, assert_same: Any) -> None:
    x0 = (np.arange(10) * 37 % 11 - 5).astype(dtype)
    idx = [0, 3, 3, 7, -1]  # a repeated index is applied twice, as np.negative.at does
    want = x0.copy()
    for i in idx:
        want[i] = getattr(reference, name)(want[i : i + 1] if i != -1 else want[-1:])[0]
    y = x0.copy()
    assert getattr(nprelu, name).at(y, idx) is None
    assert_same(y, want)
    # a boolean-free slice index
    y = x0.copy()
    getattr(nprelu, name).at(y, slice(2, 8))
    w = x0.copy()
    w[2:8] = getattr(reference, name)(x0[2:8])
    assert_same(y, w)


def test_backward_at(assert_same: Any) -> None:
    dy0 = data((8,), seed=12)
    xs = np.array([1.0, -1.0, 2.0, np.nan])
    idx = [1, 4, 6, 6]
    y = dy0.copy()
    nprelu.relu_backward.at(y, idx, xs)
    want = dy0.copy()
    for i, xv in zip(idx, xs):
        want[i] = reference.relu_backward(want[i : i + 1], np.array([xv]))[0]
    assert_same(y, want)


def test_at_two_outputs_refused() -> None:
    with pytest.raises(ValueError):
        nprelu.relu_and_grad.at(np.zeros(3), [0])


def test_backward_outer(assert_same: Any) -> None:
    dy, x = data((4,), seed=13), data((6,), seed=14)
    got = nprelu.relu_backward.outer(dy, x)
    assert got.shape == (4, 6)
    assert_same(got, reference.relu_backward(dy[:, None], x[None, :]))
    got = nprelu.relu_backward.outer(data((2, 3), seed=15), x)
    assert got.shape == (2, 3, 6)


@pytest.mark.parametrize("name", UNARY)
def test_unary_outer_reduce_refused(name: str) -> None:
    f = getattr(nprelu, name)
    with pytest.raises(ValueError):
        f.outer(np.ones(2), np.ones(2))
    with pytest.raises(ValueError):
        f.reduce(np.ones(2))


def fold(a: np.ndarray) -> np.ndarray:
    """relu_backward.accumulate by hand: acc[i] = relu_backward(acc[i-1], a[i])."""
    acc = [a[:1]]
    for i in range(1, len(a)):
        acc.append(reference.relu_backward(acc[-1], a[i : i + 1]))
    return np.concatenate(acc) if acc else a.copy()


@pytest.mark.parametrize("n", [2, 3, 8, 33, 100])
def test_backward_accumulate(n: int, float_dtype: np.dtype[Any], assert_same: Any) -> None:
    """NumPy calls the loop with out[i] overlapping dy[i + 1] here."""
    a = np.resize(np.array([1.5, 2.0, -3.0, 4.0, np.nan, 5.0, -0.0, 6.0], float_dtype), n)
    want = fold(a)
    o = np.full(n, 9, float_dtype)
    assert nprelu.relu_backward.accumulate(a, out=o) is o
    assert_same(o, want)
    assert_same(nprelu.relu_backward.accumulate(a), want)
    # along the contiguous axis of a 2-d array, and along the other one
    m = np.stack([a, a[::-1]])
    assert_same(nprelu.relu_backward.accumulate(m, axis=1), np.stack([want, fold(a[::-1])]))
    assert_same(nprelu.relu_backward.accumulate(m.T, axis=0), np.stack([want, fold(a[::-1])]).T)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 33, 100])
def test_backward_reduce(n: int, float_dtype: np.dtype[Any], assert_same: Any) -> None:
    a = np.resize(np.array([1.5, 2.0, 4.0, -3.0, np.nan, 5.0, -0.0, 6.0], float_dtype), n)
    want = fold(a)[-1]
    assert_same(np.asarray(nprelu.relu_backward.reduce(a)), np.asarray(want))
    m = np.stack([a, a[::-1]])
    assert_same(nprelu.relu_backward.reduce(m, axis=1),
                np.stack([want, fold(a[::-1])[-1]]))
    assert_same(nprelu.relu_backward.reduce(m, axis=0),
                reference.relu_backward(a, a[::-1]))
    with pytest.raises(ValueError, match="identity"):
        nprelu.relu_backward.reduce(a[:0])


# --------------------------------------------------------------------------- __array_ufunc__


class Duck:
    """A duck array that records every ufunc call that reaches it."""

    def __init__(self, value: Any) -> None:
        self.value = np.asarray(value)
        self.calls: list[tuple[Any, str, tuple[Any, ...], dict[str, Any]]] = []

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        self.calls.append((ufunc, method, inputs, kwargs))
        return ("handled", ufunc.__name__, method)


@pytest.mark.parametrize("name", NAMES)
def test_array_ufunc_dispatch(name: str) -> None:
    f = getattr(nprelu, name)
    d = Duck([1.0, -1.0])
    args = (np.ones(2), d) if name == "relu_backward" else (d,)
    assert f(*args, where=True) == ("handled", name, "__call__")
    ((ufunc, method, inputs, kwargs),) = d.calls
    assert ufunc is f and method == "__call__"
    assert inputs[-1] is d and len(inputs) == f.nin
    assert kwargs == {"where": True}
    # dispatch also when the duck is the output
    d2 = Duck([0.0, 0.0])
    outs = (d2,) + (None,) * (f.nout - 1)
    ins = tuple(np.ones(2) for _ in range(f.nin))
    assert f(*ins, out=outs) == ("handled", name, "__call__")
    assert d2.calls[0][3]["out"][0] is d2


def test_array_ufunc_methods() -> None:
    d = Duck([1.0])
    assert nprelu.relu.at(d, [0]) == ("handled", "relu", "at")
    assert nprelu.relu_backward.outer(np.ones(2), d) == ("handled", "relu_backward", "outer")
    assert nprelu.relu_backward.reduce(d) == ("handled", "relu_backward", "reduce")
    assert [c[1] for c in d.calls] == ["at", "outer", "reduce"]


def test_array_ufunc_none_refuses() -> None:
    class NoUfuncs:
        __array_ufunc__ = None

    with pytest.raises(TypeError):
        nprelu.relu(NoUfuncs())
    with pytest.raises(TypeError):
        nprelu.relu_backward(np.ones(2), NoUfuncs())


def test_ndarray_subclass_kept(assert_same: Any) -> None:
    class Tagged(np.ndarray):
        pass

    x = data((5,)).view(Tagged)
    for name in UNARY:
        for r in as_tuple(getattr(nprelu, name)(x)):
            assert type(r) is Tagged
    r = nprelu.relu_backward(x, x)
    assert type(r) is Tagged
    assert_same(r.view(np.ndarray), reference.relu_backward(x.view(np.ndarray), x.view(np.ndarray)))
    assert type(nprelu.relu(x, subok=False)) is np.ndarray


def test_masked_array(assert_same: Any) -> None:
    x = np.ma.array([-1.0, 2.0, np.nan, -3.0, 4.0], mask=[0, 1, 0, 0, 1])
    dy = np.ma.array([5.0, 6.0, 7.0, np.inf, 8.0], mask=[0, 0, 1, 0, 0])
    for name in ("relu", "relu_grad"):
        r = getattr(nprelu, name)(x)
        assert isinstance(r, np.ma.MaskedArray)
        assert r.mask.tolist() == x.mask.tolist()
        keep = ~x.mask
        assert_same(r.data[keep], getattr(reference, name)(x.data)[keep])
    r, g = nprelu.relu_and_grad(x)
    for a, ref in ((r, reference.relu), (g, reference.relu_grad)):
        assert isinstance(a, np.ma.MaskedArray)
        assert a.mask.tolist() == x.mask.tolist()
        assert_same(a.data[~x.mask], ref(x.data)[~x.mask])
    b = nprelu.relu_backward(dy, x)
    assert isinstance(b, np.ma.MaskedArray)
    both = x.mask | dy.mask
    assert b.mask.tolist() == both.tolist()
    assert_same(b.data[~both], reference.relu_backward(dy.data, x.data)[~both])


# --------------------------------------------------------------------------- scalars, lists, 0-d, empty, many dims


@pytest.mark.parametrize("value", [3, -3, 0, 2.5, -2.5, -0.0, float("inf"), float("nan"), True,
                                   False])
@pytest.mark.parametrize("name", UNARY)
def test_python_scalars(name: str, value: Any, assert_same: Any) -> None:
    """A NumPy scalar of the type np.negative would give (bool computes in int8)."""
    got = as_tuple(getattr(nprelu, name)(value))
    like = np.int8 if isinstance(value, bool) else type(np.negative(value))
    want = as_tuple(getattr(reference, name)(value))
    for g, w in zip(got, want, strict=True):
        assert isinstance(g, np.generic) and not isinstance(g, np.ndarray)
        assert type(g) is like
        assert_same(g, w)


def test_python_scalars_backward(assert_same: Any) -> None:
    r = nprelu.relu_backward(2.5, 1.0)
    assert type(r) is np.float64 and r == 2.5
    r = nprelu.relu_backward(float("inf"), -1.0)
    assert type(r) is np.float64
    assert_same(r, np.float64(0.0))
    r = nprelu.relu_backward(np.float32(-0.0), 3)  # float32 under NEP 50, float64 before
    assert type(r) is type(np.nextafter(np.float32(-0.0), 3))
    assert_same(r, np.float32(-0.0).astype(type(r)))


@pytest.mark.parametrize("name", UNARY)
def test_numpy_scalars_and_0d(name: str, assert_same: Any) -> None:
    for v in (np.float16(-1.0), np.float32(2.0), np.float64(-0.0), np.longdouble(3),
              np.int8(-5), np.uint64(2**64 - 1), np.int64(-(2**63))):
        for arg in (v, np.array(v)):
            got = as_tuple(getattr(nprelu, name)(arg))
            want = as_tuple(getattr(reference, name)(arg))
            for g, w in zip(got, want, strict=True):
                assert type(g) is type(v)  # a scalar, also for 0-d input
                assert_same(g, w)
    # 0-d out is returned as is
    o = np.array(7.0)
    assert nprelu.relu(np.array(-1.0), out=o) is o
    assert_same(o, np.array(0.0))


@pytest.mark.parametrize("name", UNARY)
def test_lists(name: str, assert_same: Any) -> None:
    for value in ([1, -2, 3], [[-1.5, 2.0], [0.0, -0.0]], [True, False], [], [[]]):
        got = as_tuple(getattr(nprelu, name)(value))
        want = as_tuple(getattr(reference, name)(np.asarray(value)))
        for g, w in zip(got, want, strict=True):
            assert isinstance(g, np.ndarray)
            assert_same(g, w)
    r = nprelu.relu_backward([1.0, 2.0, 3.0], [-1, 0, 1])
    assert_same(r, np.array([0.0, 0.0, 3.0]))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0, 2)])
@pytest.mark.parametrize("name", NAMES)
def test_empty(name: str, shape: tuple[int, ...], assert_same: Any) -> None:
    for dtype in (np.float32, np.int16, np.longdouble):
        if name == "relu_backward" and dtype == np.int16:
            continue
        x = np.empty(shape, dtype)
        args = (x, x) if name == "relu_backward" else (x,)
        got = as_tuple(getattr(nprelu, name)(*args))
        for g in got:
            assert g.shape == shape and g.dtype == dtype
        outs = tuple(np.empty(shape, dtype) for _ in got)
        r = as_tuple(getattr(nprelu, name)(*args, out=outs))
        assert all(a is b for a, b in zip(r, outs))


@pytest.mark.parametrize("name", NAMES)
def test_32_dims(name: str, assert_same: Any) -> None:
    for shape in ((1,) * 32, (2, 1, 3) + (1,) * 28 + (2,)):
        x = data(shape, seed=16)
        args = args_for(name, x)
        got = as_tuple(getattr(nprelu, name)(*args))
        want = as_tuple(getattr(reference, name)(*args))
        for g, w in zip(got, want, strict=True):
            assert g.shape == shape
            assert_same(g, w)
        # and a non-contiguous 32-d view
        view = np.moveaxis(x, 0, -1)[..., ::-1]
        args = args_for(name, view)
        for g, w in zip(as_tuple(getattr(nprelu, name)(*args)),
                        as_tuple(getattr(reference, name)(*args)), strict=True):
            assert_same(g, w)


def test_nprelu_does_not_change_global_state() -> None:
    """Calling the ufuncs leaves NumPy's error state and print options alone."""
    before = np.geterr(), np.get_printoptions()
    for name in NAMES:
        x = data()
        getattr(nprelu, name)(*args_for(name, x))
    assert (np.geterr(), np.get_printoptions()) == before


# --------------------------------------------------------------------------- the leaky family

LEAKY = {"leaky_relu": 2, "leaky_relu_grad": 2, "leaky_relu_backward": 3}


def leaky_args(name: str, x: np.ndarray, slope: Any = 0.2) -> tuple[Any, ...]:
    return (data(x.shape, x.dtype, seed=98), x, slope) if name == "leaky_relu_backward" else (x, slope)


def leaky_ref(name: str, *args: Any) -> Any:
    with np.errstate(all="ignore"):
        return getattr(reference, name)(*args)


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_attributes(name: str) -> None:
    f = getattr(nprelu, name)
    nin = LEAKY[name]
    assert isinstance(f, np.ufunc)
    assert f.__name__ == name
    assert (f.nin, f.nout, f.nargs) == (nin, 1, nin + 1)
    assert f.identity is None
    assert f.signature is None
    assert f.types == [c * nin + "->" + c for c in "efdg"]
    assert f.ntypes == 4
    assert name in nprelu.__all__
    assert getattr(nprelu, name) is getattr(nprelu._ufuncs, name)
    assert callable(getattr(reference, name))
    if np.lib.NumpyVersion(np.__version__) >= "2.2.0":
        assert f.__module__ == "nprelu"


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_order_and_dtype(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    c = data((6, 5))
    want = leaky_ref(name, *leaky_args(name, c))
    for order, flag in (("F", "F_CONTIGUOUS"), ("C", "C_CONTIGUOUS")):
        got = f(*leaky_args(name, c), order=order)
        assert got.flags[flag]
        assert_same(got, want)
    # dtype= picks the loop; the float64 operands are cast to it first
    with np.errstate(all="ignore"):
        got = f(*leaky_args(name, c), dtype=np.float32)
    cast = tuple(np.asarray(a).astype(np.float32) for a in leaky_args(name, c))
    assert_same(got, leaky_ref(name, *cast))
    with pytest.raises(TypeError, match=name):
        f(*leaky_args(name, c), out=np.empty((6, 5), np.float32), casting="no")


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_array_ufunc_dispatch(name: str) -> None:
    f = getattr(nprelu, name)
    d = Duck([1.0, -1.0])
    args = leaky_args(name, np.ones(2))[:-1] + (d,)  # the slope is the duck
    assert f(*args) == ("handled", name, "__call__")
    ((ufunc, method, inputs, _),) = d.calls
    assert ufunc is f and method == "__call__" and inputs[-1] is d
    d2 = Duck([0.0, 0.0])
    x = np.ones(2)
    assert f(*leaky_args(name, x), out=(d2,)) == ("handled", name, "__call__")


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_subclass_and_masked(name: str, assert_same: Any) -> None:
    class Tagged(np.ndarray):
        pass

    x = data((5,)).view(Tagged)
    r = getattr(nprelu, name)(*leaky_args(name, x))
    assert type(r) is Tagged
    m = np.ma.array([-1.0, 2.0, np.nan, -3.0, 4.0], mask=[0, 1, 0, 0, 1])
    r = getattr(nprelu, name)(*leaky_args(name, m))
    assert isinstance(r, np.ma.MaskedArray)
    keep = ~np.ma.getmaskarray(r)
    args = leaky_args(name, m.data)
    assert_same(np.asarray(r.data)[keep], leaky_ref(name, *args)[keep])


def test_leaky_at_and_outer(assert_same: Any) -> None:
    x0 = np.array([-2.0, 3.0, -4.0, np.nan, -0.0])
    y = x0.copy()
    nprelu.leaky_relu.at(y, [0, 2, 2], 0.5)  # index 2 twice: applied twice
    assert_same(y, np.array([-1.0, 3.0, -1.0, np.nan, -0.0]))
    y = x0.copy()
    nprelu.leaky_relu_grad.at(y, [1, 4], np.array([0.25, 0.25]))
    assert_same(y, np.array([-2.0, 1.0, -4.0, np.nan, 0.25]))
    slopes = np.array([0.0, 0.5, 2.0])
    got = nprelu.leaky_relu.outer(x0, slopes)
    assert got.shape == (5, 3)
    assert_same(got, leaky_ref("leaky_relu", x0[:, None], slopes[None, :]))
    with pytest.raises(ValueError):
        nprelu.leaky_relu_backward.outer(x0, x0)  # outer needs two inputs


@pytest.mark.parametrize("name", LEAKY)
def test_leaky_scalars_and_empty(name: str, assert_same: Any) -> None:
    f = getattr(nprelu, name)
    for v in (np.float32(-2.0), np.float16(3.0), np.float64(-0.0), np.longdouble(-1)):
        slope = type(v)(0.5)
        r = f(v, v, slope) if name == "leaky_relu_backward" else f(v, slope)
        assert type(r) is type(v)
        assert_same(r, leaky_ref(name, *((v, v, slope) if name == "leaky_relu_backward"
                                         else (v, slope))))
    for shape in ((0,), (3, 0)):
        x = np.empty(shape, np.float32)
        r = f(*leaky_args(name, x))
        assert r.shape == shape and r.dtype == np.float32
