"""``trace(opt)``: record the named terms of every update an optimizer makes.

    with mg.optim.trace(opt) as tr:
        opt.step()
    tr[w]            # {"grad": ..., "l2": ..., "momentum_buffer": ..., "update": ...}

While tracing, the optimizer runs its readable path (never the fused kernel), and the base
applies ``w ← w + tr[w]["update"]``, so the recorded update IS the change of the parameter
(before a constraint's projection, if the parameter has one). Terms are copies: later steps
do not change them. ``tr[w]`` is the last traced step; ``tr.steps`` holds every traced step,
in order, as ``{id(param): terms}``.
"""
import contextlib


class Trace:
    def __init__(self):
        self.steps = []
        self._step_of = {}

    def _begin_step(self):
        self.steps.append({})

    def _record(self, p, terms):
        # issue 17 (distributed): a gradient DistributedDataParallel averaged across processes
        # carries the terms of that average ("local_grad", "allreduce_mean"), the first
        # stages of the chain; they are listed before the optimizer's own.
        averaged = getattr(p, "_distributed_terms", None)
        if averaged is not None:
            terms = {**averaged, **terms}
        copied = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in terms.items()}
        self.steps[-1][id(p)] = copied
        self._step_of[id(p)] = copied

    def __getitem__(self, p):
        try:
            return self._step_of[id(p)]
        except KeyError:
            raise KeyError("this parameter had no traced update (not in the optimizer, or it "
                           "had no gradient)") from None

    def __contains__(self, p):
        return id(p) in self._step_of


@contextlib.contextmanager
def trace(optimizer):
    """Context manager: ``tr[p]`` maps term name → array for each updated parameter ``p``."""
    if optimizer._tracer is not None:
        raise RuntimeError("this optimizer is already being traced")
    tr = Trace()
    optimizer._tracer = tr
    try:
        yield tr
    finally:
        optimizer._tracer = None
