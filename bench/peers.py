"""The peers nprelu is compared with: NumPy idioms and optional libraries.

Every peer is a statement string timed with ``timeit`` in a namespace that
holds the bench arrays (see ``run.make_namespace``):

    x, dy        input and upstream gradient (contiguous, or a ``[::2]`` view)
    o, o2, tmp   preallocated contiguous outputs of x's dtype
    relu, relu_grad, relu_backward, relu_and_grad   the nprelu ufuncs
    np           numpy
    ne, ned      numexpr and its local_dict {x, dy, one, zero}   (if installed)
    nb_relu, nb_grad, nb_backward   numba @vectorize ufuncs      (if installed)
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
    the value check before timing).
    """

    short: str  # column heading (<= 11 characters)
    stmt: str  # timed code
    package: str = "numpy"  # numpy | numexpr | numba | torch
    result: str | None = None
    dtypes: tuple[str, ...] = ("float16", "float32", "float64")
    note: str = ""


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

PEERS: dict[str, list[Peer]] = {
    "relu": [
        Peer("maximum", "np.maximum(x, 0)"),
        Peer("x*(x>0)", "x * (x > 0)"),
        Peer("where", "np.where(x > 0, x, 0)"),
        Peer("clip", "np.clip(x, 0, None)"),
        Peer("numexpr", "ne.evaluate('where(x > 0, x, 0)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_relu(x)", "numba", dtypes=_F),
        Peer("torch", "torch.relu(tx)", "torch"),
    ],
    "relu_grad": [
        Peer("(x>0)*1", "(x > 0) * 1"),
        Peer("greater.ast", "np.greater(x, 0).astype(x.dtype)"),
        Peer("(x>0).ast", "(x > 0).astype(x.dtype)"),
        Peer("1.*(x>0)", "1. * (x > 0)"),
        Peer("where", "np.where(x <= 0, 0, 1)"),
        Peer("heaviside", "np.heaviside(x, 0)"),
        Peer("numexpr", "ne.evaluate('where(x > 0, one, zero)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_grad(x)", "numba", dtypes=_F),
        Peer("torch", "(tx > 0).to(tx.dtype)", "torch"),
    ],
    "relu_backward": [
        Peer("dy*ast", "dy * (x > 0).astype(x.dtype)",
             note="the seed idiom upstream * (x > 0).astype(x.dtype)"),
        Peer("dy*(x>0)", "dy * (x > 0)"),
        Peer("where", "np.where(x > 0, dy, 0)"),
        Peer("grad*dy out", "relu_grad(x, out=tmp); np.multiply(dy, tmp, out=o)",
             result="o", note="two passes, preallocated temporary, out="),
        Peer("numexpr", "ne.evaluate('where(x > 0, dy, 0)', local_dict=ned)",
             "numexpr", dtypes=_F),
        Peer("numba", "nb_backward(dy, x)", "numba", dtypes=_F),
        Peer("torch", "torch.ops.aten.threshold_backward(tdy, tx, 0)", "torch",
             note="what torch.relu's autograd runs"),
    ],
    "relu_and_grad": [
        Peer("r+g out", "relu(x, out=o); relu_grad(x, out=o2)", result="(o, o2)",
             note="nprelu relu then relu_grad, both out="),
        Peer("max+ast", "(np.maximum(x, 0), (x > 0).astype(x.dtype))"),
        Peer("numba", "(nb_relu(x), nb_grad(x))", "numba", dtypes=_F),
        Peer("torch", "(torch.relu(tx), (tx > 0).to(tx.dtype))", "torch"),
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

    return Package("numba", True, numba.__version__,
                   detail="@vectorize, target cpu (1 thread)",
                   objects={"nb_relu": nb_relu, "nb_grad": nb_grad,
                            "nb_backward": nb_backward})


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
                     "zero": x.dtype.type(0)}
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
