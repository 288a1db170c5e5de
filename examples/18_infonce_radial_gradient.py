"""Claim 18: InfoNCE on L2-normalised embeddings has NO radial gradient: ∇_x is orthogonal to x,
scales as 1/‖x‖, and plain gradient steps therefore only ever increase ‖x‖.

minigrad.nn.functional.info_nce(a, b, temperature) normalises the rows of a and b, forms
â·b̂ᵀ/temperature and takes cross-entropy with the positives on the diagonal. Any loss that sees
a row x only through x̂ = x/‖x‖ has, by the chain rule with ∂x̂/∂x = (I − x̂x̂ᵀ)/‖x‖,

    ∇_x ℓ = (I − x̂x̂ᵀ)·∇_x̂ ℓ / ‖x‖

so ⟨x, ∇_x ℓ⟩ = 0 (no radial part, whatever the common claim says) and ∇_x ℓ(c·x) = ∇_x ℓ(x)/c.
A plain gradient step x' = x − η·g with g ⊥ x then gives, by Pythagoras,

    ‖x'‖² = ‖x‖² + η²‖g‖²  ≥  ‖x‖²

the norm can only grow, and the angle moved per step, ≈ η‖g‖/‖x‖ ∝ η/‖x‖², shrinks as it does:
the norm acts as an inverse step size. Only something outside the loss (weight decay) shrinks
it; momentum and Adam do not keep the step orthogonal to the current x (measured below for
context, not part of the claim). Checked on float64 embeddings: orthogonality and 1/‖x‖
scaling to 1e-12 relative, and the Pythagoras step identity at every step of minigrad's SGD.
"""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from _common import parse_args, print_table, save_plot, verdict

BATCH, DIM, TEMPERATURE, LR = 16, 8, 0.1, 0.5
TOL = 1e-12


def loss_and_grads(a, b):
    a.grad, b.grad = None, None
    loss = F.info_nce(a, b, temperature=TEMPERATURE)
    loss.backward()
    return float(loss.item()), a.grad.numpy().copy(), b.grad.numpy().copy()


def row_cosine(x, g):
    return np.abs(np.sum(x * g, axis=1)) / (np.linalg.norm(x, axis=1) * np.linalg.norm(g, axis=1))


