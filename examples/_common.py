"""What every example shares: the command line, the table, the verdict line and the plot.

Each example reproduces one claim that courses make, prints a small table and the line
``claim holds: yes|no (...)`` with the numbers behind it, and writes a PNG to examples/out/
(matplotlib is optional: without it the script still prints everything).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "out")
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing


def parse_args(description, extra=None):
    """--quick (under ten seconds, used by the tests), --seed, --no-plot."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes: under ten seconds")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    if extra:
        extra(parser)
    return parser.parse_args()


def print_table(headers, rows, floatfmt="{:.4g}"):
    """A plain-text table: one header row, then the rows (numbers formatted with floatfmt)."""
    cells = [[h for h in headers]] + [
        [floatfmt.format(v) if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def verdict(holds, detail):
    """Prints the line the tests read: ``claim holds: yes (detail)`` or ``... no (...)``."""
    print(f"claim holds: {'yes' if holds else 'no'} ({detail})")
    return holds


def save_plot(name, draw, args=None):
    """Calls ``draw(plt)`` and saves examples/out/<name>.png; returns the path or None."""
    if args is not None and getattr(args, "no_plot", False):
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        return None
    os.makedirs(OUT_DIR, exist_ok=True)
    plt.figure(figsize=(6, 4))
    draw(plt)
    path = os.path.join(OUT_DIR, f"{name}.png")
    plt.tight_layout()
    plt.savefig(path, dpi=90)
    plt.close("all")
    print(f"plot: {os.path.relpath(path, os.path.dirname(HERE))}")
    return path
