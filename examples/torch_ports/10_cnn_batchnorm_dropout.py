"""A CNN with BatchNorm2d and Dropout on the digits: train mode vs eval mode, state_dict.

The idioms: an nn.Sequential feature extractor (Conv2d, BatchNorm2d, ReLU, MaxPool2d),
a classifier with nn.Flatten and nn.Dropout, `model.train()` while fitting (batch
statistics, running averages updated) and `model.eval()` to test (running averages, no
dropout), and the `state_dict()` with its buffers (running_mean, running_var,
num_batches_tracked). Dropout masks are drawn by each framework's own generator, so the
model trained and compared number for number has p = 0; a second model with p = 0.5 is
loaded from its state_dict to check what dropout does in each mode.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits


class Net(nn.Module):
    def __init__(self, p_drop):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(p=p_drop),
            nn.Linear(16 * 2 * 2, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


digits = load_digits()
images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
labels = torch.tensor(digits.target, dtype=torch.int64)
x_train, y_train = images[:1500], labels[:1500]
x_test, y_test = images[1500:], labels[1500:]

model = Net(p_drop=0.0)
rng = np.random.default_rng(4)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("weight") and p.dim() > 1:      # conv and linear weights
            fan_in = p[0].numel()
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * np.sqrt(2.0 / fan_in)))
        elif name.startswith("classifier"):              # the linear bias
            p.zero_()
# BatchNorm's own defaults (weight 1, bias 0, running mean 0, var 1) are kept.

optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
losses = []
for epoch in range(2):
    model.train()
    for start in range(0, len(x_train), 100):
        data, target = x_train[start:start + 100], y_train[start:start + 100]
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch}: last loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    test_out = model(x_test)
    test_loss = F.cross_entropy(test_out, y_test).item()
    _, predicted = torch.max(test_out, 1)
    correct = (predicted == y_test).sum().item()
print(f"test loss {test_loss:.4f}, accuracy {correct}/{len(y_test)}")

state = model.state_dict()
bn = model.features[1]

# A model with dropout, given the trained weights and buffers.
probe = Net(p_drop=0.5)
probe.load_state_dict(state)
probe.eval()
with torch.no_grad():
    same_in_eval = torch.equal(probe(x_test), test_out)
    drop = probe.classifier[1]
    drop.train()
    h = torch.ones(2000, 64)
    dropped = drop(h)
    kept_scaled = bool(((dropped == 0) | (dropped == 2)).all())
    zero_fraction = (dropped == 0).float().mean().item()
running_mean = bn.running_mean.tolist()
running_var = bn.running_var.tolist()
tracked = int(state["features.1.num_batches_tracked"])

# The test batch in train mode is normalised with its own statistics, so it gives other
# logits; and even under no_grad a train-mode pass updates the running averages.
model.train()
with torch.no_grad():
    train_mode_out = model(x_test)
model.eval()

results = {
    "losses": losses,
    "test_loss": test_loss,
    "correct": correct,
    "train_vs_eval_logit_gap": (train_mode_out - test_out).abs().max().item(),
    "state_dict_keys": list(state.keys()),
    "running_mean": running_mean,
    "running_var": running_var,
    "num_batches_tracked": tracked,
    "tracked_after_train_pass": int(model.state_dict()["features.1.num_batches_tracked"]),
    "running_mean_moved": (bn.running_mean - torch.tensor(running_mean)).abs().max().item(),
    "bn_weight": bn.weight.tolist(),
    "weight_norms": [p.norm().item() for p in model.parameters()],
    "eval_ignores_dropout": bool(same_in_eval),
    "dropout_keeps_scaled_by_2": kept_scaled,
    "dropout_zero_fraction_near_half": abs(zero_fraction - 0.5) < 0.05,
    "training_flags": [model.training, probe.training, drop.training],
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
