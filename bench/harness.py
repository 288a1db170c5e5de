"""Timing: each framework in its own fresh process, alternating, medians over rounds.

A benchmark ``Row`` does not hold callables; it names, for each framework, how to BUILD one:
``"bench.core:add_minigrad"`` is a module-level function that, called with the row's keyword
arguments, makes its data and returns a zero-argument callable doing the work once. Building
by name is what lets a row run in a process that imports only its own framework: the minigrad
child never imports torch, the torch child never imports minigrad, the NumPy child neither.

Two ways to measure a row (PERF-NOTES: single runs vary by ±10%, so both alternate and take
medians, so that a burst of load on the machine hits every framework alike):

* ``measure_subprocess`` (the default of ``python -m bench``): round after round, one fresh
  process per framework -- minigrad, numpy, torch, minigrad, numpy, torch, ... Each child
  (``bench/child.py``) builds its callable, warms it up, times a loop of it and prints one JSON
  line; the row's figure for a framework is the median over rounds of the children's figures.
  This is how users run each library: alone, under its own defaults (thread pools, OpenMP wait
  policy), with nothing the other library's import did to the process.
* ``measure_in_process`` (``--in-process``, for profiling): the three callables are built in
  this process and alternate here, as the suite did before issue 16.
"""
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

FRAMEWORKS = ("minigrad", "numpy", "torch")

#: Environment variables that set thread counts or OpenMP's behaviour, recorded with the results.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_PROC_BIND",
                    "OMP_PLACES", "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT",
                    "MKL_NUM_THREADS", "MINIGRAD_NUM_THREADS", "MINIGRAD_PURE_NUMPY")


@dataclass
class Row:
    """One benchmark: the same work done by up to three frameworks.

    ``build`` maps a framework ("minigrad", "numpy", "torch") to ``"module:function"``; the
    function takes ``**args`` and returns a zero-argument callable (optionally carrying a
    ``note`` attribute, e.g. "torch AdamW not fused"). ``medians`` is filled in seconds per call.
    """
    group: str
    name: str
    build: Dict[str, str]
    args: Dict = field(default_factory=dict)
    unit: str = "ms"
    note: str = ""
    medians: Dict[str, float] = field(default_factory=dict)
    samples: Dict[str, list] = field(default_factory=dict)
    #: Bytes one call must move to and from memory (0: not a memory-bound row). Rows that set
    #: it get their GB/s in the note column (``bandwidth_notes``).
    bytes_per_call: int = 0


def build_callable(spec, args):
    """The callable named by ``spec`` ("module:function"), built with ``args``."""
    module_name, _, function_name = spec.partition(":")
    if not function_name:
        raise ValueError(f"a builder is named 'module:function', got {spec!r}")
    return getattr(importlib.import_module(module_name), function_name)(**args)


# --- timing one callable --------------------------------------------------------------------

def calls_per_sample(fn, min_sample_seconds):
    """How many calls make one timed sample last about ``min_sample_seconds``."""
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(min_sample_seconds / once))


def time_loop(fn, calls, samples):
    """Seconds per call of ``samples`` timed loops of ``calls`` calls each."""
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        out.append((time.perf_counter() - t0) / calls)
    return out


def measure_in_process(row, rounds=15, min_round_seconds=0.02, warmup=2):
    """Fills ``row.medians``: the row's callables built here, alternating round after round."""
    impls = {}
    for k in FRAMEWORKS:
        if k in row.build and framework_available(k):
            impls[k] = build_callable(row.build[k], row.args)
            row.note = row.note or getattr(impls[k], "note", "")
    inner = {}
    for name, fn in impls.items():
        for _ in range(warmup):
            fn()
        inner[name] = calls_per_sample(fn, min_round_seconds)
    row.samples = {k: [] for k in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            row.samples[name] += time_loop(fn, inner[name], 1)
    row.medians = {k: statistics.median(v) for k, v in row.samples.items()}
    return row


# --- one process per framework --------------------------------------------------------------

def framework_available(name):
    """numpy and minigrad always; torch when it is installed (checked without importing it)."""
    if name != "torch":
        return True
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def run_child(framework, spec, args, warmup=2, samples=5, min_sample_seconds=0.02, timeout=600):
    """One fresh ``python -m bench.child`` process timing one builder; returns its JSON dict."""
    return _child(dict(framework=framework, builder=spec, args=args, warmup=warmup,
                       samples=samples, min_sample_seconds=min_sample_seconds), timeout)


def run_series_child(framework, spec, series, warmup=2, samples=5, min_sample_seconds=0.02,
                     max_point_seconds=None, timeout=1800):
    """One fresh child timing one builder at each argument dict of ``series`` in turn; its
    JSON dict has a ``points`` list (one ``run_child``-like figure per dict). A point stops
    after 3 samples once they took ``max_point_seconds`` (bench/child.py: ``time_point``)."""
    return _child(dict(framework=framework, builder=spec, series=series, warmup=warmup,
                       samples=samples, min_sample_seconds=min_sample_seconds,
                       max_point_seconds=max_point_seconds), timeout)


def _child(request, timeout):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, "-m", "bench.child", json.dumps(request)], cwd=root,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"bench child for {request['framework']} {request['builder']} failed "
                           f"(exit {r.returncode}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def measure_subprocess(row, rounds=3, samples=5, min_sample_seconds=0.02, warmup=2, runner=None,
                       reports=None):
    """Fills ``row.medians``: per round, one fresh process per framework, in turn.

    ``row.samples[framework]`` holds each round's figure (that child's median over its own
    ``samples`` timed loops); the median over rounds is the row's figure. ``reports`` (a dict),
    when given, receives each framework's last child report (versions and thread settings).
    """
    runner = runner or getattr(row, "runner", None) or run_child
    frameworks = [k for k in FRAMEWORKS if k in row.build and framework_available(k)]
    row.samples = {k: [] for k in frameworks}
    for _ in range(rounds):
        for k in frameworks:
            result = runner(k, row.build[k], row.args, warmup=warmup, samples=samples,
                            min_sample_seconds=min_sample_seconds)
            row.samples[k].append(result["seconds_per_call"])
            row.note = row.note or result.get("note", "")
            # a row with its own runner (the DDP rows: ranks under mpirun, each given
            # OMP_NUM_THREADS = cores / ranks) does not show the frameworks' defaults
            if reports is not None and getattr(row, "runner", None) is None:
                reports[k] = result
    row.medians = medians(row.samples)
    return row


