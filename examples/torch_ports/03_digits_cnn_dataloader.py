"""An MNIST-style CNN, trained on scikit-learn's 8x8 digits with a DataLoader.

The pytorch/examples mnist idioms: a Net(nn.Module) with Conv2d / MaxPool2d / ReLU /
Linear, CrossEntropyLoss, SGD with momentum, `train(model, device, loader, optimizer,
epoch)` and `test(model, device, loader)` functions, accuracy from `output.max(1)[1]` and
from `output.argmax(dim=1, keepdim=True)` with `pred.eq(target.view_as(pred))`.
The digits come from scikit-learn (no download); the initial weights are drawn with numpy.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.relu = nn.ReLU()
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))   # 16 x 4 x 4
        x = self.pool(self.relu(self.conv2(x)))   # 32 x 2 x 2
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def init_from_numpy(model, seed):
    """torch's default Linear/Conv2d init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn by numpy."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            fan_in = module.weight[0].numel()
            bound = 1.0 / np.sqrt(fan_in)
            with torch.no_grad():
                w = rng.uniform(-bound, bound, size=tuple(module.weight.shape))
                module.weight.copy_(torch.tensor(w, dtype=torch.float32))
                bias = rng.uniform(-bound, bound, size=tuple(module.bias.shape))
                module.bias.copy_(torch.from_numpy(bias.astype(np.float32)))


def train(model, device, train_loader, optimizer, criterion, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % 10 == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]"
                  f"\tLoss: {loss.item():.6f}")


def test(model, device, test_loader, criterion):
    model.eval()
    test_loss = 0
    correct = 0
    correct_max = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += criterion(output, target).item() * len(target)
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            # The older idiom: max over dim 1 returns (values, indices).
            correct_max += (output.max(1)[1] == target).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
          f"{len(test_loader.dataset)} ({100. * correct / len(test_loader.dataset):.0f}%)")
    return test_loss, correct, correct_max


digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]    # N x 1 x 8 x 8
labels = digits.target.astype(np.int64)
order = np.random.default_rng(0).permutation(len(labels))             # a fixed split
train_idx, test_idx = order[:1400], order[1400:]

train_set = TensorDataset(torch.from_numpy(images[train_idx]), torch.from_numpy(labels[train_idx]))
test_set = TensorDataset(torch.tensor(images[test_idx]), torch.tensor(labels[test_idx]))
train_loader = DataLoader(train_set, batch_size=64, shuffle=False)
test_loader = DataLoader(test_set, batch_size=200, shuffle=False)

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
device = torch.device("cpu")   # the comparison is on the CPU
model = Net().to(device)
init_from_numpy(model, seed=1)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

losses = []
for epoch in range(1, 4):
    train(model, device, train_loader, optimizer, criterion, epoch, losses)
test_loss, correct, correct_max = test(model, device, test_loader, criterion)

results = {
    "losses": losses,
    "test_loss": test_loss,
    "correct": correct,
    "correct_max": correct_max,
    "n_test": len(test_loader.dataset),
    "n_batches": len(train_loader),
    "weight_norms": [p.norm().item() for p in model.parameters()],
    "fc2_bias": model.fc2.bias.tolist(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
