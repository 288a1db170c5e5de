"""Claim 2: weight decay on a linear model is ridge regression.

Convention (torch's): the loss is the mean squared error with a factor one half,

    f(w) = (1/2n)·‖Xw − y‖²,        ∇f(w) = Xᵀ(Xw − y)/n,

and ``SGD(weight_decay=λ)`` adds λ·w to that gradient, i.e. it descends f(w) + (λ/2)‖w‖²
(``minigrad.penalties.L2(λ)``). Setting the gradient Xᵀ(Xw − y)/n + λw to zero gives

    w* = (XᵀX/n + λI)⁻¹ Xᵀy/n          (ridge regression in the 1/n convention).

Full-batch SGD with lr = 1/L, L = λ_max(XᵀX/n) + λ, contracts by (1 − μ/L) per step
(μ = λ_min(XᵀX/n) + λ), so a few hundred steps reach float64 round-off. The example trains
w twice per λ, with ``weight_decay=λ`` and with the penalty ``L2(λ)(w)`` added to the loss,
and compares both with the closed form solved by numpy. Tolerance: relative error ≤ 1e-10.
"""
import numpy as np

import minigrad as mg
from minigrad.optim import SGD
from minigrad.penalties import L2
from _common import parse_args, print_table, save_plot, verdict

TOL = 1e-10


def closed_form(X, y, lam):
    n, d = X.shape
    return np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)


def train(X, y, lam, steps, via):
    """Full-batch SGD on (1/2n)‖Xw − y‖², the decay either as weight_decay or as L2 in the loss."""
    n, d = X.shape
    Xt, yt = mg.tensor(X), mg.tensor(y)
    w = mg.zeros(d, dtype=mg.float64, requires_grad=True)
    eig = np.linalg.eigvalsh(X.T @ X / n)
    lr = 1.0 / (eig[-1] + lam)
    opt = SGD([w], lr=lr, weight_decay=lam if via == "weight_decay" else 0.0)
    penalty = L2(lam)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((Xt @ w - yt) ** 2).sum() / (2 * n)
        if via == "penalty":
            loss = loss + penalty(w)
        loss.backward()
        opt.step()
        trajectory.append(w.numpy().copy())
    return w.numpy().copy(), trajectory


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    n, d = (100, 8) if args.quick else (400, 20)
    X = rng.standard_normal((n, d)) * np.linspace(0.5, 1.5, d)
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    lams = [0.0, 0.01, 0.1, 1.0, 10.0]
    steps = 400 if args.quick else 1000

    print("ridge: w* = (XᵀX/n + λI)⁻¹ Xᵀy/n  vs  full-batch SGD on (1/2n)‖Xw−y‖², "
          f"n={n}, d={d}, {steps} steps, lr = 1/(λ_max(XᵀX/n) + λ)")
    rows, worst, curves = [], 0.0, {}
    for lam in lams:
        ref = closed_form(X, y, lam)
        w_wd, traj = train(X, y, lam, steps, "weight_decay")
        w_pen, _ = train(X, y, lam, steps, "penalty")
        err_wd = np.linalg.norm(w_wd - ref) / np.linalg.norm(ref)
        err_pen = np.linalg.norm(w_pen - ref) / np.linalg.norm(ref)
        worst = max(worst, err_wd, err_pen)
        curves[lam] = [np.linalg.norm(w - ref) / np.linalg.norm(ref) for w in traj]
        rows.append([lam, float(np.linalg.norm(ref)), float(np.linalg.norm(w_wd)),
                     f"{err_wd:.1e}", f"{err_pen:.1e}"])
    print_table(["λ", "‖w*‖ closed form", "‖w‖ SGD(weight_decay=λ)",
                 "rel err weight_decay", "rel err loss+L2(λ)"], rows)
    verdict(worst <= TOL, f"max relative error to the closed form {worst:.2e} <= {TOL:.0e} "
                          f"over λ in {lams}")

    def draw(plt):
        for lam, c in curves.items():
            plt.semilogy(np.maximum(c, 1e-17), label=f"λ={lam}")
        plt.xlabel("step")
        plt.ylabel("‖w_t − w*‖ / ‖w*‖")
        plt.title("SGD(weight_decay=λ) → ridge closed form")
        plt.legend()
    save_plot("02_ridge_closed_form", draw, args)


if __name__ == "__main__":
    main()
