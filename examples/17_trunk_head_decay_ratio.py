"""Claim 17: with decay λ_t on a shared trunk and λ_h on the task heads, every stationary point
has ‖W_trunk‖² / Σ_k ‖v_k‖² = λ_h / λ_t.

Model: a linear trunk W (h×d) shared by K linear heads v_k (rows of V, K×h): task k predicts
v_k·W·x. Loss L(W, V) = (1/2n)‖X·Wᵀ·Vᵀ − Y‖², trained by minigrad.optim.SGD with two param
groups, ``weight_decay=λ_t`` on the trunk and ``weight_decay=λ_h`` on the heads, i.e. on
L + (λ_t/2)‖W‖² + (λ_h/2)‖V‖².

Why: L is invariant under W → s·W, V → V/s (s > 0; also with a ReLU trunk, which is positively
homogeneous). Differentiating L(sW, V/s) at s = 1 gives, at EVERY point,

    ⟨W, ∇_W L⟩ = ⟨V, ∇_V L⟩                                     (1)

With G_W = ∇_W L + λ_t·W and G_V = ∇_V L + λ_h·V the gradients of the full objective,

    λ_t‖W‖² − λ_h‖V‖² = ⟨W, G_W⟩ − ⟨V, G_V⟩                      (2)

so where G = 0 (a stationary point), λ_t‖W‖² = λ_h‖V‖², the claim. (2) also bounds the error
at an approximate optimum: |ratio − λ_h/λ_t| ≤ (‖W‖‖G_W‖ + ‖V‖‖G_V‖)/(λ_t‖V‖²). The script
checks (1) to round-off at the start and the end, trains to ‖G‖ < 1e-10 and asserts the ratio
to 1e-7 relative (and within the bound from (2)).
"""
import numpy as np

import minigrad as mg
from _common import parse_args, print_table, save_plot, verdict

N, D, HIDDEN, TASKS = 200, 6, 2, 3
TOL_RATIO, TOL_INVARIANCE, GRAD_TARGET = 1e-7, 1e-12, 1e-10


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((N, D))
    Y = X @ rng.standard_normal((D, TASKS)) + 0.3 * rng.standard_normal((N, TASKS))
    Xt, Yt = mg.tensor(X), mg.tensor(Y)
    pairs = [(0.05, 0.05), (0.02, 0.08), (0.1, 0.025)] if args.quick else \
        [(0.05, 0.05), (0.02, 0.08), (0.08, 0.02), (0.1, 0.025), (0.01, 0.1), (0.2, 0.05)]
    max_steps = 4000 if args.quick else 20000

    models, groups = [], []
    for lam_t, lam_h in pairs:
        W = mg.tensor(0.3 * rng.standard_normal((HIDDEN, D)), requires_grad=True)
        V = mg.tensor(0.3 * rng.standard_normal((TASKS, HIDDEN)), requires_grad=True)
        models.append((W, V))
        groups += [{"params": [W], "weight_decay": lam_t}, {"params": [V], "weight_decay": lam_h}]
    opt = mg.optim.SGD(groups, lr=0.05, momentum=0.9)

    def data_loss(W, V):
        r = Xt @ W.T @ V.T - Yt
        return (r * r).sum() * (0.5 / N)

    def invariance_gap(W, V):
        """|⟨W, ∇_W L⟩ − ⟨V, ∇_V L⟩| relative to the terms' size: (1), exact everywhere."""
        gW, gV = mg.grad(data_loss(W, V), [W, V])
        a, b = float((W.array * gW.array).sum()), float((V.array * gV.array).sum())
        return abs(a - b) / max(abs(a), abs(b), 1e-300)

    gap_start = max(invariance_gap(W, V) for W, V in models)
    history, steps = [], 0
    for steps in range(1, max_steps + 1):
        opt.zero_grad()
        total = 0.0
        for W, V in models:
            total = total + data_loss(W, V)
        total.backward()
        # the full objective's gradient G = ∇L + λ·w, exactly what SGD's weight_decay adds
        gnorm = max(float(np.sqrt(np.sum((p.grad.array + g["weight_decay"] * p.array) ** 2)))
                    for g in opt.param_groups for p in g["params"])
        if steps % 10 == 1:
            history.append((steps, gnorm, [float((W.array ** 2).sum() / (V.array ** 2).sum())
                                           for W, V in models]))
        if gnorm < GRAD_TARGET:
            break
        opt.step()

    rows, worst, within_bound = [], 0.0, True
    for (lam_t, lam_h), (W, V) in zip(pairs, models):
        gW, gV = mg.grad(data_loss(W, V), [W, V])
        GW, GV = gW.array + lam_t * W.array, gV.array + lam_h * V.array
        nW, nV = float((W.array ** 2).sum()), float((V.array ** 2).sum())
        ratio, target = nW / nV, lam_h / lam_t
        err = abs(ratio - target) / target
        bound = (np.sqrt(nW) * np.linalg.norm(GW) + np.sqrt(nV) * np.linalg.norm(GV)) / \
            (lam_t * nV) / target
        worst = max(worst, err)
        within_bound &= err <= bound + 1e-13
        rows.append([lam_t, lam_h, nW, nV, ratio, target, err, float(bound)])
    gap_end = max(invariance_gap(W, V) for W, V in models)

    print(f"linear trunk {HIDDEN}×{D}, {TASKS} linear heads, n={N}; SGD lr=0.05 momentum=0.9, "
          f"{steps} steps to max ‖G‖ = {gnorm:.1e}")
    print(f"rescaling identity ⟨W,∇_W L⟩ = ⟨V,∇_V L⟩: relative gap {gap_start:.1e} at init, "
          f"{gap_end:.1e} at the end\n")
    print_table(["λ_t", "λ_h", "‖W‖²", "Σ‖v_k‖²", "ratio", "λ_h/λ_t", "rel. error",
                 "bound from (2)"], rows)
    holds = (gnorm < GRAD_TARGET and worst < TOL_RATIO and within_bound
             and max(gap_start, gap_end) < TOL_INVARIANCE)
    verdict(holds, f"at the trained stationary points (‖G‖ = {gnorm:.1e}) ‖W‖²/Σ‖v‖² = λ_h/λ_t "
            f"to {worst:.1e} relative (tol {TOL_RATIO:g}, within the bound from (2)); "
            f"rescaling identity (1) to {max(gap_start, gap_end):.1e} (tol {TOL_INVARIANCE:g})")

    def draw(plt):
        steps_axis = [h[0] for h in history]
        for i, (lam_t, lam_h) in enumerate(pairs):
            line, = plt.plot(steps_axis, [h[2][i] for h in history],
                             label=f"λ_t={lam_t:g}, λ_h={lam_h:g}")
            plt.axhline(lam_h / lam_t, color=line.get_color(), ls=":", lw=1)
        plt.yscale("log")
        plt.xlabel("step")
        plt.ylabel("‖W_trunk‖² / Σ‖v_head‖²")
        plt.title("trunk/head norm ratio → λ_h/λ_t (dotted)")
        plt.legend(fontsize=7)
    save_plot("17_trunk_head_decay_ratio", draw, args)


if __name__ == "__main__":
    main()