def medians(samples):
    """{framework: median} of {framework: [per-round seconds]} (empty lists left out)."""
    return {k: statistics.median(v) for k, v in samples.items() if v}


def ratios(row_medians):
    """minigrad's time over numpy's and torch's: {"numpy": r, "torch": r} where both exist."""
    mg_t = row_medians.get("minigrad")
    if mg_t is None:
        return {}
    return {k: mg_t / row_medians[k] for k in ("numpy", "torch") if row_medians.get(k)}


def gigabytes_per_second(row):
    """{framework: GB/s} of a row with ``bytes_per_call`` (10⁹ bytes, as STREAM counts)."""
    if not row.bytes_per_call:
        return {}
    return {k: row.bytes_per_call / t / 1e9 for k, t in row.medians.items() if t > 0}


def bandwidth_notes(rows, reference="STREAM triad"):
    """Appends each memory-bound row's GB/s to its note; rows other than the STREAM rows also
    get their fraction of the best ``reference`` figure of the run (minigrad's compiled
    triad: what this machine's memory allows, measured in the same run).

    E.g. "GB/s: minigrad 9.8 (0.71 of triad 13.8), torch 9.1 (0.66)". Returns the reference
    GB/s (None when no reference row was measured)."""
    best = [gigabytes_per_second(r).get("minigrad") for r in rows if r.name.startswith(reference)]
    best = max((b for b in best if b), default=None)
    for r in rows:
        rates = gigabytes_per_second(r)
        if not rates:
            continue
        versus = best and not r.name.startswith("STREAM")
        cells = []
        for k, rate in rates.items():
            cell = f"{k} {rate:.3g}"
            if versus:
                cell += (f" ({rate / best:.2f} of triad {best:.3g})" if not cells
                         else f" ({rate / best:.2f})")
            cells.append(cell)
        r.note = "; ".join(t for t in (r.note, "GB/s: " + ", ".join(cells)) if t)
    return best


# --- what each library sees of the machine --------------------------------------------------

def blas_view():
    """numpy's BLAS as threadpoolctl reports it, e.g. 'openblas 0.3.27 (2 threads)'."""
    pools = _threadpools()
    if pools is None:
        return "unknown (threadpoolctl not installed)"
    pools = [p for p in pools if p.get("user_api") == "blas"]
    return ", ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
                     for p in pools) or "unknown"


def _threadpools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return threadpool_info()


def threadpool_view():
    """Every thread pool loaded in this process as threadpoolctl sees it (BLAS and OpenMP
    runtimes), e.g. 'libopenblas (openblas 0.3.27 pthreads) 2 threads; libgomp (openmp) 2
    threads'."""
    pools = _threadpools()
    if pools is None:
        return "threadpoolctl not installed"
    described = []
    for p in pools:
        what = " ".join(str(p[k]) for k in ("internal_api", "version", "threading_layer")
                        if p.get(k))
        described.append(f"{p.get('prefix')} ({what}) {p.get('num_threads')} threads")
    return "; ".join(described) or "none loaded"


