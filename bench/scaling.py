"""Scaling: how the cost of a step grows with the work, minigrad beside torch.

``python -m bench.scaling`` (or ``python -m bench --scaling``) times five series:

* MLP w-w-w-10 training step (SGD momentum, batch 128) over the width w, 64 → 4096;
* MLP 784-512-512-10 training step (SGD momentum) over the batch, 8 → 1024;
* a LeNet-like CNN step (batch 64, SGD momentum + weight decay) over the image size, 28 → 112 px;
* the AdamW update alone over the parameter count, 10³ → 10⁸ (10⁸ only where it fits in
  memory twice over; else up to 3·10⁷);
* STREAM's triad (csrc/cpu/bandwidth.pyx) on arrays of those lengths, 1 thread and all cores:
  the bandwidth the AdamW update is measured against.

How: **one fresh process per framework per series** (not per point: a process per point
would spend most of the budget starting torch). In each round, for each series, a minigrad
process times every point of the series in turn, then a torch process does the same; the
rounds repeat that, and a point's figure is the median over rounds of each process's own
median. Each framework runs under its own defaults, as in ``python -m bench``.

Writes, into bench/ (or ``--out DIR``): scaling_mlp.png, scaling_conv.png, scaling_adamw.png
(log-log time against work for both frameworks, and their ratio), scaling.json (every figure),
and a summary section in results.md between ``<!-- scaling -->`` and ``<!-- /scaling -->``,
replaced by each rerun. The full run takes about 4–6 min on an idle 2-core machine;
``--quick`` (fewer, smaller points, 2 rounds) about a minute.
"""
import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List

from .harness import (framework_available, load_average, machine_description, memory_gib,
                      run_series_child)
from .training import _batch, _training_step

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- scaling -->", "<!-- /scaling -->"
ADAMW_BYTES_PER_PARAM = 7 * 4      # read p, g, m, v and write p, m, v, float32


@dataclass
class Series:
    """One curve per framework: the same builder at each point ``xs[i]`` with ``args[i]``."""
    key: str
    figure: str                        # which PNG it goes in: "mlp", "conv" or "adamw"
    title: str
    x_label: str
    xs: List[float]
    args: List[Dict]
    build: Dict[str, str]              # framework -> "module:function"
    bytes_per_call: List[float] = field(default_factory=list)   # memory-bound series only
    #: framework -> per point, the list of per-round figures (seconds per call)
    samples: Dict[str, List[List[float]]] = field(default_factory=dict)

    def medians(self, framework):
        return [statistics.median(s) if s else float("nan") for s in self.samples[framework]]


# --- builders not in bench/training.py --------------------------------------------------------

