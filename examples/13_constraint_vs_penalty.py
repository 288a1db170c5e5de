"""Claim 13: the constraint ‖w‖² ≤ C and the penalty with the matching λ give the same solution,
and λ is the shadow price of the constraint (dL*/dC = −λ/2 in the ``weight_decay`` convention).

Loss L(w) = (1/2n)‖Xw − y‖² (least squares, strictly convex). Two problems:

  penalised     min_w L(w) + (λ/2)‖w‖²      minigrad.optim.SGD(weight_decay=λ), full batch
  constrained   min_w L(w)  s.t. ‖w‖² ≤ C   projected gradient: SGD with the parameter's
                                            ``constraint = L2Ball(√C)`` (what nn layers'
                                            ``weight_constraint=`` sets; applied every step)

KKT for the constrained problem, Lagrangian L(w) + μ(‖w‖² − C), μ ≥ 0:  ∇L(w) + 2μ·w = 0.
The penalised optimum w_λ satisfies ∇L(w_λ) + λ·w_λ = 0, so with C = ‖w_λ‖² it satisfies the
KKT conditions with μ = λ/2, and by strict convexity both problems have that one solution.
The envelope theorem gives dL*(C)/dC = ∂/∂C [L + μ(‖w‖² − C)] = −μ, hence

    dL*/dC = −λ/2     for the penalty (λ/2)‖w‖² (torch's weight_decay=λ, penalties.L2(λ))
    dL*/dC = −λ       for the penalty λ‖w‖²     (Keras' L2(λ), penalties.L2.keras(λ))

— "λ is the shadow price" is exact in the Keras convention and off by the factor 2 in torch's.
The script checks: the two solutions agree, the multiplier μ read off the constrained solution
(μ = −⟨∇L(w_C), w_C⟩ / (2C)) equals λ/2, and a central finite difference of L*(C) in C (three
constrained solves at C(1 ± δ), δ = 1e-3, truncation error O(δ²)) equals −λ/2.
"""
import numpy as np

import minigrad as mg
from minigrad.constraints import L2Ball
from _common import parse_args, print_table, save_plot, verdict

N, D, DELTA = 200, 5, 1e-3
TOL_SOLUTION, TOL_PRICE = 1e-8, 1e-4


def data(rng):
    X = rng.standard_normal((N, D))
    w_true = np.array([3.0, -2.0, 1.5, 0.5, -1.0])
    return X, X @ w_true + 0.5 * rng.standard_normal(N)


def loss_fn(X, y):
    Xt, yt = mg.tensor(X), mg.tensor(y)

    def loss(w):
        r = Xt @ w - yt
        return (r * r).sum() * (0.5 / N)
    return loss


