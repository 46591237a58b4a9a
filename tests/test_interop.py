"""nprelu's ufuncs through the real dask, distributed, xarray, pandas and multiprocessing.

A true ufunc dispatches through ``__array_ufunc__``, so the ecosystem's containers
handle nprelu exactly as they handle ``np.exp``: dask stays lazy and runs chunk by
chunk on process workers, xarray keeps dims, coords and attrs, pandas keeps the
index.  Every value is compared bit for bit against ``nprelu.reference``.

What dask does with the keywords (found by reading ``dask.array.core.elemwise`` and
pinned here so that a change in dask shows up):

* ``out=`` must be a dask array: its graph is replaced by the result's and the same
  object is returned.  A NumPy ``out=`` raises ``NotImplementedError``.
* ``where=`` (NumPy or dask mask) with a dask ``out=`` keeps ``out``'s old values
  where the mask is False, as NumPy does.  Without ``out=`` those places are
  uninitialised memory, as in NumPy, so only the selected places are checked.
* ``dtype=``: dask runs the loop on the input's type and casts the result (NumPy
  casts the input first); for these ufuncs both orders give the same bits.
* ``relu_and_grad`` (two outputs): dask only maps multi-output ufuncs that it knows
  by name (``dask.array.ufunc``), so it returns ``NotImplemented`` and NumPy raises
  ``TypeError`` naming the ufunc.  Never a wrong answer.  ``dask.array.apply_gufunc``
  with signature ``"()->(),()"`` is the way to run it lazily.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from typing import Any

import dask.array as da
import distributed
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import nprelu
from nprelu import reference

FLOATS = [np.float32, np.float64]
N = 20_000  # 10 chunks of 2_000, spread over both workers
CHUNK = 2_000


# --------------------------------------------------------------------------- helpers


def _nan_bits(dtype: type[np.floating]) -> list[int]:
    """Quiet, signalling, negative and payload-carrying NaNs of ``dtype``."""
    if np.dtype(dtype).itemsize == 4:
        return [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FC12345, 0x7FBFFFFF]
    return [
        0x7FF8000000000000,
        0xFFF8000000000000,
        0x7FF0000000000001,
        0xFFF0000000000001,
        0x7FF8DEADBEEF0000,
        0x7FF7FFFFFFFFFFFF,
    ]


def special_values(dtype: type[np.floating]) -> np.ndarray:
    """Every row of the SPEC's table: signed zeros, infinities, NaNs, subnormals."""
    info = np.finfo(dtype)
    plain = np.array(
        [
            0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 2.5, -2.5,
            info.max, -info.max, info.tiny, -info.tiny,
            info.smallest_subnormal, -info.smallest_subnormal,
        ],
        dtype=dtype,
    )
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    nans = np.array(_nan_bits(dtype), dtype=u).view(dtype)
    return np.concatenate([plain, nans])


def make(dtype: type[np.floating], seed: int = 0, n: int = N) -> np.ndarray:
    """Random normals with the special values scattered through every chunk."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    sv = special_values(dtype)
    x[::7] = np.resize(rng.permutation(sv), x[::7].shape)
    return x


# --------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes; closed when the module is done.

    ``dashboard_address=None`` turns the dashboard off, but the scheduler still
    serves /health and /metrics over HTTP, by default on port 8787; if that port
    is taken (another cluster, a parallel test run) distributed warns, and the
    warning is an error here.  So that server gets a free port on localhost.
    """
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        c.wait_for_workers(2)
        yield c


@pytest.mark.parametrize("ufunc", [nprelu.relu, nprelu.relu_grad])
def test_dask_stays_lazy(ufunc: np.ufunc) -> None:
    x = da.from_array(make(np.float32), chunks=CHUNK)
    r = ufunc(x)
    assert isinstance(r, da.Array)
    assert r.dtype == np.float32
    assert r.chunks == x.chunks
    r2 = nprelu.relu_backward(x, x)
    assert isinstance(r2, da.Array)
    assert r2.dtype == np.float32


