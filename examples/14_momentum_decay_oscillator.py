"""Claim 14: momentum with weight decay is a damped oscillator, and more decay means less damping.

On the quadratic f(w) = (h/2)·w², minigrad.optim.SGD(lr=η, momentum=μ, weight_decay=λ) sees the
gradient h·w + λ·w = a·w with a = h + λ (coupled decay just adds λ to the curvature). torch's
heavy ball, b_t = μ·b_{t−1} + a·w_t, w_{t+1} = w_t − η·b_t (b_0 = a·w_0), is, in w alone,

    w_{t+1} = (1 + μ − η·a)·w_t − μ·w_{t−1},   w_{−1} = w_0,

so (w_{t+1}, w_t) = M·(w_t, w_{t−1}) with the iteration matrix M = [[1 + μ − ηa, −μ], [1, 0]].
Its eigenvalues z solve z² − (1 + μ − ηa)·z + μ = 0. When they are complex (the underdamped
regime, (1 − √(ηa))² < μ), |z| = √μ and z = √μ·e^{±iθ} with cos θ = (1 + μ − ηa)/(2√μ).
Reading a step as a unit of time, z = e^{s} with s = ln|z| ± iθ, the poles of the continuous
oscillator s = −ζω ± iω√(1 − ζ²), hence the damping ratio

    ζ = −ln|z| / √(ln²|z| + θ²)   (real eigenvalues: ζ = 1 at a double root, > 1 beyond),

computed here from numpy's eigenvalues of M. Raising λ raises a, hence θ, at a FIXED decay
rate √μ per step: ζ falls, the settling time (~ ln(tol)/ln √μ steps) stays, and the iterates
cross zero more often before they settle. The script checks that minigrad's SGD iterates are
exactly the M-iteration (to round-off), then measures ζ and the zero crossings.
"""
import numpy as np

import minigrad as mg
from _common import parse_args, print_table, save_plot, verdict

H, LR, MOMENTUM, SETTLE_TOL = 1.0, 0.01, 0.9, 1e-6


def iteration_matrix(a, lr=LR, mu=MOMENTUM):
    return np.array([[1.0 + mu - lr * a, -mu], [1.0, 0.0]])


def damping_ratio(eigenvalues):
    """ζ of the slowest mode, from s = ln z (complex pair) or the two real roots."""
    z = eigenvalues[np.argmax(np.abs(eigenvalues))]
    if abs(z.imag) > 0:
        s = np.log(z.astype(complex))
        return -s.real / abs(s)
    # real roots z1, z2 = e^{s1}, e^{s2}: s1·s2 = ω², s1 + s2 = −2ζω
    s1, s2 = np.log(np.abs(eigenvalues))
    return -(s1 + s2) / (2.0 * np.sqrt(s1 * s2))


def run_sgd(weight_decay, steps, w0=1.0):
    """minigrad's SGD on f(w) = (h/2)w²; returns w_0 … w_steps."""
    w = mg.tensor(np.array([w0]), requires_grad=True)
    opt = mg.optim.SGD([w], lr=LR, momentum=MOMENTUM, weight_decay=weight_decay)
    trajectory = [w0]
    for _ in range(steps):
        opt.zero_grad()
        loss = (0.5 * H) * (w * w).sum()
        loss.backward()
        opt.step()
        trajectory.append(float(w.array[0]))
    return np.array(trajectory)


def run_matrix(a, steps, w0=1.0):
    M, state, out = iteration_matrix(a), np.array([w0, w0]), [w0]
    for _ in range(steps):
        state = M @ state
        out.append(state[0])
    return np.array(out)


def settle_step(traj, tol=SETTLE_TOL):
    """First step after which |w| stays below tol·|w_0|."""
    above = np.nonzero(np.abs(traj) >= tol * abs(traj[0]))[0]
    return int(above[-1]) + 1


def zero_crossings(traj, until):
    s = np.sign(traj[:until + 1])
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


def main():
    args = parse_args(__doc__.splitlines()[0])
    decays = [0.0, 1.0, 3.0, 10.0, 30.0] if args.quick else [0.0, 0.5, 1.0, 3.0, 10.0, 30.0, 100.0]
    steps = 400 if args.quick else 600      # settling needs ln(1e-6)/ln(√0.9) ≈ 262 steps
    print(f"f(w) = {H}/2·w², SGD lr={LR}, momentum={MOMENTUM}; a = h + λ; "
          f"settled: |w| < {SETTLE_TOL:g}·|w0| for good\n")

    rows, zetas, crossings, trajs, max_dev = [], [], [], {}, 0.0
    for lam in decays:
        a = H + lam
        eig = np.linalg.eigvals(iteration_matrix(a))
        zeta = damping_ratio(eig)
        traj = run_sgd(lam, steps)
        max_dev = max(max_dev, float(np.max(np.abs(traj - run_matrix(a, steps)))))
        settle = settle_step(traj)
        cross = zero_crossings(traj, settle)
        theta = float(np.abs(np.angle(eig)).max())
        rows.append([lam, a, float(np.abs(eig).max()), theta, zeta, settle, cross])
        zetas.append(zeta)
        crossings.append(cross)
        trajs[lam] = traj
    print_table(["λ", "a=h+λ", "|z|max", "θ (rad/step)", "ζ", "settle step", "zero crossings"],
                rows)
    print(f"\nmax |w_SGD − w_matrix| over all steps and λ: {max_dev:.2e} "
          f"(minigrad's SGD is the M-iteration)")

    assert max_dev < 1e-12, "minigrad SGD does not follow the heavy-ball iteration matrix"
    zeta_falls = all(z2 < z1 for z1, z2 in zip(zetas, zetas[1:]))
    more_crossings = all(c2 >= c1 for c1, c2 in zip(crossings, crossings[1:])) and \
        crossings[-1] > crossings[0]
    verdict(zeta_falls and more_crossings,
            f"ζ falls {zetas[0]:.3f} -> {zetas[-1]:.3f} as λ goes {decays[0]:g} -> {decays[-1]:g}: "
            f"{'strictly' if zeta_falls else 'NOT'}; zero crossings before settling "
            f"{crossings[0]} -> {crossings[-1]} ({'non-decreasing' if more_crossings else 'NOT'})")

    def draw(plt):
        for lam in decays:
            n = min(len(trajs[lam]), 150)
            plt.plot(np.arange(n), trajs[lam][:n], label=f"λ={lam:g}")
        plt.axhline(0, color="k", lw=0.5)
        plt.xlabel("step")
        plt.ylabel("w")
        plt.title("heavy ball + weight decay on (h/2)w²: less damping as λ grows")
        plt.legend(fontsize=7)
    save_plot("14_momentum_decay_oscillator", draw, args)


if __name__ == "__main__":
    main()
