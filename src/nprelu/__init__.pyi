# Type stubs for nprelu: each ufunc typed by its arity, name and loop count,
# in the manner of scipy-stubs' special/_ufuncs.pyi.
#
# A call whose inputs are all of one supported NumPy scalar type (or arrays of
# it) returns that type (the loops are T->T; a Python float or int beside a
# float array is a weak scalar and keeps the array's type).  Any other array
# input, including an array whose dtype the checker does not know, such as an
# ml_dtypes array (``NDArray[Any]``), returns ``NDArray[Any]``; any other
# scalar input, a scalar of a type decided at run time (``Any``).  An ``out=``
# array is returned as its own type.
#
# Methods: ``at`` works on the one-output ufuncs with one or two inputs;
# ``reduce``, ``accumulate``, ``reduceat`` and ``outer`` work on the ufuncs
# with two inputs and one output and raise ValueError on every other ufunc, so
# they are typed ``NoReturn`` there.
#
# Overloads are tried in order, so a NumPy scalar input matches the scalar
# overload before the ``ArrayLike`` fallback.  From Python 3.12 on, NumPy's
# stubs give ``np.generic`` a ``__buffer__`` method, which makes every scalar a
# ``collections.abc.Buffer`` and so an ``ArrayLike`` too, and mypy then reports
# the intended overlap ("overload-overlap"); on Python 3.11 it does not, hence
# ``unused-ignore`` beside it.

from typing import Any, Final, Generic, Literal, NoReturn, TypeAlias, TypedDict, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from typing_extensions import Unpack

from . import reference as reference

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

__version__: Final[str]

_NameT = TypeVar("_NameT", bound=str, covariant=True)
# The loop types of the one-input ufuncs: every integer and float type.
_RealT = TypeVar("_RealT", bound=np.integer[Any] | np.floating[Any])
# The loop types of the ufuncs with more than one input: float types only.
_FloatT = TypeVar("_FloatT", bound=np.floating[Any])
_ArrayT = TypeVar("_ArrayT", bound=NDArray[Any])
_ArrayT2 = TypeVar("_ArrayT2", bound=NDArray[Any])

_Casting: TypeAlias = Literal["no", "equiv", "safe", "same_kind", "unsafe"]
_Order: TypeAlias = Literal["K", "A", "C", "F"]
_Where: TypeAlias = bool | NDArray[np.bool_] | ArrayLike
_Signature: TypeAlias = str | tuple[DTypeLike | None, ...]
# A Python number beside a float array: a weak scalar (NEP 50), cast to the
# array's type.
_Weak: TypeAlias = float | int
# A scalar input gives a scalar result, of a type decided at run time.
_ScalarLike: TypeAlias = complex | np.generic

class _Kwargs(TypedDict, total=False):
    """Keywords that do not change the result type."""

    where: _Where
    casting: _Casting
    order: _Order
    subok: bool

class _KwargsAny(_Kwargs, total=False):
    """Keywords that may change the result type."""

    dtype: DTypeLike | None
    signature: _Signature | None

class _NPReluUFunc(np.ufunc, Generic[_NameT]):  # type: ignore[misc]  # ufunc is final
    """What every nprelu ufunc shares: a literal name, no identity, no core signature."""

    @property
    def __name__(self) -> _NameT: ...
    @property
    def __qualname__(self) -> _NameT: ...
    @property
    def identity(self) -> None: ...
    @property
    def signature(self) -> None: ...

class _UFunc_1_1(_NPReluUFunc[_NameT]):  # type: ignore[misc]  # ufunc is final
    """``relu``, ``relu_grad``: one input, one output, 14 loops."""

    @property
    def nin(self) -> Literal[1]: ...
    @property
    def nout(self) -> Literal[1]: ...
    @property
    def nargs(self) -> Literal[2]: ...
    @property
    def ntypes(self) -> Literal[14]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap, unused-ignore]
        self, x: _RealT, /, out: tuple[None] | None = None, *, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> _RealT: ...
    @overload
    def __call__(
        self, x: NDArray[_RealT], /, out: tuple[None] | None = None, *, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> NDArray[_RealT]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, out: _ArrayT | tuple[_ArrayT], **kwargs: Unpack[_KwargsAny],
    ) -> _ArrayT: ...
    @overload
    def __call__(
        self, x: _ScalarLike, /, out: tuple[None] | None = None, **kwargs: Unpack[_KwargsAny],
    ) -> Any: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, out: tuple[None] | None = None, **kwargs: Unpack[_KwargsAny],
    ) -> NDArray[Any]: ...
    def at(self, a: NDArray[Any], indices: ArrayLike, /) -> None: ...  # type: ignore[override, unused-ignore]
    # nin == 1: NumPy raises ValueError ("only supported for binary functions").
    def reduce(self, *args: object, **kwargs: object) -> NoReturn: ...
    def accumulate(self, *args: object, **kwargs: object) -> NoReturn: ...
    def reduceat(self, *args: object, **kwargs: object) -> NoReturn: ...
    def outer(self, *args: object, **kwargs: object) -> NoReturn: ...

