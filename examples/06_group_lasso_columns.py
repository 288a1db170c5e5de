"""Claim 6: group lasso on a Linear layer selects whole input features (whole columns go to 0).

A Linear layer's weight W has shape (out, in): column j holds every weight that reads input j.
``GroupLasso(λ, dim=0)`` is λ·Σⱼ‖W[:, j]‖₂ — one group per column — and its prox, group
soft-thresholding W[:, j]·max(1 − step·λ/‖W[:, j]‖, 0), sets a whole column to exactly 0 at
once. Fitted with ``ProxSGD`` (w ← prox_{lr·R}(w − lr·∇f)) on the multi-output least squares
f = (1/2n)‖XWᵀ + b − Y‖²_F of ``nn.Linear(in, out)`` (bias unpenalised: its param group
has no penalty).

At the minimiser the optimality (KKT) conditions with G = ∇_W f are, per column j:
    W[:, j] = 0      ⇔  ‖G[:, j]‖ ≤ λ
    W[:, j] ≠ 0      ⇒  G[:, j] + λ·W[:, j]/‖W[:, j]‖ = 0.
Checks: every column is either exactly zero or has no zero entry; the KKT conditions hold
to 1e-8·λ; the selected inputs are the informative ones. For contrast, ``L1`` with the same
optimizer zeroes single entries scattered over the columns.
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.optim import ProxSGD
from minigrad.penalties import L1, GroupLasso
from _common import parse_args, print_table, save_plot, verdict

TOL = 1e-8


def fit(X, Y, penalty, steps):
    n, d_in = X.shape
    d_out = Y.shape[1]
    Xt, Yt = mg.tensor(X), mg.tensor(Y)
    mg.manual_seed(0)
    layer = nn.Linear(d_in, d_out, dtype=mg.float64)          # weight (out, in), bias (out,)
    Xa = np.hstack([X, np.ones((n, 1))])
    lr = 1.0 / np.linalg.eigvalsh(Xa.T @ Xa / n)[-1]
    opt = ProxSGD([{"params": [layer.weight], "penalty": penalty},
                   {"params": [layer.bias], "penalty": None}], lr=lr)
    for step in range(steps + 1):             # the last pass only computes G = ∇_W f
        opt.zero_grad()
        (((layer(Xt) - Yt) ** 2).sum() / (2 * n)).backward()
        if step < steps:
            opt.step()
    return layer.weight.numpy().copy(), layer.weight.grad.numpy().copy()   # G at the end


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    n, d_in, d_out, informative = (150, 10, 3, 4) if args.quick else (400, 20, 4, 6)
    X = rng.standard_normal((n, d_in))
    W_true = np.zeros((d_out, d_in))
    W_true[:, :informative] = rng.uniform(0.5, 1.5, (d_out, informative)) * \
        rng.choice([-1, 1], (d_out, informative))
    W_true[0, :informative:2] = 0.0     # some informative columns have zero entries too:
    W_true[-1, 1:informative:2] = 0.0   # the group still reads the input, L1 drops entries
    Y = X @ W_true.T + 0.5 + 0.3 * rng.standard_normal((n, d_out))
    steps = 600 if args.quick else 2000
    lams = [0.02, 0.1, 0.3, 1.0] if args.quick else [0.01, 0.03, 0.1, 0.2, 0.3, 0.6, 1.0, 2.0, 4.0]
    lam_main = 0.1

    rows, worst_kkt, all_whole, col_norms, fits = [], 0.0, True, {}, {}
    for lam in lams:
        W, G = fit(X, Y, GroupLasso(lam, dim=0), steps)
        zero_cols = np.all(W == 0, axis=0)
        partial = int(np.sum(np.any(W == 0, axis=0) & ~zero_cols))
        norms = np.linalg.norm(W, axis=0)
        gnorm = np.linalg.norm(G, axis=0)
        kkt_zero = np.max(np.maximum(gnorm[zero_cols] - lam, 0), initial=0.0)
        nz = ~zero_cols
        kkt_nz = np.max(np.abs(G[:, nz] + lam * W[:, nz] / norms[nz]), initial=0.0)
        kkt = max(kkt_zero, kkt_nz) / lam
        worst_kkt = max(worst_kkt, kkt)
        all_whole &= partial == 0
        col_norms[lam] = norms
        fits[lam] = W
        selected = np.flatnonzero(nz)
        kept_text = f"{selected.size}" + (f" {selected.tolist()}" if selected.size <= 8 else "")
        rows.append([lam, int(zero_cols.sum()), partial, kept_text, f"{kkt:.1e}"])
    print(f"Linear({d_in}, {d_out}) weight, {informative} informative inputs, GroupLasso(λ, dim=0) "
          f"by ProxSGD, {steps} steps")
    print_table(["λ", "zero columns", "partly-zero columns", "inputs kept", "KKT err / λ"], rows)

    W_l1, _ = fit(X, Y, L1(lam_main), steps)
    z = W_l1 == 0
    l1_partial = int(np.sum(np.any(z, axis=0) & ~np.all(z, axis=0)))
    print(f"contrast, L1({lam_main}): {int(z.sum())} zero entries, {l1_partial} partly-zero "
          f"columns, {int(np.all(z, axis=0).sum())} whole zero columns")
    kept = np.flatnonzero(np.any(fits[lam_main] != 0, axis=0))
    right = kept.tolist() == list(range(informative))
    verdict(all_whole and worst_kkt <= TOL and right,
            f"every column is all-zero or all-nonzero for each λ in {lams}; KKT holds to "
            f"{worst_kkt:.1e}·λ <= {TOL:.0e}·λ; at λ={lam_main} the kept inputs are exactly the "
            f"{informative} informative ones {kept.tolist()}")

    def draw(plt):
        fig = plt.gcf()
        fig.set_size_inches(10, 4)
        ax = fig.add_subplot(1, 3, 1)
        for j in range(d_in):
            ax.plot(lams, [col_norms[lam][j] for lam in lams], "o-" if j < informative else "x--")
        ax.set_xscale("log")
        ax.set_xlabel("λ")
        ax.set_ylabel("‖W[:, j]‖")
        ax.set_title("column norms (o informative)")
        for k, (W, title) in enumerate([(fits[lam_main], f"GroupLasso({lam_main})"),
                                        (W_l1, f"L1({lam_main})")]):
            ax = fig.add_subplot(1, 3, 2 + k)
            ax.imshow(W == 0, cmap="gray_r", aspect="auto")
            ax.set_title(f"exact zeros: {title}")
            ax.set_xlabel("input j")
            ax.set_ylabel("output")
    save_plot("06_group_lasso_columns", draw, args)


if __name__ == "__main__":
    main()
