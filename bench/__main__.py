"""``python -m bench`` (``make bench``): every benchmark, a table of medians and ratios,
written to bench/results.md with the machine description."""
import argparse
import importlib
import os
import sys

from .harness import machine_description, measure, table

GROUPS = ("bench.core", "bench.training", "bench.sequence", "bench.attention")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--only", help="only rows whose group contains this text")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results.md")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: the GPU rows of bench/gpu.py (needs CuPy and a GPU)")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        from . import gpu
        return gpu.main(["--quick"] if args.quick else [])
    rows = []
    for name in GROUPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        rows.extend(module.rows(quick=args.quick))
    if args.only:
        rows = [r for r in rows if args.only in r.group]
    for r in rows:
        measure(r, rounds=5 if args.quick else 15)
        print(f"  measured {r.group}: {r.name}", file=sys.stderr)
    text = table(rows)
    if not args.only or "memory" in args.only:
        from .memory import report
        mem = report()
        if mem:
            text += "\n\n## Peak memory of a training step\n\n" + mem
    header = f"Machine: {machine_description()}\n\nMedians of alternating runs; ratios are minigrad's time over the other's (below 1 is faster).\n\n"
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
