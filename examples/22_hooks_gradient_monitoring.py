"""Claim 22: hooks let you watch and change a network's gradients without touching its code:
clip each parameter's gradient (a tensor hook), keep the activations (a forward hook) and
monitor each layer's gradient norms (full backward hooks).

An MLP Linear(64, 32) → ReLU → Linear(32, 10) is trained on the 8×8 digits (scikit-learn's
bundled copy) with SGD. Three kinds of hooks, none of which changes the model's code:

  * ``p.register_hook(clip)`` on every parameter: the gradient g becomes g · min(1, c/‖g‖)
    before it is accumulated into ``p.grad`` (per-tensor clipping);
  * ``layer.register_forward_hook(save)``: each layer's input and output are kept;
  * ``layer.register_full_backward_hook(monitor)``: hook(module, grad_input, grad_output)
    records ‖∂L/∂output‖ and ‖∂L/∂input‖ of every layer, per step.

Verdict (identities, checked on one batch): (a) every hooked ``p.grad`` equals the unhooked
gradient clipped to norm c; (b) the saved activations are the layers' outputs (the ReLU's
saved output equals max(0, saved input)); (c) the last layer's grad_output is ∂L/∂logits =
(softmax − onehot)/N, and a Linear's weight gradient equals grad_outputᵀ · saved input.
Then training runs with the hooks on, and a table shows the per-layer gradient norms.
"""
from _common import parse_args, print_table, verdict  # first: puts this checkout on sys.path

import warnings

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

CLIP, LR, BATCH = 0.5, 0.2, 64


def digits(seed):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(seed).permutation(len(X))
    return (X[perm] / 16.0).astype(np.float32), y[perm]


def norm(t):
    return float(np.linalg.norm(t.numpy()))


def clip_to(c):
    """A tensor hook: the gradient, rescaled to norm at most c (None would keep it)."""
    def clip(g):
        return g * min(1.0, c / max(norm(g), 1e-12))
    return clip


def main():
    args = parse_args(__doc__.splitlines()[0])
    # the first layer's input needs no gradient: torch (and minigrad) warn that its backward
    # hook then fires with grad_input = (None,); that is what this example expects
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    X, y = digits(args.seed)
    mg.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    names = {model[0]: "Linear 0", model[1]: "ReLU", model[2]: "Linear 2"}
    xb, yb = mg.tensor(X[:BATCH]), mg.tensor(y[:BATCH])

    # the reference: gradients of one batch with no hook at all
    F.cross_entropy(model(xb), yb).backward()
    plain = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()

    # (a) per-tensor clipping, (b) activations, (c) gradient norms: all by hooks
    handles = [p.register_hook(clip_to(CLIP)) for p in model.parameters()]
    saved, norms = {}, {name: [] for name in names.values()}

    def save(module, inputs, output):
        saved[names[module]] = (inputs[0].detach(), output.detach())

    def monitor(module, grad_input, grad_output):
        g_in = grad_input[0]
        norms[names[module]].append((norm(grad_output[0]),
                                     np.nan if g_in is None else norm(g_in)))
        saved[names[module] + " grad_output"] = grad_output[0].detach()

    for layer in names:
        handles.append(layer.register_forward_hook(save))
        handles.append(layer.register_full_backward_hook(monitor))

    logits = model(xb)
    F.cross_entropy(logits, yb).backward()

    clipped = [g * min(1.0, CLIP / np.linalg.norm(g)) for g in plain]
    a_holds = all(np.allclose(p.grad.numpy(), c, atol=1e-6)
                  for p, c in zip(model.parameters(), clipped))
    relu_in, relu_out = saved["ReLU"]
    b_holds = (np.allclose(relu_out.numpy(), np.maximum(relu_in.numpy(), 0))
               and np.allclose(saved["Linear 2"][1].numpy(), logits.detach().numpy()))
    probs = F.softmax(logits.detach(), dim=1).numpy()
    dlogits = (probs - np.eye(10, dtype=np.float32)[y[:BATCH]]) / BATCH
    g_out2 = saved["Linear 2 grad_output"].numpy()
    # the unclipped weight gradient of the last layer, from what the hooks saw
    dW2 = g_out2.T @ saved["Linear 2"][0].numpy()
    c_holds = np.allclose(g_out2, dlogits, atol=1e-6) and np.allclose(dW2, plain[2], atol=1e-5)

    # training with the hooks on: the monitor fills the per-layer norms, step by step
    for name in norms:
        norms[name].clear()
    opt = mg.optim.SGD(model.parameters(), lr=LR)
    steps = 30 if args.quick else 300
    rng = np.random.default_rng(args.seed)
    for _ in range(steps):
        idx = rng.integers(0, len(X), BATCH)
        opt.zero_grad()
        loss = F.cross_entropy(model(mg.tensor(X[idx])), mg.tensor(y[idx]))
        loss.backward()
        opt.step()
        assert all(norm(p.grad) <= CLIP + 1e-5 for p in model.parameters())
    for h in handles:
        h.remove()
    with mg.no_grad():
        acc = float((model(mg.tensor(X)).argmax(1).numpy() == y).mean())

    rows = []
    for name, seq in norms.items():
        first, last = np.mean(seq[:5], axis=0), np.mean(seq[-5:], axis=0)
        rows.append((name, len(seq), *[float(v) if np.isfinite(v) else "— (input needs no grad)"
                                       for v in (first[0], last[0], first[1], last[1])]))
    print_table(["layer", "calls", "‖∂L/∂out‖ first", "‖∂L/∂out‖ last", "‖∂L/∂in‖ first",
                 "‖∂L/∂in‖ last"], rows)
    print(f"train accuracy after {steps} clipped steps: {acc:.3f} (loss {float(loss):.3f})")
    print(f"(a) hooked grads = clipped grads: {a_holds}; (b) saved activations are the "
          f"outputs: {b_holds}; (c) grad_output = (softmax − onehot)/N and "
          f"dW = grad_outputᵀ·input: {c_holds}")
    assert all(len(seq) == steps for seq in norms.values())
    verdict(a_holds and b_holds and c_holds,
            f"clip to {CLIP} per tensor, activations and per-layer gradient norms by hooks; "
            f"accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
