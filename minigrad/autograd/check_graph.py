"""The gradient debugger: a local gradcheck of every node of a recorded graph.

``gradcheck(f, x)`` says *whether* the gradient of a whole function is right. When it is not,
the question is which of the hundred operations inside ``f`` has the wrong backward.
``check_graph(loss)`` answers it: it walks the graph recorded for ``loss`` and, for every
Function node, repeats that one call on float64 copies of the very inputs it saw in this run
(the tensors the node keeps in ``ctx.inputs``, the other arguments as they were passed) and
compares its backward with central differences, node by node:

    J_analytical of node k   from k's backward, one output gradient at a time
    J_numerical  of node k   (f_k(x + eps·e_j) − f_k(x − eps·e_j)) / (2·eps)

so a wrong backward is blamed on the node that has it, not on the loss (and, with
``check_forward_ad=True``, a wrong jvp rule likewise). The checking itself is
``minigrad/gradcheck.py``'s (``measured_check``); this file only finds the nodes and their
inputs and writes the table.

Where a node was created: with ``record_creation_sites()`` (or ``set_detect_creation_site``)
on, ``Function.apply`` keeps on each node the file:line of the user's call that made it, and
every argument of the call. Off, it costs ``apply`` one boolean check; but then a node's
non-tensor arguments (a ``dim``, a slope) are not known, and a node that had any is reported
as skipped, saying why. Nodes are also skipped, never silently passed, when repeating the call
is not the same computation: a forward that draws random numbers (two repeats differ), an
input written in place after the call, a call that raises on float64 copies.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from ..gradcheck import GradcheckError, gradcheck, gradgradcheck, measured_check
from ..tensor import Tensor
from .engine import _topological_nodes
from .function import _sites
from .grad_mode import no_grad

__all__ = ["check_graph", "GraphCheckReport", "NodeCheck", "record_creation_sites",
           "set_detect_creation_site", "is_detect_creation_site_enabled"]

_FULL_CHECK_LIMIT = 50_000  # Jacobian entries; above it a node is checked in fast mode


def set_detect_creation_site(mode):
    """Turns on (off) the recording of each new node's creation site and arguments."""
    _sites.on = bool(mode)


def is_detect_creation_site_enabled():
    return _sites.on


@contextlib.contextmanager
def record_creation_sites(mode=True):
    """``with mg.autograd.record_creation_sites(): loss = model(x)...``: the nodes made inside
    know where they were made (``node._creation_site``) and with which arguments."""
    before = _sites.on
    _sites.on = bool(mode)
    try:
        yield
    finally:
        _sites.on = before


@dataclass
class NodeCheck:
    """One row of the report: node ``index`` (in the order the forward made them)."""
    index: int
    node: str                 # "LinearBackward"
    function: str             # the Function class, "Linear"
    input_shapes: tuple
    max_error: float          # largest |analytical − numerical| (nan when skipped)
    status: str               # "pass", "FAIL" or "skipped"
    reason: str = ""          # why it failed or was skipped
    site: str = None          # "file.py:12" when creation sites were recorded
    mode: str = "full"        # "full" Jacobian or "fast" (random directions)

    @property
    def passed(self):
        return self.status == "pass"


class GraphCheckReport(list):
    """The rows of ``check_graph`` (a list of NodeCheck) with a readable table as ``str``."""

    @property
    def failures(self):
        return [r for r in self if r.status == "FAIL"]

    @property
    def skipped(self):
        return [r for r in self if r.status == "skipped"]

    def __str__(self):
        head = ("#", "node", "function", "input shapes", "max error", "result", "created at")
        rows = [(str(r.index), r.node, r.function,
                 ", ".join(str(s) for s in r.input_shapes),
                 "-" if r.max_error != r.max_error else f"{r.max_error:.2e}",
                 r.status if r.mode == "full" or r.status == "skipped" else f"{r.status} (fast)",
                 _short_site(r.site)) for r in self]
        widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        for r in self:
            if r.status != "pass":
                lines.append(f"#{r.index} {r.node} {r.status}: {r.reason.splitlines()[0]}")
        return "\n".join(lines)


def _short_site(site):
    if site is None:
        return "-"
    path, line = site.rsplit(":", 1)
    return f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}"


