"""Claim 8: under Adam + L2, parameters with a small gradient history are decayed more;
AdamW decays every parameter in proportion to its weight.

Adam + L2 (``Adam(weight_decay=λ)``, coupled): the decay λw is added to the gradient and
then divided by Adam's preconditioner √v̂ + ε, so its effective rate is ≈ lr·λ/√v̂: large for
a weight whose gradients have been small (v̂ small), negligible for one with large gradients.
AdamW (``AdamW(weight_decay=λ)``, decoupled): w ← w + adam − lr·λ·w, the same relative decay
(1 − lr·λ) for every weight, whatever its gradients.

Experiment (fixed seed): rows of weights, all starting at 1, receive pure-noise gradients
(the loss ⟨ξ_t, w⟩ with ξ_t ~ N(0, s²) fresh each step, so the data pull the weights nowhere
on average) with a scale s from 0 (no gradient history) to 1. After T steps the mean weight
of each row is compared with (1 − lr·λ)ᵀ, AdamW's pure decay. Verdict yes when, under Adam +
L2, the rows with the smallest gradient history keep the least weight (retained fraction
rising with s, by a wide margin), while under AdamW every row keeps (1 − lr·λ)ᵀ within 5%.
"""
import numpy as np

import minigrad as mg
from minigrad.optim import Adam, AdamW
from _common import parse_args, print_table, save_plot, verdict


def run(cls, scales, width, lr, lam, steps, seed):
    rng = np.random.default_rng(seed)
    w = mg.tensor(np.ones((len(scales), width)), requires_grad=True)
    opt = cls([w], lr=lr, weight_decay=lam)
    s = np.asarray(scales)[:, None]
    history = []
    for _ in range(steps):
        xi = mg.tensor(s * rng.standard_normal((len(scales), width)))
        opt.zero_grad()
        (w * xi).sum().backward()            # gradient ξ_t: noise of scale s, no signal
        opt.step()
        history.append(w.numpy().mean(axis=1))
    return np.array(history)


def main():
    args = parse_args(__doc__.splitlines()[0])
    scales = [0.0, 1e-3, 1e-2, 1e-1, 1.0]
    width = 200 if args.quick else 1000
    lr, lam = 1e-3, 1e-1
    steps = 1500 if args.quick else 5000
    pure = (1 - lr * lam) ** steps

    adam = run(Adam, scales, width, lr, lam, steps, args.seed)
    adamw = run(AdamW, scales, width, lr, lam, steps, args.seed)
    rows = [[s, float(adam[-1, k]), float(adamw[-1, k]), float(pure)]
            for k, s in enumerate(scales)]
    print(f"lr={lr}, λ={lam}, T={steps} steps, {width} weights per row, all start at 1")
    print_table(["gradient scale s", "mean w: Adam + L2", "mean w: AdamW", "(1 − lr·λ)^T"],
                rows)
    a, b = adam[-1], adamw[-1]
    rising = bool(np.all(np.diff(a) >= -1e-3))   # non-decreasing (s ≤ λw: noise negligible)
    spread = float(np.max(np.abs(b / pure - 1)))
    verdict(rising and a[-1] - a[0] > 0.5 and spread <= 0.05,
            f"Adam + L2 keeps {a[0]:.3f} of the weight with no gradient history vs {a[-1]:.3f} "
            f"with s=1 (rising with s: {rising}); AdamW keeps {b.min():.3f}–{b.max():.3f}, within "
            f"{spread:.1%} of (1 − lr·λ)^T = {pure:.3f}")

    def draw(plt):
        fig = plt.gcf()
        fig.set_size_inches(10, 4)
        for k, (h, title) in enumerate([(adam, "Adam + L2 (coupled)"), (adamw, "AdamW")]):
            ax = fig.add_subplot(1, 2, k + 1)
            for j, s in enumerate(scales):
                ax.plot(h[:, j], label=f"s={s}")
            ax.plot((1 - lr * lam) ** np.arange(1, steps + 1), "k:", label="(1−lr·λ)^t")
            ax.set_xlabel("step")
            ax.set_ylabel("mean weight")
            ax.set_title(title)
            ax.legend(fontsize=7)
    save_plot("08_adam_l2_vs_adamw", draw, args)


if __name__ == "__main__":
    main()
