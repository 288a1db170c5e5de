"""An MLP and a LeNet-style CNN learn scikit-learn's bundled 8×8 digits (no download) with a
plain hand-written SGD step: the loss falls and test accuracy clears a stated bar."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order].astype(np.int64)
    return x[400:], y[400:], x[:400], y[:400]


def _train(model, x, y, epochs, lr=0.1, batch=32):
    rng = np.random.default_rng(0)
    with mg.no_grad():
        first = F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)).item()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for s in range(0, len(y), batch):
            idx = order[s:s + batch]
            loss = F.cross_entropy(model(mg.tensor(x[idx])), mg.tensor(y[idx]))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.array -= lr * p.grad.array
    with mg.no_grad():
        last = F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)).item()
    return first, last


def _accuracy(model, x, y):
    model.eval()
    with mg.no_grad():
        return float((model(mg.tensor(x)).numpy().argmax(1) == y).mean())


def test_mlp_learns_digits(digits):
    x, y, xt, yt = digits
    mg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    first, last = _train(model, x, y, epochs=10)
    assert first > 2.0 and last < 0.25 * first   # ln 10 ≈ 2.30 at the start
    assert _accuracy(model, xt, yt) > 0.92


def test_lenet_cnn_learns_digits(digits):
    x, y, xt, yt = digits
    mg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 3), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10))
    first, last = _train(model, x, y, epochs=10)
    assert first > 2.0 and last < 0.25 * first
    assert _accuracy(model, xt, yt) > 0.92