def check_graph(output, inputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, second_order=False,
                raise_exception=True, check_forward_ad=False):
    """Runs a local gradcheck (``second_order=True``: gradgradcheck too;
    ``check_forward_ad=True``: the node's jvp rule too) on every Function node of the graph
    recorded for ``output``, at the inputs each node saw in this run.

    ``inputs`` (tensors) limits the walk to the nodes that depend on them. Returns a
    ``GraphCheckReport`` (rows: node, Function class, input shapes, max error, pass/FAIL/
    skipped); with ``raise_exception=True`` a failing node raises ``GradcheckError`` naming the
    first one in forward order, its creation site and the worst element.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"check_graph: output must be a Tensor, got {type(output).__name__}")
    if output._node is None:
        raise ValueError(f"check_graph: output (shape {tuple(output.shape)}) has no recorded "
                         "graph (grad_fn is None): compute it from tensors that require grad")
    nodes = _topological_nodes([output._node])[::-1]  # the order the forward made them
    if inputs is not None:
        nodes = _depending_on(nodes, (inputs,) if isinstance(inputs, Tensor) else inputs)
    report = GraphCheckReport()
    for k, node in enumerate(nodes):
        report.append(_check_node(k, node, eps, atol, rtol, second_order, check_forward_ad))
    if raise_exception and report.failures:
        first = report.failures[0]
        where = (f"created at {first.site}" if first.site else "creation site not recorded: run "
                 "the forward under mg.autograd.record_creation_sites() to get it")
        raise GradcheckError(
            f"check_graph: node #{first.index} {first.node} (Function {first.function}, {where}) "
            f"fails its local gradient check at the inputs it saw in this run "
            f"({len(report.failures)} of {len(report)} nodes fail):\n  "
            + first.reason.replace("\n", "\n  "))
    return report


def _depending_on(nodes, inputs):
    wanted = {id(t) for t in inputs}
    kept, depends = [], set()
    for node in nodes:  # forward order: a node's producers come before it
        if any(t is not None and (id(t) in wanted or id(t._node) in depends)
               for t in node.inputs):
            depends.add(id(node))
            kept.append(node)
    return kept


def _check_node(k, node, eps, atol, rtol, second_order, check_forward_ad=False):
    fn = node.fn
    shapes = tuple(tuple(t.shape) for t in node.inputs if t is not None)
    row = NodeCheck(k, type(node).__name__, fn.__name__, shapes, float("nan"), "skipped",
                    site=getattr(node, "_creation_site", None))
    args, why = _arguments(node)
    if why:
        row.reason = why
        return row
    with no_grad():
        try:
            first, second = _call(fn, args), _call(fn, args)
        except Exception as exc:  # noqa: BLE001  (reported, not hidden)
            row.reason = f"repeating the call on float64 copies raised {type(exc).__name__}: {exc}"
            return row
    if any(not np.array_equal(a, b, equal_nan=True) for a, b in zip(first, second)):
        row.reason = "the forward is not deterministic (it draws random numbers): two repeats differ"
        return row
    work = sum(t.array.size for t in args if isinstance(t, Tensor) and t.requires_grad) * \
        sum(a.size for a in first)
    row.mode = "full" if work <= _FULL_CHECK_LIMIT else "fast"
    apply = lambda *xs: fn.apply(*xs)  # noqa: E731
    row.max_error, error = measured_check(apply, args, eps, atol, rtol, row.mode == "fast")
    if error is None and second_order:
        try:
            gradgradcheck(apply, args, eps=eps, atol=atol, rtol=rtol, fast_mode=row.mode == "fast")
        except GradcheckError as exc:
            error = exc
        except RuntimeError as exc:  # e.g. a once_differentiable backward
            row.status, row.reason = "skipped", f"second order not checkable: {exc}"
            return row
    if error is None and check_forward_ad:
        try:
            gradcheck(apply, args, eps=eps, atol=atol, rtol=rtol, fast_mode=row.mode == "fast",
                      check_backward_ad=False, check_forward_ad=True)
        except GradcheckError as exc:
            error = exc
        except NotImplementedError as exc:  # a Function without a jvp rule
            row.status, row.reason = "skipped", f"forward mode not checkable: {exc}"
            return row
    row.status = "pass" if error is None else "FAIL"
    row.reason = "" if error is None else str(error)
    return row


def _arguments(node):
    """The call's arguments, float tensors as float64 leaves (requiring grad where the node's
    input did), or (None, why the call cannot be repeated)."""
    written = [i for i, (t, v) in enumerate(zip(node._saved, node._saved_versions))
               if t is not None and t._version != v]
    if written:
        return None, (f"saved tensor {written[0]} was written in place after the call: the "
                      "values it saw are gone")
    recorded = getattr(node, "_recorded_args", None)
    if recorded is None:
        if any(t is None for t in node.inputs):
            return None, ("its non-tensor arguments were not recorded: run the forward under "
                          "mg.autograd.record_creation_sites() to check this node")
        recorded, versions = node.inputs, None
    else:
        versions = node._recorded_versions
    args = []
    for i, a in enumerate(recorded):
        if not isinstance(a, Tensor):  # a float array argument (a class weight) goes float64 too
            float_array = getattr(a, "ndim", None) is not None and a.dtype.kind == "f"
            args.append(a.astype(np.float64) if float_array else a)
            continue
        if versions is not None and a._version != versions[i]:
            return None, (f"input {i} was written in place after the call (version "
                          f"{versions[i]} then, {a._version} now): its values are gone")
        if a.dtype.kind == "f":
            copy = Tensor._wrap(a.array.astype(np.float64), a._device)
            copy.requires_grad = bool(node.needs_input_grad[i])
            args.append(copy)
        else:
            args.append(a)
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return None, "no input requires grad"
    return args, None


def _call(fn, args):
    outs = fn.apply(*args)
    outs = outs if isinstance(outs, tuple) else (outs,)
    return [o.numpy() for o in outs]
