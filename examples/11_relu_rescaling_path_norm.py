"""Claim 11: rescaling a ReLU unit leaves the function and the path norm unchanged but not the L2
norm, and the smallest L2 penalty over all rescalings is λ·Σ_j ‖u_j‖·|v_j|.

Network nn.Sequential(Linear(5, 8), ReLU(), Linear(8, 1)), f(x) = Σ_j v_j·relu(u_j·x + c_j) + b:
hidden unit j has incoming weights u_j (row j of the first weight U), bias c_j and outgoing
weight v_j (column j of the second weight). Rescale it by s_j > 0: u_j → s_j·u_j, c_j → s_j·c_j,
v_j → v_j/s_j. Since relu(s·z) = s·relu(z) for s > 0, f does not change; every input→output
path through j carries u_ji²·v_j², which becomes s_j²·u_ji²·v_j²/s_j², so minigrad's
``PathNorm(λ)(model)`` does not change either. The L2 penalty on the weights, attached with
``apply_penalty(model, L2(λ))`` (biases skipped, as usual) and read from ``model.penalty()``,
(λ/2)·(‖U‖² + ‖v‖²), becomes

    (λ/2)·Σ_j (s_j²‖u_j‖² + v_j²/s_j²)  ≥  (λ/2)·Σ_j 2‖u_j‖·|v_j|  =  λ·Σ_j ‖u_j‖·|v_j|

by AM–GM (a·s² + b/s² ≥ 2√(ab)), with equality at s_j² = |v_j|/‖u_j‖ (the balanced network,
‖s_j u_j‖ = |v_j/s_j|). So weight decay on a ReLU net secretly penalises 2·Σ‖u_j‖·|v_j|, a
path-norm-like quantity. The script checks invariance for random rescalings, then minimises
the L2 penalty over t_j = ln s_j numerically (minigrad.optim.Rprop on the penalty built from
minigrad.penalties.L2, a convex problem in t) and compares with the closed form.
"""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
from minigrad.penalties import L2, PathNorm, apply_penalty
from _common import parse_args, print_table, save_plot, verdict

D_IN, HIDDEN, LAM = 5, 8, 0.1
TOL_EXACT, TOL_MIN = 1e-12, 1e-9


def make_model():
    """Linear-ReLU-Linear in float64 with the L2 penalty attached to both weights."""
    model = nn.Sequential(nn.Linear(D_IN, HIDDEN, dtype=mg.float64), nn.ReLU(),
                          nn.Linear(HIDDEN, 1, dtype=mg.float64))
    apply_penalty(model, L2(LAM))
    return model


def rescaled(model, s):
    """A copy of the model with hidden unit j rescaled by s_j > 0."""
    copy = make_model()
    copy.load_state_dict(model.state_dict())
    copy[0].weight.array[...] *= s[:, None]
    copy[0].bias.array[...] *= s
    copy[2].weight.array[...] /= s[None, :]
    return copy


