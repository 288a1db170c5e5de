"""Claim 10: gradient descent on the logistic loss over separable data converges in direction
to the hard-margin SVM; an explicit L2 penalty gives a finite-norm solution, in another
direction.

Loss: L(w) = (1/n)·Σᵢ log(1 + exp(−yᵢ·xᵢᵀw)), linear model without bias, data separable
through the origin. L has no minimiser: ‖w_t‖ → ∞ while w_t/‖w_t‖ → ŵ/‖ŵ‖, where
ŵ = argmin ‖w‖² s.t. yᵢxᵢᵀw ≥ 1 is the hard-margin SVM (Soudry et al. 2018). With a
constant step the direction error decays only like 1/log t; normalised gradient descent,
lr_t = η / L(w_t) (Nacson et al. 2019), has the same limit and gets there much faster. Both
run as minigrad ``SGD`` on the full batch (the normalised one sets the group's ``lr`` each
step).

The SVM direction is computed independently: dual coordinate ascent on
max Σα − ½‖Σαᵢyᵢxᵢ‖², α ≥ 0 (exact coordinate maximisation, a small QP written here), its
KKT conditions checked (margins ≥ 1, complementary slackness), and cross-checked with
scikit-learn's ``LinearSVC(loss="hinge", fit_intercept=False, C=1e6)`` when installed.
With ``SGD(weight_decay=λ)`` the objective L + (λ/2)‖w‖² is strongly convex: the iterates
stop at a finite w (gradient → 0) whose direction is not the SVM's.
Verdict: 1 − cos(w_t, ŵ) falls at every checkpoint for both step rules and ends ≤ 1e-5 for
the normalised one, and the L2 solution is stationary (‖∇‖ ≤ 1e-10) with 1 − cos > 1e-3.
"""
import numpy as np

import minigrad as mg
from minigrad.optim import SGD
from _common import parse_args, print_table, save_plot, verdict


def svm_direction(X, y, sweeps=5000):
    """Hard-margin SVM without bias by dual coordinate ascent; returns ŵ and the KKT error."""
    Z = y[:, None] * X
    alpha, w = np.zeros(len(y)), np.zeros(X.shape[1])
    for _ in range(sweeps):
        largest = 0.0
        for i in range(len(y)):
            new = max(0.0, alpha[i] + (1 - Z[i] @ w) / (Z[i] @ Z[i]))
            w += (new - alpha[i]) * Z[i]
            largest = max(largest, abs(new - alpha[i]))
            alpha[i] = new
        if largest < 1e-15:
            break
    margins = Z @ w
    kkt = max(float(np.max(np.maximum(1 - margins, 0))),          # feasibility
              float(np.max(alpha * np.abs(margins - 1))),         # complementary slackness
              float(np.linalg.norm(w - alpha @ Z)))               # stationarity
    return w, kkt


def cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def logistic(Xt, yt, w):
    return mg.log(1 + mg.exp(-(yt * (Xt @ w)))).mean()


