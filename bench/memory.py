"""Peak memory of a training step (MLP 784-512-512-10, batch 128, AdamW), minigrad vs PyTorch.

Each framework runs in its own subprocess. After imports, the model and the optimizer are
made, the kernel's peak-RSS counter is reset (/proc/self/clear_refs, Linux) and five steps run;
the reported number is the peak resident memory during those steps minus the resident memory
before them: activations, gradients and the optimizer state (the same 2 × 0.67M floats for
both). No warm-up step comes first: after one, glibc keeps the freed blocks mapped and the
peak barely moves, which would measure nothing.
"""
import json
import subprocess
import sys

_COMMON = r'''
import json, numpy as np
def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
rng = np.random.default_rng(0)
x_np = rng.standard_normal((128, 784)).astype(np.float32)
y_np = rng.integers(0, 10, 128)
'''

_MINIGRAD = _COMMON + r'''
import minigrad as mg
nn = mg.nn
model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
opt = mg.optim.AdamW(model.parameters(), lr=1e-3)
x, y = mg.tensor(x_np), mg.tensor(y_np)
def step():
    opt.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); opt.step()
'''

_TORCH = _COMMON + r'''
import torch
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
try:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
except Exception:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
x, y = torch.tensor(x_np), torch.tensor(y_np)
def step():
    opt.zero_grad(); torch.nn.functional.cross_entropy(model(x), y).backward(); opt.step()
'''

_MEASURE = r'''
before = rss("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
for _ in range(5):
    step()
print(json.dumps({"peak_extra_mb": rss("VmHWM") - before, "rss_mb": before}))
'''


def peak_step_memory(which):
    code = (_MINIGRAD if which == "minigrad" else _TORCH) + _MEASURE
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def report():
    """Markdown lines for results.md (empty when minigrad.nn/optim or torch are missing)."""
    mg_mem = peak_step_memory("minigrad")
    if mg_mem is None:
        return ""
    try:
        import torch  # noqa: F401
        t_mem = peak_step_memory("torch")
    except ImportError:
        t_mem = None
    lines = ["| framework | peak extra MB over the first five steps | resident MB before |", "|---|---|---|",
             f"| minigrad | {mg_mem['peak_extra_mb']:.1f} | {mg_mem['rss_mb']:.0f} |"]
    if t_mem:
        lines.append(f"| torch | {t_mem['peak_extra_mb']:.1f} | {t_mem['rss_mb']:.0f} |")
        ratio = mg_mem["peak_extra_mb"] / max(t_mem["peak_extra_mb"], 1e-9)
        lines.append(f"\nminigrad / torch peak extra memory: {ratio:.2f}")
    return "\n".join(lines)