class _UFunc_1_2(_NPReluUFunc[_NameT]):  # type: ignore[misc]  # ufunc is final
    """``relu_and_grad``: one input, two outputs, 14 loops."""

    @property
    def nin(self) -> Literal[1]: ...
    @property
    def nout(self) -> Literal[2]: ...
    @property
    def nargs(self) -> Literal[3]: ...
    @property
    def ntypes(self) -> Literal[14]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap, unused-ignore]
        self, x: _RealT, /, *, out: tuple[None, None] | None = None, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> tuple[_RealT, _RealT]: ...
    @overload
    def __call__(
        self, x: NDArray[_RealT], /, *, out: tuple[None, None] | None = None, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> tuple[NDArray[_RealT], NDArray[_RealT]]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap, unused-ignore]
        self, x: _RealT, out1: None, out2: None = None, /, *, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> tuple[_RealT, _RealT]: ...
    @overload
    def __call__(
        self, x: NDArray[_RealT], out1: None, out2: None = None, /, *, dtype: None = None,
        **kwargs: Unpack[_Kwargs],
    ) -> tuple[NDArray[_RealT], NDArray[_RealT]]: ...
    # Both outputs given, positionally or as out=.
    @overload
    def __call__(
        self, x: ArrayLike, out1: _ArrayT, out2: _ArrayT2, /, **kwargs: Unpack[_KwargsAny],
    ) -> tuple[_ArrayT, _ArrayT2]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[_ArrayT, _ArrayT2], **kwargs: Unpack[_KwargsAny],
    ) -> tuple[_ArrayT, _ArrayT2]: ...
    # One output given: the other is allocated (a scalar for a scalar input).
    @overload
    def __call__(
        self, x: ArrayLike, out1: _ArrayT, out2: None = None, /, **kwargs: Unpack[_KwargsAny],
    ) -> tuple[_ArrayT, Any]: ...
    @overload
    def __call__(
        self, x: ArrayLike, out1: None, out2: _ArrayT2, /, **kwargs: Unpack[_KwargsAny],
    ) -> tuple[Any, _ArrayT2]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[_ArrayT, None], **kwargs: Unpack[_KwargsAny],
    ) -> tuple[_ArrayT, Any]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[None, _ArrayT2], **kwargs: Unpack[_KwargsAny],
    ) -> tuple[Any, _ArrayT2]: ...
    @overload
    def __call__(
        self, x: _ScalarLike, out1: None = None, out2: None = None, /,
        **kwargs: Unpack[_KwargsAny],
    ) -> tuple[Any, Any]: ...
    @overload
    def __call__(
        self, x: ArrayLike, out1: None = None, out2: None = None, /,
        **kwargs: Unpack[_KwargsAny],
    ) -> tuple[NDArray[Any], NDArray[Any]]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[NDArray[Any] | None, NDArray[Any] | None] | None,
        **kwargs: Unpack[_KwargsAny],
    ) -> tuple[Any, Any]: ...
    # nout == 2: NumPy raises ValueError for every method.
    def at(self, *args: object, **kwargs: object) -> NoReturn: ...
    def reduce(self, *args: object, **kwargs: object) -> NoReturn: ...
    def accumulate(self, *args: object, **kwargs: object) -> NoReturn: ...
    def reduceat(self, *args: object, **kwargs: object) -> NoReturn: ...
    def outer(self, *args: object, **kwargs: object) -> NoReturn: ...

