"""GPU rows (issue 15): ``python -m bench.gpu`` on a machine with CuPy and a CUDA GPU.

* AdamW's fused step on 100M float32 parameters, as bandwidth: the step reads param, grad,
  exp_avg, exp_avg_sq and writes param, exp_avg, exp_avg_sq (7 x 4 bytes per parameter),
  against the device's copy bandwidth (read + write, 8 bytes per element) measured the same
  way; the goal is >= 70% of the copy;
* an MLP 784-512-512-10 + AdamW step and a LeNet CNN + SGD step, minigrad vs torch CUDA;
* cross-entropy forward + backward on (4096, 1000) logits, minigrad vs torch CUDA.

Every timed callable ends with a device synchronisation, so the medians are device time.
``--quick`` uses small sizes (1M parameters, batch 16): it also runs on the CUDA simulator
(``MINIGRAD_CUDA_SIM=1``), slowly, to check the script itself; its numbers mean nothing there.
"""
import argparse
import sys

import numpy as np

import minigrad as mg

from .harness import CallableRow as Row, machine_description, measure, table

try:
    import torch
except ImportError:  # the PyTorch columns are skipped
    torch = None

_TORCH_CUDA = torch is not None and torch.cuda.is_available()


def _synced(fn, sync):
    def run():
        fn()
        sync()
    return run


def _mg_sync():
    mg.cuda.synchronize()


def _torch_sync():
    torch.cuda.synchronize()


def _copy_row(n):
    xp = mg.backend.get_backend("cuda").xp
    src, dst = xp.ones(n, dtype=np.float32), xp.empty(n, dtype=np.float32)
    row = Row("gpu", f"device copy, {n / 1e6:g}M float32 (8 B/element)",
              _synced(lambda: xp.copyto(dst, src), _mg_sync))
    if _TORCH_CUDA:
        tsrc = torch.ones(n, device="cuda")
        tdst = torch.empty(n, device="cuda")
        row.torch = _synced(lambda: tdst.copy_(tsrc), _torch_sync)
    return row


def _adamw_row(n):
    w = mg.nn.Parameter(mg.zeros(n, device="cuda"))
    w.grad = mg.full((n,), 1e-3, device="cuda")
    opt = mg.optim.AdamW([w], lr=1e-3, weight_decay=1e-2)
    row = Row("gpu", f"AdamW fused step, {n / 1e6:g}M float32 (28 B/parameter)",
              _synced(opt.step, _mg_sync))
    if _TORCH_CUDA:
        tw = torch.zeros(n, device="cuda", requires_grad=True)
        tw.grad = torch.full((n,), 1e-3, device="cuda")
        topt = torch.optim.AdamW([tw], lr=1e-3, weight_decay=1e-2, fused=True)
        row.torch = _synced(topt.step, _torch_sync)
    return row


def _step(model, opt, x, y, cross_entropy, sync):
    def run():
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()
        sync()
    return run


def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def _training_row(name, build, make_opt, x_np, y_np):
    model = build(mg.nn).to("cuda")
    row = Row("gpu", name, _step(model, make_opt(mg.optim, model), mg.tensor(x_np, device="cuda"),
                                 mg.tensor(y_np, device="cuda"), mg.nn.functional.cross_entropy,
                                 _mg_sync))
    if _TORCH_CUDA:
        tmodel = build(torch.nn).to("cuda")
        row.torch = _step(tmodel, make_opt(torch.optim, tmodel),
                          torch.tensor(x_np, device="cuda"), torch.tensor(y_np, device="cuda"),
                          torch.nn.functional.cross_entropy, _torch_sync)
    return row


def _cross_entropy_row(n, c):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((n, c)).astype(np.float32)
    y_np = rng.integers(0, c, n)
    x = mg.tensor(x_np, device="cuda", requires_grad=True)
    y = mg.tensor(y_np, device="cuda")
    row = Row("gpu", f"cross_entropy forward+backward, ({n}, {c}) float32",
              _synced(lambda: mg.nn.functional.cross_entropy(x, y).backward(), _mg_sync))
    if _TORCH_CUDA:
        tx = torch.tensor(x_np, device="cuda", requires_grad=True)
        ty = torch.tensor(y_np, device="cuda")
        row.torch = _synced(lambda: torch.nn.functional.cross_entropy(tx, ty).backward(),
                            _torch_sync)
    return row


def rows(quick=False):
    n = 1_000_000 if quick else 100_000_000
    batch = 16 if quick else 128
    rng = np.random.default_rng(0)
    mlp_x = rng.standard_normal((batch, 784)).astype(np.float32)
    cnn_x = rng.standard_normal((batch // 2, 1, 28, 28)).astype(np.float32)
    return [
        _copy_row(n),
        _adamw_row(n),
        _training_row(f"MLP 784-512-512-10 + AdamW step, batch {batch}", _mlp,
                      lambda optim, m: optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2),
                      mlp_x, rng.integers(0, 10, batch)),
        _training_row(f"LeNet CNN + SGD momentum step, batch {batch // 2}", _lenet,
                      lambda optim, m: optim.SGD(m.parameters(), lr=0.01, momentum=0.9),
                      cnn_x, rng.integers(0, 10, batch // 2)),
        _cross_entropy_row(256 if quick else 4096, 100 if quick else 1000),
    ]


def bandwidth_summary(copy_row, adamw_row):
    """AdamW's bytes per second against the copy's: the fused step is memory-bound, so the
    ratio says how close it comes to the device's bandwidth (goal >= 70%)."""
    n = float(copy_row.name.split("copy, ")[1].split("M")[0]) * 1e6
    copy_gbs = 8 * n / copy_row.medians["minigrad"] / 1e9
    adamw_gbs = 28 * n / adamw_row.medians["minigrad"] / 1e9
    return (f"AdamW fused step: {adamw_gbs:.0f} GB/s; device copy: {copy_gbs:.0f} GB/s; "
            f"ratio {adamw_gbs / copy_gbs:.0%} (goal >= 70%)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds")
    args = parser.parse_args(argv)
    if not mg.cuda.is_available():
        print(f"no GPU: {mg.backend.cuda_unavailable_reason()}", file=sys.stderr)
        return 1
    measured = [measure(r, rounds=3 if args.quick else 15) for r in rows(quick=args.quick)]
    print(f"Machine: {machine_description()}\n")
    print(table(measured))
    print("\n" + bandwidth_summary(measured[0], measured[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
