"""Pickling: a ufunc pickles by reference (module and name), so
``pickle.loads(pickle.dumps(f)) is f``.  That is what dask, multiprocessing
and joblib rely on to ship the ufuncs to worker processes."""

from __future__ import annotations

import copy
import pickle
import pickletools
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import nprelu

NAMES = ["relu", "relu_grad", "relu_backward", "relu_and_grad",
         "leaky_relu", "leaky_relu_grad", "leaky_relu_backward"]
PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", NAMES)
def test_roundtrip_is_identity(name: str, protocol: int) -> None:
    f = getattr(nprelu, name)
    assert pickle.loads(pickle.dumps(f, protocol=protocol)) is f


@pytest.mark.parametrize("name", NAMES)
def test_pickled_by_public_name(name: str) -> None:
    """The pickle refers to the ufunc by its module and name; it holds no loop data."""
    f = getattr(nprelu, name)
    data = pickle.dumps(f, protocol=2)
    strings = [str(arg) for _, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    assert any(s.split(" ")[-1] == name or s == name for s in strings), strings
    assert any(s.split(" ")[0].split(".")[0] == "nprelu" for s in strings), strings
    assert len(data) < 200


@pytest.mark.parametrize("name", NAMES)
def test_copy_and_deepcopy(name: str) -> None:
    f = getattr(nprelu, name)
    assert copy.copy(f) is f
    assert copy.deepcopy(f) is f
    holder = {"f": f, "fs": [f, f]}
    deep = copy.deepcopy(holder)
    assert deep["f"] is f and deep["fs"][0] is f and deep["fs"][1] is f


def test_pickle_inside_containers() -> None:
    obj = {"fs": [getattr(nprelu, n) for n in NAMES], "x": np.arange(3.0)}
    for protocol in PROTOCOLS:
        back = pickle.loads(pickle.dumps(obj, protocol=protocol))
        assert all(a is b for a, b in zip(back["fs"], obj["fs"], strict=True))


def test_unpickle_in_fresh_interpreter() -> None:
    """Unpickling imports nprelu by itself and yields working ufuncs."""
    payload = pickle.dumps([getattr(nprelu, n) for n in NAMES], protocol=pickle.HIGHEST_PROTOCOL)
    code = (
        "import pickle, sys\n"
        "assert 'nprelu' not in sys.modules\n"
        "fs = pickle.loads(sys.stdin.buffer.read())\n"
        "import numpy as np, nprelu\n"
        f"assert [f.__name__ for f in fs] == {NAMES!r}\n"
        "assert all(f is getattr(nprelu, f.__name__) for f in fs)\n"
        "x = np.array([-1.0, 2.0])\n"
        "print(fs[0](x).tolist(), fs[1](x).tolist(), fs[2](x, x).tolist(),"
        " [a.tolist() for a in fs[3](x)], fs[4](x, 0.5).tolist(), fs[5](x, 0.5).tolist(),"
        " fs[6](x, x, 0.5).tolist())\n"
    )
    r = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == (
        "[0.0, 2.0] [0.0, 1.0] [0.0, 2.0] [[0.0, 2.0], [0.0, 1.0]]"
        " [-0.5, 2.0] [0.5, 1.0] [-0.5, 2.0]").split()


@pytest.mark.parametrize("name", NAMES)
def test_module_attribute(name: str) -> None:
    f: Any = getattr(nprelu, name)
    if np.lib.NumpyVersion(np.__version__) < "2.2.0":
        pytest.skip("ufuncs carry their own __module__ from NumPy 2.2 on")
    assert f.__module__ == "nprelu"