def test_cluster_has_two_worker_processes(client: distributed.Client) -> None:
    pids = client.run(os.getpid)
    assert len(pids) == 2
    assert os.getpid() not in pids.values()
    assert len(set(pids.values())) == 2


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_dask_cluster_unary(client: distributed.Client, dtype: type, name: str, assert_same: Any) -> None:
    xn = make(dtype, seed=1)
    want = getattr(reference, name)(xn)
    r = getattr(nprelu, name)(da.from_array(xn, chunks=CHUNK))
    assert isinstance(r, da.Array)
    got = client.compute(r).result()
    assert_same(got, want)


@pytest.mark.parametrize("dtype", FLOATS)
def test_dask_cluster_backward(client: distributed.Client, dtype: type, assert_same: Any) -> None:
    xn, dyn = make(dtype, seed=2), make(dtype, seed=3)
    want = reference.relu_backward(dyn, xn)
    dy, x = da.from_array(dyn, chunks=CHUNK), da.from_array(xn, chunks=CHUNK)
    got = client.compute(nprelu.relu_backward(dy, x)).result()
    assert_same(got, want)
    # Mixed: a NumPy upstream gradient with a dask activation, and other chunking.
    r = nprelu.relu_backward(dyn, da.from_array(xn, chunks=3 * CHUNK))
    assert isinstance(r, da.Array)
    assert_same(client.compute(r).result(), want)


def test_dask_cluster_2d_broadcast(client: distributed.Client, assert_same: Any) -> None:
    xn = make(np.float32, seed=4).reshape(100, 200)
    dyn = make(np.float32, seed=5)[:200]  # broadcasts along the rows
    x = da.from_array(xn, chunks=(25, 100))
    got = client.compute(nprelu.relu_backward(dyn, x)).result()
    assert_same(got, reference.relu_backward(dyn, xn))


@pytest.mark.parametrize("dtype", FLOATS)
def test_dask_out_is_dask_array(client: distributed.Client, dtype: type, assert_same: Any) -> None:
    xn = make(dtype, seed=6)
    x = da.from_array(xn, chunks=CHUNK)
    out = da.full(xn.shape, -7, dtype=dtype, chunks=CHUNK)
    r = nprelu.relu(x, out=out)
    assert r is out
    assert_same(client.compute(out).result(), reference.relu(xn))
    out2 = da.zeros(xn.shape, dtype=dtype, chunks=CHUNK)
    assert nprelu.relu_backward(x, x, out=(out2,)) is out2
    assert_same(client.compute(out2).result(), reference.relu_backward(xn, xn))


@pytest.mark.parametrize("mask_kind", ["numpy", "dask"])
def test_dask_where_with_out(client: distributed.Client, mask_kind: str, assert_same: Any) -> None:
    xn = make(np.float64, seed=7)
    mask = np.random.default_rng(8).random(xn.shape) < 0.5
    where = mask if mask_kind == "numpy" else da.from_array(mask, chunks=CHUNK)
    x = da.from_array(xn, chunks=CHUNK)
    out = da.full(xn.shape, -7.0, chunks=CHUNK)
    assert nprelu.relu_grad(x, out=out, where=where) is out
    want = np.where(mask, reference.relu_grad(xn), -7.0)
    assert_same(client.compute(out).result(), want)


def test_dask_where_without_out(assert_same: Any) -> None:
    # As in NumPy, unselected places hold whatever the fresh buffer held.
    xn = make(np.float32, seed=9)
    mask = np.random.default_rng(10).random(xn.shape) < 0.5
    r = nprelu.relu(da.from_array(xn, chunks=CHUNK), where=mask)
    assert isinstance(r, da.Array)
    got = r.compute(scheduler="sync")
    assert_same(got[mask], reference.relu(xn)[mask])


def test_dask_out_numpy_is_refused() -> None:
    xn = make(np.float32, seed=11)
    out = np.full(xn.shape, -7, np.float32)
    with pytest.raises(NotImplementedError, match="out parameter"):
        nprelu.relu(da.from_array(xn, chunks=CHUNK), out=out)
    assert (out == -7).all()


def test_dask_dtype_keyword(assert_same: Any) -> None:
    # dask computes in float32 and casts the result; NumPy casts the input
    # first.  For relu the two orders give the same bits.  (Casting a
    # signalling NaN raises FE_INVALID in NumPy's cast, not in nprelu.)
    xn = make(np.float32, seed=12)
    r = nprelu.relu(da.from_array(xn, chunks=CHUNK), dtype=np.float64)
    assert r.dtype == np.float64
    with np.errstate(invalid="ignore"):
        got = r.compute(scheduler="sync")
        want = nprelu.relu(xn, dtype=np.float64)
        assert_same(want, reference.relu(xn.astype(np.float64)))
    assert_same(got, want)