def _lenet_like(nn, size):
    """LeNet's layers on a size×size image: the flattened features grow with the image."""
    side = ((size // 2) - 4) // 2             # conv 5 pad 2, pool 2, conv 5, pool 2
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * side * side, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def _conv_step(lib, size, batch):
    model = _lenet_like(lib.nn, size)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x, y = _batch(batch, (1, size, size))
    return _training_step(model, opt, lib.tensor(x), lib.tensor(y),
                          lib.nn.functional.cross_entropy)


def conv_minigrad(size, batch):
    import minigrad
    return _conv_step(minigrad, size, batch)


def conv_torch(size, batch):
    import torch
    return _conv_step(torch, size, batch)


# --- the series -------------------------------------------------------------------------------

def adamw_sizes(quick=False, available_bytes=None):
    """10³ … 10⁷, then 3·10⁷ and 10⁸ while a framework's AdamW fits in memory twice over.

    A child holds p, g, m, v (16 bytes a parameter) plus its float64 start-up arrays and a copy
    (``bench.training._adamw_arrays``): about 40 bytes a parameter at its peak."""
    if quick:
        return [1_000, 100_000, 10_000_000]
    if available_bytes is None:
        mem = memory_gib()
        available_bytes = mem[1] * 2 ** 30 if mem else 0
    sizes = [10 ** k for k in range(3, 8)]
    for n in (30_000_000, 100_000_000):
        if 2 * 40 * n <= available_bytes:
            sizes.append(n)
    return sizes


def core_counts():
    from .bandwidth import thread_counts
    return sorted({1, thread_counts()[-1]})


def all_series(quick=False, only=()):
    """The series of a run (those whose key starts with a text in ``only``, when given);
    ``quick``: two or three small points each."""
    widths = [64, 256, 1024] if quick else [64, 128, 256, 512, 1024, 2048, 4096]
    batches = [8, 64, 512] if quick else [8, 16, 32, 64, 128, 256, 512, 1024]
    sizes = [28, 56] if quick else [28, 56, 112]
    conv_batch = 16 if quick else 64
    ns = adamw_sizes(quick)
    both = ("minigrad", "torch")
    out = [
        Series("mlp_width", "mlp", "MLP w-w-w-10 step, batch 128, SGD momentum", "width w",
               widths, [{"sizes": [w, w, w, 10], "batch": 128, "optimizer": "sgd"}
                        for w in widths], {k: f"bench.training:mlp_{k}" for k in both}),
        Series("mlp_batch", "mlp", "MLP 784-512-512-10 step, SGD momentum", "batch",
               batches, [{"sizes": [784, 512, 512, 10], "batch": b, "optimizer": "sgd"}
                         for b in batches], {k: f"bench.training:mlp_{k}" for k in both}),
        Series("conv", "conv", f"LeNet-like CNN step, batch {conv_batch}, SGD momentum + wd",
               "image side (px)", sizes, [{"size": s, "batch": conv_batch} for s in sizes],
               {k: f"bench.scaling:conv_{k}" for k in both}),
        Series("adamw", "adamw", "AdamW update (torch: fused)", "parameters n", ns,
               [{"n": n} for n in ns], {k: f"bench.training:adamw_{k}" for k in both},
               bytes_per_call=[ADAMW_BYTES_PER_PARAM * n for n in ns]),
    ]
    for threads in core_counts():
        out.append(Series(
            f"triad_{threads}", "adamw",
            f"STREAM triad, {threads} thread{'s' if threads > 1 else ''}", "elements n",
            ns, [{"kernel": "triad", "n": n, "threads": threads} for n in ns],
            {"minigrad": "bench.bandwidth:stream_minigrad"}, bytes_per_call=[12 * n for n in ns]))
    return [s for s in out if not only or any(s.key.startswith(t) for t in only)]


def measure(series, rounds=3, samples=5, min_sample_seconds=0.05, max_point_seconds=1.0,
            runner=None, reports=None, log=None):
    """Fills each series' ``samples``: per round, per series, one process per framework.

    Each point: one warm-up call (the optimizer's state is created there), one call that sizes
    the timed loops, then ``samples`` loops of at least ``min_sample_seconds`` -- 3 of them
    for a point slower than ``max_point_seconds`` in all."""
    runner = runner or run_series_child
    for s in series:
        s.samples = {k: [[] for _ in s.xs] for k in s.build if framework_available(k)}
    for r in range(rounds):
        for s in series:
            for k in s.samples:
                started = time.perf_counter()
                report = runner(k, s.build[k], s.args, warmup=1, samples=samples,
                                min_sample_seconds=min_sample_seconds,
                                max_point_seconds=max_point_seconds)
                for i, point in enumerate(report["points"]):
                    s.samples[k][i].append(point["seconds_per_call"])
                if reports is not None and not s.key.startswith("triad"):
                    reports[k] = report
                if log:
                    log(f"  round {r + 1}/{rounds} {s.key} {k}: "
                        f"{time.perf_counter() - started:.1f} s ({load_average()})")
    return series


# --- what the figures say ---------------------------------------------------------------------

def fixed_cost_fades(xs, times, share=0.1):
    """The first x from which the time at the smallest x (an upper bound on the step's fixed
    cost: per-op overhead, Python, launching threads) is at most ``share`` of the step, and
    stays so; None if it never does."""
    for i in range(len(xs)):
        if all(times[0] <= share * t for t in times[i:]):
            return xs[i]
    return None


def linear_from(xs, times, within=1.5):
    """The first x from which the time per unit of x stays within a factor ``within`` of its
    value at the largest x -- where the cost has become proportional to the work."""
    last = times[-1] / xs[-1]
    for i in range(len(xs)):
        if all(1 / within <= (t / x) / last <= within for x, t in zip(xs[i:], times[i:])):
            return xs[i]
    return None


def _fmt_x(x):
    return f"{x:.0e}".replace("e+0", "e") if x >= 10_000 else f"{x:g}"


def _ms(t):
    return f"{t * 1e3:.3g}"


def summary(series, header):
    """The markdown section for results.md (between the markers)."""
    by_key = {s.key: s for s in series}
    lines = [BEGIN, "## Scaling: cost against work (`python -m bench.scaling`)", "", header, ""]
    for s in series:
        if s.key.startswith("triad") or "torch" not in s.samples:
            continue
        mg, th = s.medians("minigrad"), s.medians("torch")
        lines += [f"**{s.title}** (x = {s.x_label})", "",
                  "| x | minigrad ms | torch ms | minigrad/torch |" +
                  (" minigrad GB/s | torch GB/s | triad GB/s (same n) | minigrad/triad |"
                   if s.bytes_per_call else ""),
                  "|---|---|---|---|" + ("---|---|---|---|" if s.bytes_per_call else "")]
        for i, x in enumerate(s.xs):
            row = f"| {_fmt_x(x)} | {_ms(mg[i])} | {_ms(th[i])} | {mg[i] / th[i]:.2f} |"
            if s.bytes_per_call:
                best = _best_triad(by_key, i)
                gb = [s.bytes_per_call[i] / t / 1e9 for t in (mg[i], th[i])]
                row += f" {gb[0]:.3g} | {gb[1]:.3g} | {best:.3g} | {gb[0] / best:.2f} |"
            lines.append(row)
        fades = fixed_cost_fades(s.xs, mg)
        linear = linear_from(s.xs, mg)
        lines += ["", "Per-step overhead stops mattering "
                  + (f"from x = {_fmt_x(fades)} on" if fades else "nowhere in this range")
                  + f": from there minigrad's time at the smallest point ({_ms(mg[0])} ms, the "
                  "most its fixed per-step cost can be) is under 10% of the step. Its time "
                  "grows in proportion to the work (cost per x within 1.5× of the largest "
                  "point's) " + (f"from x = {_fmt_x(linear)} on" if linear else
                                 "nowhere in this range")
                  + f". minigrad/torch goes from {mg[0] / th[0]:.2f} at the smallest point to "
                  f"{mg[-1] / th[-1]:.2f} at the largest.", ""]
        if s.bytes_per_call:
            best = _best_triad(by_key, len(s.xs) - 1)
            gb = s.bytes_per_call[-1] / mg[-1] / 1e9
            lines += ["Bandwidth takes over " + (f"from n = {_fmt_x(linear)}" if linear else
                                                 "nowhere in this range")
                      + f" (time in proportion to the bytes moved). At n = {_fmt_x(s.xs[-1])} "
                      f"minigrad's AdamW moves {gb:.3g} GB/s ({ADAMW_BYTES_PER_PARAM} bytes a "
                      f"parameter), {gb / best:.2f} of the compiled triad's {best:.3g} GB/s "
                      f"measured in the same run on arrays of the same length (the faster of 1 "
                      f"thread and all cores): that, not torch, is the limit. Where the arrays "
                      f"fit in the caches the triad runs faster than memory allows, and at the "
                      f"smallest n it mostly measures the cost of a call.", ""]
    lines += ["Plots: `bench/scaling_mlp.png`, `bench/scaling_conv.png`, "
              "`bench/scaling_adamw.png`; every figure in `bench/scaling.json`.", END]
    return "\n".join(lines)


def _best_triad(by_key, i):
    """The fastest triad (over thread counts) at point i, in GB/s."""
    rates = [s.bytes_per_call[i] / s.medians("minigrad")[i] / 1e9
             for k, s in by_key.items() if k.startswith("triad")]
    return max(rates) if rates else float("nan")


# --- plots ------------------------------------------------------------------------------------

def _plain_log_labels(axis, ticker):
    """Plain numbers (2, 0.5, 100) on a log axis; minor ticks labelled only when the axis
    spans about a decade or less (more would print every 2…9 of each decade over each other)."""
    class PlainLogFormatter(ticker.LogFormatter):  # its choice of ticks, "%g" for the text
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    axis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.5)))


