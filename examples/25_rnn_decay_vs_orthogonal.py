"""Weight decay on a recurrent network: none, L2 on every weight, or orthogonality of W_hh.

Claim (RNN papers, e.g. Vorontsov et al. 2017): shrinking the recurrent matrix toward 0 (L2)
makes gradients vanish through time, because ∂h_T/∂h_t is a product of T − t Jacobians
diag(1 − h²)·W_hh whose norms L2 pulls below 1; a soft orthogonality penalty
λ‖W_hhᵀW_hh − I‖²_F instead keeps W_hh near norm-preserving, so gradients reach early steps.

The task is the adding problem (Hochreiter & Schmidhuber): a sequence of (value, marker)
pairs, the target the sum of the two marked values, one marker in each half, so the answer
depends on a step far from the end. A tanh ``nn.RNN`` reads it; the prediction is a Linear of
the last hidden state. Three runs from the same initial weights and batches, Adam, clipping:

* ``none``        no penalty
* ``L2 all``      ``apply_penalty(model, L2(λ))``: every weight matrix, W_ih and W_hh included
                  (apply_penalty reaches an RNN's ``weight_ih_l0``/``weight_hh_l0``)
* ``orthogonal``  ``Orthogonal(λ)`` on ``weight_hh_l0`` only

Measured: the validation MSE (predicting the mean gives 1/6), the gradient norms through
time ‖∂L/∂x_t‖ for a loss on the last step (their ratio first/last step, after training), and
how far W_hh is from orthogonal. The claim checked: with the same λ, the orthogonality penalty
leaves the network able to learn the long-range sum (validation MSE well below 1/6) while L2 on
every weight, W_hh included, does not do better than it. An empirical tendency, reported either
way; the gradient ratios are printed beside it (the issue's question), not judged.
"""
import numpy as np

from _common import parse_args, print_table, save_plot, verdict
import minigrad as mg
import minigrad.nn as nn
from minigrad.penalties import L2, Orthogonal, apply_penalty


def adding_problem(rng, steps, batch):
    """(steps, batch, 2) inputs and (batch, 1) targets: value, and a marker on two steps."""
    values = rng.uniform(0, 1, (steps, batch))
    markers = np.zeros((steps, batch))
    first = rng.integers(0, steps // 2, batch)
    second = rng.integers(steps // 2, steps, batch)
    markers[first, np.arange(batch)] = 1
    markers[second, np.arange(batch)] = 1
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values * markers).sum(0, keepdims=True).T.astype(np.float32)
    return mg.tensor(x), mg.tensor(y)


class Adder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.RNN(2, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1]), out


def train(variant, args, initial_state):
    model = Adder(args.hidden)
    model.load_state_dict(initial_state)
    extra = lambda: 0.0  # noqa: E731
    if variant == "L2 all":
        apply_penalty(model, L2(args.lam))
        extra = model.penalty
    elif variant == "orthogonal":
        orthogonal = Orthogonal(args.lam)
        extra = lambda: orthogonal(model.rnn.weight_hh_l0)  # noqa: E731
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed + 1)   # the same batches for every variant
    curve = []
    for _ in range(args.steps):
        x, y = adding_problem(rng, args.length, args.batch)
        prediction, _ = model(x)
        loss = ((prediction - y) ** 2).mean()
        optimizer.zero_grad()
        (loss + extra()).backward()
        mg.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        curve.append(loss.item())
    return model, curve


def gradient_through_time(model, x, y):
    """‖∂L/∂x_t‖ for t = 1..T, L the squared error of the prediction at the last step: how
    much of the error signal reaches step t (∂L/∂x_t = W_ihᵀ·diag(1 − h_t²)·∂L/∂h_t)."""
    x = x.detach().requires_grad_(True)
    prediction, _ = model(x)
    ((prediction - y) ** 2).mean().backward()
    return np.linalg.norm(x.grad.numpy().reshape(x.shape[0], -1), axis=1)


def main():
    args = parse_args(__doc__.splitlines()[0])
    args.hidden, args.lam, args.batch = 32, 1e-3, 32
    args.length, args.steps, args.lr = (10, 400, 1e-2) if args.quick else (20, 2000, 3e-3)
    mg.manual_seed(args.seed)
    initial_state = Adder(args.hidden).state_dict()
    x_val, y_val = adding_problem(np.random.default_rng(args.seed + 99), args.length, 512)
    rows, norms, curves = [], {}, {}
    for variant in ("none", "L2 all", "orthogonal"):
        model, curves[variant] = train(variant, args, initial_state)
        with mg.no_grad():
            mse = float(((model(x_val)[0] - y_val) ** 2).mean().item())
        norms[variant] = gradient_through_time(model, x_val, y_val)
        w = model.rnn.weight_hh_l0.detach().numpy()
        distance = float(np.linalg.norm(w.T @ w - np.eye(len(w))))
        ratio = float(norms[variant][0] / norms[variant][-1])
        rows.append([variant, mse, ratio, distance, float(np.linalg.norm(w, 2))])
    print(f"adding problem, T = {args.length}, {args.steps} Adam steps, λ = {args.lam} "
          "(the mean predictor's MSE is 1/6 ≈ 0.167)")
    print_table(["variant", "val MSE", "‖∂L/∂x_1‖/‖∂L/∂x_T‖", "‖WᵀW − I‖_F", "‖W_hh‖₂"], rows)
    save_plot("rnn_decay_vs_orthogonal", lambda plt: (
        [plt.semilogy(np.arange(1, args.length + 1), norms[v], label=v) for v in norms],
        plt.xlabel("time step t"), plt.ylabel("‖∂L/∂x_t‖ (loss on the last step)"),
        plt.legend()), args)
    mse = {row[0]: row[1] for row in rows}
    verdict(mse["orthogonal"] < 0.5 / 6 and mse["orthogonal"] < mse["L2 all"],
            f"val MSE orthogonal {mse['orthogonal']:.4f}, L2 all {mse['L2 all']:.4f}, none "
            f"{mse['none']:.4f}; the mean predictor {1 / 6:.4f}")


if __name__ == "__main__":
    main()
