"""ReLU and its derivative as true NumPy ufuncs.

``relu``, ``relu_grad``, ``relu_backward`` and ``relu_and_grad`` are
``numpy.ufunc`` objects: they broadcast, take ``out=``, ``where=``,
``dtype=`` and ``casting=``, dispatch through ``__array_ufunc__``, and pickle.
``nprelu.reference`` holds their definitions in plain NumPy.
"""

from typing import TypedDict

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

# Loops for ml_dtypes' types (bfloat16, float8, ...), when it is installed.
try:
    import ml_dtypes as _ml_dtypes
except ImportError:
    pass
else:
    from ._ufuncs import register_formats as _register_formats

    _register_formats(_ml_dtypes)
    del _ml_dtypes, _register_formats


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