def plot(series, out_dir):
    """One PNG per figure name; per series a column: time (log-log) over the ratio."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    paths = []
    for figure in ("mlp", "conv", "adamw"):
        group = [s for s in series if s.figure == figure and not s.key.startswith("triad")]
        if not group:
            continue
        triads = [s for s in series if s.figure == figure and s.key.startswith("triad")]
        panels = 3 if figure == "adamw" else 2
        fig, axes = plt.subplots(panels, len(group), figsize=(5.5 * len(group), 3.2 * panels),
                                 squeeze=False, sharex="col")
        for j, s in enumerate(group):
            top, ratio = axes[0][j], axes[-1][j]
            for k, style in (("minigrad", "o-"), ("torch", "s--")):
                if k in s.samples:
                    top.loglog(s.xs, [t * 1e3 for t in s.medians(k)], style, label=k)
            if s.bytes_per_call and triads:
                rate = max(t.bytes_per_call[-1] / t.medians("minigrad")[-1] for t in triads)
                top.loglog(s.xs, [b / rate * 1e3 for b in s.bytes_per_call], ":", color="gray",
                           label="bytes / triad bandwidth")
            _plain_log_labels(top.yaxis, matplotlib.ticker)
            top.set_ylabel("ms per step")
            top.set_title(s.title, fontsize=10)
            top.legend(fontsize=8)
            top.grid(True, which="both", alpha=0.3)
            if "torch" in s.samples:
                q = [a / b for a, b in zip(s.medians("minigrad"), s.medians("torch"))]
                ratio.loglog(s.xs, q, "o-", color="black")
                ratio.axhline(1.0, color="gray", lw=0.8)
                _plain_log_labels(ratio.yaxis, matplotlib.ticker)
            ratio.set_ylabel("minigrad / torch (log)")
            ratio.set_xlabel(s.x_label)
            if figure != "adamw":            # few points: label each one
                ratio.set_xticks(s.xs, [_fmt_x(x) for x in s.xs])
                ratio.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            ratio.grid(True, which="both", alpha=0.3)
            if panels == 3:
                mid = axes[1][j]
                for k, style in (("minigrad", "o-"), ("torch", "s--")):
                    if k in s.samples:
                        mid.loglog(s.xs, [b / t / 1e9 for b, t in
                                          zip(s.bytes_per_call, s.medians(k))], style,
                                   label=f"AdamW {k}")
                for t in triads:
                    mid.loglog(t.xs, [b / m / 1e9 for b, m in
                                      zip(t.bytes_per_call, t.medians("minigrad"))], "^:",
                               label=t.title)
                mid.set_ylabel("GB/s")
                mid.legend(fontsize=8)
                mid.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(out_dir, f"scaling_{figure}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


# --- writing ----------------------------------------------------------------------------------

def write_section(path, section):
    """Replaces the text between the markers in ``path`` (or appends it after a notes marker,
    so that ``python -m bench``, which keeps everything from ``<!-- notes -->`` on, keeps it)."""
    old = open(path).read() if os.path.exists(path) else "# Benchmark results\n\n"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + section + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + ("" if "<!-- notes -->" in old else "<!-- notes -->\n")
        new += section + "\n"
    with open(path, "w") as f:
        f.write(new)


def run(args):
    """Measures the series that ``args`` select; returns them and the section's header."""
    rounds = args.rounds or (2 if args.quick else 3)
    series = all_series(args.quick, args.only)
    if args.max_points:
        for s in series:
            for name in ("xs", "args", "bytes_per_call"):
                setattr(s, name, getattr(s, name)[:args.max_points])
    load_before, started = load_average(), time.time()
    reports = {}
    measure(series, rounds=rounds, samples=3 if args.quick else 5,
            min_sample_seconds=0.02 if args.quick else 0.05,
            max_point_seconds=0.2 if args.quick else 1.0, reports=reports,
            log=lambda text: print(text, file=sys.stderr))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (f"Machine: {machine_description(reports)}\n\n"
              f"Load: {load_before} at the start, {load_average()} at the end "
              f"({time.time() - started:.0f} s, {when})."
              f"\n\nOne fresh process per framework per series, alternating minigrad and torch, "
              f"series after series; medians of {rounds} rounds (each round's figure: the "
              f"process's median of its timed loops).")
    return series, header


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller points; 2 rounds")
    parser.add_argument("--rounds", type=int, help="rounds of alternation (default 3; quick 2)")
    parser.add_argument("--out", default=HERE,
                        help="folder for the PNGs, scaling.json and results.md (default bench/)")
    parser.add_argument("--only", action="append", default=[],
                        help="only the series whose key starts with this (mlp_width, mlp_batch, "
                             "conv, adamw, triad); repeatable")
    parser.add_argument("--max-points", type=int,
                        help="only the N smallest points of each series (a smoke test)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the summary; write no plots or files")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: redraw the plots and the section from a "
                             "scaling.json written by an earlier run")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        series = [Series(d["key"], d["figure"], d["title"], d["x_label"], d["xs"], [], {},
                         d["bytes_per_call"], d["seconds"]) for d in saved["series"]]
        header = saved["header"]
    else:
        series, header = run(args)
    section = summary(series, header)
    print(section)
    if not args.no_write:
        os.makedirs(args.out, exist_ok=True)
        plot(series, args.out)
        with open(os.path.join(args.out, "scaling.json"), "w") as f:
            json.dump({"header": header, "series": [
                {"key": s.key, "figure": s.figure, "title": s.title, "x_label": s.x_label,
                 "xs": s.xs, "bytes_per_call": s.bytes_per_call, "seconds": s.samples}
                for s in series]}, f, indent=1)
        write_section(os.path.join(args.out, "results.md"), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
