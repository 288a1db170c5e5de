"""Claim 21: leaving biases and BatchNorm parameters out of weight decay (param groups) vs
decaying everything: accuracy and weight norms side by side.

The usual advice: decay only the weight matrices. A bias or BatchNorm shift β has no
"complexity" to shrink, and decaying the BatchNorm scale γ pulls the layer's output scale
towards 0 (while the Linear weight in front of BatchNorm is scale-invariant, so decaying it only
changes its effective step size). minigrad.optim.param_groups_no_decay(model, λ) builds the two
groups (weight_decay=λ on tensors with ≥ 2 dims, 0 on biases and norm parameters). An MLP
Linear(64, 64) → BatchNorm1d → ReLU → Linear(64, 10) is trained on the 8×8 digits (scikit-learn's
bundled copy) with SGD(momentum 0.9) for a few λ, both ways, over several seeds; the table
shows validation accuracy and loss (eval mode: BatchNorm's running statistics) and the norms.

Verdict (empirical): the claim holds if, at every λ, excluding biases/BN costs no accuracy
(the mean over seeds of the paired accuracy difference, weights-only minus everything, is not
below −2 standard errors of that mean; with a single seed: not below 0) and it keeps
BatchNorm's γ larger than decay-everything does.
"""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from _common import parse_args, print_table, save_plot, verdict

HIDDEN, BATCH, LR, MOMENTUM, N_TRAIN = 64, 50, 0.05, 0.9, 1000


def digits(seed):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(seed).permutation(len(X))
    X = (X / 16.0).astype(np.float32)
    tr, va = perm[:N_TRAIN], perm[N_TRAIN:]
    return X[tr], y[tr], X[va], y[va]


def make_model():
    return nn.Sequential(nn.Linear(64, HIDDEN), nn.BatchNorm1d(HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, 10))


def train(data, lam, exclude, seed, epochs):
    Xtr, ytr, Xva, yva = data
    mg.manual_seed(seed)
    model = make_model()
    params = mg.optim.param_groups_no_decay(model, lam) if exclude else \
        [{"params": list(model.parameters()), "weight_decay": lam}]
    opt = mg.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    rng = np.random.default_rng(seed)
    Xt, yt = mg.tensor(Xtr), mg.tensor(ytr)
    for _ in range(epochs):
        perm = rng.permutation(len(Xtr))
        for i in range(0, len(Xtr), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            F.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with mg.no_grad():
        logits = model(mg.tensor(Xva))
        val_loss = float(F.cross_entropy(logits, mg.tensor(yva)).item())
        acc = float(np.mean(logits.numpy().argmax(1) == yva))
    lin1, bn, lin2 = model[0], model[1], model[3]
    norm = lambda t: float(np.linalg.norm(t.numpy()))  # noqa: E731
    return dict(acc=acc, loss=val_loss,
                weights=float(np.sqrt(norm(lin1.weight) ** 2 + norm(lin2.weight) ** 2)),
                biases=float(np.sqrt(norm(lin1.bias) ** 2 + norm(lin2.bias) ** 2)),
                gamma=norm(bn.weight), beta=norm(bn.bias))


def main():
    args = parse_args(__doc__.splitlines()[0])
    data = digits(args.seed)
    lambdas = [5e-3, 5e-2] if args.quick else [5e-4, 5e-3, 2e-2, 5e-2]
    seeds = [args.seed] if args.quick else [args.seed + k for k in range(3)]
    epochs = 4 if args.quick else 20

    rows, summary, acc = [], {}, {}
    for lam in lambdas:
        for exclude in (False, True):
            runs = [train(data, lam, exclude, s, epochs) for s in seeds]
            mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            summary[lam, exclude] = mean
            acc[lam, exclude] = np.array([r["acc"] for r in runs])
            rows.append([lam, "weights only" if exclude else "everything", mean["acc"],
                         mean["loss"], mean["weights"], mean["biases"], mean["gamma"],
                         mean["beta"]])
    print(f"digits: {N_TRAIN} train / {len(data[3])} validation; MLP 64-{HIDDEN}(BN)-10; "
          f"SGD lr={LR} momentum={MOMENTUM}, batch {BATCH}, {epochs} epochs; mean of "
          f"{len(seeds)} seed(s)\n")
    print_table(["λ", "decay on", "val acc", "val loss", "‖W‖", "‖biases‖", "‖BN γ‖", "‖BN β‖"],
                rows)
    diffs = [acc[lam, True] - acc[lam, False] for lam in lambdas]      # paired by seed
    acc_gap = [float(d.mean()) for d in diffs]
    se = [float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0 for d in diffs]
    gamma_kept = all(summary[lam, True]["gamma"] > summary[lam, False]["gamma"] for lam in lambdas)
    no_cost = all(g >= -2 * e for g, e in zip(acc_gap, se))
    verdict(no_cost and gamma_kept,
            "accuracy (weights only − everything) per λ: "
            + ", ".join(f"{lam:g}: {g * 100:+.2f} ± {e * 100:.2f} pp"
                        for lam, g, e in zip(lambdas, acc_gap, se))
            + f" ({'none' if no_cost else 'some'} below −2 SE); BN ‖γ‖ "
            + ", ".join(f"{summary[lam, True]['gamma']:.2f} vs {summary[lam, False]['gamma']:.2f}"
                        for lam in lambdas)
            + f" ({'larger' if gamma_kept else 'NOT always larger'} without decay)")

    def draw(plt):
        fig = plt.gcf()
        x = np.arange(len(lambdas))
        for k, (key, label) in enumerate([("acc", "validation accuracy"), ("gamma", "‖BN γ‖")]):
            ax = fig.add_subplot(1, 2, k + 1)
            ax.bar(x - 0.2, [summary[lam, False][key] for lam in lambdas], 0.4,
                   label="decay everything")
            ax.bar(x + 0.2, [summary[lam, True][key] for lam in lambdas], 0.4,
                   label="no decay on bias/BN")
            ax.set_xticks(x)
            ax.set_xticklabels([f"{lam:g}" for lam in lambdas])
            ax.set_xlabel("λ")
            ax.set_title(label)
            if key == "acc":
                lo = min(v["acc"] for v in summary.values())
                ax.set_ylim(max(0.0, lo - 0.05), 1.0)
                ax.legend(fontsize=7)
    save_plot("21_no_decay_bias_batchnorm", draw, args)


if __name__ == "__main__":
    main()
