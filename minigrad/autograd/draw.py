"""The recorded graph, drawn: ``mg.autograd.draw(loss)``.

One box per Function node (``<Name>Backward``, as ``loss.grad_fn`` names it) with the shapes
and dtypes of its inputs and outputs and the tensors it saved for backward; one box per leaf,
named after the parameter it is when ``params`` (a Module, or a dict name → tensor such as
``dict(model.named_parameters())``) says so. micrograd's ``draw_dot`` and torchviz's
``make_dot`` are the models.

Two renderings of the same walk:

* ``format="text"`` (or the ``graphviz`` package missing): a plain-text tree, the output at the
  top and its inputs indented below it. A node used twice is drawn once; the second time it is
  a reference ``(see #k)``.
* otherwise a ``graphviz.Digraph`` (the Python package; ``.render()``/SVG needs the ``dot``
  program too, ``shutil.which("dot")``), edges from inputs to the nodes that use them.

The shapes of a node's outputs are read from the tensors that carry them (the root, and the
inputs of the nodes that consume them); the graph itself keeps no output tensors.
"""
from ..tensor import Tensor
from .engine import _topological_nodes

__all__ = ["draw"]


def draw(tensor, params=None, show_saved=True, format=None):
    """Draws the graph recorded for ``tensor``: a ``graphviz.Digraph`` when the graphviz
    package is installed and ``format`` is not "text", else a text tree (a str)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw: expected a Tensor, got {type(tensor).__name__}")
    if format not in (None, "text", "dot"):
        raise ValueError(f"draw: format must be None, 'text' or 'dot', got {format!r}")
    names = _parameter_names(params)
    graph = _Graph(tensor, names)
    if format != "text":
        try:
            import graphviz
        except ImportError:
            if format == "dot":
                raise ImportError("draw(format='dot') needs the graphviz package "
                                  "(pip install graphviz)") from None
        else:
            return graph.digraph(graphviz, show_saved)
    return graph.text(show_saved)


def _parameter_names(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, dict):
        raise TypeError(f"draw: params must be a Module or a dict name -> tensor, got "
                        f"{type(params).__name__}")
    return {id(t): name for name, t in params.items()}


def _meta(t):
    """ "(5, 3) float32" of a tensor."""
    return f"{tuple(t.shape)} {t.dtype}"


class _Graph:
    """The nodes reachable from the root, numbered in forward order, and their outputs."""

    def __init__(self, root, names):
        self.root, self.names = root, names
        self.nodes = [] if root._node is None else _topological_nodes([root._node])[::-1]
        self.number = {id(n): k for k, n in enumerate(self.nodes)}
        self.outputs = {}  # id(node) -> {output index: tensor}
        for t in [root] + [t for n in self.nodes for t in n.inputs if t is not None]:
            if t._node is not None:
                self.outputs.setdefault(id(t._node), {})[t._out_index] = t

    def leaf_label(self, t):
        name = self.names.get(id(t))
        kind = "leaf" if t.requires_grad else "constant"
        return f"{name} {_meta(t)}" if name else f"{kind} {_meta(t)}"

    def node_label(self, node):
        ins = ", ".join(_meta(t) for t in node.inputs if t is not None)
        outs = self.outputs.get(id(node), {})
        outs = ", ".join(_meta(outs[i]) for i in sorted(outs))
        return f"#{self.number[id(node)]} {type(node).__name__}  in: {ins}  out: {outs}"

    def saved(self, node):
        if node._freed:
            return ["(saved tensors freed by backward)"]
        return [f"saved: {self.tensor_name(t)} {_meta(t)}" for t in node._saved if t is not None]

    def tensor_name(self, t):
        if id(t) in self.names:
            return self.names[id(t)]
        if t._node is not None and id(t._node) in self.number:
            return f"output of #{self.number[id(t._node)]}"
        return "leaf" if t.requires_grad else "constant"

    # ---- the text tree ---------------------------------------------------------------------
    def text(self, show_saved):
        lines = [f"{self.names.get(id(self.root), 'output')} {_meta(self.root)}"]
        if self.root._node is None:
            return lines[0] + "  (a leaf: no graph recorded)"
        drawn = set()
        self._text_node(self.root._node, "", True, drawn, lines, show_saved)
        return "\n".join(lines)

    def _text_node(self, node, indent, last, drawn, lines, show_saved):
        branch, below = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if id(node) in drawn:
            lines.append(f"{indent}{branch}(see #{self.number[id(node)]} {type(node).__name__})")
            return
        drawn.add(id(node))
        lines.append(indent + branch + self.node_label(node))
        indent += below
        children = [t for t in node.inputs if t is not None]
        if show_saved:
            lines.extend(f"{indent}│  {s}" if children else f"{indent}   {s}"
                         for s in self.saved(node))
        for j, t in enumerate(children):
            end = j == len(children) - 1
            if t._node is not None:
                self._text_node(t._node, indent, end, drawn, lines, show_saved)
            else:
                lines.append(indent + ("└─ " if end else "├─ ") + self.leaf_label(t))

    # ---- graphviz --------------------------------------------------------------------------
    def digraph(self, graphviz, show_saved):
        dot = graphviz.Digraph(node_attr=dict(shape="box", fontname="monospace", fontsize="10"),
                               graph_attr=dict(rankdir="BT"))
        dot.node("output", f"{self.names.get(id(self.root), 'output')}\n{_meta(self.root)}",
                 style="filled", fillcolor="darkolivegreen1")
        if self.root._node is None:
            return dot
        dot.edge(f"n{id(self.root._node)}", "output")
        for node in self.nodes:
            head, ins, outs = self.node_label(node).split("  ")
            label = "\n".join([head, ins, outs] + (self.saved(node) if show_saved else []))
            dot.node(f"n{id(node)}", label)
            for t in node.inputs:
                if t is None:
                    continue
                if t._node is not None:
                    dot.edge(f"n{id(t._node)}", f"n{id(node)}")
                else:
                    dot.node(f"t{id(t)}", self.leaf_label(t), style="filled",
                             fillcolor="lightblue" if t.requires_grad else "lightgrey")
                    dot.edge(f"t{id(t)}", f"n{id(node)}")
        return dot
