"""Save a training checkpoint, load it into fresh objects, resume: same result as no break.

The "Saving and loading a general checkpoint" recipe: one dict holding the epoch, the
model's and the optimizer's (and the scheduler's) state_dict and the last loss, written
with torch.save and read back with torch.load + load_state_dict. A model trained for 4
epochs without a break must equal, to the last bit, one trained 2 epochs, saved, and
resumed from the file in new Model/Optimizer/Scheduler objects for 2 more.
"""
import json
import os
import shutil
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits

digits = load_digits()
X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
Y = torch.tensor(digits.target, dtype=torch.long)
n_train = 1500
rng = np.random.default_rng(5)
init = {
    "0.weight": rng.standard_normal((32, 64)) * 0.1,
    "0.bias": np.zeros(32),
    "2.weight": rng.standard_normal((10, 32)) * 0.1,
    "2.bias": np.zeros(10),
}
# one fixed order of mini-batches for each epoch, drawn up front
orders = [rng.permutation(n_train) for _ in range(4)]


def make_model():
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(init[name], dtype=torch.float32))
    return model


def make_optimizer(model):
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    return optimizer, scheduler


def run_epoch(model, optimizer, scheduler, epoch, criterion):
    model.train()
    order = torch.from_numpy(orders[epoch])
    for start in range(0, n_train, 100):
        idx = order[start:start + 100]
        optimizer.zero_grad()
        loss = criterion(model(X[idx]), Y[idx])
        loss.backward()
        optimizer.step()
    scheduler.step()
    return loss.item()


criterion = nn.CrossEntropyLoss()

# 1. Four epochs, no break.
model = make_model()
optimizer, scheduler = make_optimizer(model)
straight_losses = [run_epoch(model, optimizer, scheduler, e, criterion) for e in range(4)]
straight = {k: v.clone() for k, v in model.state_dict().items()}

# 2. Two epochs, then a checkpoint.
model = make_model()
optimizer, scheduler = make_optimizer(model)
for epoch in range(2):
    loss = run_epoch(model, optimizer, scheduler, epoch, criterion)
path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
torch.save({
    "epoch": epoch,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "scheduler_state_dict": scheduler.state_dict(),
    "loss": loss,
}, path)
del model, optimizer, scheduler

# 3. New objects, the checkpoint loaded into them, training resumed.
model = make_model()
optimizer, scheduler = make_optimizer(model)
checkpoint = torch.load(path)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
start_epoch = checkpoint["epoch"] + 1
shutil.rmtree(os.path.dirname(path))
resumed_losses = [checkpoint["loss"]]
for epoch in range(start_epoch, 4):
    resumed_losses.append(run_epoch(model, optimizer, scheduler, epoch, criterion))

max_diff = max((model.state_dict()[k] - straight[k]).abs().max().item() for k in straight)
print("largest difference, resumed vs straight:", max_diff)

model.eval()
with torch.no_grad():
    test_out = model(X[n_train:])
    accuracy = (test_out.argmax(dim=1) == Y[n_train:]).float().mean().item()
print(f"test accuracy {accuracy:.3f}")

results = {
    "straight_losses": straight_losses,
    "resumed_losses": resumed_losses,
    "max_diff_resumed_vs_straight": max_diff,
    "checkpoint_epoch": checkpoint["epoch"],
    "checkpoint_keys": sorted(checkpoint.keys()),
    "model_keys": sorted(checkpoint["model_state_dict"].keys()),
    "optimizer_state_steps": len(optimizer.state_dict()["state"]),
    "lr_now": optimizer.param_groups[0]["lr"],
    "accuracy": accuracy,
    "weight_norms": [p.norm().item() for p in model.parameters()],
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
