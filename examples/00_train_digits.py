"""Train an MLP and a LeNet-style CNN on scikit-learn's bundled 8×8 digits with minigrad.nn.

The models, the loss and the training loop are written exactly as in PyTorch: only the import
changes. The update is a plain SGD step written out (p ← p − lr·∂L/∂p), so nothing but
minigrad.nn is involved. Prints, per model, the training loss at the start and end and the
test accuracy.

    python examples/00_train_digits.py            # ~5 s on 2 cores
    python examples/00_train_digits.py --quick    # ~2 s
"""
import argparse
import time

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def load_digits(seed=0, n_test=397):
    """(x_train, y_train, x_test, y_test): images (N, 1, 8, 8) scaled to [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits  # bundled with scikit-learn
    x, y = sk_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order].astype(np.int64)
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 6 × 4 × 4
        nn.Conv2d(6, 16, 3), nn.ReLU(),                                 # 16 × 2 × 2
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def train(model, x, y, epochs, lr=0.1, batch_size=32, seed=0):
    """Minibatch SGD on cross-entropy; returns the mean loss of each epoch."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(mg.tensor(x[idx])), mg.tensor(y[idx]))
            model.zero_grad()
            loss.backward()
            with mg.no_grad():
                for p in model.parameters():
                    p.array -= lr * p.grad.array
            total += loss.item() * len(idx)
        losses.append(total / len(y))
    return losses


def accuracy(model, x, y):
    model.eval()
    with mg.no_grad():
        predicted = model(mg.tensor(x)).numpy().argmax(axis=1)
    model.train()
    return float((predicted == y).mean())


def initial_loss(model, x, y):
    with mg.no_grad():
        return F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs (a few seconds)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    epochs = args.epochs or (8 if args.quick else 30)
    x_train, y_train, x_test, y_test = load_digits(args.seed)
    print(f"digits: {len(y_train)} train / {len(y_test)} test images, {epochs} epochs, "
          f"SGD lr={args.lr}, batch 32")
    print("| model | parameters | loss before | loss after | test accuracy | seconds |")
    print("|---|---|---|---|---|---|")
    for name, make in (("MLP 64-64-10", mlp), ("LeNet-style CNN", lenet)):
        mg.manual_seed(args.seed)
        model = make()
        before = initial_loss(model, x_train, y_train)
        t0 = time.perf_counter()
        losses = train(model, x_train, y_train, epochs, args.lr, seed=args.seed)
        seconds = time.perf_counter() - t0
        n = sum(p.numel() for p in model.parameters())
        print(f"| {name} | {n} | {before:.3f} | {losses[-1]:.3f} | "
              f"{accuracy(model, x_test, y_test):.3f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
