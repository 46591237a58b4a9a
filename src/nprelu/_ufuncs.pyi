# Stub of the compiled module: the ufuncs (typed in __init__.pyi), the SIMD
# target choice and the hooks the tests and ``python -m nprelu`` read.

from types import ModuleType
from typing import Any, Final

import numpy as np

from . import leaky_relu as leaky_relu
from . import leaky_relu_backward as leaky_relu_backward
from . import leaky_relu_grad as leaky_relu_grad
from . import relu as relu
from . import relu_and_grad as relu_and_grad
from . import relu_backward as relu_backward
from . import relu_grad as relu_grad

COMPILED_TARGETS: Final[tuple[str, ...]]
SUPPORTED_TARGETS: Final[tuple[str, ...]]
ACTIVE_TARGET: Final[str]
STREAMING_STORES: Final[bool]
LAST_LEVEL_CACHE: Final[int]
STREAM_THRESHOLD: int | None  # set_stream_threshold changes it

def choose_target(forced: str, compiled: tuple[str, ...], supported: tuple[str, ...]) -> str: ...
def stream_threshold(forced: str, llc_bytes: int) -> int | None: ...
def set_stream_threshold(nbytes: int | None) -> int | None: ...
def register_formats(ml_dtypes: ModuleType | Any) -> tuple[str, ...]: ...
def format_dtype_problem(name: str, dtype: np.dtype[Any], bits: int) -> str | None: ...
def add_promoters(ufunc: np.ufunc, dtypes: list[np.dtype[Any]], promoter: object) -> None: ...
def is_float_format(name: str) -> bool: ...
def product_table(dtype: np.dtype[Any]) -> np.ndarray[Any, np.dtype[np.uint8]]: ...

# format name -> the products table of its leaky loops
_product_tables: dict[str, np.ndarray[Any, np.dtype[np.uint8]]]

# format name -> its dtype, for the formats with loops
_registered_formats: dict[str, np.dtype[Any]]

def _x86_levels(
    max_leaf: int, max_ext_leaf: int, leaf1_ecx: int, leaf7_ebx: int, ext1_ecx: int,
    xcr0: int, os_avx512: int, leaf7_ecx: int = 0,
) -> tuple[bool, bool, bool]: ...
