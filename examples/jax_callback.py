"""nprelu inside JAX: ``jax.pure_callback`` with a ``custom_vjp``.

On concrete arrays ``nprelu.relu(jax_array)`` works (and returns a NumPy array),
but under ``jit``, ``grad`` or ``vmap`` JAX passes tracers, which have no data to
hand to a compiled ufunc: the call raises ``TracerArrayConversionError``.
``jax.pure_callback`` is JAX's way to run host code from a traced function: the
compiled program calls back into Python with concrete arrays.  ``custom_vjp``
gives it the derivative, here ``relu_backward`` through a second callback.

The script checks, and exits with status 1 if any check fails, for float32
(JAX's default) under ``jit``:

- the forward pass equals ``jax.nn.relu`` bit for bit on normal-range data and on
  +-0.0, +-inf and NaNs of several signs and payloads;
- the gradient equals that of ``jax.nn.relu`` bit for bit on the same values: JAX
  also takes the derivative at 0 (and at NaN) to be 0;
- ``vmap`` of the callback version equals ``vmap`` of ``jax.nn.relu``;
- the gradients of a small MLP are identical with either ReLU.

What ``jax.nn.relu`` does at the edges, printed by the script: ``relu(-0.0)`` is
``+0.0`` (as in nprelu; PyTorch keeps ``-0.0``), its slope is 0 at ``0``, ``-0.0``
and NaN (as in nprelu).  One difference is printed, not checked, since it is a
property of XLA's CPU backend rather than of ReLU: XLA flushes subnormal floats to
zero, so ``jax.nn.relu`` of a positive subnormal is 0 where nprelu returns the
input unchanged.

    pip install jax
    python examples/jax_callback.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import nprelu


def on_host(ufunc: np.ufunc) -> Callable[..., np.ndarray]:
    """The ufunc applied to the concrete (NumPy) values of JAX's arrays."""
    def call(*args: Any) -> np.ndarray:
        return ufunc(*(np.asarray(a) for a in args))
    return call


def relu_backward(dy: jax.Array, x: jax.Array) -> jax.Array:
    out = jax.ShapeDtypeStruct(jnp.broadcast_shapes(dy.shape, x.shape), dy.dtype)
    # Elementwise, so a batch of calls is one call on the batched arrays.
    return jax.pure_callback(on_host(nprelu.relu_backward), out, dy, x, vmap_method="broadcast_all")


@jax.custom_vjp
def relu(x: jax.Array) -> jax.Array:
    return jax.pure_callback(on_host(nprelu.relu), jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                             vmap_method="broadcast_all")


