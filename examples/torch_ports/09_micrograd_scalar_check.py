"""Scalar expressions and their gradients, as micrograd's tests compute them with torch.

A chain of +, *, **, relu, tanh, division and negation on 0-d (and one-element) double
tensors; `.backward()` on the result; values and gradients read with `.item()`. These
are the reference numbers micrograd's engine is tested against.
"""
import json
import os

import torch


def sanity_check():
    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return {"y": y.data.item(), "x_grad": x.grad.item()}


def more_ops():
    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return {"g": g.data.item(), "a_grad": a.grad.item(), "b_grad": b.grad.item()}


def neuron():
    # one tanh neuron, 0-d tensors throughout: o = tanh(x1 w1 + x2 w2 + b)
    x1 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    w1 = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(6.8813735870195432, dtype=torch.float64, requires_grad=True)
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)
    o.backward()
    return {"o": o.item(), "x1": x1.grad.item(), "x2": x2.grad.item(),
            "w1": w1.grad.item(), "w2": w2.grad.item(), "b": b.grad.item(),
            "o_dim": o.dim(), "o_shape": list(o.shape)}


def powers_and_exp():
    # e^(2n) - 1 over e^(2n) + 1 is tanh(n); its gradient must match tanh's, 1 - tanh^2
    n = torch.tensor(0.7, dtype=torch.double, requires_grad=True)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    grad_manual = n.grad.item()
    n.grad = None
    torch.tanh(n).backward()
    s = torch.tensor(3.0, dtype=torch.double, requires_grad=True)
    r = s ** -1.5 + s.sqrt() - (s * 0.5).sigmoid() + s.abs().log()
    r.backward()
    return {"o": o.item(), "grad_manual": grad_manual, "grad_tanh": n.grad.item(),
            "r": r.item(), "s_grad": s.grad.item()}


results = {
    "sanity_check": sanity_check(),
    "more_ops": more_ops(),
    "neuron": neuron(),
    "powers_and_exp": powers_and_exp(),
}
for name, values in results.items():
    print(name, values)

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
