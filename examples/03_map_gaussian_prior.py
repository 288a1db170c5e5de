"""Claim 3: MAP with a Gaussian prior N(0, σ²I) is weight decay with λ fixed by N and σ².

Model: y = Xw + noise, noise ~ N(0, s²) per sample (s² the noise variance), N samples,
prior w ~ N(0, σ²I). The negative log posterior, up to a constant, is

    −log p(w | X, y) = (1/2s²)·‖Xw − y‖² + (1/2σ²)·‖w‖².

Its minimiser, the MAP estimate, is the posterior mean of Bayesian linear regression
(Bishop, PRML eq. 3.53–3.54, with α = 1/σ², β = 1/s²):

    w_MAP = (XᵀX/s² + I/σ²)⁻¹ Xᵀy/s².

Multiplying the negative log posterior by a positive constant does not move its minimiser, so
it matches weight decay (``SGD(weight_decay=λ)`` adds λw, i.e. the penalty (λ/2)‖w‖²) once
the data term is written in the loss convention used:

  * mean loss  (1/2N)‖Xw − y‖² + (λ/2)‖w‖²  (× s²/N):  λ = s² / (N·σ²)
  * sum loss   (1/2) ‖Xw − y‖² + (λ/2)‖w‖²  (× s²):    λ = s² / σ²

The example trains both conventions with minigrad's SGD and checks the weights against
w_MAP (relative error ≤ 1e-10), and shows that the λ of the other convention does not.
"""
import numpy as np

import minigrad as mg
from minigrad.optim import SGD
from _common import parse_args, print_table, save_plot, verdict

TOL = 1e-10


def train(X, y, lam, reduction, steps):
    """Full-batch SGD(weight_decay=λ) on the squared loss with the given reduction."""
    N, d = X.shape
    scale = 1.0 / N if reduction == "mean" else 1.0
    Xt, yt = mg.tensor(X), mg.tensor(y)
    w = mg.zeros(d, dtype=mg.float64, requires_grad=True)
    eig = np.linalg.eigvalsh(scale * X.T @ X)
    opt = SGD([w], lr=1.0 / (eig[-1] + lam), weight_decay=lam)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((Xt @ w - yt) ** 2).sum() * (scale / 2)
        loss.backward()
        opt.step()
    return w.numpy().copy()


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    N, d = (60, 6) if args.quick else (200, 12)
    s2, sigma2 = 0.25, 0.05                       # noise variance s², prior variance σ²
    w_true = rng.normal(0.0, np.sqrt(sigma2), d)  # a draw from the prior
    X = rng.standard_normal((N, d))
    y = X @ w_true + rng.normal(0.0, np.sqrt(s2), N)
    steps = 500 if args.quick else 1500

    w_map = np.linalg.solve(X.T @ X / s2 + np.eye(d) / sigma2, X.T @ y / s2)
    lam_mean, lam_sum = s2 / (N * sigma2), s2 / sigma2
    print(f"N={N}, noise variance s²={s2}, prior variance σ²={sigma2}")
    print(f"mean loss (1/2N)‖Xw−y‖²: λ = s²/(N·σ²) = {s2}/({N}·{sigma2}) = {lam_mean:.6g}")
    print(f"sum  loss (1/2)‖Xw−y‖²:  λ = s²/σ²     = {s2}/{sigma2} = {lam_sum:.6g}")

    rows, errs, norms = [], {}, {}
    for reduction, lam, right in [("mean", lam_mean, True), ("sum", lam_sum, True),
                                  ("mean", lam_sum, False), ("sum", lam_mean, False)]:
        w = train(X, y, lam, reduction, steps)
        err = np.linalg.norm(w - w_map) / np.linalg.norm(w_map)
        errs[(reduction, right)] = err
        norms[(reduction, lam)] = w
        rows.append([reduction, f"{lam:.6g}", "derived" if right else "other convention's",
                     float(np.linalg.norm(w)), f"{err:.1e}"])
    print_table(["loss", "λ", "λ is", "‖w‖", "rel err to w_MAP"], rows)
    worst = max(errs[("mean", True)], errs[("sum", True)])
    wrong = min(errs[("mean", False)], errs[("sum", False)])
    verdict(worst <= TOL and wrong > 1e-3,
            f"derived λ: max relative error to w_MAP {worst:.2e} <= {TOL:.0e}; "
            f"the other convention's λ misses by >= {wrong:.2e}")

    def draw(plt):
        idx = np.arange(d)
        plt.bar(idx - 0.2, w_map, width=0.4, label="w_MAP (posterior mean)")
        plt.bar(idx + 0.2, norms[("mean", lam_mean)], width=0.4,
                label="SGD, mean loss, λ=s²/(Nσ²)")
        plt.plot(idx, w_true, "k.", label="w drawn from the prior")
        plt.xlabel("coordinate")
        plt.ylabel("weight")
        plt.title("MAP with prior N(0, σ²I) = weight decay")
        plt.legend(fontsize=7)
    save_plot("03_map_gaussian_prior", draw, args)


if __name__ == "__main__":
    main()