class _UFunc_2_1(_NPReluUFunc[_NameT]):  # type: ignore[misc]  # ufunc is final
    """``relu_backward``, ``leaky_relu``, ``leaky_relu_grad``: two inputs, one
    output, 4 float loops.  ``reduce``, ``accumulate``, ``reduceat`` and
    ``outer`` are NumPy's (they run: ``nin == 2``, ``nout == 1``)."""

    @property
    def nin(self) -> Literal[2]: ...
    @property
    def nout(self) -> Literal[1]: ...
    @property
    def nargs(self) -> Literal[3]: ...
    @property
    def ntypes(self) -> Literal[4]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap, unused-ignore]
        self, a: _FloatT, b: _FloatT | _Weak, /, out: tuple[None] | None = None, *,
        dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> _FloatT: ...
    @overload
    def __call__(
        self, a: _Weak, b: _FloatT, /, out: tuple[None] | None = None, *,
        dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> _FloatT: ...
    @overload
    def __call__(
        self, a: NDArray[_FloatT], b: NDArray[_FloatT] | _FloatT | _Weak, /,
        out: tuple[None] | None = None, *, dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> NDArray[_FloatT]: ...
    @overload
    def __call__(
        self, a: _FloatT | _Weak, b: NDArray[_FloatT], /,
        out: tuple[None] | None = None, *, dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> NDArray[_FloatT]: ...
    @overload
    def __call__(
        self, a: ArrayLike, b: ArrayLike, /, out: _ArrayT | tuple[_ArrayT],
        **kwargs: Unpack[_KwargsAny],
    ) -> _ArrayT: ...
    @overload
    def __call__(
        self, a: _ScalarLike, b: _ScalarLike, /, out: tuple[None] | None = None,
        **kwargs: Unpack[_KwargsAny],
    ) -> Any: ...
    @overload
    def __call__(
        self, a: ArrayLike, b: ArrayLike, /, out: tuple[None] | None = None,
        **kwargs: Unpack[_KwargsAny],
    ) -> NDArray[Any]: ...
    def at(  # type: ignore[override, unused-ignore]
        self, a: NDArray[Any], indices: ArrayLike, b: ArrayLike, /
    ) -> None: ...

class _UFunc_3_1(_NPReluUFunc[_NameT]):  # type: ignore[misc]  # ufunc is final
    """``leaky_relu_backward``: three inputs, one output, 4 float loops."""

    @property
    def nin(self) -> Literal[3]: ...
    @property
    def nout(self) -> Literal[1]: ...
    @property
    def nargs(self) -> Literal[4]: ...
    @property
    def ntypes(self) -> Literal[4]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap, unused-ignore]
        self, dy: _FloatT, x: _FloatT, negative_slope: _FloatT | _Weak, /,
        out: tuple[None] | None = None, *, dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> _FloatT: ...
    @overload
    def __call__(
        self, dy: NDArray[_FloatT], x: NDArray[_FloatT],
        negative_slope: NDArray[_FloatT] | _FloatT | _Weak, /,
        out: tuple[None] | None = None, *, dtype: None = None, **kwargs: Unpack[_Kwargs],
    ) -> NDArray[_FloatT]: ...
    @overload
    def __call__(
        self, dy: ArrayLike, x: ArrayLike, negative_slope: ArrayLike, /,
        out: _ArrayT | tuple[_ArrayT], **kwargs: Unpack[_KwargsAny],
    ) -> _ArrayT: ...
    @overload
    def __call__(
        self, dy: _ScalarLike, x: _ScalarLike, negative_slope: _ScalarLike, /,
        out: tuple[None] | None = None, **kwargs: Unpack[_KwargsAny],
    ) -> Any: ...
    @overload
    def __call__(
        self, dy: ArrayLike, x: ArrayLike, negative_slope: ArrayLike, /,
        out: tuple[None] | None = None, **kwargs: Unpack[_KwargsAny],
    ) -> NDArray[Any]: ...
    # nin == 3: NumPy raises ValueError for every method.
    def at(self, *args: object, **kwargs: object) -> NoReturn: ...
    def reduce(self, *args: object, **kwargs: object) -> NoReturn: ...
    def accumulate(self, *args: object, **kwargs: object) -> NoReturn: ...
    def reduceat(self, *args: object, **kwargs: object) -> NoReturn: ...
    def outer(self, *args: object, **kwargs: object) -> NoReturn: ...

relu: _UFunc_1_1[Literal["relu"]]
relu_grad: _UFunc_1_1[Literal["relu_grad"]]
relu_and_grad: _UFunc_1_2[Literal["relu_and_grad"]]
relu_backward: _UFunc_2_1[Literal["relu_backward"]]
leaky_relu: _UFunc_2_1[Literal["leaky_relu"]]
leaky_relu_grad: _UFunc_2_1[Literal["leaky_relu_grad"]]
leaky_relu_backward: _UFunc_3_1[Literal["leaky_relu_backward"]]

class CpuTargets(TypedDict):
    compiled: tuple[str, ...]
    supported: tuple[str, ...]
    active: str

def cpu_targets() -> CpuTargets: ...
def show_runtime() -> None: ...
