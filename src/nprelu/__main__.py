"""``python -m nprelu``: versions, CPU targets, a self-check and a rough timing."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import nprelu
from nprelu import reference

UFUNCS = ("relu", "relu_grad", "relu_backward", "relu_and_grad")
LEAKY = ("leaky_relu", "leaky_relu_grad", "leaky_relu_backward")
FLOATS = (np.float16, np.float32, np.float64, np.longdouble)
INTS = (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
        np.int64, np.uint64)


def special_values(dtype: type) -> NDArray[Any]:
    """Signed zeros, infinities, NaNs with payloads, subnormals, extremes."""
    info: Any = np.finfo(dtype)
    vals: NDArray[Any] = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0,
                     info.tiny, -info.tiny, info.max, -info.max,
                     info.smallest_subnormal, -info.smallest_subnormal],
                    dtype=dtype)
    if dtype != np.longdouble:  # NaN payloads, quiet and signalling
        u = np.dtype(f"u{np.dtype(dtype).itemsize}")
        exp_bits = {2: 0x7C00, 4: 0x7F800000, 8: 0x7FF0000000000000}
        e = exp_bits[np.dtype(dtype).itemsize]
        sign = 1 << (8 * np.dtype(dtype).itemsize - 1)
        nans: NDArray[Any] = np.array([e | 1, e | 3, sign | e | 1, sign | e | (e >> 1) | 5],
                        dtype=u).view(dtype)
        vals = np.concatenate([vals, nans])
    return vals


def random_values(dtype: type, rng: np.random.Generator, n: int = 1000) -> NDArray[Any]:
    if np.dtype(dtype).kind == "f":
        return np.concatenate([rng.standard_normal(n).astype(dtype),
                               special_values(dtype)])
    info: Any = np.iinfo(dtype)
    return np.concatenate([
        rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True),
        np.array([info.min, info.max, 0, 1], dtype=dtype)])


def bits(a: NDArray[Any]) -> NDArray[Any]:
    """The meaningful bytes of each element, for an exact comparison."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.longdouble:  # compare the value bytes, not the padding
        nbytes = 10 if np.finfo(np.longdouble).nmant == 63 else a.itemsize
        return a.view(np.uint8).reshape(a.shape + (a.itemsize,))[..., :nbytes]
    return a.view(f"u{a.itemsize}")


def same(got: object, want: object) -> bool:
    g, w = np.asarray(got), np.asarray(want)
    return g.dtype == w.dtype and g.shape == w.shape and np.array_equal(bits(g), bits(w))


def check(name: str, rng: np.random.Generator) -> bool:
    ours: Callable[..., object] = getattr(nprelu, name)
    spec: Callable[..., object] = getattr(reference, name)
    ok = True
    dtypes = FLOATS if name == "relu_backward" else FLOATS + INTS + (np.bool_,)
    with np.errstate(all="raise"):  # any FP flag raised by a loop fails
        for dtype in dtypes:
            x = random_values(dtype, rng) if dtype != np.bool_ else rng.random(100) > 0.5
            args = (random_values(dtype, rng)[: len(x)], x) if name == "relu_backward" else (x,)
            for view in (slice(None), slice(None, None, 3), slice(None, None, -1)):
                a = tuple(arg[view] for arg in args)
                try:
                    got, want = ours(*a), spec(*a)
                except FloatingPointError:
                    return False
                if name == "relu_and_grad":
                    ok &= all(same(g, w) for g, w in zip(got, want))  # type: ignore[call-overload]
                else:
                    ok &= same(got, want)
    return ok


def check_leaky(name: str, rng: np.random.Generator) -> bool:
    """Bit-exact on every float dtype, for a Python float slope and a slope
    array.  Products may raise what np.multiply raises, so flags are off."""
    ours: Callable[..., object] = getattr(nprelu, name)
    spec: Callable[..., object] = getattr(reference, name)
    ok = True
    with np.errstate(all="ignore"):
        for dtype in FLOATS:
            x = random_values(dtype, rng)
            slopes = (0.01, random_values(dtype, rng)[: len(x)])
            for a in slopes:
                args = (x[::-1], x, a) if name == "leaky_relu_backward" else (x, a)
                ok &= same(ours(*args), spec(*args))
    return ok


