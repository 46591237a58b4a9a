"""nprelu as a PyTorch autograd function (CPU tensors).

A CPU tensor and a NumPy array can share memory (``tensor.numpy()``,
``torch.from_numpy``), so a ``torch.autograd.Function`` can run nprelu's ufuncs
on the tensors' buffers without a copy: ``relu`` forward, ``relu_backward``
backward (one pass, a select, as PyTorch's own ``threshold_backward``).  The
same for ``leaky_relu`` / ``leaky_relu_backward`` when this nprelu has them.

Why not call the ufunc on the tensor directly: ``nprelu.relu(tensor)`` does return
a tensor (through ``Tensor.__array_wrap__``, with a DeprecationWarning from
PyTorch), but autograd does not see it, and ``out=tensor`` is refused.

The script checks, and exits with status 1 if any check fails:

- ``torch.autograd.gradcheck`` passes in float64 at points away from 0;
- a small MLP (float32) gives the same loss and the same gradients, to the bit,
  with ``torch.relu`` and with the nprelu function, and stays identical over a few
  SGD steps, on data without exact zeros or NaN;
- the two documented differences from ``torch.relu`` are still what they are:
  at ``-0.0`` torch returns ``-0.0`` and nprelu ``+0.0``; at NaN torch's gradient
  passes ``dy`` through, nprelu's is 0 (as at every other ``x`` that is not > 0);
- ``leaky_relu``, when present, equals ``torch.nn.functional.leaky_relu`` to the
  bit, forward and gradient, at -0.0, +-inf and a quiet NaN too, and with one
  slope per channel equals ``torch.nn.functional.prelu``.

    pip install torch             # the CPU build (tested: 2.13.0)
    python examples/torch_function.py
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

import nprelu


def as_numpy(t: torch.Tensor) -> np.ndarray:
    """The tensor's buffer as a NumPy array (no copy for a plain CPU tensor)."""
    return t.detach().cpu().resolve_conj().resolve_neg().numpy()


class ReLU(torch.autograd.Function):
    """``relu`` forward, ``relu_backward`` backward, computed by nprelu."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.from_numpy(nprelu.relu(as_numpy(x)))

    @staticmethod
    @once_differentiable  # a second derivative would need relu_backward as a Function too
    def backward(ctx: Any, dy: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.from_numpy(nprelu.relu_backward(as_numpy(dy), as_numpy(x)))


class LeakyReLU(torch.autograd.Function):
    """``leaky_relu(x, negative_slope)`` forward, ``leaky_relu_backward`` backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, negative_slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        # A Python float slope keeps the array's dtype (NumPy's weak scalars),
        # as torch casts negative_slope to the tensor's dtype.
        return torch.from_numpy(nprelu.leaky_relu(as_numpy(x), negative_slope))

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        dx = nprelu.leaky_relu_backward(as_numpy(dy), as_numpy(x), ctx.negative_slope)
        return torch.from_numpy(dx), None


