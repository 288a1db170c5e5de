"""Claim 16: when the true weights are large, weight decay raises test error (it underfits).

Linear regression y = x·w* + ε, x ~ N(0, I_d), ε ~ N(0, σ²), trained by minigrad.optim.SGD with
``weight_decay=λ`` on the loss (1/2n)‖Xw − y‖² (full batch, to convergence: the solution is the
ridge estimate (XᵀX/n + λI)⁻¹Xᵀy/n, which the script checks). Decay trades variance for bias:
the bias it adds grows with ‖w*‖ (it is λ²‖(XᵀX/n + λI)⁻¹w*‖²), the variance it removes does not
depend on w*. Under a prior w* ~ N(0, τ²I) the best λ is σ²/(nτ²): large true weights (τ big)
push it to ≈ 0, and every λ on the grid then raises the test error. Small true weights are
shown for contrast (there a middle λ lowers it). Each λ is one param group of ONE optimizer;
R independent training sets are trained at once as a batch of parameters, and test error is
the mean squared error on a fresh test set of 5000 points, averaged over the R training sets.
"""
import numpy as np

import minigrad as mg
from _common import parse_args, print_table, save_plot, verdict

D, N_TRAIN, N_TEST, NOISE = 20, 80, 5000, 1.0
TAU = {"small": 0.1, "large": 10.0}          # true weights w* ~ N(0, τ²I)
LAMBDAS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def make_data(rng, repeats):
    """Training sets of both regimes stacked on axis 0: the first R 'small', then R 'large'."""
    w_true = np.concatenate([TAU[k] * rng.standard_normal((repeats, D, 1)) for k in TAU])
    X = rng.standard_normal((2 * repeats, N_TRAIN, D))
    y = X @ w_true + NOISE * rng.standard_normal((2 * repeats, N_TRAIN, 1))
    return X, y, w_true


def train(X, y, steps, lr):
    """Full-batch SGD, one param group per λ; returns {λ: weights (2R, D, 1)}."""
    Xt, yt = mg.tensor(X), mg.tensor(y)
    params = {lam: mg.zeros(X.shape[0], D, 1, dtype=mg.float64, requires_grad=True)
              for lam in LAMBDAS}
    opt = mg.optim.SGD([{"params": [w], "weight_decay": lam} for lam, w in params.items()], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.0
        for w in params.values():
            r = Xt @ w - yt
            loss = loss + (r * r).sum() * (0.5 / N_TRAIN)
        loss.backward()
        opt.step()
    return {lam: w.numpy() for lam, w in params.items()}


def main():
    args = parse_args(__doc__.splitlines()[0])
    repeats = 10 if args.quick else 60
    rng = np.random.default_rng(args.seed)
    X, y, w_true = make_data(rng, repeats)

    # step size 1/L with L = the largest curvature (data + the largest λ), and enough steps for
    # a 1e-9 contraction at the flattest curvature drawn (λ = 0)
    eig = np.linalg.eigvalsh(np.einsum("rni,rnj->rij", X, X) / N_TRAIN)
    lr = 1.0 / (eig.max() + max(LAMBDAS))
    steps = int(np.ceil(np.log(1e-9) / np.log(1.0 - eig.min() * lr)))
    weights = train(X, y, steps, lr)

    X_test = rng.standard_normal((N_TEST, D))
    noise_test = NOISE * rng.standard_normal((N_TEST, 1))
    err = {k: [] for k in TAU}
    conv = 0.0
    for lam in LAMBDAS:
        w = weights[lam]
        ridge = np.linalg.solve(np.einsum("rni,rnj->rij", X, X) / N_TRAIN + lam * np.eye(D),
                                np.einsum("rni,rnk->rik", X, y) / N_TRAIN)
        conv = max(conv, float(np.max(np.abs(w - ridge) / (1.0 + np.abs(ridge)))))
        mse = np.mean((X_test @ (w - w_true) - noise_test) ** 2, axis=(1, 2))
        for i, k in enumerate(TAU):
            err[k].append(float(mse[i * repeats:(i + 1) * repeats].mean()))

    print(f"d={D}, n_train={N_TRAIN}, σ={NOISE}, {repeats} training sets per regime, "
          f"{steps} full-batch steps at lr=1/L={lr:.3f}")
    print(f"trained vs ridge closed form: max relative deviation {conv:.1e}\n")
    rows = [[lam, err["small"][i], err["large"][i]] for i, lam in enumerate(LAMBDAS)]
    print_table(["λ", f"test MSE, small w* (τ={TAU['small']})",
                 f"test MSE, large w* (τ={TAU['large']})"], rows)
    for k in TAU:
        print(f"{k} w*: Bayes-optimal λ = σ²/(nτ²) = {NOISE**2 / (N_TRAIN * TAU[k]**2):.3g}; "
              f"best λ on the grid: {LAMBDAS[int(np.argmin(err[k]))]:g}")

    large = err["large"]
    rises = all(b > a for a, b in zip(large, large[1:]))
    verdict(rises, f"large true weights: test MSE {large[0]:.3f} at λ=0 rises to "
            f"{large[1]:.3f} at λ={LAMBDAS[1]:g} and {large[-1]:.1f} at λ={LAMBDAS[-1]:g} "
            f"({'monotonically' if rises else 'NOT monotonically'}); small true weights: best "
            f"λ={LAMBDAS[int(np.argmin(err['small']))]:g} lowers it "
            f"{err['small'][0]:.3f} -> {min(err['small']):.3f}")

    def draw(plt):
        lam_axis = [max(lam, 3e-3) for lam in LAMBDAS]
        for k in TAU:
            plt.plot(lam_axis, err[k], "o-", label=f"{k} true weights (τ={TAU[k]:g})")
        plt.xscale("log")
        plt.yscale("log")
        plt.xlabel("λ (λ=0 drawn at 3e-3)")
        plt.ylabel("test MSE")
        plt.title("weight decay vs test error (linear regression)")
        plt.legend()
    save_plot("16_large_weights_decay_hurts", draw, args)


if __name__ == "__main__":
    main()