def fit(loss, groups, lr, steps):
    """Full-batch minigrad SGD over independent parameters (one loss each, summed)."""
    opt = mg.optim.SGD(groups, lr=lr)
    params = [p for g in groups for p in g["params"]]
    for _ in range(steps):
        opt.zero_grad()
        total = loss(params[0])
        for p in params[1:]:
            total = total + loss(p)
        total.backward()
        opt.step()
    return [p.numpy().copy() for p in params]


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    X, y = data(rng)
    loss = loss_fn(X, y)
    lambdas = [0.1, 0.5, 2.0] if args.quick else [0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0]
    H = X.T @ X / N
    eig = np.linalg.eigvalsh(H)
    lr = 1.0 / (eig.max() + max(lambdas))
    steps = int(np.ceil(np.log(1e-14) / np.log(1.0 - lr * eig.min())))

    # 1. the penalised problems, one param group per λ
    pen = [mg.zeros(D, dtype=mg.float64, requires_grad=True) for _ in lambdas]
    w_pen = fit(loss, [{"params": [p], "weight_decay": lam} for p, lam in zip(pen, lambdas)],
                lr, steps)
    ridge_dev = max(float(np.max(np.abs(w - np.linalg.solve(H + lam * np.eye(D), X.T @ y / N))))
                    for w, lam in zip(w_pen, lambdas))

    # 2. the constrained problems at C = ‖w_λ‖² and C(1 ± δ), projected on the ball each step
    budgets = [float(w @ w) for w in w_pen]
    con = []
    for C in budgets:
        for c in (C, C * (1 + DELTA), C * (1 - DELTA)):
            p = mg.zeros(D, dtype=mg.float64, requires_grad=True)
            p.constraint = L2Ball(np.sqrt(c))
            con.append(p)
    w_con = fit(loss, [{"params": con, "weight_decay": 0.0}], lr, steps)

    def L(w):
        return float(loss(mg.tensor(w)).item())

    rows, worst_sol, worst_price, worst_mu, curve = [], 0.0, 0.0, 0.0, []
    for i, (lam, C) in enumerate(zip(lambdas, budgets)):
        w_c, w_plus, w_minus = w_con[3 * i: 3 * i + 3]
        sol_dev = float(np.max(np.abs(w_c - w_pen[i])) / np.max(np.abs(w_pen[i])))
        grad_L = X.T @ (X @ w_c - y) / N
        mu = -float(grad_L @ w_c) / (2 * C)
        slope = (L(w_plus) - L(w_minus)) / (2 * DELTA * C)
        worst_sol = max(worst_sol, sol_dev)
        worst_mu = max(worst_mu, abs(mu - lam / 2) / (lam / 2))
        worst_price = max(worst_price, abs(-slope - lam / 2) / (lam / 2))
        rows.append([lam, C, L(w_c), sol_dev, mu, -slope, lam / 2])
        curve.append((C, L(w_c), slope))
    print(f"least squares n={N}, d={D}; {steps} full-batch steps at lr={lr:.3f}; "
          f"‖w_OLS‖² = {float(np.sum(np.linalg.solve(H, X.T @ y / N) ** 2)):.3f}")
    print(f"penalised solutions vs ridge closed form: max deviation {ridge_dev:.1e}\n")
    print_table(["λ", "C = ‖w_λ‖²", "L*(C)", "‖w_C − w_λ‖∞ (rel)", "μ (KKT)", "−dL*/dC (FD)",
                 "λ/2"], rows)
    holds = worst_sol < TOL_SOLUTION and worst_mu < TOL_PRICE and worst_price < TOL_PRICE
    verdict(holds, f"constrained = penalised solution to {worst_sol:.1e} (tol {TOL_SOLUTION:g}); "
            f"shadow price −dL*/dC = λ/2 for the (λ/2)‖w‖² penalty to {worst_price:.1e} by finite "
            f"differences and μ_KKT = λ/2 to {worst_mu:.1e} (tol {TOL_PRICE:g}); "
            f"so dL*/dC = −λ for the λ‖w‖² (Keras) convention")

    def draw(plt):
        # L*(C) over a range of C, with the tangent of slope −λ/2 at each C(λ)
        grid = np.linspace(0.2 * min(budgets), 1.1 * max(budgets), 40)
        ps = []
        for c in grid:
            p = mg.zeros(D, dtype=mg.float64, requires_grad=True)
            p.constraint = L2Ball(np.sqrt(c))
            ps.append(p)
        ws = fit(loss, [{"params": ps}], lr, steps)
        plt.plot(grid, [L(w) for w in ws], "k-", label="L*(C), projected gradient")
        for lam, (C, Lc, _) in zip(lambdas, curve):
            t = np.linspace(C * 0.8, C * 1.2, 2)
            plt.plot(t, Lc - lam / 2 * (t - C), "--", label=f"slope −λ/2, λ={lam:g}")
            plt.plot([C], [Lc], "o", color="C3")
        plt.xlabel("C (budget on ‖w‖²)")
        plt.ylabel("optimal loss L*(C)")
        plt.title("shadow price of the norm budget")
        plt.legend(fontsize=7)
    save_plot("13_constraint_vs_penalty", draw, args)


if __name__ == "__main__":
    main()
