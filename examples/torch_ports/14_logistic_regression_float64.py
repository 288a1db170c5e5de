"""Logistic regression on numpy data in float64, with an optimizer closure.

Scientific-code idioms: `torch.manual_seed`, `torch.set_default_dtype(torch.float64)`,
data simulated in numpy and wrapped with `torch.as_tensor`, standardisation with
`mean(0)` / `std(0)`, parameters as `nn.Parameter` on a plain Module, the loss
`F.binary_cross_entropy_with_logits`, `optimizer.step(closure)`, probabilities with
`torch.sigmoid`, predictions with `torch.where`, a clamped log-likelihood, and the
gradient at the optimum checked to be near zero with `torch.autograd.grad`.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(14)
n, d = 400, 5
X_np = rng.standard_normal((n, d)) * np.array([1.0, 3.0, 0.5, 2.0, 1.0]) + 1.0
true_w = np.array([1.5, -0.7, 2.0, 0.0, -1.0])
y_np = (rng.uniform(size=n) < 1 / (1 + np.exp(-(X_np - 1.0) @ true_w))).astype(np.float64)

X = torch.as_tensor(X_np)
y = torch.as_tensor(y_np)
X = (X - X.mean(0)) / X.std(0)


class LogisticRegression(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(d))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x @ self.w + self.b


model = LogisticRegression(d)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5, nesterov=True)
lam = 1e-2


def closure():
    optimizer.zero_grad()
    logits = model(X)
    loss = F.binary_cross_entropy_with_logits(logits, y) + lam / 2 * (model.w ** 2).sum()
    loss.backward()
    return loss


losses = []
for step in range(150):
    loss = optimizer.step(closure)
    losses.append(loss.item())

with torch.no_grad():
    probs = torch.sigmoid(model(X))
    pred = torch.where(probs > 0.5, torch.ones_like(probs), torch.zeros_like(probs))
    accuracy = (pred == y).double().mean().item()
    p = probs.clamp(1e-12, 1 - 1e-12)
    log_lik = (y * p.log() + (1 - y) * (1 - p).log()).sum().item()

# the gradient of the penalised loss at the end: close to zero at the optimum
loss = F.binary_cross_entropy_with_logits(model(X), y) + lam / 2 * (model.w ** 2).sum()
gw, gb = torch.autograd.grad(loss, [model.w, model.b])
print(f"loss {losses[-1]:.6f}  accuracy {accuracy:.3f}  |grad| {gw.norm().item():.2e}")

results = {
    "losses": losses,
    "w": model.w.tolist(),
    "b": model.b.item(),
    "accuracy": accuracy,
    "log_lik": log_lik,
    "grad_w": gw.tolist(),
    "grad_b": gb.item(),
    "default_is_double": torch.get_default_dtype() == torch.float64,
    "x_std": X.std(0).tolist(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
