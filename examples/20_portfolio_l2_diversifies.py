"""Claim 20: an L2 penalty on mean–variance portfolio weights spreads the allocation (the
effective number of assets 1/Σw_i² rises with λ) and stabilises it under resampled returns.

Synthetic daily returns (percent) of n assets from a one-factor model with a fixed seed. For a
sample of T days with mean μ̂ and covariance Σ̂, the fully invested mean–variance portfolio with
an L2 penalty solves

    min_w  (γ/2)·wᵀΣ̂w − μ̂ᵀw + (λ/2)‖w‖²     subject to  Σ_i w_i = 1

trained with minigrad.optim.SGD(weight_decay=λ) (the (λ/2)‖w‖² term) and the budget
constraint attached to the parameter as ``w.constraint`` (the optimizer projects after every
step: w ← w − (Σw − 1)/n; a parameter's constraint is any array → array projection). Under the
budget, ‖w‖² is smallest for equal weights 1/n, so λ pulls towards them: the effective number
of assets N_eff = 1/Σw_i² rises towards n. The estimate μ̂ is noisy (its standard error is
σ/√T, about the size of the means), so the unpenalised weights chase noise; refitting on B
bootstrap resamples of the T days measures that: the spread (standard deviation across
resamples, averaged over assets) should fall as λ rises. The solution is checked against the
KKT linear system.
"""
import numpy as np

import minigrad as mg
from _common import parse_args, print_table, save_plot, verdict

N_ASSETS, T_DAYS, GAMMA = 20, 250, 2.0
LAMBDAS = [0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]


class FullyInvested:
    """Projection onto {w : Σ_i w_i = 1} along the last axis (a parameter constraint)."""

    def __call__(self, w):
        return w - (w.sum(axis=-1, keepdims=True) - 1.0) / w.shape[-1]


def synthetic_returns(rng):
    beta = rng.uniform(0.5, 1.5, N_ASSETS)
    factor = 0.03 + 1.0 * rng.standard_normal(T_DAYS)
    idio = rng.uniform(0.8, 2.0, N_ASSETS) * rng.standard_normal((T_DAYS, N_ASSETS))
    alpha = rng.normal(0.02, 0.03, N_ASSETS)
    return alpha + factor[:, None] * beta + idio


def moments(R):
    """μ̂ (B, n) and Σ̂ (B, n, n) of a stack of return samples R (B, T, n)."""
    mu = R.mean(axis=1)
    Z = R - mu[:, None, :]
    return mu, np.einsum("bti,btj->bij", Z, Z) / (R.shape[1] - 1)


def solve(mu, S, steps, eig_max):
    """One param group per λ (its own step 1/L, L = γ·max eig Σ̂ + λ); each parameter holds
    the B portfolios (B, n)."""
    mu_t, S_t = mg.tensor(mu), mg.tensor(S)
    ws = {lam: mg.full((mu.shape[0], N_ASSETS), 1.0 / N_ASSETS, dtype=mg.float64,
                       requires_grad=True) for lam in LAMBDAS}
    for w in ws.values():
        w.constraint = FullyInvested()
    opt = mg.optim.SGD([{"params": [w], "weight_decay": lam, "lr": 1.0 / (eig_max + lam)}
                        for lam, w in ws.items()])
    for _ in range(steps):
        opt.zero_grad()
        total = 0.0
        for w in ws.values():
            risk = ((w.unsqueeze(1) @ S_t).squeeze(1) * w).sum()
            total = total + (GAMMA / 2) * risk - (mu_t * w).sum()
        total.backward()
        opt.step()
    return {lam: w.numpy() for lam, w in ws.items()}


def kkt(mu, S, lam):
    """[γΣ + λI, 1; 1ᵀ, 0]·[w; ν] = [μ; 1] for each sample."""
    B, n = mu.shape
    A = np.zeros((B, n + 1, n + 1))
    A[:, :n, :n] = GAMMA * S + lam * np.eye(n)
    A[:, :n, n] = A[:, n, :n] = 1.0
    rhs = np.concatenate([mu, np.ones((B, 1))], axis=1)
    return np.linalg.solve(A, rhs[..., None])[:, :n, 0]


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    R = synthetic_returns(rng)
    n_boot = 20 if args.quick else 200
    idx = rng.integers(0, T_DAYS, size=(n_boot, T_DAYS))
    samples = np.concatenate([R[None], R[idx]])            # sample 0: the full data
    mu, S = moments(samples)

    eig = np.linalg.eigvalsh(GAMMA * S)
    steps = int(np.ceil(np.log(1e-8) / np.log(1.0 - eig.min() / eig.max())))  # worst: λ = 0
    weights = solve(mu, S, steps, eig.max())

    rows, n_eff, spread, dev = [], [], [], 0.0
    for lam in LAMBDAS:
        w = weights[lam]
        dev = max(dev, float(np.max(np.abs(w - kkt(mu, S, lam)))))
        w_full, w_boot = w[0], w[1:]
        n_eff.append(float(1.0 / np.sum(w_full ** 2)))
        spread.append(float(w_boot.std(axis=0).mean()))
        rows.append([lam, n_eff[-1], float(np.abs(w_full).max()), float(w_full.min()),
                     spread[-1], float(np.abs(w_boot - w_boot.mean(0)).sum(1).mean())])
    print(f"{N_ASSETS} assets, {T_DAYS} days, γ={GAMMA}, {n_boot} bootstrap resamples; "
          f"{steps} SGD steps at lr=1/(γ·λ_max(Σ̂) + λ); max deviation from the KKT solution "
          f"{dev:.1e}\n")
    print_table(["λ", "N_eff = 1/Σw²", "max |w_i|", "min w_i", "std across resamples",
                 "mean ‖w_b − w̄‖₁"], rows)
    spreads = all(b >= a for a, b in zip(n_eff, n_eff[1:]))
    stabilises = all(b <= a for a, b in zip(spread, spread[1:]))
    verdict(spreads and stabilises and dev < 1e-6,
            f"N_eff {n_eff[0]:.2f} -> {n_eff[-1]:.2f} of {N_ASSETS} as λ goes 0 -> {LAMBDAS[-1]:g} "
            f"({'monotone' if spreads else 'NOT monotone'}); weight std across resamples "
            f"{spread[0]:.3f} -> {spread[-1]:.3f} ({'monotone' if stabilises else 'NOT monotone'})")

    def draw(plt):
        fig = plt.gcf()
        ax1 = fig.add_subplot(1, 2, 1)
        order = np.argsort(weights[0.0][0])
        for lam in (0.0, 3.0, 100.0):
            ax1.plot(weights[lam][0][order], "o-", ms=3, label=f"λ={lam:g}")
        ax1.axhline(1 / N_ASSETS, color="k", lw=0.5)
        ax1.set_xlabel("asset (sorted)")
        ax1.set_ylabel("weight")
        ax1.legend(fontsize=7)
        ax2 = fig.add_subplot(1, 2, 2)
        lam_axis = [max(lam, 3e-3) for lam in LAMBDAS]
        ax2.plot(lam_axis, n_eff, "o-", label="N_eff")
        ax2.set_xscale("log")
        ax2.set_xlabel("λ (0 at 3e-3)")
        ax3 = ax2.twinx()
        ax3.plot(lam_axis, spread, "s--", color="C3", label="std across resamples")
        ax2.set_ylabel("N_eff")
        ax3.set_ylabel("weight std across resamples", color="C3")
        fig.suptitle("L2 on portfolio weights: spread and stable")
    save_plot("20_portfolio_l2_diversifies", draw, args)


if __name__ == "__main__":
    main()