def relu(x: torch.Tensor) -> torch.Tensor:
    return ReLU.apply(x)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same dtype, shape and bits (signed zeros and NaN payloads included)."""
    a_np, b_np = as_numpy(a), as_numpy(b)
    return (a_np.dtype == b_np.dtype and a_np.shape == b_np.shape
            and bool(np.array_equal(a_np.view(f"u{a_np.itemsize}"), b_np.view(f"u{b_np.itemsize}"))))


def mlp(act: Any, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.l1 = torch.nn.Linear(20, 64)
            self.l2 = torch.nn.Linear(64, 32)
            self.l3 = torch.nn.Linear(32, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.l3(act(self.l2(act(self.l1(x)))))

    return Net()


def main() -> int:
    torch.set_num_threads(1)  # the same reduction order in both runs
    print(f"nprelu {nprelu.__version__}, torch {torch.__version__}, NumPy {np.__version__}\n")
    failures: list[str] = []

    def check(claim: str, ok: bool) -> None:
        print(f"{'ok' if ok else 'FAILED'}: {claim}")
        if not ok:
            failures.append(claim)

    # gradcheck: finite differences in float64, away from the kink at 0.
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, generator=g, dtype=torch.float64)
    x = x + 0.1 * torch.sign(x)
    x.requires_grad_(True)
    check("gradcheck of the nprelu ReLU function, float64",
          torch.autograd.gradcheck(relu, (x,), eps=1e-6, atol=1e-5, raise_exception=False))
    W = torch.randn(30, 200, generator=g, dtype=torch.float64, requires_grad=True)
    check("gradcheck of W -> tanh(relu(W @ x)), float64, away from 0",
          torch.autograd.gradcheck(lambda w: torch.tanh(relu(w @ x.detach() + 0.3)), (W,),
                                   eps=1e-6, atol=1e-5, raise_exception=False)
          and bool((W @ x.detach() + 0.3).abs().min() > 1e-3))

    # The same MLP, the same weights, the same batches: torch.relu against nprelu.
    X = torch.randn(256, 20, generator=g)
    y = torch.randint(0, 3, (256,), generator=g)
    check("the data has no exact zero and no NaN", bool((X != 0).all() and not X.isnan().any()))
    nets = [mlp(torch.relu, 1), mlp(relu, 1)]
    opts = [torch.optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in nets]
    same_loss = same_grads = True
    for step in range(5):
        losses = []
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            loss = F.cross_entropy(net(X[step * 50:(step + 1) * 50]), y[step * 50:(step + 1) * 50])
            loss.backward()
            losses.append(loss)
        same_loss &= same_bits(losses[0], losses[1])
        grads = [[p.grad for p in n.parameters()] for n in nets]
        same_grads &= all(same_bits(a, b) for a, b in zip(*grads))
        for opt in opts:
            opt.step()
    check("MLP 20-64-32-3, float32: losses identical to torch.relu's on 5 SGD steps", same_loss)
    check("MLP gradients of every parameter identical to torch.relu's on 5 SGD steps", same_grads)
    check("MLP weights identical after 5 SGD steps",
          all(same_bits(a, b) for a, b in zip(nets[0].parameters(), nets[1].parameters())))

    # The documented differences from torch.relu.
    special = torch.tensor([-0.0, float("nan")], requires_grad=True)
    ours = special.detach().clone().requires_grad_(True)
    t_out, n_out = torch.relu(special), relu(ours)
    t_out.backward(torch.ones(2))
    n_out.backward(torch.ones(2))
    print(f"\nat x = -0.0: torch.relu gives {t_out[0].item()!r}, nprelu {n_out[0].item()!r}")
    print(f"at x = NaN:  torch's gradient is {special.grad[1].item()!r} (dy passed through), "
          f"nprelu's {ours.grad[1].item()!r}\n")
    check("documented: torch.relu(-0.0) is -0.0, nprelu's is +0.0",
          bool(torch.signbit(t_out[0]) and not torch.signbit(n_out[0])))
    check("documented: at NaN torch's gradient is dy, nprelu's is 0",
          special.grad[1].item() == 1.0 and ours.grad[1].item() == 0.0 and not torch.signbit(ours.grad[1]))
    check("both give NaN at NaN", bool(t_out[1].isnan() and n_out[1].isnan()))

    if hasattr(nprelu, "leaky_relu"):
        for dtype in (torch.float32, torch.float64):
            x = torch.cat([torch.randn(1000, generator=g, dtype=dtype),
                           torch.tensor([-0.0, 0.0, float("inf"), -float("inf"), float("nan"), -3e38],
                                        dtype=dtype)])
            dy = torch.randn(x.shape, generator=g, dtype=dtype)
            for slope in (0.01, 0.2, 3.0):
                a = x.clone().requires_grad_(True)
                b = x.clone().requires_grad_(True)
                fa = F.leaky_relu(a, slope)
                # -3e38 * 3.0 overflows to -inf in both; nprelu reports it as
                # np.multiply does (a RuntimeWarning), torch says nothing.
                with np.errstate(over="ignore"):
                    fb = LeakyReLU.apply(b, slope)
                fa.backward(dy)
                fb.backward(dy)
                check(f"leaky_relu {str(dtype).removeprefix('torch.')} slope {slope}: forward and gradient "
                      "identical to torch.nn.functional.leaky_relu (incl. -0.0, +-inf, a quiet NaN)",
                      same_bits(fa, fb) and same_bits(a.grad, b.grad))
        # PReLU: one slope per channel, broadcast along the last axis.
        x = torch.randn(64, 16, generator=g)
        weight = torch.rand(16, generator=g) / 2
        check("PReLU: leaky_relu(x, weight) with one slope per channel identical to torch.nn.functional.prelu",
              same_bits(F.prelu(x, weight), torch.from_numpy(nprelu.leaky_relu(as_numpy(x), as_numpy(weight)))))
        x = torch.randn(100, generator=g, dtype=torch.float64)
        x = (x + 0.1 * torch.sign(x)).requires_grad_(True)
        check("gradcheck of the nprelu LeakyReLU function, float64",
              torch.autograd.gradcheck(lambda v: LeakyReLU.apply(v, 0.1), (x,), eps=1e-6, atol=1e-5,
                                       raise_exception=False))
    else:
        print("leaky_relu: not run (this nprelu has no leaky_relu)")

    if failures:
        print(f"\nFAILED: {len(failures)} check(s)")
        return 1
    print("\nOK: the nprelu functions pass gradcheck and reproduce torch.relu's MLP gradients to the bit; "
          "the documented differences hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
