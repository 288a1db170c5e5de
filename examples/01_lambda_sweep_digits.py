"""Claim 1: a λ sweep on a small real data set — λ=0 overfits, a middle λ gives the lowest
validation loss, a large λ underfits.

Data: scikit-learn's bundled 8×8 digits (no download), pixels scaled to [0, 1], a deliberately
small training set (so that an unregularised MLP can memorise it) and a larger validation set.
Model: ``nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))``, the same
initialisation for every λ, full-batch ``SGD(lr, momentum=0.9, weight_decay=λ)`` on
``F.cross_entropy`` (mean over the batch), i.e. the objective CE + (λ/2)‖θ‖² over all
parameters. The reported losses are the plain cross-entropy (without the penalty).

Measured (empirical, fixed seed) and the verdict: yes when (a) λ=0 has a larger
validation − train gap than the best λ, (b) the best validation loss is at a λ strictly
inside the grid, and (c) the largest λ has both losses above the best λ's.
"""
import sys

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.optim import SGD
from _common import parse_args, print_table, save_plot, verdict


def load(n_train, seed):
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("scikit-learn is needed for the digits data: pip install minigrad[examples]")
        print("claim holds: no (not run: scikit-learn missing)")
        sys.exit(0)
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = X[order] / 16.0, y[order]
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def losses(model, X, y):
    with mg.no_grad():
        return float(F.cross_entropy(model(X), y).item())


def run(lam, train_set, val_set, steps, seed, checkpoints):
    (X, y), (Xv, yv) = train_set, val_set
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=lam)
    curve = []
    for t in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
        if (t + 1) % max(1, steps // checkpoints) == 0:
            curve.append((t + 1, losses(model, X, y), losses(model, Xv, yv)))
    return losses(model, X, y), losses(model, Xv, yv), curve


def main():
    args = parse_args(__doc__.splitlines()[0])
    n_train = 150 if args.quick else 200
    (X, y), (Xv, yv) = load(n_train, args.seed)
    if args.quick:
        Xv, yv = Xv[:400], yv[:400]
    train_set = (mg.tensor(X.astype(np.float32)), mg.tensor(y.astype(np.int64)))
    val_set = (mg.tensor(Xv.astype(np.float32)), mg.tensor(yv.astype(np.int64)))
    lams = [0.0, 1e-3, 1e-2, 1e-1] if args.quick else \
        [0.0, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 2e-1]
    steps = 150 if args.quick else 500
    checkpoints = 6 if args.quick else 20

    results = {lam: run(lam, train_set, val_set, steps, args.seed, checkpoints) for lam in lams}
    rows = [[lam, tr, va, va - tr] for lam, (tr, va, _) in results.items()]
    print(f"digits: {len(y)} train / {len(yv)} validation, MLP 64→128→10, full-batch SGD, "
          f"{steps} steps")
    print_table(["λ", "train loss", "val loss", "gap"], rows)
    val = np.array([results[lam][1] for lam in lams])
    tr = np.array([results[lam][0] for lam in lams])
    best = int(np.argmin(val))
    gap0, gapb = val[0] - tr[0], val[best] - tr[best]
    a = gap0 > gapb
    b = 0 < best < len(lams) - 1
    c = tr[-1] > tr[best] and val[-1] > val[best]
    verdict(a and b and c,
            f"λ=0: gap {gap0:.3f} vs {gapb:.3f} at the best λ={lams[best]} "
            f"(val {val[best]:.3f}, interior: {b}); largest λ={lams[-1]}: train {tr[-1]:.3f}, "
            f"val {val[-1]:.3f} (both above the best: {c})")

    def draw(plt):
        cmap = plt.get_cmap("viridis")
        for k, lam in enumerate(lams):
            steps_, trc, vac = zip(*results[lam][2])
            color = cmap(k / max(1, len(lams) - 1))
            plt.plot(steps_, trc, "--", color=color)
            plt.plot(steps_, vac, "-", color=color, label=f"λ={lam}")
        plt.yscale("log")
        plt.xlabel("step")
        plt.ylabel("cross-entropy (dashed: train, solid: validation)")
        plt.legend(fontsize=6)
    save_plot("01_lambda_sweep_digits", draw, args)


if __name__ == "__main__":
    main()