def test_dask_relu_and_grad_is_a_clear_error() -> None:
    """dask does not know this two-output ufunc: TypeError, nothing computed."""
    x = da.from_array(make(np.float32, seed=13), chunks=CHUNK)
    with pytest.raises(TypeError, match=r"relu_and_grad.*NotImplemented|NotImplemented.*relu_and_grad"):
        nprelu.relu_and_grad(x)
    o1 = da.full(x.shape, -7, dtype=np.float32, chunks=CHUNK)
    o2 = da.full(x.shape, -7, dtype=np.float32, chunks=CHUNK)
    with pytest.raises(TypeError, match="relu_and_grad"):
        nprelu.relu_and_grad(x, out=(o1, o2))
    assert (o1.compute(scheduler="sync") == -7).all()
    assert (o2.compute(scheduler="sync") == -7).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_dask_relu_and_grad_via_apply_gufunc(client: distributed.Client, dtype: type, assert_same: Any) -> None:
    xn = make(dtype, seed=14)
    x = da.from_array(xn, chunks=CHUNK)
    y, g = da.apply_gufunc(nprelu.relu_and_grad, "()->(),()", x, output_dtypes=(dtype, dtype))
    assert isinstance(y, da.Array) and isinstance(g, da.Array)
    got_y, got_g = client.compute([y, g], sync=True)
    want_y, want_g = reference.relu_and_grad(xn)
    assert_same(got_y, want_y)
    assert_same(got_g, want_g)


def test_dask_graph_pickles_the_ufunc_by_name() -> None:
    # What a process worker receives: the ufunc travels as a reference to
    # nprelu.relu, not as code, and comes back as the same object.
    r = nprelu.relu(da.from_array(make(np.float32), chunks=CHUNK))
    blob = pickle.dumps(dict(r.__dask_graph__()))
    assert b"nprelu" in blob
    assert pickle.loads(pickle.dumps(nprelu.relu)) is nprelu.relu


# --------------------------------------------------------------------------- xarray


def _data_array(dtype: type = np.float32, seed: int = 20) -> xr.DataArray:
    values = make(dtype, seed=seed, n=6 * 40).reshape(6, 40)
    return xr.DataArray(
        values,
        dims=("time", "unit"),
        coords={
            "time": np.arange(6) * 10,
            "unit": [f"u{i}" for i in range(40)],
            "layer": ("unit", np.arange(40) % 3),
        },
        attrs={"units": "V", "long_name": "pre-activation"},
        name="h",
    )


def _assert_same_meta(got: xr.DataArray, like: xr.DataArray) -> None:
    """Same container, name, dims, coords and attrs as ``like`` (np.exp's result)."""
    assert type(got) is type(like)
    assert got.name == like.name
    assert got.dims == like.dims
    assert got.attrs == like.attrs
    xr.testing.assert_identical(got.coords.to_dataset(), like.coords.to_dataset())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_xarray_dataarray(dtype: type, name: str, assert_same: Any) -> None:
    a = _data_array(dtype)
    before = a.copy(deep=True)
    got = getattr(nprelu, name)(a)
    with np.errstate(all="ignore"):
        like = np.exp(a)
    _assert_same_meta(got, like)
    assert_same(got.values, getattr(reference, name)(a.values))
    xr.testing.assert_identical(a, before)  # input untouched
    assert_same(a.values, before.values)


def test_xarray_backward_aligns_like_np_add(assert_same: Any) -> None:
    x = _data_array(np.float64, seed=21)
    dy = _data_array(np.float64, seed=22).isel(time=slice(2, None), unit=slice(0, 30))
    dy.attrs = {"units": "1/V"}
    got = nprelu.relu_backward(dy, x)
    with np.errstate(all="ignore"):  # inf + -inf in the comparison only
        like = np.add(dy, x)
    _assert_same_meta(got, like)
    dy_al, x_al = xr.align(dy, x, join="inner")
    assert_same(got.values, reference.relu_backward(dy_al.values, x_al.values))


