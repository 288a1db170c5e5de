"""Claim 12: a spectral-norm penalty lowers the Lipschitz bound Π‖W_l‖₂, and the certified
radius computed from it is never violated by random or gradient-based perturbations.

A ReLU MLP f = W₃∘relu∘W₂∘relu∘W₁ (+ biases) is L2-Lipschitz with K ≤ Π_l σ_max(W_l)
(minigrad.lipschitz.lipschitz_bound). certified_radius(logits, K) = m/(√2·K), m the gap between
the top logit and the runner-up: moving x by δ moves each logit difference by at most
√2·K·‖δ‖, so no δ with ‖δ‖ < m/(√2·K) can change the prediction. Training adds
minigrad.penalties.SpectralNorm(lam) (lam·σ_max(W), power iteration, gradient lam·u₁v₁ᵀ),
attached to every weight with ``apply_penalty`` and summed by ``model.penalty()``, to the
cross-entropy. Then every test point is attacked at 0.999 × its certified
radius, by random directions and by projected gradient descent on the margin (normalised
gradient steps on δ, projected back onto the L2 ball). A single prediction change would be a
bug (in the bound, the radius or the network). The same attack at larger multiples of the
radius does find changes, which shows the attack is not toothless and the bound is loose.
Everything runs in float64 so round-off cannot fake a violation.
"""
import warnings

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.lipschitz import certified_radius, lipschitz_bound
from minigrad.penalties import SpectralNorm, apply_penalty
from _common import parse_args, print_table, save_plot, verdict

D_IN, HIDDEN, CLASSES, N_TRAIN, N_TEST = 10, 32, 3, 600, 200
MULTIPLES = [0.999, 2.0, 5.0, 10.0, 30.0]


def blobs(rng):
    centers = 1.5 * rng.standard_normal((CLASSES, D_IN))
    y = rng.integers(0, CLASSES, N_TRAIN + N_TEST)
    X = centers[y] + rng.standard_normal((len(y), D_IN))
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def make_model():
    kw = dict(dtype=mg.float64)
    return nn.Sequential(nn.Linear(D_IN, HIDDEN, **kw), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN, **kw),
                         nn.ReLU(), nn.Linear(HIDDEN, CLASSES, **kw))


def train(data, lam, seed, steps):
    Xtr, ytr = mg.tensor(data[0]), mg.tensor(data[1])
    mg.manual_seed(seed)
    model = make_model()
    # The penalty pushes the top singular values together, where power iteration converges
    # slowly (and σ_max stops being differentiable): a looser tol and a cap keep training fast;
    # the capped calls are counted (their σ is still accurate to ~tol², u·vᵀ is a near-subgradient).
    if lam > 0:
        apply_penalty(model, SpectralNorm(lam, tol=1e-6, max_iter=300))
    opt = mg.optim.Adam(model.parameters(), lr=1e-2)
    capped = 0
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(Xtr), ytr)
        if lam > 0:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                loss = loss + model.penalty()
            capped += sum("power iteration" in str(w.message) for w in caught)
        loss.backward()
        opt.step()
    return model, capped / (steps * sum(isinstance(m, nn.Linear) for m in model))


def margin(logits, labels):
    """top-class logit minus the best other logit, per row (positive while the label wins)."""
    onehot = np.eye(CLASSES)[labels].astype(bool)
    mask = mg.tensor(np.where(onehot, -np.inf, 0.0))
    return logits[np.arange(len(labels)), labels] - (logits + mask).amax(axis=1)


