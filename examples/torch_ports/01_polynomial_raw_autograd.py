"""Fit y = sin(x) with a cubic a + b x + c x^2 + d x^3, using raw tensors and autograd.

The "Learning PyTorch with Examples" idiom: the weights are plain tensors with
requires_grad=True, the loss is built from tensor operations, `loss.backward()` fills
`.grad`, and the SGD update is written by hand, in place, under `torch.no_grad()`.

Run as is under torch; with the import line changed it runs under minigrad. The initial
weights are drawn with numpy (seeded), so both frameworks start from the same numbers.
Results go to the JSON file named by TORCH_PORT_OUT (printed when it is unset).
"""
import json
import math
import os

import numpy as np
import torch

dtype = torch.float
device = torch.device("cpu")

# Training data: 2000 points of sin(x) on [-pi, pi].
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Random initial weights, drawn with numpy so that both frameworks share them.
rng = np.random.default_rng(0)
a = torch.tensor(rng.standard_normal(), device=device, dtype=dtype, requires_grad=True)
b = torch.tensor(rng.standard_normal(), device=device, dtype=dtype, requires_grad=True)
c = torch.tensor(rng.standard_normal(), device=device, dtype=dtype, requires_grad=True)
d = torch.tensor(rng.standard_normal(), device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
losses = []
for t in range(600):
    # Forward pass: the prediction and the sum-of-squares loss, as tensors.
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    if t % 100 == 99:
        print(t, loss.item())

    # Backward pass: a.grad, b.grad, c.grad and d.grad now hold dloss/dweight.
    loss.backward()

    if t == 0:
        first_grads = [a.grad.item(), b.grad.item(), c.grad.item(), d.grad.item()]

    # Manual gradient descent: the weights are updated in place, outside the graph.
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Two ways the tutorials clear a gradient: set it to None, or zero it in place.
        a.grad = None
        b.grad = None
        c.grad.zero_()
        d.grad.zero_()

print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")

results = {
    "losses": losses,
    "first_grads": first_grads,
    "weights": [a.item(), b.item(), c.item(), d.item()],
    "a_is_leaf": a.is_leaf,
    "a_requires_grad": a.requires_grad,
    "a_grad_is_none": a.grad is None,
    "c_grad_after_zero": c.grad.item(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
