"""Convolution and pooling rows alone: LeNet's layers (batch 64, float32), forward + backward.

The LeNet step (bench/training.py) spends most of its time in these; a row per layer says which
one a change moved. Each framework builds the same layer from the same seeded arrays and runs
``out = layer(x); out.backward(g)`` with a fixed upstream gradient g.
"""
import numpy as np

from .harness import Row

CONV_LAYERS = {   # name: (input shape, out channels, kernel, padding)
    "conv1": ((64, 1, 28, 28), 6, 5, 2),
    "conv2": ((64, 6, 14, 14), 16, 5, 0),
}


def _arrays(shape, out_shape):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape).astype(np.float32),
            rng.standard_normal(out_shape).astype(np.float32))


def _conv_step(lib, layer):
    shape, out_channels, kernel, padding = CONV_LAYERS[layer]
    conv = lib.nn.Conv2d(shape[1], out_channels, kernel, padding=padding)
    size = shape[2] + 2 * padding - kernel + 1
    x_np, g_np = _arrays(shape, (shape[0], out_channels, size, size))
    x, g = lib.tensor(x_np, requires_grad=layer != "conv1"), lib.tensor(g_np)

    def step():
        for p in conv.parameters():
            p.grad = None
        conv(x).backward(g)
    return step


def _pool_step(lib, shape):
    x_np, g_np = _arrays(shape, shape[:2] + (shape[2] // 2, shape[3] // 2))
    x, g = lib.tensor(x_np, requires_grad=True), lib.tensor(g_np)
    pool = lib.nn.MaxPool2d(2)

    def step():
        x.grad = None
        pool(x).backward(g)
    return step


def conv_minigrad(layer):
    import minigrad
    return _conv_step(minigrad, layer)


def conv_torch(layer):
    import torch
    return _conv_step(torch, layer)


def pool_minigrad(shape):
    import minigrad
    return _pool_step(minigrad, tuple(shape))


def pool_torch(shape):
    import torch
    return _pool_step(torch, tuple(shape))


def _builders(work):
    return {k: f"bench.conv:{work}_{k}" for k in ("minigrad", "torch")}


def rows(quick=False):
    return [
        Row("conv", "LeNet conv1 fwd+bwd, 64x1x28x28 -> 6, 5x5 pad 2", _builders("conv"),
            {"layer": "conv1"}),
        Row("conv", "LeNet conv2 fwd+bwd, 64x6x14x14 -> 16, 5x5", _builders("conv"),
            {"layer": "conv2"}),
        Row("conv", "LeNet max_pool2d(2) fwd+bwd, 64x6x28x28", _builders("pool"),
            {"shape": [64, 6, 28, 28]}),
    ]