def library_view(framework):
    """Versions and thread counts as seen inside a process that imported only ``framework``."""
    import numpy as np
    view = {"numpy": np.__version__}
    if framework == "minigrad":
        import minigrad
        import minigrad.backend.cpu as cpu
        view.update(minigrad=getattr(minigrad, "__version__", "dev"),
                    minigrad_threads=cpu.NUM_THREADS,
                    minigrad_parallel_min_size=getattr(cpu, "PARALLEL_MIN_SIZE", None),
                    minigrad_optimizer_parallel_min_size=getattr(
                        cpu, "OPTIMIZER_PARALLEL_MIN_SIZE", None))
    elif framework == "torch":
        import torch
        view.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                    torch_interop_threads=torch.get_num_interop_threads())
    view["blas"] = blas_view()
    view["threadpools"] = threadpool_view()
    view["loaded"] = sorted(m for m in ("minigrad", "torch") if m in sys.modules)
    return view


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib():
    """Total and available memory in GiB (from /proc/meminfo), or None where it is missing."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) for line in f}
        return info["MemTotal"] / 2 ** 20, info["MemAvailable"] / 2 ** 20
    except (OSError, KeyError, ValueError, IndexError):
        return None


def source_revision():
    """The checkout's commit (with '+changes' when the tree differs from it), or 'unknown'."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (rev + ("+changes" if dirty.strip() else "")) if rev else "unknown"


def machine_description(reports=None):
    """One paragraph: CPU, cores, memory, OS, Python, library versions, thread settings.

    ``reports`` are the children's reports (``library_view`` of each framework, seen in its own
    process); without them (in-process mode) this process's own view is used. Each framework's
    thread pools are listed as threadpoolctl saw them in that framework's own process.
    """
    if reports is None:
        reports = {k: library_view(k) for k in FRAMEWORKS if framework_available(k)}
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    parts = [cpu_model(), f"{os.cpu_count()} cores ({usable} usable by this process)"]
    mem = memory_gib()
    if mem:
        parts.append(f"{mem[0]:.0f} GiB memory ({mem[1]:.0f} GiB available)")
    parts += [platform.platform(), f"Python {platform.python_version()}",
              f"minigrad source {source_revision()}"]
    if "numpy" in reports:
        parts.append(f"numpy {reports['numpy']['numpy']} (BLAS: {reports['numpy']['blas']})")
    if "minigrad" in reports:
        m = reports["minigrad"]
        text = f"minigrad NUM_THREADS={m['minigrad_threads']}"
        if m.get("minigrad_parallel_min_size"):
            text += (f" (kernels threaded from {m['minigrad_parallel_min_size']} elements, "
                     f"optimizer updates from {m['minigrad_optimizer_parallel_min_size']})")
        parts.append(text)
    if "torch" in reports:
        t = reports["torch"]
        parts.append(f"torch {t['torch']} (get_num_threads()={t['torch_threads']}, "
                     f"interop {t['torch_interop_threads']})")
    else:
        parts.append("torch not installed")
    pools = [f"{k}: {r['threadpools']}" for k, r in reports.items() if r.get("threadpools")]
    if pools:
        parts.append("thread pools after the run (threadpoolctl) -- " + "; ".join(pools))
    env = ", ".join(f"{k}={os.environ[k]}" for k in THREAD_VARIABLES if k in os.environ)
    parts.append(f"environment: {env or 'no thread variables set'}")
    return ", ".join(parts)


def load_average():
    """The 1-, 5- and 15-minute load averages (what `uptime` prints), as text."""
    try:
        return "load average %.2f, %.2f, %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


# --- the table ------------------------------------------------------------------------------

def _fmt(seconds, unit):
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    return f"{seconds * scale:.3g}"


def table(rows):
    """A markdown table: medians and the ratios minigrad/numpy and minigrad/torch."""
    lines = ["| group | benchmark | unit | minigrad | numpy | torch | mg/numpy | mg/torch | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r.medians
        cells = [r.group, r.name, r.unit, _fmt(m["minigrad"], r.unit) if "minigrad" in m else "—"]
        for k in ("numpy", "torch"):
            cells.append(_fmt(m[k], r.unit) if k in m else "—")
        q = ratios(m)
        for k in ("numpy", "torch"):
            cells.append(f"{q[k]:.2f}" if k in q else "—")
        cells.append(r.note)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass
class CallableRow:
    """A row of callables built in this process (bench/gpu.py's rows), for ``measure``."""
    group: str
    name: str
    minigrad: Callable
    numpy: Optional[Callable] = None
    torch: Optional[Callable] = None
    unit: str = "ms"
    note: str = ""
    medians: Dict[str, float] = field(default_factory=dict)


def measure(row, rounds=15, min_round_seconds=0.02, warmup=2):
    """In-process alternating medians of a ``CallableRow`` (the GPU rows)."""
    impls = {k: f for k, f in ((k, getattr(row, k)) for k in FRAMEWORKS) if f is not None}
    inner = {}
    for name, fn in impls.items():
        for _ in range(warmup):
            fn()
        inner[name] = calls_per_sample(fn, min_round_seconds)
    samples = {k: [] for k in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            samples[name] += time_loop(fn, inner[name], 1)
    row.medians = medians(samples)
    return row
