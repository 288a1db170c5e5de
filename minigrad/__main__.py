"""``python -m minigrad check | graph | demo`` (see ``--help``)."""
import argparse
import sys


def _check(args):
    from . import checks
    from .backend import available_devices, cuda_unavailable_reason
    devices = available_devices()
    if "cuda" not in devices:
        print(f"cuda: skipped ({cuda_unavailable_reason()})")
    rows = list(checks.run_all(devices, fast_mode=args.fast,
                               families=args.family.split(",") if args.family else None))
    width = max(len(r["name"]) for r in rows)
    print(f"{'check':<{width}}  {'family':<9} {'dtype':<8} {'device':<6} {'reverse':>10} "
          f"{'forward':>10}  result")
    for r in rows:
        forward = "-" if r["forward_error"] is None else f"{r['forward_error']:.2e}"
        print(f"{r['name']:<{width}}  {r['family']:<9} {r['dtype']:<8} {r['device']:<6} "
              f"{r['error']:>10.2e} {forward:>10}  {'pass' if r['ok'] else 'FAIL'}")
    print("reverse: max |vᵀJu backward − numerical|; forward: max |J·u jvp − numerical| "
          "(random directions u, v)")
    failed = [r for r in rows if not r["ok"]]
    print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed")
    for r in failed:
        print(f"\n--- {r['name']} on {r['device']}:\n{r['message']}")
    return 1 if failed else 0


def _graph(args):
    """Runs a script as ``__main__`` with creation sites recorded, then draws (and with
    ``--check`` checks node by node) the graph behind one of its global tensors."""
    import os
    import runpy

    from . import Tensor, autograd
    sys.argv = [args.script] + args.script_args
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
    with autograd.record_creation_sites():
        scope = runpy.run_path(args.script, run_name="__main__")
    tensor = scope.get(args.var)
    if not isinstance(tensor, Tensor):
        tensors = sorted(k for k, v in scope.items() if isinstance(v, Tensor) and v.grad_fn)
        print(f"graph: {args.script} has no global tensor {args.var!r} with a graph; "
              f"ones it has: {', '.join(tensors) or 'none'} (choose with --var)", file=sys.stderr)
        return 2
    params = next((v for v in scope.values() if hasattr(v, "named_parameters")), None)
    if args.out:
        graph = autograd.draw(tensor, params=params, format="dot")
        stem, ext = os.path.splitext(args.out)
        print(f"wrote {graph.render(stem, format=ext.lstrip('.') or 'svg', cleanup=True)}")
    else:
        print(autograd.draw(tensor, params=params, format="text"))
    if args.check:
        report = autograd.check_graph(tensor, raise_exception=False,
                                      check_forward_ad=args.check == "forward")
        print(report)
        return 1 if report.failures else 0
    return 0


def _demo(args):
    from . import demo
    return demo.main(quick=args.quick, seed=args.seed)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigrad",
        description="minigrad: a tensor/autograd engine whose every gradient term is explicit.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser(
        "check", help="gradcheck + gradgradcheck (float64) and the forward-mode check over "
                      "every op on every device; "
                      "prints a table and exits non-zero if anything fails")
    p_check.add_argument("--fast", action="store_true", help="fast (random-direction) mode")
    p_check.add_argument("--family", help="only these families, comma-separated (e.g. op)")
    p_check.set_defaults(run=_check)
    p_graph = sub.add_parser(
        "graph", help="run a script, then draw the recorded graph of one of its global tensors "
                      "(default `loss`) as text, or as SVG/PNG with --out (needs graphviz)")
    p_graph.add_argument("script", help="the Python script to run")
    p_graph.add_argument("script_args", nargs="*", help="arguments passed to the script")
    p_graph.add_argument("--var", default="loss", help="the global tensor to draw (default loss)")
    p_graph.add_argument("--out", help="write the drawing to this file (.svg, .png, .pdf)")
    p_graph.add_argument("--check", nargs="?", const="reverse", choices=("reverse", "forward"),
                         help="also run check_graph on it (forward: the jvp rules too); exits "
                              "1 when a node fails")
    p_graph.set_defaults(run=_graph)
    p_demo = sub.add_parser(
        "demo", help="the demo run by `make demo`: an MLP on the 8x8 digits trained under no "
                     "penalty, L2, decoupled decay, L1 and group lasso; prints a table and "
                     "saves examples/out/demo.png")
    p_demo.add_argument("--quick", action="store_true", help="small run (about ten seconds)")
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
