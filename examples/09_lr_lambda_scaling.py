"""Claim 9: the λ ∝ 1/lr rule — keeping lr·λ fixed keeps the decay per step fixed.

In torch's convention (``decay_scaling="lr"``, also optax and Keras) the decay's share of one
step is a multiplication of the weights by (1 − lr·λ):

    SGD(weight_decay=λ), momentum 0:  w ← w − lr·(g + λw)     decay term −lr·λ·w
    SGDW(weight_decay=λ):              w ← w − lr·b − lr·λ·w   decay term −lr·λ·w
    AdamW(weight_decay=λ):             w ← w + adam − lr·λ·w   decay term −lr·λ·w

so only the product c = lr·λ matters: halve the learning rate and λ must double to decay as
much per step (and ∝ steps for the same decay per epoch). Checks, for three (lr, λ) pairs with
lr·λ = c: (1) in a training run, the traced decay term (``mg.optim.trace``: SGD's
``−lr·l2``, SGDW's and AdamW's ``decoupled_decay``) divided by w is −c at every step, to
1e-12; (2) with a zero gradient the weights after T steps are (1 − c)ᵀ·w₀ exactly (1e-12).
For contrast the table also shows λ held fixed while lr changes, and AdamW with
``decay_scaling="schedule"`` (the AdamW paper's η_t·λ: there λ alone sets the decay).
"""
import numpy as np

import minigrad as mg
from minigrad.optim import SGD, SGDW, AdamW, trace
from _common import parse_args, print_table, save_plot, verdict

C = 1e-3
PAIRS = [(0.1, 0.01), (0.01, 0.1), (0.001, 1.0)]


def make(name, w, lr, lam, scaling="lr"):
    if name == "SGD":
        return SGD([w], lr=lr, weight_decay=lam)
    if name == "SGDW":
        return SGDW([w], lr=lr, momentum=0.9, weight_decay=lam, decay_scaling=scaling)
    return AdamW([w], lr=lr, weight_decay=lam, decay_scaling=scaling)


def decay_ratios(name, lr, lam, X, y, steps, scaling="lr"):
    """Per step: (decay part of the update) / w, from the traced terms of a training run."""
    n, d = X.shape
    Xt, yt = mg.tensor(X), mg.tensor(y)
    w = mg.tensor(np.linspace(1.0, 2.0, d), requires_grad=True)
    opt = make(name, w, lr, lam, scaling)
    ratios = []
    for _ in range(steps):
        opt.zero_grad()
        (((Xt @ w - yt) ** 2).sum() / (2 * n)).backward()
        before = w.numpy().copy()
        with trace(opt) as tr:
            opt.step()
        terms = tr[w]
        decay = -lr * terms["l2"] if name == "SGD" else terms["decoupled_decay"]
        ratios.append(decay / before)
    return np.array(ratios)


def pure_decay(name, lr, lam, steps, d=5):
    """Zero gradient: only the decay acts. Returns ‖w_t‖/‖w_0‖ for t = 1..steps."""
    w = mg.tensor(np.linspace(1.0, 2.0, d), requires_grad=True)
    w0 = np.linalg.norm(w.numpy())
    opt = make(name, w, lr, lam)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (w * 0.0).sum().backward()          # a loss that does not depend on w: gradient 0
        opt.step()
        out.append(np.linalg.norm(w.numpy()) / w0)
    return np.array(out)


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    n, d = 50, 5
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d)
    steps = 50 if args.quick else 300
    T = 200 if args.quick else 2000

    rows, worst_ratio, worst_decay, curves = [], 0.0, 0.0, {}
    for name in ("SGD", "SGDW", "AdamW"):
        for lr, lam in PAIRS:
            r = decay_ratios(name, lr, lam, X, y, steps)
            err_r = float(np.max(np.abs(r + C))) / C
            decay = pure_decay(name, lr, lam, T)
            expected = (1 - C) ** np.arange(1, T + 1)
            err_d = float(np.max(np.abs(decay / expected - 1)))
            worst_ratio, worst_decay = max(worst_ratio, err_r), max(worst_decay, err_d)
            curves[(name, lr, lam)] = decay
            rows.append([name, lr, lam, f"{lr * lam:.0e}", f"{float(np.mean(-r)):.6g}",
                         f"{decay[-1]:.6f}", f"{err_r:.1e}", f"{err_d:.1e}"])
        # contrast: λ fixed, lr changed -> the per-step decay changes with lr
        lr, lam = 0.01, 0.01
        r = decay_ratios(name, lr, lam, X, y, steps)
        rows.append([name, lr, lam, f"{lr * lam:.0e}", f"{float(np.mean(-r)):.6g}",
                     "(contrast)", "", ""])
    for lr, lam in PAIRS[:2]:
        r = decay_ratios("AdamW", lr, lam, X, y, steps, scaling="schedule")
        rows.append(["AdamW schedule", lr, lam, f"{lr * lam:.0e}",
                     f"{float(np.mean(-r)):.6g}", "(η_t·λ: lr-free)", "", ""])
    print(f"c = lr·λ = {C}; training steps {steps}; pure-decay steps T = {T}, "
          f"(1 − c)^T = {(1 - C) ** T:.6f}")
    print_table(["optimizer", "lr", "λ", "lr·λ", "decay per step", "‖w_T‖/‖w_0‖",
                 "err traced", "err (1−c)^T"], rows)
    verdict(worst_ratio <= 1e-12 and worst_decay <= 1e-12,
            f"for SGD, SGDW and AdamW the traced decay per step is lr·λ = {C} for every pair "
            f"(max relative error {worst_ratio:.1e}) and ‖w_T‖/‖w_0‖ = (1 − lr·λ)^T (max "
            f"relative error {worst_decay:.1e}), tolerance 1e-12")

    def draw(plt):
        for (name, lr, lam), c in curves.items():
            plt.plot(c, label=f"{name} lr={lr} λ={lam}", lw=1)
        plt.plot((1 - C) ** np.arange(1, T + 1), "k:", lw=2, label="(1 − lr·λ)^t")
        plt.xlabel("step (zero gradient)")
        plt.ylabel("‖w_t‖ / ‖w_0‖")
        plt.title("lr·λ fixed ⇒ identical decay")
        plt.legend(fontsize=6)
    save_plot("09_lr_lambda_scaling", draw, args)


if __name__ == "__main__":
    main()
