"""Claim 19: consistency regularisation of a linear model under Gaussian input noise is, in
expectation, the L2 penalty σ²‖W‖².

minigrad.penalties.Consistency(lam, f, T) is lam·(1/B)·Σ_b ‖f(u_b) − f(T(u_b))‖². For a linear
model f(u) = W·u + b and T(u) = u + σ·ε with ε ~ N(0, I), the bias and the input cancel:

    f(u) − f(T(u)) = −σ·W·ε,   so   ‖f(u) − f(T(u))‖² = σ²·εᵀWᵀW·ε

and the penalty over a batch is EXACTLY lam·σ²·⟨WᵀW, Σ̂⟩ with Σ̂ = (1/B)·Σ_b ε_b ε_bᵀ the sample
second moment of the noise drawn (an identity, checked to round-off). Since E[Σ̂] = I,

    E[penalty] = lam·σ²·tr(WᵀW) = lam·σ²·‖W‖²_F = L2.keras(lam·σ²)(W) = L2(2·lam·σ²)(W)

and likewise E[∇_W penalty] = 2·lam·σ²·W, the gradient of that L2 penalty. Monte Carlo with a
growing batch B shows the convergence; the tolerance is statistical: |MC − exact| ≤ 4 standard
errors (SE = std of the per-sample terms / √B), for the value and for every gradient entry.
(For a nonlinear f the same holds only to second order in σ, Bishop 1995.)
"""
import numpy as np

import minigrad as mg
from minigrad.penalties import L2, Consistency
from _common import parse_args, print_table, save_plot, verdict

D_IN, D_OUT, SIGMA, LAM, N_SE = 8, 3, 0.3, 0.5, 4.0


class GaussianNoise:
    """T(u) = u + σ·ε, ε ~ N(0, I) from a seeded generator; remembers the last ε drawn."""

    def __init__(self, sigma, rng):
        self.sigma, self.rng, self.eps = sigma, rng, None

    def __call__(self, u):
        self.eps = self.rng.standard_normal(u.shape)
        return u + mg.tensor(self.sigma * self.eps)


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    W = mg.tensor(rng.standard_normal((D_OUT, D_IN)), requires_grad=True)
    b = mg.tensor(rng.standard_normal(D_OUT), requires_grad=True)
    noise = GaussianNoise(SIGMA, rng)
    consistency = Consistency(LAM, lambda u: u @ W.T + b, noise)
    l2 = L2.keras(LAM * SIGMA ** 2)               # lam·σ²·‖W‖², i.e. L2(2·lam·σ²)

    W.grad = None
    l2(W).backward()
    l2_value, l2_grad = float(l2(W).item()), W.grad.numpy().copy()
    assert np.allclose(l2_value, LAM * SIGMA ** 2 * np.sum(W.numpy() ** 2), rtol=1e-14, atol=0)

    batches = [10, 100, 1000, 10_000, 100_000] if args.quick else \
        [10, 100, 1000, 10_000, 100_000, 1_000_000]
    rows, ok_stat, worst_identity, curve = [], True, 0.0, []
    Wn = W.numpy()
    for B in batches:
        u = mg.tensor(rng.standard_normal((B, D_IN)))     # unlabelled inputs: they cancel
        W.grad, b.grad = None, None
        value = consistency(u)
        value.backward()
        mc_value, mc_grad, eps = float(value.item()), W.grad.numpy(), noise.eps

        # exact identities for the noise actually drawn (round-off only)
        second_moment = eps.T @ eps / B
        exact_value = LAM * SIGMA ** 2 * np.sum((Wn.T @ Wn) * second_moment)
        exact_grad = 2 * LAM * SIGMA ** 2 * Wn @ second_moment
        grad_err = float(np.max(np.abs(mc_grad - exact_grad)) / np.max(np.abs(exact_grad)))
        worst_identity = max(worst_identity, abs(mc_value - exact_value) / exact_value, grad_err)
        if b.grad is not None:
            worst_identity = max(worst_identity, float(np.max(np.abs(b.grad.numpy()))))

        # statistical tolerance: per-sample terms and their standard errors
        We = eps @ Wn.T                                          # (B, D_OUT): W·ε_b
        per_value = LAM * SIGMA ** 2 * np.sum(We ** 2, axis=1)   # mean is the penalty
        se_value = per_value.std(ddof=1) / np.sqrt(B)
        z_value = abs(mc_value - l2_value) / se_value
        per_grad = 2 * LAM * SIGMA ** 2 * We[:, :, None] * eps[:, None, :]   # (B, out, in)
        se_grad = per_grad.std(axis=0, ddof=1) / np.sqrt(B)
        z_grad = float(np.max(np.abs(mc_grad - l2_grad) / se_grad))
        ok_stat &= z_value <= N_SE and z_grad <= N_SE
        rows.append([B, mc_value, l2_value, abs(mc_value - l2_value), se_value, z_value, z_grad])
        curve.append((B, abs(mc_value - l2_value), se_value))

    print(f"linear f(u) = W·u + b, W {D_OUT}×{D_IN}; T(u) = u + σε, σ={SIGMA}; "
          f"Consistency(lam={LAM}) vs L2.keras(lam·σ²) = lam·σ²·‖W‖² = {l2_value:.6f}\n")
    print_table(["B", "consistency (MC)", "lam·σ²‖W‖²", "|diff|", "SE", "value z", "max grad z"],
                rows)
    print(f"\nexact identity penalty = lam·σ²·⟨WᵀW, Σ̂⟩ and grad = 2·lam·σ²·W·Σ̂ for the noise "
          f"drawn: worst relative error {worst_identity:.1e} (bias gradient exactly 0)")
    holds = ok_stat and worst_identity < 1e-10
    verdict(holds, f"for every B the Monte Carlo value and all {D_OUT * D_IN} gradient entries lie "
            f"within {N_SE:g} SE of lam·σ²‖W‖² and its gradient 2·lam·σ²·W "
            f"(largest z: value {max(r[5] for r in rows):.2f}, gradient "
            f"{max(r[6] for r in rows):.2f}); "
            f"algebraic identity to {worst_identity:.1e} (tolerance 1e-10)")

    def draw(plt):
        Bs, diff, se = map(np.array, zip(*curve))
        plt.loglog(Bs, diff, "o-", label="|consistency − lam·σ²‖W‖²|")
        plt.loglog(Bs, se, "--", label="Monte Carlo standard error")
        plt.loglog(Bs, N_SE * se, ":", label=f"{N_SE:g} SE (tolerance)")
        plt.xlabel("noise samples B")
        plt.title("consistency under Gaussian noise → L2 penalty")
        plt.legend(fontsize=8)
    save_plot("19_consistency_is_l2", draw, args)


if __name__ == "__main__":
    main()
