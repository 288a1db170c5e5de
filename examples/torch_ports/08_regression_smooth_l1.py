"""Polynomial regression in the style of pytorch/examples/regression.

Features [x, x^2, x^3, x^4] built with `torch.cat([x ** i for i in ...], 1)`, a target
function f(x) = x.mm(W_target) + b_target.item(), a single torch.nn.Linear, the
smooth-L1 loss, and the update written by hand on `.data`:
`param.data.add_(-lr * param.grad)`. The random batches are drawn with numpy.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

POLY_DEGREE = 4
rng = np.random.default_rng(2)
W_target = torch.from_numpy(rng.standard_normal((POLY_DEGREE, 1)).astype(np.float32)) * 5
b_target = torch.from_numpy(rng.standard_normal(1).astype(np.float32)) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = 'y = '
    for i, w in enumerate(W):
        result += '{:+.2f} x^{} '.format(w, i + 1)
    result += '{:+.2f}'.format(b[0])
    return result


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    # x ~ U(-1.5, 1.5) rather than N(0, 1): with Gaussian x the x^4 column reaches ~100 and at
    # lr 0.1 the quadratic part of the loss is unstable, so round-off would grow step by step
    random = torch.from_numpy(rng.uniform(-1.5, 1.5, batch_size).astype(np.float32))
    x = make_features(random)
    y = f(x)
    return x, y


# Define model
fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, (1, POLY_DEGREE)).astype(np.float32)))
    fc.bias.fill_(0.1)

losses = []
for batch_idx in range(1, 601):
    # Get data
    batch_x, batch_y = get_batch()

    # Reset gradients
    fc.zero_grad()

    # Forward pass
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    losses.append(loss)

    # Backward pass
    output.backward()

    # Apply gradients
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)

print('Loss: {:.6f} after {} batches'.format(loss, batch_idx))
print('==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
print('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))

results = {
    "losses": losses,
    "weight": fc.weight.view(-1).tolist(),
    "bias": fc.bias.item(),
    "target_weight": W_target.view(-1).tolist(),
    "learned": poly_desc(fc.weight.view(-1), fc.bias),
    "last_grad": fc.weight.grad.view(-1).tolist(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
