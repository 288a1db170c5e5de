"""Data-parallel rows: a DistributedDataParallel training step at 1 and 2 processes, and the
all-reduce of the same MLP's gradients (its bandwidth), over MPI on this machine.

    python -m bench.distributed [--quick] [--rounds R]      this group alone, with GB/s and
                                                            the communication share

These rows run under mpirun: a row's ``runner`` (``mpi_child``) starts
``python -m minigrad.distributed.run -n P python -m bench.distributed --child '<request>'``,
where every rank builds the row's callable (the collectives need all of them), rank 0 picks
the loop length and broadcasts it, all ranks time the same loops, and rank 0 prints the JSON
report bench/child.py prints. Rounds alternate as elsewhere (harness.measure_subprocess).

The step is weak scaling: each process trains on its own batch of 128 (the 2-process step
sees 256 samples), so a perfect data-parallel step takes as long as the 1-process one. The
"numpy" column of the all-reduce row is mpi4py's ``Allreduce`` on a bare numpy buffer: the
floor under minigrad's ``dist.all_reduce``. There is no torch column (torch's DDP would need
its own launcher and backend).

Bandwidth is algorithm bandwidth, bytes of the buffer over the time of one all-reduce (what
``nccl-tests`` calls algbw). The communication share is measured two ways: the all-reduce's
time over the 2-process step's (the step all-reduces exactly those bytes once), and one minus
the time of the same step under ``no_sync()`` (no all-reduce) over the step's.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from .harness import Row, build_callable, calls_per_sample, library_view, measure_subprocess, table
from .training import _batch, _mlp

SIZES = [784, 512, 512, 10]
BATCH = 128


def _parameter_count(sizes):
    return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))


def _world(processes):
    """Joins the job (once) and checks it has the row's number of processes."""
    import minigrad.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group()
    if dist.get_world_size() != processes:
        raise RuntimeError(f"this row needs {processes} MPI processes, the job has "
                           f"{dist.get_world_size()}: run it through bench.distributed's "
                           "mpi_child runner (python -m bench.distributed)")
    return dist


# --- builders (every rank calls them) ---------------------------------------------------------

def ddp_step_minigrad(sizes, batch, processes, sync=True):
    """One DDP step of the MLP + SGD momentum on this rank's own batch; ``sync=False`` runs
    forward and backward under ``no_sync()``: the same step without the all-reduce."""
    import contextlib
    import minigrad as mg
    dist = _world(processes)
    mg.manual_seed(0)
    model = mg.nn.parallel.DistributedDataParallel(_mlp(mg.nn, sizes))
    opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = _batch(batch, sizes[:1])
    x = mg.tensor(np.roll(x, dist.get_rank(), axis=0))     # each rank its own samples
    y = mg.tensor(np.roll(y, dist.get_rank()))

    def step():
        opt.zero_grad()
        with contextlib.nullcontext() if sync else model.no_sync():
            mg.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def allreduce_minigrad(n, processes):
    """``dist.all_reduce`` (SUM) of a float32 tensor of n elements."""
    import minigrad as mg
    dist = _world(processes)
    t = mg.zeros(n, dtype=mg.float32)
    return lambda: dist.all_reduce(t)


def allreduce_numpy(n, processes):
    """mpi4py's ``Allreduce`` in place on a numpy buffer: the floor under the row above."""
    from mpi4py import MPI
    buf = np.zeros(n, dtype=np.float32)
    comm = MPI.COMM_WORLD
    if comm.Get_size() != processes:
        raise RuntimeError(f"this row needs {processes} MPI processes")
    return lambda: comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM)


def rows(quick=False):
    n = _parameter_count(SIZES)
    name = "DDP step, MLP 784-512-512-10, batch 128 per process, SGD momentum"
    step = {"minigrad": "bench.distributed:ddp_step_minigrad"}
    reduce = {"minigrad": "bench.distributed:allreduce_minigrad",
              "numpy": "bench.distributed:allreduce_numpy"}
    out = [Row("distributed", f"{name}, 1 process", step,
               {"sizes": SIZES, "batch": BATCH, "processes": 1}),
           Row("distributed", f"{name}, 2 processes", step,
               {"sizes": SIZES, "batch": BATCH, "processes": 2}),
           Row("distributed", f"{name}, 2 processes, under no_sync (no all-reduce)", step,
               {"sizes": SIZES, "batch": BATCH, "processes": 2, "sync": False}),
           Row("distributed", f"all-reduce of its gradients ({n:,} float32, "
               f"{4 * n / 1e6:.2f} MB), 2 processes", reduce, {"n": n, "processes": 2},
               note="numpy column: bare mpi4py Allreduce")]
    for r in out:
        r.runner = mpi_child
    return out


# --- running a row under mpirun -----------------------------------------------------------------

def mpi_child(framework, spec, args, warmup=2, samples=5, min_sample_seconds=0.02,
              timeout=600):
    """The harness's ``run_child`` for a row that needs ``args["processes"]`` MPI ranks."""
    request = dict(framework=framework, builder=spec, args=args, warmup=warmup,
                   samples=samples, min_sample_seconds=min_sample_seconds)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # the launcher in its own process: this parent imports neither minigrad nor mpi4py
    argv = [sys.executable, "-m", "minigrad.distributed.run", "-n", str(args["processes"]),
            "--timeout", str(timeout), "-m", "bench.distributed", "--child", json.dumps(request)]
    r = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=timeout + 30)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"mpirun child for {framework} {spec} failed (exit {r.returncode}):"
                           f"\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return json.loads(lines[-1])


def child(request):
    """Inside every rank: build, warm up, agree on the loop length, time, report (rank 0)."""
    from mpi4py import MPI
    import statistics
    import time
    comm = MPI.COMM_WORLD
    fn = build_callable(request["builder"], request.get("args", {}))
    for _ in range(request.get("warmup", 2)):
        fn()
    calls = comm.bcast(calls_per_sample(fn, request.get("min_sample_seconds", 0.02)), root=0)
    out = []
    for _ in range(request.get("samples", 5)):
        comm.Barrier()                    # every rank starts the sample together
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        out.append((time.perf_counter() - t0) / calls)
    if comm.Get_rank() == 0:
        report = dict(framework=request["framework"], builder=request["builder"],
                      seconds_per_call=statistics.median(out), samples=out,
                      calls_per_sample=calls, note=getattr(fn, "note", ""),
                      processes=comm.Get_size())
        report.update(library_view(request["framework"]))
        print(json.dumps(report), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    out = rows(args.quick)
    for r in out:
        measure_subprocess(r, rounds=args.rounds or (2 if args.quick else 3),
                           samples=3 if args.quick else 5, runner=r.runner)
        print(f"  measured {r.group}: {r.name}", file=sys.stderr)
    print(table(out))
    one, two, local, reduce = (r.medians.get("minigrad") for r in out)
    nbytes = 4 * _parameter_count(SIZES)
    print(f"\nall-reduce: {nbytes / reduce / 1e9:.2f} GB/s (dist.all_reduce), "
          f"{nbytes / out[3].medians['numpy'] / 1e9:.2f} GB/s (bare mpi4py)\n"
          f"communication share of the 2-process step: {reduce / two:.0%} (all-reduce / step), "
          f"{1 - local / two:.0%} (1 − no_sync step / step)\n"
          f"2-process step / 1-process step: {two / one:.2f} (twice the samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
