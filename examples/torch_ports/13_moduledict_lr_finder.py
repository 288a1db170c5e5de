"""An nn.ModuleDict / nn.ParameterList model and a learning-rate range test.

The model picks its activation by name from an nn.ModuleDict and keeps a per-class
temperature in an nn.ParameterList. The range test ("LR finder") raises the learning
rate geometrically each mini-batch, writing it into `optimizer.param_groups`, tracks an
exponentially smoothed loss, stops when the loss explodes, then restores the initial
weights from a `copy.deepcopy` of the state_dict and trains briefly at the chosen rate.
"""
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits


class Classifier(nn.Module):
    def __init__(self, activation="relu"):
        super().__init__()
        self.layers = nn.ModuleDict({
            "hidden": nn.Linear(64, 48),
            "out": nn.Linear(48, 10),
        })
        self.activations = nn.ModuleDict([
            ["relu", nn.ReLU()],
            ["tanh", nn.Tanh()],
        ])
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(1)) for _ in range(2)])
        self.activation = activation

    def forward(self, x):
        h = self.activations[self.activation](self.layers["hidden"](x) * self.scales[0])
        return self.layers["out"](h) * self.scales[1]


digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target, dtype=torch.long)

model = Classifier("tanh")
rng = np.random.default_rng(13)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.startswith("layers"):
            p.copy_(torch.from_numpy((rng.standard_normal(p.shape) * 0.15).astype(np.float32)))
initial_state = copy.deepcopy(model.state_dict())
names = [name for name, _ in model.named_parameters()]

optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
lr, final_lr, num_iter = 1e-4, 10.0, 60
mult = (final_lr / lr) ** (1 / num_iter)
avg_loss, best_loss, beta = 0.0, math.inf, 0.9
lrs, smoothed = [], []
order = rng.permutation(len(X))
for it in range(num_iter):
    idx = torch.from_numpy(order[(it * 32) % 1760:(it * 32) % 1760 + 32])
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
    avg_loss = beta * avg_loss + (1 - beta) * loss.item()
    smooth = avg_loss / (1 - beta ** (it + 1))
    lrs.append(lr)
    smoothed.append(smooth)
    if it > 5 and smooth > 4 * best_loss:
        break
    best_loss = min(best_loss, smooth)
    lr *= mult
stopped_at = len(lrs)
best_lr = lrs[int(np.argmin(smoothed))] / 10
print(f"range test stopped after {stopped_at} steps; chosen lr {best_lr:.4g}")

model.load_state_dict(initial_state)
restored = all(torch.equal(model.state_dict()[k], initial_state[k]) for k in initial_state)
optimizer = torch.optim.SGD(model.parameters(), lr=best_lr, momentum=0.9)
losses = []
for it in range(40):
    idx = torch.from_numpy(order[(it * 40) % 1760:(it * 40) % 1760 + 40])
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    accuracy = (model(X).argmax(1) == y).float().mean().item()
print(f"after 40 steps at lr {best_lr:.4g}: loss {losses[-1]:.4f}, accuracy {accuracy:.3f}")

results = {
    "parameter_names": names,
    "state_keys": list(initial_state.keys()),
    "range_lrs": lrs,
    "range_smoothed_loss": smoothed,
    "stopped_at": stopped_at,
    "best_lr": best_lr,
    "restored": restored,
    "losses": losses,
    "accuracy": accuracy,
    "scales": [p.item() for p in model.scales],
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
