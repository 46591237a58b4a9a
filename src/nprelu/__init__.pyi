# Type stubs for nprelu: each ufunc typed by its arity, name and loop count,
# in the manner of scipy-stubs' special/_ufuncs.pyi.  A call on an array of a
# supported scalar type returns an array of that same type (the loops are
# T->T); other inputs fall back to NumPy's usual Any.

from typing import Any, Final, Generic, Literal, TypeAlias, TypedDict, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import reference as reference

__all__ = [
    "__version__",
    "cpu_targets",
    "reference",
    "relu",
    "relu_and_grad",
    "relu_backward",
    "relu_grad",
    "show_runtime",
]

__version__: Final[str]

_NameT = TypeVar("_NameT", bound=str, covariant=True)
# The loop types: every integer type and every float type, same type out.
_RealT = TypeVar("_RealT", bound=np.integer[Any] | np.floating[Any])
_FloatT = TypeVar("_FloatT", bound=np.floating[Any])
_ArrayT = TypeVar("_ArrayT", bound=NDArray[Any])
_ArrayT2 = TypeVar("_ArrayT2", bound=NDArray[Any])

_Casting: TypeAlias = Literal["no", "equiv", "safe", "same_kind", "unsafe"]
_Order: TypeAlias = Literal["K", "A", "C", "F"]
_Where: TypeAlias = bool | NDArray[np.bool_] | ArrayLike
_Signature: TypeAlias = str | tuple[DTypeLike, ...] | None

class _NPReluUFunc(np.ufunc, Generic[_NameT]):  # type: ignore[misc]
    """What the four ufuncs share: a literal name, no identity, no core signature."""

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
    def __call__(
        self, x: _RealT, /, out: None = None, *, where: _Where = True,
        casting: _Casting = "same_kind", order: _Order = "K", dtype: None = None,
        subok: bool = True,
    ) -> _RealT: ...
    @overload
    def __call__(
        self, x: NDArray[_RealT], /, out: None = None, *, where: _Where = True,
        casting: _Casting = "same_kind", order: _Order = "K", dtype: None = None,
        subok: bool = True,
    ) -> NDArray[_RealT]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, out: _ArrayT | tuple[_ArrayT], *, where: _Where = True,
        casting: _Casting = "same_kind", order: _Order = "K", dtype: DTypeLike | None = None,
        subok: bool = True,
    ) -> _ArrayT: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, out: None = None, *, where: _Where = True,
        casting: _Casting = "same_kind", order: _Order = "K", dtype: DTypeLike | None = None,
        subok: bool = True, signature: _Signature = None,
    ) -> Any: ...
    def at(self, a: NDArray[Any], indices: ArrayLike, /) -> None: ...  # type: ignore[override]

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
    def __call__(
        self, x: _RealT, out1: None = None, out2: None = None, /, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: None = None, subok: bool = True,
    ) -> tuple[_RealT, _RealT]: ...
    @overload
    def __call__(
        self, x: NDArray[_RealT], out1: None = None, out2: None = None, /, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: None = None, subok: bool = True,
    ) -> tuple[NDArray[_RealT], NDArray[_RealT]]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[_ArrayT, _ArrayT2],
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True,
    ) -> tuple[_ArrayT, _ArrayT2]: ...
    @overload
    def __call__(
        self, x: ArrayLike, out1: _ArrayT, out2: _ArrayT2, /, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True,
    ) -> tuple[_ArrayT, _ArrayT2]: ...
    @overload
    def __call__(
        self, x: ArrayLike, out1: None = None, out2: None = None, /, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True, signature: _Signature = None,
    ) -> tuple[Any, Any]: ...
    @overload
    def __call__(
        self, x: ArrayLike, /, *, out: tuple[NDArray[Any] | None, NDArray[Any] | None],
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True, signature: _Signature = None,
    ) -> tuple[Any, Any]: ...
    def at(self, *args: object, **kwargs: object) -> None: ...

class _UFunc_2_1(_NPReluUFunc[_NameT]):  # type: ignore[misc]  # ufunc is final
    """``relu_backward``: two inputs, one output, 4 float loops."""

    @property
    def nin(self) -> Literal[2]: ...
    @property
    def nout(self) -> Literal[1]: ...
    @property
    def nargs(self) -> Literal[3]: ...
    @property
    def ntypes(self) -> Literal[4]: ...
    @overload
    def __call__(
        self, dy: NDArray[_FloatT], x: NDArray[_FloatT], /, out: None = None, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: None = None, subok: bool = True,
    ) -> NDArray[_FloatT]: ...
    @overload
    def __call__(
        self, dy: ArrayLike, x: ArrayLike, /, out: _ArrayT | tuple[_ArrayT], *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True,
    ) -> _ArrayT: ...
    @overload
    def __call__(
        self, dy: ArrayLike, x: ArrayLike, /, out: None = None, *,
        where: _Where = True, casting: _Casting = "same_kind", order: _Order = "K",
        dtype: DTypeLike | None = None, subok: bool = True, signature: _Signature = None,
    ) -> Any: ...
    def at(  # type: ignore[override]
        self, a: NDArray[Any], indices: ArrayLike, b: ArrayLike, /
    ) -> None: ...
    def outer(  # type: ignore[override]
        self, dy: ArrayLike, x: ArrayLike, /, *, out: NDArray[Any] | None = None,
        dtype: DTypeLike | None = None,
    ) -> Any: ...

relu: _UFunc_1_1[Literal["relu"]]
relu_grad: _UFunc_1_1[Literal["relu_grad"]]
relu_and_grad: _UFunc_1_2[Literal["relu_and_grad"]]
relu_backward: _UFunc_2_1[Literal["relu_backward"]]

class CpuTargets(TypedDict):
    compiled: tuple[str, ...]
    supported: tuple[str, ...]
    active: str

def cpu_targets() -> CpuTargets: ...
def show_runtime() -> None: ...
