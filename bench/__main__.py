"""``python -m bench`` (``make bench``): every benchmark, a table of medians and ratios,
written to bench/results.md with the machine description.

By default each framework runs in its own fresh process per row (minigrad, numpy, torch,
alternating, round after round; see bench/harness.py). ``--in-process`` builds and alternates
them in this one process instead, as a profiler wants them.

The ``bandwidth`` rows (bench/bandwidth.py) measure STREAM's copy and triad in the same run as
the AdamW row, whose note then gives its GB/s and the fraction of the triad's it reaches.
``--scaling`` runs the scaling series instead (bench/scaling.py: cost against work, plots and a
summary in results.md; about 5 min, ``--quick`` about 1 min), kept out of the default run.
"""
import argparse
import importlib
import os
import sys
import time

from .harness import (bandwidth_notes, load_average, machine_description, measure_in_process,
                      measure_subprocess, table)

GROUPS = ("bench.core", "bench.training", "bench.bandwidth", "bench.sequence", "bench.attention",
          "bench.conv", "bench.distributed")


def select(rows, only):
    """Rows whose "group: name" contains any of the texts in ``only`` (all rows when empty),
    in the order of the texts: ``--only`` lists make the table in the order they are given."""
    if not only:
        return rows
    return [r for text in only for r in rows if text in f"{r.group}: {r.name}"
            and not any(t in f"{r.group}: {r.name}" for t in only[:only.index(text)])]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--only", action="append", default=[],
                        help="only rows whose 'group: name' contains this text (repeatable)")
    parser.add_argument("--in-process", action="store_true",
                        help="all frameworks in this one process (for profiling)")
    parser.add_argument("--rounds", type=int,
                        help="rounds of alternation (default: 3 in subprocesses, 15 in-process; "
                             "--quick: 2 and 5)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.md")
    parser.add_argument("--scaling", action="store_true",
                        help="the scaling series instead (bench/scaling.py: plots and a summary "
                             "in results.md; ~5 min, --quick ~1 min)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: the GPU rows of bench/gpu.py (needs CuPy and a GPU)")
    args = parser.parse_args(argv)
    if args.scaling:
        from . import scaling
        return scaling.main(["--quick"] * args.quick + ["--no-write"] * args.no_write
                            + (["--rounds", str(args.rounds)] if args.rounds else [])
                            + [x for text in args.only for x in ("--only", text)])
    if args.device == "cuda":
        from . import gpu
        return gpu.main(["--quick"] if args.quick else [])
    rows = []
    for name in GROUPS:
        rows.extend(importlib.import_module(name).rows(quick=args.quick))
    rows = select(rows, args.only)
    load_before, started = load_average(), time.time()
    reports = {}
    for r in rows:
        try:
            if args.in_process:
                measure_in_process(r, rounds=args.rounds or (5 if args.quick else 15))
            else:
                measure_subprocess(r, rounds=args.rounds or (2 if args.quick else 3),
                                   samples=3 if args.quick else 5, reports=reports)
        except Exception as exc:  # one broken row must not lose the others' figures
            r.medians, r.note = {}, f"failed: {str(exc).splitlines()[0]}"
            print(f"  FAILED {r.group}: {r.name}\n{exc}", file=sys.stderr)
            continue
        print(f"  measured {r.group}: {r.name}", file=sys.stderr)
    bandwidth_notes(rows)
    text = table(rows)
    if not args.only or any("memory" in t for t in args.only):
        from .memory import report
        mem = report()
        if mem:
            text += "\n\n## Peak memory of a training step\n\n" + mem
    if args.in_process:
        how = (f"All frameworks in one process (`--in-process`), alternating; medians of "
               f"{args.rounds or (5 if args.quick else 15)} rounds.")
    else:
        how = (f"Each framework in its own fresh process per row, alternating minigrad, numpy, "
               f"torch round after round; medians of {args.rounds or (2 if args.quick else 3)} "
               f"rounds (each round's figure: the child's median of its timed loops).")
    header = (f"Machine: {machine_description(None if args.in_process else reports)}\n\n"
              f"Load: {load_before} at the start, {load_average()} at the end "
              f"({time.time() - started:.0f} s).\n\n{how} Ratios are minigrad's time over the "
              f"other's (below 1 is faster).\n\n")
    print(header + text)
    if not args.no_write:
        path = os.path.join(os.path.dirname(__file__), "results.md")
        notes = ""
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
            if "<!-- notes -->" in old:
                notes = old[old.index("<!-- notes -->"):]
        with open(path, "w") as f:
            f.write("# Benchmark results (`make bench`)\n\n" + header + text + "\n\n" + notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
