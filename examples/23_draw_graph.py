"""Looking inside the graph: mg.autograd.draw of a two-layer MLP's loss and of a penalty.

``loss = cross_entropy(W₂·relu(W₁·x + b₁) + b₂, y)`` records one node per Function call;
``mg.autograd.draw(loss, params=model)`` prints them as a tree (the output on top, each node's
inputs below it) with the shapes and dtypes going in and out, the tensors each node saved for
backward, and the leaves by parameter name. The penalty ``(L1(λ₁) + L2(λ₂))(W₁)`` =
``λ₁·Σ|w| + (λ₂/2)·Σw²`` draws the same way. With the graphviz package and its ``dot`` program
the same graphs are written as SVG to examples/out/.

What the script checks (and asserts): the drawing has exactly one line per Function node,
the same nodes an independent walk over ``grad_fn.next_functions`` (torch's interface) finds;
every parameter the graph uses appears under its name; and ``mg.autograd.check_graph`` finds
every node's backward in agreement with central differences at the inputs of this run.
"""
import os
import shutil

from _common import OUT_DIR, parse_args, verdict  # first: it puts this checkout on sys.path
import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.penalties import L1, L2


def nodes_by_next_functions(tensor):
    """Every Function node behind ``tensor``, found through torch's ``next_functions``."""
    seen, stack = {}, [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or node.name() == "AccumulateGrad":
            continue
        seen[id(node)] = node
        stack.extend(n for n, _ in node.next_functions)
    return seen


def show(title, tensor, params, args):
    """Prints the text drawing, writes it (and an SVG when graphviz+dot exist) to examples/out;
    returns whether it has one line per node and names every tensor of ``params`` it uses."""
    text = mg.autograd.draw(tensor, params=params, format="text")
    print(f"--- {title} ---\n{text}\n")
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, f"{title}.txt"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    node_lines = [line for line in text.splitlines() if "Backward  in:" in line]
    same_nodes = len(node_lines) == len(nodes_by_next_functions(tensor))
    used = {id(t) for n in nodes_by_next_functions(tensor).values() for t in n.inputs
            if t is not None}
    named = all(f"{name} {tuple(p.shape)}" in text for name, p in params.items()
                if id(p) in used or p is tensor)
    if not args.no_plot:
        try:
            dot = mg.autograd.draw(tensor, params=params, format="dot")
        except ImportError:
            print("(graphviz package not installed: text drawing only)")
        else:
            if shutil.which("dot"):
                path = dot.render(os.path.join(OUT_DIR, title), format="svg", cleanup=True)
                print(f"svg: {os.path.relpath(path, os.path.dirname(OUT_DIR))}")
            else:
                print("(graphviz's dot program not found: no SVG; the Digraph source is "
                      f"{len(dot.source)} characters)")
    return same_nodes and named


def main():
    args = parse_args(__doc__.splitlines()[0])
    mg.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = mg.randn(5, 4), mg.tensor([0, 1, 2, 0, 1])
    with mg.autograd.record_creation_sites():  # so check_graph can repeat every call
        loss = F.cross_entropy(model(x), y)
        penalty = (L1(1e-3) + L2(1e-2))(model[0].weight)

    ok_mlp = show("graph_mlp", loss, {"loss": loss, "x": x, **dict(model.named_parameters())},
                  args)
    ok_penalty = show("graph_penalty", penalty, {"0.weight": model[0].weight}, args)

    report = mg.autograd.check_graph(loss, raise_exception=False)
    report += mg.autograd.check_graph(penalty, raise_exception=False)
    print(report)
    checked = all(r.passed for r in report)
    holds = ok_mlp and ok_penalty and checked
    verdict(holds, f"{len(report)} nodes drawn once each with every parameter named; "
                   f"check_graph: {sum(r.passed for r in report)} of {len(report)} nodes pass")
    assert holds


if __name__ == "__main__":
    main()
