"""Timing with alternating runs, medians and ratios (PERF-NOTES: single runs vary by ±10%).

A benchmark ``Row`` has up to three zero-argument callables doing the same work: minigrad's,
a hand-written NumPy version, and PyTorch's. ``measure`` warms each up, then runs them in turn,
round after round, so that a burst of load on the machine hits all three alike, and reports the
median of each.
"""
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

# each framework keeps its own OpenMP defaults: minigrad sets no environment variable at import
import minigrad.backend.cpu  # noqa: E402,F401

try:
    import torch
except ImportError:  # the PyTorch columns are skipped
    torch = None


@dataclass
class Row:
    group: str
    name: str
    minigrad: Callable
    numpy: Optional[Callable] = None
    torch: Optional[Callable] = None
    unit: str = "ms"
    note: str = ""
    medians: Dict[str, float] = field(default_factory=dict)


def _time_once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(row, rounds=15, min_round_seconds=0.02, warmup=2):
    """Fills ``row.medians`` (seconds per call) for each implementation present."""
    impls = {k: f for k, f in (("minigrad", row.minigrad), ("numpy", row.numpy),
                               ("torch", row.torch)) if f is not None}
    inner = {}
    for name, fn in impls.items():
        for _ in range(warmup):
            fn()
        # calls per round: enough that one round takes min_round_seconds
        t = max(_time_once(fn), 1e-7)
        inner[name] = max(1, int(min_round_seconds / t))
    samples = {k: [] for k in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            n = inner[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    row.medians = {k: statistics.median(v) for k, v in samples.items()}
    return row


def machine_description():
    import numpy as np
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    parts = [f"{cpu}", f"{os.cpu_count()} cores", f"Python {platform.python_version()}",
             f"numpy {np.__version__}"]
    parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch
                 else "torch not installed")
    return ", ".join(parts)


def _fmt(seconds, unit):
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    return f"{seconds * scale:.3g}"


def table(rows):
    """A markdown table: medians and the ratios minigrad/numpy and minigrad/torch."""
    lines = ["| group | benchmark | unit | minigrad | numpy | torch | mg/numpy | mg/torch | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r.medians
        mg_t = m.get("minigrad")
        cells = [r.group, r.name, r.unit, _fmt(mg_t, r.unit)]
        for k in ("numpy", "torch"):
            cells.append(_fmt(m[k], r.unit) if k in m else "—")
        for k in ("numpy", "torch"):
            cells.append(f"{mg_t / m[k]:.2f}" if k in m else "—")
        cells.append(r.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
