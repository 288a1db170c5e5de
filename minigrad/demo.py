"""``python -m minigrad demo``: one MLP on the 8×8 digits under five kinds of weight penalty.

The same network (64 → 64 → 10, ReLU), the same initialisation and the same minibatches are
trained five times; only the treatment of the weights changes (biases are never penalised):

    none         SGD(momentum=0.9)
    L2           SGD(momentum=0.9, weight_decay=λ)        coupled: λw added to the gradient
    decoupled    SGDW(momentum=0.9, weight_decay=λ)       w ← w − lr·b − lr·λ·w
    L1           ProxSGD(momentum=0.9, penalty=L1(λ₁))    soft-thresholding: exact zeros
    group lasso  ProxSGD(momentum=0.9, penalty=GroupLasso(λ_g, dim=0)) on the first layer
                 only: one group per input pixel, so a zero group removes that pixel

and the table reports the cross-entropy on the training and validation sets (without the
penalty), the validation accuracy, the weights' L2 norm, the fraction of weights that are
exactly zero, the number of input pixels the first layer still reads, and the time. The plot
(examples/out/demo.png, if matplotlib is installed) shows the validation loss per epoch and,
for L1 and group lasso, which input pixels survive.

Needs scikit-learn for the data (``pip install minigrad[examples]``); tqdm (optional) draws
the progress bars.
"""
import os
import time

import numpy as np

LR, MOMENTUM, BATCH = 0.05, 0.9, 64
HIDDEN = 64
# SGDW's decay is applied outside the momentum buffer: at a fixed point it acts like coupled
# L2 of strength (1 − momentum)·λ (examples/07), hence DECOUPLED_LAM = L2_LAM / (1 − MOMENTUM).
L2_LAM, L1_LAM, GROUP_LAM = 2e-3, 2e-3, 3e-2
DECOUPLED_LAM = L2_LAM / (1 - MOMENTUM)
PLOT_PATH = os.path.join("examples", "out", "demo.png")


def load_digits_split(n_train, seed):
    """The scikit-learn digits, pixels scaled to [0, 1], split into train / validation."""
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = (X[order] / 16.0).astype(np.float32), y[order].astype(np.int64)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def _model(seed):
    import minigrad as mg
    from minigrad import nn
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))


def _optimizer(kind, model):
    from minigrad import optim
    from minigrad.penalties import L1, GroupLasso
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    if kind == "none":
        return optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    if kind == "L2":
        return optim.SGD([{"params": weights, "weight_decay": L2_LAM}, {"params": biases}],
                         lr=LR, momentum=MOMENTUM)
    if kind == "decoupled":
        return optim.SGDW([{"params": weights, "weight_decay": DECOUPLED_LAM},
                           {"params": biases}], lr=LR, momentum=MOMENTUM)
    if kind == "L1":
        return optim.ProxSGD([{"params": weights, "penalty": L1(L1_LAM)}, {"params": biases}],
                             lr=LR, momentum=MOMENTUM)
    if kind == "group lasso":
        first = model[0].weight
        rest = [p for p in model.parameters() if p is not first]
        return optim.ProxSGD([{"params": [first], "penalty": GroupLasso(GROUP_LAM, dim=0)},
                              {"params": rest}], lr=LR, momentum=MOMENTUM)
    raise ValueError(f"unknown penalty kind {kind!r}")


KINDS = [("none", "none"),
         ("L2", f"L2 (SGD weight_decay={L2_LAM:g})"),
         ("decoupled", f"decoupled (SGDW weight_decay={DECOUPLED_LAM:g})"),
         ("L1", f"L1 (ProxSGD, λ={L1_LAM:g})"),
         ("group lasso", f"group lasso (ProxSGD, λ={GROUP_LAM:g}, layer 1)")]


def _evaluate(model, X, y):
    import minigrad as mg
    from minigrad.nn import functional as F
    with mg.no_grad():
        logits = model(mg.tensor(X))
        loss = float(F.cross_entropy(logits, mg.tensor(y)).item())
        accuracy = float(np.mean(logits.numpy().argmax(axis=1) == y))
    return loss, accuracy


