"""ReLU, its derivative and the leaky ReLU family as true NumPy ufuncs.

Every function below except ``cpu_targets`` and ``show_runtime`` is a
``numpy.ufunc``: it broadcasts, takes ``out=``, ``where=``, ``dtype=`` and
``casting=``, dispatches through ``__array_ufunc__`` (dask, xarray, pandas) and
pickles.  Inputs are positional only: ``leaky_relu(x, 0.01)``, never
``negative_slope=0.01``, and the slope has no default.

relu(x)
    ``max(x, 0)``; NaN stays NaN.
relu_grad(x)
    The derivative: 1 where ``x > 0``, else 0 (at 0 and NaN too).
relu_backward(dy, x)
    Backprop through relu in one pass: ``dy`` where ``x > 0``, else 0.  ``x``
    may be relu's input or its output (the result is the same).
relu_and_grad(x)
    ``(relu(x), relu_grad(x))``, reading ``x`` once.
leaky_relu(x, negative_slope)
    ``x`` where ``x > 0`` or NaN, else ``x * negative_slope``; a slope array
    broadcasts (PReLU).
leaky_relu_grad(x, negative_slope)
    1 where ``x > 0``, else ``negative_slope``.
leaky_relu_backward(dy, x, negative_slope)
    ``dy`` where ``x > 0``, else ``dy * negative_slope``, in one pass.
cpu_targets()
    The SIMD targets compiled in, supported by this CPU, and in use.
show_runtime()
    Print the same.

``nprelu.reference`` defines every ufunc in plain NumPy (the specification the
tests check against); ``nprelu.__version__`` is the package version.  With
``ml_dtypes`` installed, the four relu ufuncs keep its types (bfloat16, float8,
...) and the leaky family its float types.
"""

import contextlib
import importlib
import sys
import threading
from types import ModuleType
from typing import Any, TypedDict

import numpy as np

from . import reference
from ._ufuncs import (
    ACTIVE_TARGET as _ACTIVE_TARGET,
    COMPILED_TARGETS as _COMPILED_TARGETS,
    SUPPORTED_TARGETS as _SUPPORTED_TARGETS,
    leaky_relu,
    leaky_relu_backward,
    leaky_relu_grad,
    relu,
    relu_and_grad,
    relu_backward,
    relu_grad,
)
from ._version import __version__

__all__ = [
    "__version__",
    "cpu_targets",
    "leaky_relu",
    "leaky_relu_backward",
    "leaky_relu_grad",
    "reference",
    "relu",
    "relu_and_grad",
    "relu_backward",
    "relu_grad",
    "show_runtime",
]

# Report the public home of the ufuncs (NumPy >= 2.2 lets ufuncs carry it).
for _ufunc in (relu, relu_grad, relu_backward, relu_and_grad, leaky_relu,
               leaky_relu_grad, leaky_relu_backward):
    try:
        _ufunc.__module__ = __name__
    except (AttributeError, TypeError):  # pragma: no cover - older NumPy
        pass
del _ufunc

# NumPy writes a ufunc's call line with the inputs named x1, x2, ...; for
# relu_backward(dy, x) that invites swapping the arguments, which gives wrong
# results silently.  NumPy >= 2.2 lets __doc__ be replaced whole, so the
# multi-input ufuncs get their real parameter names there; an older NumPy
# refuses the assignment and keeps its own line.
_PARAMETERS = {
    relu_backward: ("dy", "x"),
    leaky_relu: ("x", "negative_slope"),
    leaky_relu_grad: ("x", "negative_slope"),
    leaky_relu_backward: ("dy", "x", "negative_slope"),
}


def _name_parameters(ufunc: np.ufunc, names: tuple[str, ...]) -> None:
    doc = ufunc.__doc__ or ""
    generic = f"{ufunc.__name__}({', '.join(f'x{i}' for i in range(1, len(names) + 1))}, /"
    if not doc.startswith(generic):  # not NumPy's usual line: leave it alone
        return
    named = f"{ufunc.__name__}({', '.join(names)}, /"
    try:
        ufunc.__doc__ = named + doc[len(generic):]
    except (AttributeError, TypeError):  # NumPy < 2.2: read-only
        pass


for _ufunc, _names in _PARAMETERS.items():
    _name_parameters(_ufunc, _names)
del _ufunc, _names, _PARAMETERS, _name_parameters

# Loops for ml_dtypes' types (bfloat16, float8, ...), registered when
# ml_dtypes is imported: at once if it already is, else by a finder on
# sys.meta_path that runs the registration right after ml_dtypes' own module
# code, while the import still holds ml_dtypes' module lock, so no other
# thread sees ml_dtypes before its loops exist.  `import nprelu` itself never
# imports ml_dtypes (it costs about half a second).
_ml_lock = threading.Lock()


def _register_ml_dtypes(module: ModuleType) -> None:
    from ._ufuncs import register_formats

    with _ml_lock:
        register_formats(module)


class _RegisterOnImport:
    """Finds ml_dtypes with the finders after it and wraps its loader, so
    that nprelu's loops are registered once ml_dtypes' module has run.  (A
    meta path finder and a loader by protocol: importlib.abc costs 25 ms.)"""

    def __init__(self, loader: Any = None) -> None:
        self._loader = loader

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "ml_dtypes" or self._loader is not None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _RegisterOnImport(spec.loader)
        return spec

    def create_module(self, spec: Any) -> Any:
        assert self._loader is not None
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        assert self._loader is not None
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        _register_ml_dtypes(module)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_ml_finder)


_ml_finder = _RegisterOnImport()
sys.meta_path.insert(0, _ml_finder)
# Checked after the finder is in place, so that an import of ml_dtypes that
# another thread began before it is not missed; import_module waits for such
# an import to finish (its module lock) before the loops are registered.
if "ml_dtypes" in sys.modules:
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_ml_finder)
    _register_ml_dtypes(importlib.import_module("ml_dtypes"))


class CpuTargets(TypedDict):
    """What :func:`cpu_targets` returns."""

    compiled: tuple[str, ...]
    supported: tuple[str, ...]
    active: str


def cpu_targets() -> CpuTargets:
    """The SIMD targets of the loops.

    Returns
    -------
    dict
        ``"compiled"``: the targets built into this binary, baseline first;
        ``"supported"``: those this CPU can run; ``"active"``: the one the
        ufuncs use now (the best supported one, unless the environment
        variable ``NPRELU_CPU_TARGET`` chose another at import).

    Examples
    --------
    >>> import nprelu
    >>> t = nprelu.cpu_targets()
    >>> t["compiled"][0], t["active"] in t["supported"]
    ('baseline', True)
    """
    return {
        "compiled": _COMPILED_TARGETS,
        "supported": _SUPPORTED_TARGETS,
        "active": _ACTIVE_TARGET,
    }


def show_runtime() -> None:
    """Print the compiled, supported and active SIMD targets."""
    t = cpu_targets()
    print(f"nprelu {__version__}")
    print(f"  compiled targets:  {', '.join(t['compiled'])}")
    print(f"  supported by CPU:  {', '.join(t['supported'])}")
    print(f"  active target:     {t['active']}")
    from . import _ufuncs

    llc = _ufuncs.LAST_LEVEL_CACHE
    if not _ufuncs.STREAMING_STORES or _ufuncs.STREAM_THRESHOLD is None:
        print("  streaming stores:  off")
    else:
        print(f"  streaming stores:  outputs >= {_ufuncs.STREAM_THRESHOLD:,} bytes "
              f"(last-level cache {llc:,} bytes)")