def main():
    args = parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    mg.manual_seed(args.seed)
    model = make_model()
    x = mg.tensor(rng.standard_normal((500, D_IN)))
    path = PathNorm(LAM)

    with mg.no_grad():
        f0 = model(x).numpy()
    path0 = float(path(model).item())
    U, v = model[0].weight.numpy().copy(), model[2].weight.numpy()[0].copy()
    closed_form = LAM * float(np.sum(np.linalg.norm(U, axis=1) * np.abs(v)))

    # numeric minimisation of the L2 penalty over t = ln s (convex, separable in t_j): the same
    # L2(λ) penalty applied to the rescaled weights U·diag(e^t) and v·diag(e^−t)
    l2 = L2(LAM)
    Ut, vt = mg.tensor(U), mg.tensor(v)
    t = mg.zeros(HIDDEN, dtype=mg.float64, requires_grad=True)
    opt = mg.optim.Rprop([t], lr=0.1, step_sizes=(1e-15, 1.0))
    for _ in range(400 if args.quick else 1000):
        opt.zero_grad()
        s = t.exp()
        (l2(Ut * s.unsqueeze(1)) + l2(vt / s)).backward()
        opt.step()
    s_numeric = np.exp(t.numpy())
    s_balanced = np.sqrt(np.abs(v) / np.linalg.norm(U, axis=1))

    n_random = 5 if args.quick else 20
    scalings = [("identity", np.ones(HIDDEN))]
    scalings += [(f"random #{k + 1}", np.exp(rng.uniform(-2, 2, HIDDEN))) for k in range(n_random)]
    scalings += [("numeric min", s_numeric), ("closed-form s*", s_balanced)]

    rows, worst_f, worst_path, l2_values = [], 0.0, 0.0, []
    for name, s in scalings:
        m = rescaled(model, s)
        with mg.no_grad():
            df = float(np.max(np.abs(m(x).numpy() - f0)) / np.max(np.abs(f0)))
        dpath = abs(float(path(m).item()) - path0) / path0
        pen = float(m.penalty().item())
        worst_f, worst_path = max(worst_f, df), max(worst_path, dpath)
        l2_values.append(pen)
        rows.append([name, df, dpath, pen, pen / closed_form])

    print(f"ReLU net {D_IN}→{HIDDEN}→1, λ={LAM}; path norm = {path0:.6g}; "
          f"closed form λ·Σ‖u_j‖·|v_j| = {closed_form:.12g}\n")
    print_table(["rescaling", "max |Δf| (rel)", "Δ path norm (rel)", "L2 penalty (λ/2)‖W‖²",
                 "/ closed form"], rows)
    numeric_min = l2_values[-2]
    err_min = abs(numeric_min - closed_form) / closed_form
    err_balanced = abs(l2_values[-1] - closed_form) / closed_form
    s_err = float(np.max(np.abs(s_numeric / s_balanced - 1)))
    l2_changes = max(l2_values) / min(l2_values) - 1
    above = all(p >= closed_form * (1 - TOL_EXACT) for p in l2_values)
    print(f"\nnumeric minimiser vs s* = √(|v_j|/‖u_j‖): max relative difference {s_err:.1e}")
    holds = (worst_f < TOL_EXACT and worst_path < TOL_EXACT and l2_changes > 0.01 and above
             and err_min < TOL_MIN and err_balanced < TOL_EXACT)
    verdict(holds, f"function unchanged to {worst_f:.1e} and path norm to {worst_path:.1e} "
            f"(tol {TOL_EXACT:g}) over {len(scalings)} rescalings, while the L2 penalty ranges "
            f"{min(l2_values):.4f}..{max(l2_values):.4f}; its minimum over rescalings: numeric "
            f"{numeric_min:.12g} vs λ·Σ‖u_j‖|v_j| = {closed_form:.12g} (rel {err_min:.1e}, tol "
            f"{TOL_MIN:g}); closed-form s* attains it to {err_balanced:.1e}; no rescaling below it")

    def draw(plt):
        j = int(np.argmax(np.abs(v)))
        s_grid = np.exp(np.linspace(-2.5, 2.5, 200))
        a, bb = float(np.sum(U[j] ** 2)), float(v[j] ** 2)
        plt.plot(s_grid, LAM / 2 * (a * s_grid ** 2 + bb / s_grid ** 2), label=f"L2 of unit {j}")
        plt.axhline(LAM * np.sqrt(a * bb), color="C1", ls="--", label="λ‖u_j‖·|v_j| (closed form)")
        plt.axhline(LAM * a * bb, color="C2", ls=":",
                    label="path norm of unit j (constant)")
        plt.axvline(s_numeric[j], color="k", lw=0.6, label="numeric minimiser")
        plt.xscale("log")
        plt.yscale("log")
        plt.xlabel("rescaling s of unit j")
        plt.ylabel("penalty")
        plt.title("ReLU rescaling: L2 changes, path norm does not")
        plt.legend(fontsize=7)
    save_plot("11_relu_rescaling_path_norm", draw, args)


if __name__ == "__main__":
    main()