def check_formats(rng: np.random.Generator) -> list[tuple[str, bool]]:
    """The ml_dtypes formats nprelu registered: every bit pattern."""
    import ml_dtypes

    rows = []
    for fmt in nprelu_formats():
        dtype = np.dtype(getattr(ml_dtypes, fmt))
        info = ml_dtypes.iinfo if "int" in fmt else ml_dtypes.finfo
        width = info(dtype).bits  # sub-byte types: the format's own width
        x = np.arange(2**width, dtype=f"u{dtype.itemsize}").view(dtype)
        dy = rng.permutation(x)
        ok = True
        with np.errstate(all="raise"):
            for name in UFUNCS:
                args = (dy, x) if name == "relu_backward" else (x,)
                got = getattr(nprelu, name)(*args)
                want = getattr(reference, name)(*args)
                if name == "relu_and_grad":
                    ok &= all(same(g, w) for g, w in zip(got, want))
                else:
                    ok &= same(got, want)
        rows.append((fmt, ok))
    return rows


def nprelu_formats() -> tuple[str, ...]:
    """The ml_dtypes formats with loops: importing ml_dtypes (when it is
    installed) registers them, as it does in a user's program."""
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        return ()
    from nprelu import _ufuncs

    return tuple(_ufuncs._registered_formats)


def interleaved_best(fs: list[Callable[[], object]], rounds: int = 7,
                     number: int = 20) -> list[float]:
    """Per call, the best of ``rounds`` samples of ``number`` calls each; in
    every round each statement is timed once, in turn, so that all of them see
    the same conditions on a busy machine."""
    best = [float("inf")] * len(fs)
    for _ in range(rounds):
        for i, f in enumerate(fs):
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best


USAGE = """\
Check this installation of nprelu: print the versions and the SIMD target in
use, compare every ufunc bit for bit with nprelu.reference on every dtype (and
every bit pattern of each ml_dtypes format, when ml_dtypes is installed), then
time relu against two NumPy calls.  Exit status 0 if every check passes, 1 if
one fails.

The timing is a rough figure from one short run (well under a second), not
a benchmark: on a busy machine it varies from run to run.
bench/run.py in the source tree measures properly.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m nprelu", description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-timing", action="store_true",
                    help="skip the rough timing at the end (the self-check only)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"nprelu {nprelu.__version__}  (NumPy {np.__version__}, "
          f"Python {sys.version.split()[0]})")
    t = nprelu.cpu_targets()
    print(f"CPU targets: compiled {', '.join(t['compiled'])}; "
          f"supported {', '.join(t['supported'])}; active {t['active']}")

    print("\nSelf-check against nprelu.reference (bit-exact, all dtypes, FP flags raise):")
    rng = np.random.default_rng(20261124)
    failed = False
    for name in UFUNCS:
        ok = check(name, rng)
        failed |= not ok
        print(f"  {name:<19} {'PASS' if ok else 'FAIL'}")
    for name in LEAKY:
        ok = check_leaky(name, rng)
        failed |= not ok
        print(f"  {name:<19} {'PASS' if ok else 'FAIL'}")
    if nprelu_formats():
        print("ml_dtypes formats (every bit pattern, the four relu ufuncs):")
        for fmt, ok in check_formats(rng):
            failed |= not ok
            print(f"  {fmt:<19} {'PASS' if ok else 'FAIL'}")
    else:
        print("ml_dtypes formats: not checked (ml_dtypes is not installed)")

    if not args.no_timing:
        rough_timing()
    print("\nself-check:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


def rough_timing() -> None:
    n = 1_000_000
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    out = np.empty_like(x)
    rows = [
        ("nprelu.relu(x, out=o)", lambda: nprelu.relu(x, out=out)),
        ("np.maximum(x, 0, out=o)", lambda: np.maximum(x, 0, out=out)),
        ("np.copyto(o, x)", lambda: np.copyto(out, x)),
    ]
    print(f"\nRough timing, float32, n = {n:,}: one short run (best of 7 interleaved rounds),")
    print("a rough figure that varies between runs; bench/run.py measures properly.")
    times = interleaved_best([f for _, f in rows])
    for (label, _), sec in zip(rows, times):
        gbs = 2 * x.nbytes / sec / 1e9
        print(f"  {label:<25} {sec * 1e6:9.1f} us  {gbs:6.1f} GB/s  "
              f"{sec / times[0]:5.2f}x relu's time")


if __name__ == "__main__":
    sys.exit(main())