def train(a0, b0, steps, make_opt):
    """Runs an optimizer on the raw embeddings; returns the per-step row norms of a and, for
    plain steps, the worst deviation from ‖x'‖² = ‖x‖² + η²‖g‖²."""
    a = mg.tensor(a0.copy(), requires_grad=True)
    b = mg.tensor(b0.copy(), requires_grad=True)
    opt = make_opt([a, b])
    norms, worst_pythagoras, min_increase = [np.linalg.norm(a0, axis=1)], 0.0, np.inf
    for _ in range(steps):
        before = [a.numpy().copy(), b.numpy().copy()]
        opt.zero_grad()
        F.info_nce(a, b, temperature=TEMPERATURE).backward()
        grads = [a.grad.numpy().copy(), b.grad.numpy().copy()]
        opt.step()
        for x0, g, x1 in zip(before, grads, [a.numpy(), b.numpy()]):
            n0, n1 = np.sum(x0 ** 2, axis=1), np.sum(x1 ** 2, axis=1)
            predicted = n0 + LR ** 2 * np.sum(g ** 2, axis=1)
            worst_pythagoras = max(worst_pythagoras, float(np.max(np.abs(n1 - predicted) / n0)))
            min_increase = min(min_increase, float(np.min((n1 - n0) / n0)))
        norms.append(np.linalg.norm(a.numpy(), axis=1))
    return np.array(norms), worst_pythagoras, min_increase


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    a0 = rng.standard_normal((BATCH, DIM)) * rng.uniform(0.1, 10, (BATCH, 1))
    b0 = a0 + 0.8 * rng.standard_normal((BATCH, DIM)) * np.linalg.norm(a0, axis=1, keepdims=True)

    # 1. orthogonality and 1/‖x‖ scaling, row by row (each row scaled by its own c)
    a, b = mg.tensor(a0, requires_grad=True), mg.tensor(b0, requires_grad=True)
    loss0, ga, gb = loss_and_grads(a, b)
    cos = max(float(row_cosine(a0, ga).max()), float(row_cosine(b0, gb).max()))
    rows, worst_scale, worst_loss = [], 0.0, 0.0
    for c in (1e-3, 0.1, 10.0, 1e3):
        scale = rng.uniform(0.5, 2.0, (BATCH, 1)) * c
        a_c, b_c = mg.tensor(a0 * scale, requires_grad=True), mg.tensor(b0, requires_grad=True)
        loss_c, ga_c, _ = loss_and_grads(a_c, b_c)
        dev = float(np.max(np.linalg.norm(ga_c * scale - ga, axis=1) / np.linalg.norm(ga, axis=1)))
        worst_scale = max(worst_scale, dev)
        worst_loss = max(worst_loss, abs(loss_c - loss0) / abs(loss0))
        rows.append([f"a rows × ~{c:g}", abs(loss_c - loss0), dev,
                     float(row_cosine(a0 * scale, ga_c).max())])
    print(f"info_nce on {BATCH}×{DIM} float64 embeddings, temperature {TEMPERATURE}; "
          f"loss {loss0:.6f}; max |cos(x, ∇_x)| over rows of a and b: {cos:.1e}\n")
    print_table(["rescaling", "|Δ loss|", "max ‖c·g(cx) − g(x)‖/‖g(x)‖", "max |cos(x, g)|"], rows)

    # 2. plain SGD steps only increase ‖x‖ (Pythagoras at every step); others for context
    steps = 30 if args.quick else 200
    runs = {
        "SGD": lambda p: mg.optim.SGD(p, lr=LR),
        "SGD momentum 0.9": lambda p: mg.optim.SGD(p, lr=LR, momentum=0.9),
        "SGD weight_decay 0.5": lambda p: mg.optim.SGD(p, lr=LR, weight_decay=0.5),
        "Adam lr 0.05": lambda p: mg.optim.Adam(p, lr=0.05),
    }
    results, rows = {}, []
    for name, make in runs.items():
        norms, pyth, min_inc = train(a0, b0, steps, make)
        results[name] = norms
        if name == "SGD":
            pyth_sgd, min_inc_sgd = pyth, min_inc
        growth = norms[-1] / norms[0]
        rows.append([name, float(growth.min()), float(growth.max()), min_inc,
                     pyth if name == "SGD" else "-"])
    print(f"\n{steps} steps on the raw embeddings a and b (lr {LR} unless stated):")
    print_table(["optimizer", "min ‖a_T‖/‖a_0‖", "max ‖a_T‖/‖a_0‖",
                 "min per-step Δ‖x‖²/‖x‖²", "Pythagoras error"], rows)

    pyth, min_inc = pyth_sgd, min_inc_sgd
    holds = (cos < TOL and worst_scale < TOL and worst_loss < TOL and pyth < TOL
             and min_inc >= -TOL)
    verdict(holds, f"|cos(x, ∇_x)| ≤ {cos:.1e}; ∇(c·x) = ∇(x)/c to {worst_scale:.1e}; loss "
            f"invariant to {worst_loss:.1e}; plain SGD: ‖x'‖² = ‖x‖² + η²‖g‖² to {pyth:.1e} at "
            f"every step, smallest relative change of ‖x‖² {min_inc:.1e} (tol {TOL:g}: "
            f"never decreases)")

    def draw(plt):
        fig = plt.gcf()
        ax = fig.add_subplot(1, 2, 1)
        for name, n in results.items():
            ax.plot((n / n[0]).mean(axis=1), label=name)
        ax.axhline(1.0, color="k", lw=0.5)
        ax.set_xlabel("step")
        ax.set_ylabel("mean ‖a_t‖ / ‖a_0‖")
        ax.legend(fontsize=6)
        ax = fig.add_subplot(1, 2, 2)
        n = results["SGD"]
        ax.plot(n / n[0], lw=0.8)
        ax.set_xlabel("step")
        ax.set_ylabel("plain SGD: ‖a_t‖ / ‖a_0‖, each row")
        fig.suptitle("InfoNCE on normalised embeddings: plain steps only grow ‖x‖")
    save_plot("18_infonce_radial_gradient", draw, args)


if __name__ == "__main__":
    main()