def gradient_descent(X, y, steps, checkpoints, w_svm, rule, eta, lam=0.0):
    Xt, yt = mg.tensor(X), mg.tensor(y)
    w = mg.zeros(X.shape[1], dtype=mg.float64, requires_grad=True)
    opt = SGD([w], lr=eta, weight_decay=lam)
    gaps, grad_norm = {}, None
    for t in range(1, steps + 1):
        if rule == "normalised":   # lr_t = η / L(w_t), the loss computed without underflow
            opt.param_groups[0]["lr"] = eta / np.mean(np.logaddexp(0, -y * (X @ w.numpy())))
        opt.zero_grad()
        logistic(Xt, yt, w).backward()
        grad_norm = float(np.linalg.norm(w.grad.numpy() + lam * w.numpy()))
        opt.step()
        if t in checkpoints:
            gaps[t] = (1 - cos(w.numpy(), w_svm), float(np.linalg.norm(w.numpy())))
    return w.numpy().copy(), gaps, grad_norm


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((60, 2))
    u = np.array([1.0, 0.5]) / np.linalg.norm([1.0, 0.5])
    keep = np.abs(X @ u) > 0.3                      # a gap around the plane u·x = 0
    X, y = X[keep], np.sign(X[keep] @ u)

    w_svm, kkt = svm_direction(X, y)
    print(f"n={len(y)} separable points in 2-D; hard-margin SVM ŵ = {np.round(w_svm, 6)}, "
          f"margin 1/‖ŵ‖ = {1 / np.linalg.norm(w_svm):.6f}, KKT error {kkt:.1e}")
    try:
        from sklearn.svm import LinearSVC
        sk = LinearSVC(loss="hinge", fit_intercept=False, C=1e6, tol=1e-12, max_iter=1_000_000)
        sk.fit(X, y)
        print(f"scikit-learn LinearSVC(hinge, C=1e6): 1 − cos with ŵ = "
              f"{1 - cos(sk.coef_.ravel(), w_svm):.1e}")
    except ImportError:
        print("(scikit-learn not installed: no cross-check of the SVM)")

    plain_steps = 1000 if args.quick else 20000
    norm_steps = 1000 if args.quick else 3000
    cps = [c for c in (10, 30, 100, 300, 1000, 3000, 10000, 20000) if c <= plain_steps]
    _, plain, _ = gradient_descent(X, y, plain_steps, set(cps), w_svm, "constant", 1.0)
    ncps = [c for c in cps if c <= norm_steps]
    _, normd, _ = gradient_descent(X, y, norm_steps, set(ncps), w_svm, "normalised", 1.0)
    lam = 0.1
    w_l2, _, g_l2 = gradient_descent(X, y, 3000, set(), w_svm, "constant", 1.0, lam=lam)

    rows = [[t, f"{plain[t][0]:.2e}", float(plain[t][1]),
             f"{normd[t][0]:.2e}" if t in normd else "", float(normd[t][1]) if t in normd else ""]
            for t in cps]
    print_table(["step", "1−cos GD lr=1", "‖w‖ GD", "1−cos normalised GD", "‖w‖ normalised"],
                rows)
    gap_l2 = 1 - cos(w_l2, w_svm)
    print(f"L2 (SGD weight_decay={lam}): ‖w‖ = {np.linalg.norm(w_l2):.4f} (finite), "
          f"‖∇(L + λ/2‖w‖²)‖ = {g_l2:.1e}, 1 − cos with ŵ = {gap_l2:.2e}")
    falls = all(np.diff([plain[t][0] for t in cps]) < 0) and \
        all(np.diff([normd[t][0] for t in ncps]) < 0)
    final = normd[ncps[-1]][0]
    verdict(falls and final <= 1e-5 and kkt <= 1e-9 and g_l2 <= 1e-10 and gap_l2 > 1e-3,
            f"1 − cos(w_t, ŵ) falls at every checkpoint (GD: {plain[cps[-1]][0]:.1e} at step "
            f"{cps[-1]}, normalised GD: {final:.1e} <= 1e-5 at step {ncps[-1]}); L2 with "
            f"λ={lam}: stationary (‖∇‖={g_l2:.0e}) at ‖w‖={np.linalg.norm(w_l2):.3f}, "
            f"1 − cos = {gap_l2:.1e} > 1e-3")

    def draw(plt):
        fig = plt.gcf()
        fig.set_size_inches(10, 4)
        ax = fig.add_subplot(1, 2, 1)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12)
        r = np.abs(X).max()
        for v, label, style in [(w_svm, "SVM", "k-"), (w_l2, f"L2 λ={lam}", "g--")]:
            perp = np.array([-v[1], v[0]]) / np.linalg.norm(v)
            ax.plot([-r * perp[0], r * perp[0]], [-r * perp[1], r * perp[1]], style, label=label)
        ax.set_title("decision boundaries")
        ax.legend(fontsize=7)
        ax = fig.add_subplot(1, 2, 2)
        ax.loglog(cps, [plain[t][0] for t in cps], "o-", label="GD, lr=1")
        ax.loglog(ncps, [normd[t][0] for t in ncps], "s-", label="normalised GD")
        ax.axhline(gap_l2, color="g", ls="--", label=f"L2 λ={lam}")
        ax.set_xlabel("step")
        ax.set_ylabel("1 − cos(w, ŵ_SVM)")
        ax.legend(fontsize=7)
    save_plot("10_implicit_bias_max_margin", draw, args)


if __name__ == "__main__":
    main()
