"""The peers nprelu is compared with: NumPy idioms and optional libraries.

Every peer is a statement string timed with ``timeit`` in a namespace that
holds the bench arrays (see ``run.make_namespace``):

    x, dy        input and upstream gradient (contiguous, or a ``[::2]`` view)
    a            the slope of the leaky family (a Python float)
    o, o2, tmp   preallocated contiguous outputs of x's dtype
    xu, dyu, ou, o2u   the same arrays viewed as unsigned integers
    relu, relu_grad, relu_backward, relu_and_grad,
    leaky_relu, leaky_relu_grad, leaky_relu_backward   the nprelu ufuncs
    np           numpy
    ne, ned      numexpr and its local_dict {x, dy, one, zero, a}  (if installed)
    nb_relu, nb_grad, nb_backward, nb_leaky, nb_leaky_grad,
    nb_leaky_backward               numba @vectorize ufuncs      (if installed)
    torch, tx, tdy                  torch and zero-copy tensors  (if installed)

The optional libraries are imported here, once; a library that is missing or
fails to import is skipped, and the reason is reported by ``run.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Peer:
    """One competitor of an nprelu function.

    ``stmt`` is what is timed; if it is a statement rather than an
    expression, ``result`` is the expression that yields its answer (used for
    the value check before timing).  ``round_to_input``: the answer is of a
    wider dtype than x and is checked after rounding to x's dtype.
    """

    short: str  # column heading (<= 11 characters)
    stmt: str  # timed code
    package: str = "numpy"  # numpy | numexpr | numba | torch
    result: str | None = None
    dtypes: tuple[str, ...] = ("float16", "float32", "float64")
    note: str = ""
    round_to_input: bool = False


@dataclass
class Package:
    name: str
    available: bool
    version: str | None = None
    reason: str = ""
    detail: str = ""
    setup_seconds: float = 0.0
    objects: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# The peers of each function, in column order.
# ---------------------------------------------------------------------------

_F = ("float32", "float64")  # numexpr and numba peers: no float16
# NumPy idioms that also run on the ml_dtypes formats of the bench (NumPy
# converts each element through float32 for them).
_ML = ("float16", "float32", "float64", "bfloat16", "float8_e4m3fn")

PEERS: dict[str, list[Peer]] = {
    "relu": [
        Peer("maximum", "np.maximum(x, 0)", dtypes=_ML),
        Peer("x*(x>0)", "x * (x > 0)", dtypes=_ML),
        Peer("where", "np.where(x > 0, x, 0)", dtypes=_ML),
        Peer("clip", "np.clip(x, 0, None)", dtypes=_ML),
        Peer("numexpr", "ne.evaluate('where(x > 0, x, 0)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_relu(x)", "numba", dtypes=_F),
        Peer("torch", "torch.relu(tx)", "torch"),
    ],
    "relu_grad": [
        Peer("(x>0)*1", "(x > 0) * 1", dtypes=_ML),
        Peer("greater.ast", "np.greater(x, 0).astype(x.dtype)", dtypes=_ML),
        Peer("(x>0).ast", "(x > 0).astype(x.dtype)", dtypes=_ML),
        Peer("1.*(x>0)", "1. * (x > 0)", dtypes=_ML),
        Peer("where", "np.where(x <= 0, 0, 1)", dtypes=_ML),
        Peer("heaviside", "np.heaviside(x, 0)", dtypes=_ML),
        Peer("numexpr", "ne.evaluate('where(x > 0, one, zero)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_grad(x)", "numba", dtypes=_F),
        Peer("torch", "(tx > 0).to(tx.dtype)", "torch"),
    ],
    "relu_backward": [
        Peer("dy*ast", "dy * (x > 0).astype(x.dtype)", dtypes=_ML,
             note="the seed idiom upstream * (x > 0).astype(x.dtype)"),
        Peer("dy*(x>0)", "dy * (x > 0)", dtypes=_ML),
        Peer("where", "np.where(x > 0, dy, 0)", dtypes=_ML),
        Peer("grad*dy out", "relu_grad(x, out=tmp); np.multiply(dy, tmp, out=o)",
             result="o", dtypes=_ML,
             note="two passes, preallocated temporary, out="),
        Peer("numexpr", "ne.evaluate('where(x > 0, dy, 0)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_backward(dy, x)", "numba", dtypes=_F),
        Peer("torch", "torch.ops.aten.threshold_backward(tdy, tx, 0)", "torch",
             note="what torch.relu's autograd runs"),
    ],
    "relu_and_grad": [
        Peer("r+g out", "relu(x, out=o); relu_grad(x, out=o2)", result="(o, o2)",
             dtypes=_ML, note="nprelu relu then relu_grad, both out="),
        Peer("max+ast", "(np.maximum(x, 0), (x > 0).astype(x.dtype))",
             dtypes=_ML),
        Peer("numba", "(nb_relu(x), nb_grad(x))", "numba", dtypes=_F),
        Peer("torch", "(torch.relu(tx), (tx > 0).to(tx.dtype))", "torch"),
    ],
    "leaky_relu": [
        Peer("where", "np.where(x > 0, x, a * x)"),
        Peer("maximum", "np.maximum(x, a * x)", note="right for 0 <= a <= 1 only"),
        Peer("numexpr", "ne.evaluate('where(x > 0, x, a * x)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_leaky(x, a)", "numba", dtypes=_F),
        Peer("torch", "torch.nn.functional.leaky_relu(tx, a)", "torch"),
    ],
    "leaky_relu_grad": [
        Peer("where", "np.where(x > 0, 1, a)", round_to_input=True,
             note="float64 for float32 x: a is a Python float"),
        Peer("where.ast", "np.where(x > 0, 1, a).astype(x.dtype)"),
        Peer("where dt", "np.where(x > 0, x.dtype.type(1), x.dtype.type(a))",
             note="keeps x's dtype"),
        Peer("numexpr", "ne.evaluate('where(x > 0, one, a)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_leaky_grad(x, a)", "numba", dtypes=_F),
    ],
    "leaky_relu_backward": [
        Peer("where", "np.where(x > 0, dy, a * dy)"),
        Peer("dy*where", "dy * np.where(x > 0, 1, a).astype(x.dtype)"),
        Peer("grad*dy out",
             "leaky_relu_grad(x, a, out=tmp); np.multiply(dy, tmp, out=o)",
             result="o", note="two passes, preallocated temporary, out="),
        Peer("numexpr", "ne.evaluate('where(x > 0, dy, a * dy)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_leaky_backward(dy, x, a)", "numba", dtypes=_F),
        Peer("torch", "torch.ops.aten.leaky_relu_backward(tdy, tx, a, False)",
             "torch", note="what torch's autograd runs for leaky_relu"),
    ],
}


# ---------------------------------------------------------------------------
# Optional libraries.
# ---------------------------------------------------------------------------


def _load_numexpr() -> Package:
    import numexpr as ne

    ne.set_num_threads(1)
    return Package("numexpr", True, ne.__version__, detail="1 thread",
                   objects={"ne": ne})


def _load_numba() -> Package:
    import numba

    sigs1 = ["float32(float32)", "float64(float64)"]
    sigs2 = ["float32(float32, float32)", "float64(float64, float64)"]

    # The usual way to write them; eager signatures compile here, not while
    # timing.
    @numba.vectorize(sigs1, nopython=True, cache=False)
    def nb_relu(v):
        return v if v > 0 else 0.0

    @numba.vectorize(sigs1, nopython=True, cache=False)
    def nb_grad(v):
        return 1.0 if v > 0 else 0.0

    @numba.vectorize(sigs2, nopython=True, cache=False)
    def nb_backward(d, v):
        return d if v > 0 else 0.0

    @numba.vectorize(sigs2, nopython=True, cache=False)
    def nb_leaky(v, a):
        return v if v > 0 else v * a

    @numba.vectorize(sigs2, nopython=True, cache=False)
    def nb_leaky_grad(v, a):
        return 1.0 if v > 0 else a

    sigs3 = ["float32(float32, float32, float32)",
             "float64(float64, float64, float64)"]

    @numba.vectorize(sigs3, nopython=True, cache=False)
    def nb_leaky_backward(d, v, a):
        return d if v > 0 else d * a

    return Package("numba", True, numba.__version__,
                   detail="@vectorize, target cpu (1 thread)",
                   objects={"nb_relu": nb_relu, "nb_grad": nb_grad,
                            "nb_backward": nb_backward, "nb_leaky": nb_leaky,
                            "nb_leaky_grad": nb_leaky_grad,
                            "nb_leaky_backward": nb_leaky_backward})


def _load_torch() -> Package:
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started
        pass
    return Package("torch", True, torch.__version__, detail="CPU, 1 thread",
                   objects={"torch": torch})


_LOADERS = {"numexpr": _load_numexpr, "numba": _load_numba,
            "torch": _load_torch}


def load_packages(skip: tuple[str, ...] = ()) -> dict[str, Package]:
    """Import the optional peers; never raises."""
    import numpy as np

    out = {"numpy": Package("numpy", True, np.__version__)}
    for name, loader in _LOADERS.items():
        if name in skip:
            out[name] = Package(name, False, reason="skipped (--skip-peer or --quick)")
            continue
        t0 = time.perf_counter()
        try:
            pkg = loader()
        except ImportError as exc:
            pkg = Package(name, False, reason=f"not installed ({exc})")
        except Exception as exc:  # noqa: BLE001 - a broken install is a skip too
            pkg = Package(name, False,
                          reason=f"import failed: {type(exc).__name__}: {exc}")
        pkg.setup_seconds = time.perf_counter() - t0
        out[name] = pkg
    return out


def add_to_namespace(ns: dict, packages: dict[str, Package]) -> None:
    """Add each available library's objects and views of ns['x'], ns['dy']."""
    x, dy = ns["x"], ns["dy"]
    for pkg in packages.values():
        if pkg.available:
            ns.update(pkg.objects)
    if packages.get("numexpr") and packages["numexpr"].available:
        ns["ned"] = {"x": x, "dy": dy, "one": x.dtype.type(1),
                     "zero": x.dtype.type(0), "a": x.dtype.type(ns["a"])}
    if packages.get("torch") and packages["torch"].available:
        torch = packages["torch"].objects["torch"]
        ns["tx"] = torch.from_numpy(x)
        ns["tdy"] = torch.from_numpy(dy)


def to_numpy(value):
    """A peer's answer as NumPy array(s), for the value check."""
    import numpy as np

    if isinstance(value, tuple):
        return tuple(to_numpy(v) for v in value)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch tensor
        return value.detach().numpy()
    return np.asarray(value)