def test_xarray_relu_and_grad(assert_same: Any) -> None:
    a = _data_array(np.float32, seed=23)
    y, g = nprelu.relu_and_grad(a)
    with np.errstate(all="ignore"):
        like_y, like_g = np.modf(a)  # NumPy's own one-in, two-out ufunc
    _assert_same_meta(y, like_y)
    _assert_same_meta(g, like_g)
    want_y, want_g = reference.relu_and_grad(a.values)
    assert_same(y.values, want_y)
    assert_same(g.values, want_g)


def test_xarray_dataset(assert_same: Any) -> None:
    a = _data_array(np.float32, seed=24)
    ds = xr.Dataset(
        {
            "h": a,
            "bias": ("unit", make(np.float64, seed=25, n=40), {"units": "mV"}),
            "count": ("time", np.array([-3, -1, 0, 1, 2, 3], dtype=np.int16)),
        },
        attrs={"title": "layer 1"},
    )
    for name in ("relu", "relu_grad"):
        got = getattr(nprelu, name)(ds)
        with np.errstate(all="ignore"):
            like = np.exp(ds)
        assert type(got) is xr.Dataset
        assert got.attrs == like.attrs
        assert list(got.data_vars) == list(like.data_vars)
        xr.testing.assert_identical(got.coords.to_dataset(), like.coords.to_dataset())
        for k in ds.data_vars:
            _assert_same_meta(got[k], like[k])
            assert_same(got[k].values, getattr(reference, name)(ds[k].values))


def test_xarray_on_dask_stays_lazy(assert_same: Any) -> None:
    a = _data_array(np.float64, seed=26).chunk({"time": 2})
    got = nprelu.relu(a)
    assert isinstance(got.data, da.Array)
    with np.errstate(all="ignore"):
        like = np.exp(a)
    _assert_same_meta(got, like)
    assert_same(got.compute(scheduler="sync").values, reference.relu(a.values))


# --------------------------------------------------------------------------- pandas


@pytest.mark.parametrize("dtype", FLOATS)
def test_pandas_series(dtype: type, assert_same: Any) -> None:
    xn = make(dtype, seed=30, n=500)
    s = pd.Series(xn, index=[f"r{i}" for i in range(xn.size)], name="h")
    before = s.copy(deep=True)
    for name in ("relu", "relu_grad"):
        got = getattr(nprelu, name)(s)
        assert isinstance(got, pd.Series)
        assert got.dtype == dtype
        assert got.name == "h"
        pd.testing.assert_index_equal(got.index, s.index)
        assert_same(got.to_numpy(), getattr(reference, name)(xn))
    pd.testing.assert_series_equal(s, before)
    # NaN propagates through relu (same bits) and has slope 0.
    nan = np.isnan(xn)
    assert nan.any()
    assert nprelu.relu(s)[nan].isna().all()
    assert (nprelu.relu_grad(s)[nan] == 0).all()


def test_pandas_nullable_dtypes_keep_the_mask() -> None:
    # pandas' masked dtypes run the ufunc on the data and keep the mask: a
    # missing value stays missing (<NA>), also for relu_grad, and the dtype stays.
    s = pd.Series([1.5, None, -2.0, 0.0, -0.0], dtype="Float32")
    for name, want in (("relu", [1.5, None, 0.0, 0.0, 0.0]), ("relu_grad", [1.0, None, 0.0, 0.0, 0.0])):
        got = getattr(nprelu, name)(s)
        assert got.dtype == "Float32"
        pd.testing.assert_series_equal(got, pd.Series(want, dtype="Float32"))
    i = pd.Series([3, None, -2], dtype="Int16")
    got = nprelu.relu(i)
    assert got.dtype == "Int16"
    pd.testing.assert_series_equal(got, pd.Series([3, None, 0], dtype="Int16"))