def relu_fwd(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return relu(x), x


def relu_bwd(x: jax.Array, dy: jax.Array) -> tuple[jax.Array]:
    return (relu_backward(dy, x),)


relu.defvjp(relu_fwd, relu_bwd)


def bits(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a.view(f"u{a.itemsize}")


def same_bits(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(bits(a), bits(b)))


def main() -> int:
    print(f"nprelu {nprelu.__version__}, jax {jax.__version__} ({jax.devices()[0].platform}), "
          f"NumPy {np.__version__}\n")
    failures: list[str] = []

    def check(claim: str, ok: bool) -> None:
        print(f"{'ok' if ok else 'FAILED'}: {claim}")
        if not ok:
            failures.append(claim)

    try:
        jax.jit(lambda v: nprelu.relu(v))(jnp.ones(3))
        print("note: nprelu.relu under jax.jit worked directly")
    except jax.errors.TracerArrayConversionError:
        print("the bare ufunc under jax.jit: TracerArrayConversionError, hence the callback\n")

    rng = np.random.default_rng(0)
    normal = rng.standard_normal(100_000).astype(np.float32)
    special = np.array([0x00000000, 0x80000000, 0x7F800000, 0xFF800000,  # +-0, +-inf
                        0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFA00001, 0x7F800001,  # NaNs
                        0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF],  # smallest normals, largest
                       np.uint32).view(np.float32)
    x = jnp.asarray(np.concatenate([normal, special]))
    w = jnp.asarray(rng.standard_normal(x.shape).astype(np.float32))

    ours_f, theirs_f = jax.jit(relu), jax.jit(jax.nn.relu)
    check("jit forward: identical to jax.nn.relu, float32, 1e5 normal values and +-0, +-inf, NaNs",
          same_bits(ours_f(x), theirs_f(x)))
    check("the callback computes nprelu.relu's bits", same_bits(ours_f(x), nprelu.reference.relu(np.asarray(x))))

    def loss(act: Callable[[jax.Array], jax.Array]) -> Callable[[jax.Array], jax.Array]:
        return lambda v: jnp.sum(act(v) * w)

    g_ours, g_theirs = jax.jit(jax.grad(loss(relu)))(x), jax.jit(jax.grad(loss(jax.nn.relu)))(x)
    check("jit(grad): identical to jax.nn.relu's gradient on the same values", same_bits(g_ours, g_theirs))
    check("the gradient is nprelu.relu_backward(w, x)",
          same_bits(g_ours, nprelu.reference.relu_backward(np.asarray(w), np.asarray(x))))

    xb = x[:12_000].reshape(12, 1000)
    check("vmap(jit(relu)) and vmap(grad) identical to jax.nn.relu's",
          same_bits(jax.vmap(ours_f)(xb), jax.vmap(theirs_f)(xb))
          and same_bits(jax.vmap(jax.grad(lambda v: jnp.sum(relu(v) ** 2)))(xb),
                        jax.vmap(jax.grad(lambda v: jnp.sum(jax.nn.relu(v) ** 2)))(xb)))

    # A small MLP: every parameter's gradient, either ReLU.
    k = jax.random.split(jax.random.key(0), 5)
    params = [jax.random.normal(k[0], (20, 64)) / 4, jax.random.normal(k[1], (64,)) / 10,
              jax.random.normal(k[2], (64, 3)) / 8]
    data = jax.random.normal(k[3], (128, 20))
    labels = jax.random.randint(k[4], (128,), 0, 3)

    def mlp_loss(act: Callable[[jax.Array], jax.Array]) -> Callable[[list[jax.Array]], jax.Array]:
        def f(p: list[jax.Array]) -> jax.Array:
            logits = act(data @ p[0] + p[1]) @ p[2]
            return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(128), labels])
        return f

    gm_ours = jax.jit(jax.grad(mlp_loss(relu)))(params)
    gm_theirs = jax.jit(jax.grad(mlp_loss(jax.nn.relu)))(params)
    check("MLP 20-64-3: every parameter's gradient identical under jit",
          all(same_bits(a, b) for a, b in zip(gm_ours, gm_theirs)))

    edge = jnp.asarray(np.array([-0.0, 0.0, np.nan], np.float32))
    y_edge = np.asarray(theirs_f(edge))
    g_edge = np.asarray(jax.jit(jax.grad(lambda v: jnp.sum(jax.nn.relu(v))))(edge))
    print(f"\njax.nn.relu at -0.0, +0.0, NaN: {y_edge.tolist()} "
          f"(sign bits {np.signbit(y_edge).tolist()}); slopes there: {g_edge.tolist()}")
    check("jax.nn.relu(-0.0) is +0.0 and its slope at -0.0, +0.0 and NaN is +0.0, as nprelu's",
          same_bits(y_edge[:2], np.zeros(2, np.float32)) and same_bits(g_edge, np.zeros(3, np.float32)))
    sub = jnp.asarray(np.array([1e-45, 1e-40], np.float32))
    print(f"positive subnormals {np.asarray(sub).tolist()}: jax.nn.relu gives {np.asarray(theirs_f(sub)).tolist()}, "
          f"the callback {np.asarray(ours_f(sub)).tolist()} (XLA's CPU backend flushes subnormals)\n")

    if failures:
        print(f"FAILED: {len(failures)} check(s)")
        return 1
    print("OK: pure_callback + custom_vjp under jit equals jax.nn.relu bit for bit, forward and gradient")
    return 0


if __name__ == "__main__":
    sys.exit(main())
