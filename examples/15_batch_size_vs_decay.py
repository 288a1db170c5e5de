"""Claim 15: smaller batches (more gradient noise) need less weight decay for the same
validation loss than large batches.

The argument: minibatch noise (its scale grows like lr/B) is itself a regulariser, so a noisy
small-batch run should reach its best validation loss with a smaller explicit λ, and at λ = 0
it should overfit less. The test: an MLP 64-64-10 on a small training split of the 8×8 digits
(scikit-learn's bundled copy), minigrad.optim.SGD(lr, weight_decay=λ) without momentum, the
SAME number of steps for every batch size (so only the noise differs, not the amount of
optimisation), a grid of λ, the final validation cross-entropy (averaged over seeds). Empirical: the verdict is
"yes" if the best λ of the smallest batch is below the best λ of full-batch training; the
table shows the whole grid, whichever way it comes out.
"""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from _common import parse_args, print_table, save_plot, verdict

N_TRAIN, N_VAL, HIDDEN, LR = 300, 600, 64, 0.5


def digits(seed):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(seed).permutation(len(X))
    X = X / 16.0      # float64, as the model: the runs are compared on small differences
    tr, va = perm[:N_TRAIN], perm[N_TRAIN:N_TRAIN + N_VAL]
    return X[tr], y[tr], X[va], y[va]


def run(data, batch, lam, steps, seed):
    Xtr, ytr, Xva, yva = data
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, HIDDEN, dtype=mg.float64), nn.ReLU(),
                          nn.Linear(HIDDEN, 10, dtype=mg.float64))
    opt = mg.optim.SGD(model.parameters(), lr=LR, weight_decay=lam)
    rng = np.random.default_rng(seed)
    Xt, yt = mg.tensor(Xtr), mg.tensor(ytr)
    for _ in range(steps):
        idx = rng.choice(N_TRAIN, batch, replace=False) if batch < N_TRAIN else slice(None)
        opt.zero_grad()
        F.cross_entropy(model(Xt[idx]), yt[idx]).backward()
        opt.step()
    with mg.no_grad():
        val = float(F.cross_entropy(model(mg.tensor(Xva)), mg.tensor(yva)).item())
        train = float(F.cross_entropy(model(Xt), yt).item())
    return train, val


def main():
    args = parse_args(__doc__.splitlines()[0])
    data = digits(args.seed)
    batches = [8, N_TRAIN] if args.quick else [8, 32, N_TRAIN]
    lambdas = [0.0, 1e-3, 1e-2] if args.quick else \
        [0.0, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2]
    steps = 200 if args.quick else 1500
    seeds = [args.seed] if args.quick else [args.seed, args.seed + 1]

    val = {b: [] for b in batches}
    train = {b: [] for b in batches}
    for b in batches:
        for lam in lambdas:
            tr, va = np.mean([run(data, b, lam, steps, s) for s in seeds], axis=0)
            train[b].append(float(tr))
            val[b].append(float(va))
    print(f"digits: {N_TRAIN} train / {N_VAL} validation, MLP 64-{HIDDEN}-10, SGD lr={LR}, "
          f"{steps} steps for every batch size; mean over {len(seeds)} seed(s)\n")
    rows = [[lam] + [f"{val[b][i]:.4f} ({train[b][i]:.3f})" for b in batches]
            for i, lam in enumerate(lambdas)]
    print_table(["λ"] + [f"val (train) loss, B={b}" for b in batches], rows)
    best = {b: lambdas[int(np.argmin(val[b]))] for b in batches}
    print("best λ per batch size: " + ", ".join(f"B={b}: {best[b]:g} (val {min(val[b]):.4f})"
                                                 for b in batches))
    small, large = batches[0], batches[-1]
    verdict(best[small] < best[large],
            f"best λ at B={small}: {best[small]:g} vs at B={large}: {best[large]:g} "
            f"(validation loss {min(val[small]):.4f} vs {min(val[large]):.4f}; at λ=0 "
            f"{val[small][0]:.4f} vs {val[large][0]:.4f})")

    def draw(plt):
        lam_axis = [max(lam, 3e-5) for lam in lambdas]
        for b in batches:
            plt.plot(lam_axis, val[b], "o-", label=f"batch {b}")
        plt.xscale("log")
        plt.xlabel("weight decay λ (0 drawn at 3e-5)")
        plt.ylabel("validation cross-entropy")
        plt.title(f"batch size vs best weight decay ({steps} steps each)")
        plt.legend()
    save_plot("15_batch_size_vs_decay", draw, args)


if __name__ == "__main__":
    main()
