"""Claim 7: coupled L2 and decoupled decay in SGD with momentum: identical at momentum 0,
different otherwise.

Coupled (``SGD(momentum=μ, weight_decay=λ)``, torch): the decay enters the gradient and
therefore the momentum buffer,

    b ← μb + (g + λw),          w ← w − lr·b.

Decoupled (``SGDW(momentum=μ, weight_decay=λ)``, Loshchilov & Hutter): the buffer sees only g,

    b ← μb + g,                 w ← w − lr·b − lr·λw.

At μ = 0 both are w ← w − lr(g + λw): the trajectories agree to round-off. At μ > 0 they
differ, and their fixed points tell how: the coupled one stops where g + λw = 0 (the ridge
solution for λ), the decoupled one where b = g/(1 − μ) and g/(1 − μ) + λw = 0, i.e. where
g + (1 − μ)λw = 0 — the ridge solution for the weaker λ(1 − μ). Checks (full-batch least
squares (1/2n)‖Xw − y‖², closed forms by numpy): μ = 0 trajectories agree to 1e-12 relative;
μ = 0.9 trajectories differ by more than 1e-3; each μ = 0.9 run ends at its predicted fixed
point to 1e-8.
"""
import numpy as np

import minigrad as mg
from minigrad.optim import SGD, SGDW
from _common import parse_args, print_table, save_plot, verdict


def ridge(X, y, lam):
    n, d = X.shape
    return np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)


def run(cls, X, y, lr, mu, lam, steps):
    n, d = X.shape
    Xt, yt = mg.tensor(X), mg.tensor(y)
    w = mg.tensor(np.ones(d), requires_grad=True)
    opt = cls([w], lr=lr, momentum=mu, weight_decay=lam)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        (((Xt @ w - yt) ** 2).sum() / (2 * n)).backward()
        opt.step()
        traj.append(w.numpy().copy())
    return np.array(traj)


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    n, d = (80, 6) if args.quick else (300, 15)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    lam, lr = 0.5, 0.05
    steps = 1500 if args.quick else 4000

    trajs = {}
    for mu in (0.0, 0.9):
        trajs[("coupled", mu)] = run(SGD, X, y, lr, mu, lam, steps)
        trajs[("decoupled", mu)] = run(SGDW, X, y, lr, mu, lam, steps)

    def rel(a, b):
        return float(np.max(np.linalg.norm(a - b, axis=-1) / np.linalg.norm(b, axis=-1)))

    diff0 = rel(trajs[("coupled", 0.0)], trajs[("decoupled", 0.0)])
    diff9 = rel(trajs[("coupled", 0.9)], trajs[("decoupled", 0.9)])
    fixed = {"coupled": ridge(X, y, lam), "decoupled": ridge(X, y, (1 - 0.9) * lam)}
    fp_err = {k: float(np.linalg.norm(trajs[(k, 0.9)][-1] - v) / np.linalg.norm(v))
              for k, v in fixed.items()}
    rows = []
    for (kind, mu), tr in trajs.items():
        pred = {"coupled": f"ridge(λ)={np.linalg.norm(ridge(X, y, lam)):.4f}",
                "decoupled": f"ridge((1−μ)λ)={np.linalg.norm(ridge(X, y, (1 - mu) * lam)):.4f}"}
        rows.append([kind, mu, float(np.linalg.norm(tr[-1])), pred[kind]])
    print(f"full-batch least squares, λ={lam}, lr={lr}, {steps} steps")
    print_table(["decay", "momentum μ", "final ‖w‖", "predicted fixed point ‖·‖"], rows)
    print(f"max relative trajectory difference coupled vs decoupled: μ=0: {diff0:.1e}, "
          f"μ=0.9: {diff9:.1e}")
    print(f"μ=0.9 fixed points: coupled vs ridge(λ) {fp_err['coupled']:.1e}, "
          f"decoupled vs ridge((1−μ)λ) {fp_err['decoupled']:.1e}")
    verdict(diff0 <= 1e-12 and diff9 > 1e-3 and max(fp_err.values()) <= 1e-8,
            f"μ=0: trajectories agree to {diff0:.1e} <= 1e-12; μ=0.9: they differ by {diff9:.2e}"
            f" > 1e-3, and end at ridge(λ) / ridge((1−μ)λ) to {max(fp_err.values()):.1e}")

    def draw(plt):
        for (kind, mu), tr in trajs.items():
            plt.plot(np.linalg.norm(tr, axis=1), "-" if kind == "coupled" else "--",
                     label=f"{kind}, μ={mu}")
        plt.xscale("log")
        plt.xlabel("step")
        plt.ylabel("‖w‖")
        plt.title("SGD coupled L2 vs SGDW decoupled decay")
        plt.legend()
    save_plot("07_coupled_vs_decoupled_momentum", draw, args)


if __name__ == "__main__":
    main()