def _epochs(n, desc):
    """tqdm's bar when installed, else a plain iterator that prints a line now and then."""
    try:
        from tqdm import tqdm
        return tqdm(range(n), desc=f"{desc:<12}", leave=True, ncols=80)
    except ImportError:
        def plain():
            for e in range(n):
                if e % max(1, n // 4) == 0 or e == n - 1:
                    print(f"  {desc}: epoch {e + 1}/{n}", flush=True)
                yield e
        return plain()


def train(kind, train_set, val_set, epochs, seed):
    """Trains one model; returns its row of results and the validation-loss curve."""
    import minigrad as mg
    from minigrad.nn import functional as F
    (X, y), (Xv, yv) = train_set, val_set
    model = _model(seed)
    opt = _optimizer(kind, model)
    rng = np.random.default_rng(seed + 1)          # the same minibatches for every kind
    curve = []
    start = time.perf_counter()
    for _ in _epochs(epochs, kind):
        order = rng.permutation(len(y))
        for i in range(0, len(y), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            F.cross_entropy(model(mg.tensor(X[idx])), mg.tensor(y[idx])).backward()
            opt.step()
        curve.append(_evaluate(model, Xv, yv)[0])
    seconds = time.perf_counter() - start
    weights = [p.numpy() for name, p in model.named_parameters() if name.endswith("weight")]
    flat = np.concatenate([w.ravel() for w in weights])
    first = model[0].weight.numpy()
    train_loss, _ = _evaluate(model, X, y)
    val_loss, val_acc = _evaluate(model, Xv, yv)
    return dict(kind=kind, train_loss=train_loss, val_loss=val_loss, val_acc=val_acc,
                weight_norm=float(np.linalg.norm(flat)), zero_fraction=float(np.mean(flat == 0)),
                inputs_used=int(np.sum(np.any(first != 0, axis=0))), seconds=seconds,
                curve=curve, pixel_norms=np.linalg.norm(first, axis=0).reshape(8, 8))


def print_table(results, labels):
    headers = ["penalty", "train loss", "val loss", "val acc", "‖W‖", "exact zeros",
               "inputs used", "time s"]
    rows = [[labels[r["kind"]], f"{r['train_loss']:.4f}", f"{r['val_loss']:.4f}",
             f"{r['val_acc']:.3f}", f"{r['weight_norm']:.3f}", f"{r['zero_fraction']:.3f}",
             f"{r['inputs_used']}/64", f"{r['seconds']:.1f}"] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for k, row in enumerate([headers] + rows):
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def save_plot(results, labels, path=PLOT_PATH):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        return None
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for r in results:
        axes[0].plot(np.arange(1, len(r["curve"]) + 1), r["curve"], label=labels[r["kind"]])
    axes[0].set_xlabel("epoch")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("validation cross-entropy")
    axes[0].legend(fontsize=7)
    for ax, kind in zip(axes[1:], ("L1", "group lasso")):
        r = next(r for r in results if r["kind"] == kind)
        ax.imshow(r["pixel_norms"], cmap="viridis")
        ax.set_title(f"{kind}: ‖W₁[:, pixel]‖ ({r['inputs_used']}/64 pixels used)", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"plot: {path}")
    return path


def main(quick=False, seed=0):
    """Runs the demo; returns the process exit status (0 also when scikit-learn is missing)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("the demo trains on scikit-learn's bundled digits data set, and scikit-learn is "
              "not installed: pip install minigrad[examples]")
        return 0
    n_train, epochs = (600, 60) if quick else (1200, 100)
    train_set, val_set = load_digits_split(n_train, seed)
    print(f"digits 8×8: {len(train_set[1])} train / {len(val_set[1])} validation images; "
          f"MLP 64→{HIDDEN}→10 (ReLU), minibatch {BATCH}, lr {LR}, momentum {MOMENTUM}, "
          f"{epochs} epochs, seed {seed}")
    labels = dict(KINDS)
    results = [train(kind, train_set, val_set, epochs, seed) for kind, _ in KINDS]
    print()
    print_table(results, labels)
    save_plot(results, labels)
    return 0
