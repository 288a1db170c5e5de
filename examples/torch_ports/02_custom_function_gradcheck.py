"""Custom autograd Functions, checked with gradcheck, then used to fit a curve (float64).

Two idioms from the "Defining new autograd Functions" docs:
  * LegendreP3, P3(x) = (5x^3 - 3x)/2, with its hand-written derivative 3/2 (5x^2 - 1);
  * a clamp whose backward lets the gradient through only inside [min, max], taking
    non-tensor arguments, so its backward returns None for them.
Both are verified with torch.autograd.gradcheck on double inputs, and the Legendre
function is used to fit y = a + b P3(c + d x) to sin(x) with a manual SGD loop.
"""
import json
import math
import os

import numpy as np
import torch
from torch.autograd import Function, gradcheck


class LegendrePolynomial3(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ClampWithMask(Function):
    """y = clamp(x, lo, hi); dy/dx = 1 strictly inside (lo, hi), 0 outside."""

    @staticmethod
    def forward(ctx, input, lo, hi):
        inside = (input > lo) & (input < hi)
        ctx.save_for_backward(inside)
        return input.clamp(min=lo, max=hi)

    @staticmethod
    def backward(ctx, grad_output):
        inside, = ctx.saved_tensors
        grad_input = grad_output * inside.to(grad_output.dtype)
        return grad_input, None, None


rng = np.random.default_rng(1)

# gradcheck compares the backward with finite differences; it wants float64 inputs.
x_check = torch.tensor(rng.standard_normal((6, 4)), dtype=torch.double, requires_grad=True)
p3_ok = gradcheck(LegendrePolynomial3.apply, (x_check,), eps=1e-6, atol=1e-4)
# Keep the clamp's inputs away from the kinks at lo and hi, where differences disagree.
x_clamp = rng.uniform(-2.0, 2.0, size=(5, 5))
x_clamp[np.abs(np.abs(x_clamp) - 1.0) < 0.05] = 0.3
x_clamp = torch.tensor(x_clamp, dtype=torch.double, requires_grad=True)
clamp_ok = gradcheck(lambda t: ClampWithMask.apply(t, -1.0, 1.0), (x_clamp,), eps=1e-6, atol=1e-4)
print("gradcheck LegendreP3:", p3_ok, " ClampWithMask:", clamp_ok)

# The clamp's gradient itself, a few values.
out = ClampWithMask.apply(x_clamp, -1.0, 1.0)
out.sum().backward()
clamp_grad = x_clamp.grad.view(-1)[:10].tolist()

# Fit y = a + b * P3(c + d * x) to sin(x), as the tutorial does, in float64.
dtype = torch.double
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
P3 = LegendrePolynomial3.apply
losses = []
for t in range(400):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")

results = {
    "gradcheck_legendre": bool(p3_ok),
    "gradcheck_clamp": bool(clamp_ok),
    "clamp_grad": clamp_grad,
    "losses": losses,
    "weights": [a.item(), b.item(), c.item(), d.item()],
    "p3_of_half": LegendrePolynomial3.apply(torch.tensor(0.5, dtype=dtype)).item(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