def test_pandas_series_relu_and_grad_and_backward(assert_same: Any) -> None:
    xn, dyn = make(np.float32, seed=31, n=300), make(np.float32, seed=32, n=300)
    idx = pd.date_range("2024-01-01", periods=300, freq="min")
    x, dy = pd.Series(xn, index=idx), pd.Series(dyn, index=idx)
    y, g = nprelu.relu_and_grad(x)
    for got, want in zip((y, g), reference.relu_and_grad(xn)):
        assert isinstance(got, pd.Series)
        pd.testing.assert_index_equal(got.index, idx)
        assert_same(got.to_numpy(), want)
    b = nprelu.relu_backward(dy, x)
    assert isinstance(b, pd.Series)
    pd.testing.assert_index_equal(b.index, idx)
    assert_same(b.to_numpy(), reference.relu_backward(dyn, xn))


def test_pandas_series_backward_aligns_like_np_add(assert_same: Any) -> None:
    dy = pd.Series([1.0, -2.0, 3.0, np.inf], index=list("abcd"))
    x = pd.Series([5.0, -6.0, 7.0, np.nan], index=list("bcde"))
    got = nprelu.relu_backward(dy, x)
    with np.errstate(all="ignore"):
        like = np.add(dy, x)
    pd.testing.assert_index_equal(got.index, like.index)
    dy_al, x_al = dy.align(x, join="outer")
    assert_same(got.to_numpy(), reference.relu_backward(dy_al.to_numpy(), x_al.to_numpy()))


def test_pandas_dataframe(assert_same: Any) -> None:
    n = 400
    df = pd.DataFrame(
        {
            "f32": make(np.float32, seed=33, n=n),
            "f64": make(np.float64, seed=34, n=n),
            "i16": (np.arange(n) % 11 - 5).astype(np.int16),
        },
        index=pd.RangeIndex(0, 2 * n, 2, name="step"),
    )
    before = df.copy(deep=True)
    for name in ("relu", "relu_grad"):
        got = getattr(nprelu, name)(df)
        assert isinstance(got, pd.DataFrame)
        pd.testing.assert_index_equal(got.index, df.index)
        pd.testing.assert_index_equal(got.columns, df.columns)
        assert list(got.dtypes) == list(df.dtypes)
        for c in df.columns:
            assert_same(got[c].to_numpy(), getattr(reference, name)(df[c].to_numpy()))
    pd.testing.assert_frame_equal(df, before)


def test_pandas_dataframe_relu_and_grad(assert_same: Any) -> None:
    # One dtype per frame: pandas sends a multi-output ufunc through
    # np.asarray(frame), so a mixed float32/float64 frame would come back as
    # float64, exactly as np.modf(frame) does.
    n = 300
    df = pd.DataFrame(
        {"a": make(np.float32, seed=35, n=n), "b": make(np.float32, seed=36, n=n)},
        index=pd.Index([f"s{i}" for i in range(n)]),
    )
    y, g = nprelu.relu_and_grad(df)
    for got, want_name in ((y, "relu"), (g, "relu_grad")):
        assert isinstance(got, pd.DataFrame)
        pd.testing.assert_index_equal(got.index, df.index)
        pd.testing.assert_index_equal(got.columns, df.columns)
        for c in df.columns:
            assert got[c].dtype == np.float32
            assert_same(got[c].to_numpy(), getattr(reference, want_name)(df[c].to_numpy()))


# --------------------------------------------------------------------------- multiprocessing


@pytest.mark.parametrize("dtype", FLOATS)
def test_spawn_pool_map(dtype: type, assert_same: Any) -> None:
    arrays = [make(dtype, seed=40 + i, n=5_000) for i in range(4)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got_relu = pool.map(nprelu.relu, arrays)
        got_grad = pool.map(nprelu.relu_grad, arrays)
        got_back = pool.starmap(nprelu.relu_backward, zip(arrays[::-1], arrays))
        got_both = pool.map(nprelu.relu_and_grad, arrays)
        pool.close()
        pool.join()
    for i, x in enumerate(arrays):
        assert_same(got_relu[i], reference.relu(x))
        assert_same(got_grad[i], reference.relu_grad(x))
        assert_same(got_back[i], reference.relu_backward(arrays[::-1][i], x))
        for got, want in zip(got_both[i], reference.relu_and_grad(x)):
            assert_same(got, want)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.2.0",
    reason="ufuncs carry a settable __module__ from NumPy 2.2",
)
@pytest.mark.parametrize("name", ["relu", "relu_grad", "relu_backward", "relu_and_grad"])
def test_module_is_public(name: str) -> None:
    assert getattr(nprelu, name).__module__ == "nprelu"