def attack(model, X, pred, radius, rng, n_random, pgd_steps):
    """Fraction of points whose prediction changes under random and PGD perturbations with
    ‖δ‖ ≤ radius (per point); also the smallest margin PGD reached."""
    n = len(X)
    # random directions, all at once: (n·n_random, d)
    u = rng.standard_normal((n, n_random, D_IN))
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    Xr = (X[:, None, :] + radius[:, None, None] * u).reshape(-1, D_IN)
    with mg.no_grad():
        pr = model(mg.tensor(Xr)).numpy().argmax(1).reshape(n, n_random)
    random_flip = np.any(pr != pred[:, None], axis=1)
    # PGD on the margin, normalised gradient steps of radius/4, projection onto the ball
    delta = rng.standard_normal((n, D_IN)) * 1e-3 * radius[:, None]
    for _ in range(pgd_steps):
        d = mg.tensor(delta, requires_grad=True)
        m = margin(model(mg.tensor(X) + d), pred)
        (g,) = mg.grad(m.sum(), [d])
        g = g.numpy()
        delta = delta - 0.25 * radius[:, None] * g / np.maximum(
            np.linalg.norm(g, axis=1, keepdims=True), 1e-300)
        norms = np.linalg.norm(delta, axis=1, keepdims=True)
        delta = delta * np.minimum(1.0, radius[:, None] / np.maximum(norms, 1e-300))
    with mg.no_grad():
        out = model(mg.tensor(X + delta))
        pgd_flip = out.numpy().argmax(1) != pred
        m_after = margin(out, pred).numpy()
    return float(random_flip.mean()), float(pgd_flip.mean()), m_after


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    data = blobs(rng)
    lams = [0.0, 0.05] if args.quick else [0.0, 0.003, 0.01, 0.03, 0.1]
    steps = 100 if args.quick else 500
    n_random, pgd_steps = (20, 10) if args.quick else (100, 40)
    Xte, yte = data[2], data[3]

    rows, bounds, violations, flip_curves = [], [], 0, {}
    for lam in lams:
        model, capped = train(data, lam, args.seed, steps)
        model.eval()
        K = lipschitz_bound(model)
        svd_K = np.prod([np.linalg.svd(m.weight.numpy(), compute_uv=False)[0]
                         for m in model if isinstance(m, nn.Linear)])
        assert abs(K - svd_K) <= 1e-9 * svd_K, f"lipschitz_bound {K} != Π σ_max {svd_K}"
        with mg.no_grad():
            logits = model(mg.tensor(Xte)).numpy()
        pred = logits.argmax(1)
        radius = certified_radius(logits, K)
        curve = []
        for mult in MULTIPLES:
            r_flip, p_flip, m_after = attack(model, Xte, pred, mult * radius, rng, n_random,
                                             pgd_steps)
            curve.append(max(r_flip, p_flip))
            if mult < 1:
                violations += int(round((r_flip + p_flip) * len(Xte)))
                min_margin_ratio = float(np.min(m_after / margin(mg.tensor(logits), pred).numpy()))
                at_radius = (r_flip, p_flip)
        flip_curves[lam] = curve
        bounds.append(K)
        rows.append([lam, capped, float(np.mean(pred == yte)), K, float(np.median(radius)),
                     at_radius[0], at_radius[1], min_margin_ratio, curve[2], curve[-1]])
    print(f"blobs: {CLASSES} classes in {D_IN}-D, MLP {D_IN}-{HIDDEN}-{HIDDEN}-{CLASSES} "
          f"(float64), Adam {steps} steps; attacks: {n_random} random directions + "
          f"{pgd_steps}-step PGD per test point ({N_TEST} points)\n")
    print_table(["lam", "capped σ calls", "test acc", "K = Π‖W‖₂", "median radius",
                 "flips@r random",
                 "flips@r PGD", "min margin ratio@r", f"flips@{MULTIPLES[2]:g}r",
                 f"flips@{MULTIPLES[-1]:g}r"], rows)
    lowers = all(b < a for a, b in zip(bounds, bounds[1:]))
    verdict(lowers and violations == 0,
            f"K = {' > '.join(f'{k:.3g}' for k in bounds)} as lam goes {lams[0]:g} -> {lams[-1]:g} "
            f"({'decreasing' if lowers else 'NOT decreasing'}); {violations} prediction changes "
            f"within 0.999 × the certified radius (random + PGD, all models); PGD at "
            f"{MULTIPLES[-1]:g}× the radius flips {flip_curves[lams[0]][-1] * 100:.0f}% "
            f"(lam=0) / {flip_curves[lams[-1]][-1] * 100:.0f}% (lam={lams[-1]:g})")

    def draw(plt):
        for lam, curve in flip_curves.items():
            plt.plot(MULTIPLES, curve, "o-", label=f"lam={lam:g}")
        plt.axvline(1.0, color="k", ls="--", lw=0.8, label="certified radius")
        plt.xscale("log")
        plt.xlabel("perturbation size / certified radius")
        plt.ylabel("fraction of predictions changed")
        plt.title("certified radius m/(√2·Π‖W‖₂) is never violated")
        plt.legend(fontsize=7)
    save_plot("12_spectral_norm_certified_radius", draw, args)


if __name__ == "__main__":
    main()
