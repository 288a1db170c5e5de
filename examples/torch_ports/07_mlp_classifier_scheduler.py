"""An nn.Sequential MLP classifier on the digits: Adam, StepLR, gradient clipping,
train()/eval() modes and a `with torch.no_grad()` evaluation each epoch.

Mini-batches come from a numpy permutation per epoch (in place of torch.randperm, whose
numbers differ between frameworks), indexing the data tensors with a LongTensor.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits

torch.manual_seed(0)
digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32)
y = torch.tensor(digits.target)
# standardise with the training set's statistics
X_train, y_train = X[:1300], y[:1300]
X_val, y_val = X[1300:], y[1300:]
mean = X_train.mean(dim=0, keepdim=True)
std = X_train.std(dim=0, keepdim=True) + 1e-3
X_train = (X_train - mean) / std
X_val = (X_val - mean) / std

model = nn.Sequential(
    nn.Linear(64, 128),
    nn.ReLU(),
    nn.Linear(128, 64),
    nn.ReLU(),
    nn.Linear(64, 10),
)
rng = np.random.default_rng(11)
with torch.no_grad():
    for layer in model:
        if isinstance(layer, nn.Linear):
            bound = 1 / np.sqrt(layer.in_features)
            shape = (layer.out_features, layer.in_features)
            weight = rng.uniform(-bound, bound, shape).astype(np.float32)
            layer.weight.copy_(torch.from_numpy(weight))
            layer.bias.copy_(torch.from_numpy(
                rng.uniform(-bound, bound, layer.out_features).astype(np.float32)))

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": [], "grad_norm": []}
batch_size = 64
for epoch in range(6):
    model.train()
    perm = torch.from_numpy(rng.permutation(len(X_train)))
    running = 0.0
    for i in range(0, len(X_train), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X_train[idx], y_train[idx]
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
        optimizer.step()
        running += loss.item() * xb.size(0)
        history["grad_norm"].append(float(total_norm))
    history["lr"].append(scheduler.get_last_lr()[0])
    scheduler.step()

    model.eval()
    with torch.no_grad():
        out = model(X_val)
        val_loss = loss_fn(out, y_val).item()
        pred = out.argmax(dim=1)
        correct = (pred == y_val).sum().item()
    history["train_loss"].append(running / len(X_train))
    history["val_loss"].append(val_loss)
    history["val_acc"].append(correct / len(y_val))
    print(f"epoch {epoch}: train {running / len(X_train):.4f}  val {val_loss:.4f}  "
          f"acc {correct}/{len(y_val)}  lr {optimizer.param_groups[0]['lr']:.5f}")

results = dict(history)
results["weight_norms"] = [p.norm().item() for p in model.parameters()]
results["n_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
results["first_layer_grad"] = model[0].weight.grad[0, :5].tolist()

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
