"""Claim 4: weight decay adds λ to every eigenvalue of the Hessian.

With F(θ) = f(θ) + (λ/2)‖θ‖² (``minigrad.penalties.L2(λ)``, the penalty behind
``weight_decay=λ``), ∇²F = ∇²f + λI, so every eigenvalue moves by exactly λ and the
eigenvectors stay put: curvature grows uniformly, the smallest (possibly negative)
eigenvalues of a non-convex loss are lifted and the condition number of a convex one drops.

The Hessian is never formed by hand. Hessian-vector products come from double backward,

    Hv = ∇_θ ⟨∇_θ F(θ), v⟩      (``mg.grad(..., create_graph=True)`` then ``mg.grad`` again),

and the Lanczos iteration (full reorthogonalisation, as many steps as parameters) turns them
into the whole spectrum. The model is a small tanh network with a logistic loss, so the
Hessian is indefinite. Checks: (1) the HVP Hessian agrees with central differences of the
gradient (independent of double backward), (2) every Lanczos eigenvalue of ∇²F minus the
matching one of ∇²f equals λ, to 1e-9 relative to the spectral radius.
"""
import numpy as np

import minigrad as mg
from minigrad.penalties import L2
from _common import parse_args, print_table, save_plot, verdict

TOL = 1e-9


class TinyNet:
    """logistic loss of y·(v·tanh(W x + b)), all parameters in one flat vector θ."""

    def __init__(self, X, y, hidden):
        self.X, self.y = mg.tensor(X), mg.tensor(y)
        self.d_in, self.hidden = X.shape[1], hidden
        self.size = hidden * self.d_in + 2 * hidden

    def loss(self, theta):
        h, d = self.hidden, self.d_in
        W = theta[:h * d].reshape(h, d)
        b = theta[h * d:h * d + h]
        v = theta[h * d + h:]
        margin = self.y * (mg.tanh(self.X @ W.T + b) @ v)
        return mg.log(1 + mg.exp(-margin)).mean()


def hvp_operator(objective, theta):
    """v ↦ ∇²objective(θ)·v by double backward (the first gradient's graph is kept)."""
    t = mg.tensor(theta, requires_grad=True)
    g, = mg.grad(objective(t), [t], create_graph=True)

    def hvp(v):
        hv, = mg.grad((g * mg.tensor(v)).sum(), [t], retain_graph=True)
        return hv.numpy().copy()
    return hvp


def lanczos(hvp, n, rng, steps):
    """Eigenvalues of the symmetric operator from `steps` Lanczos steps (full reorth.)."""
    Q = np.zeros((n, steps + 1))
    q = rng.standard_normal(n)
    Q[:, 0] = q / np.linalg.norm(q)
    alpha, beta = np.zeros(steps), np.zeros(steps)
    for j in range(steps):
        w = hvp(Q[:, j])
        alpha[j] = Q[:, j] @ w
        w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)     # full reorthogonalisation, twice
        w -= Q[:, :j + 1] @ (Q[:, :j + 1].T @ w)
        beta[j] = np.linalg.norm(w)
        if j + 1 < steps:
            Q[:, j + 1] = w / beta[j]
    T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
    return np.linalg.eigvalsh(T)


def gradient(objective, theta):
    t = mg.tensor(theta, requires_grad=True)
    g, = mg.grad(objective(t), [t])
    return g.numpy()


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    n, d_in, hidden = (40, 3, 4) if args.quick else (100, 5, 6)
    X = rng.standard_normal((n, d_in))
    y = np.sign(X[:, 0] * X[:, 1] + 0.3 * rng.standard_normal(n))
    net = TinyNet(X, y, hidden)
    theta = rng.standard_normal(net.size)
    lam = 0.3
    l2 = L2(lam)

    f = net.loss
    F = lambda t: net.loss(t) + l2(t)   # noqa: E731
    hvp_f, hvp_F = hvp_operator(f, theta), hvp_operator(F, theta)

    # (1) the HVP Hessian against central differences of the first-order gradient
    H = np.stack([hvp_f(e) for e in np.eye(net.size)], axis=1)
    h = 1e-5
    H_fd = np.stack([(gradient(f, theta + h * e) - gradient(f, theta - h * e)) / (2 * h)
                     for e in np.eye(net.size)], axis=1)
    fd_err = np.max(np.abs(H - H_fd)) / np.max(np.abs(H))
    sym_err = np.max(np.abs(H - H.T)) / np.max(np.abs(H))

    # (2) the spectrum by Lanczos on HVPs, with and without the penalty
    seed = int(rng.integers(1 << 31))
    eig_f = lanczos(hvp_f, net.size, np.random.default_rng(seed), net.size)
    eig_F = lanczos(hvp_F, net.size, np.random.default_rng(seed), net.size)
    shift = eig_F - eig_f
    radius = np.max(np.abs(eig_f))
    shift_err = np.max(np.abs(shift - lam)) / radius
    dense_err = np.max(np.abs(eig_f - np.linalg.eigvalsh((H + H.T) / 2))) / radius

    print(f"tiny tanh net, {net.size} parameters, λ = {lam}; spectrum by Lanczos on HVPs")
    picks = sorted(set([0, 1, net.size // 2, net.size - 2, net.size - 1]))
    print_table(["eigenvalue #", "∇²f", "∇²f + λI (L2 added)", "difference"],
                [[i, float(eig_f[i]), float(eig_F[i]), f"{shift[i]:.15f}"] for i in picks])
    print(f"HVP Hessian vs central differences: {fd_err:.1e} (relative), symmetry {sym_err:.1e}, "
          f"Lanczos vs dense eigvalsh {dense_err:.1e}")
    cond = (lambda e: e[-1] / e[0] if e[0] > 0 else float("inf"))
    print(f"λ_min: {eig_f[0]:.4f} → {eig_F[0]:.4f};  λ_max: {eig_f[-1]:.4f} → {eig_F[-1]:.4f};"
          f"  condition number (if positive definite): {cond(eig_f):.4g} → {cond(eig_F):.4g}")
    verdict(shift_err <= TOL and fd_err <= 1e-6 and dense_err <= TOL,
            f"all {net.size} eigenvalues shifted by λ={lam}: max |shift − λ| = "
            f"{shift_err * radius:.2e} ({shift_err:.1e} of the spectral radius, tolerance "
            f"{TOL:.0e}); HVP vs finite differences {fd_err:.1e} <= 1e-6")

    def draw(plt):
        k = np.arange(net.size)
        plt.plot(k, eig_f, "o-", label="∇²f")
        plt.plot(k, eig_F, "s-", label=f"∇²(f + (λ/2)‖θ‖²), λ={lam}")
        plt.axhline(0, color="k", lw=0.5)
        plt.xlabel("eigenvalue index (sorted)")
        plt.ylabel("eigenvalue")
        plt.title("weight decay shifts the Hessian spectrum by λ")
        plt.legend()
    save_plot("04_hessian_eigen_shift", draw, args)


if __name__ == "__main__":
    main()
