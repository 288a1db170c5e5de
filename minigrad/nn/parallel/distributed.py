"""DistributedDataParallel: every rank holds the model; gradients are averaged across ranks.

With N ranks, rank r computing the mean loss over its shard B_r of the batch (all shards the
same size), the average of the ranks' gradients is the gradient of the mean loss over the
whole batch B = B_0 ∪ … ∪ B_{N−1}:

    (1/N) Σ_r ∇ (1/b) Σ_{i∈B_r} ℓ_i(w)  =  ∇ (1/(N·b)) Σ_{i∈B} ℓ_i(w)     (b = |B_r|)

So after ``loss.backward()`` every rank holds the gradient one process would have computed on
the concatenated batch, and the same optimizer step keeps every rank's weights identical
(they start identical: the constructor broadcasts rank 0's parameters and buffers).

How the average is made (torch's Reducer, in miniature):

1. the constructor groups the parameters into buckets of at most ``bucket_cap_mb`` megabytes,
   in reverse order of ``parameters()`` (roughly the order backward finishes them), one dtype
   per bucket; each bucket has two flat buffers, ``local`` and ``mean``;
2. a post-accumulate-grad hook on each parameter copies its finished ``.grad`` into its slice
   of ``local``; when a bucket's last gradient arrives, and every earlier bucket has been
   started, a non-blocking ``MPI_Iallreduce(local → mean, SUM)`` starts for it (buckets start
   in the same order on every rank, as MPI requires);
3. when the last bucket has started, the hook waits for all of them, divides by N and copies
   each parameter's slice of ``mean`` back into its ``.grad``.

minigrad's backward engine runs the post-accumulate hooks once the whole graph has been
walked, so a bucket's all-reduce overlaps the copying of the later buckets' gradients (each
hook tests the started requests, which is when MPI moves them on), not the backward
computation itself (torch overlaps it with backward, which runs in C++ threads).

``no_sync()``: inside it, forward/backward leave the gradients local (they accumulate in
``.grad``); the first backward after it averages the accumulated sums. ``k`` micro-batches
under no_sync plus one outside leave in ``.grad`` (k+1) times the gradient of the mean loss
over all ranks' micro-batches — what one process gets from backward on each of the N·(k+1)
micro-batches' losses divided by N.

``mg.optim.trace`` shows the average as terms of the step: each parameter carries
``local_grad`` (this rank's gradient) and ``allreduce_mean`` (the average) of its last
reduction, recorded before the optimizer's own ``grad``, ``l2``, ... (see docs/distributed.md
for why coupled L2 before or after the average gives the same step).
"""
import contextlib

import numpy as np

from ...autograd import is_grad_enabled
from ...distributed import collectives as _collectives
from ...distributed import process_group as _pg
from ..module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_BUCKET_CAP_MB = 25      # torch's


class _Bucket:
    """Flat ``local`` and ``mean`` buffers for a run of parameters of one dtype."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.local = np.zeros(self.offsets[-1], dtype=dtype)
        self.mean = np.zeros_like(self.local)
        self.arrived = [False] * len(params)   # which gradients this iteration has delivered
        self.ready = 0
        self.request = None

    def slot(self, i):
        return slice(self.offsets[i], self.offsets[i + 1])


class _GradReadyHook:
    """The post-accumulate hook DDP puts on each parameter. A deep copy of the parameter (a
    reference model made with copy.deepcopy, an EMA copy) gets a hook that does nothing: the
    copy is not part of this DDP's reduction."""

    def __init__(self, ddp):
        self.ddp = ddp

    def __call__(self, p):
        self.ddp._grad_ready(p)

    def __deepcopy__(self, memo):
        return _not_reduced


def _not_reduced(p):
    """The hook of a deep copy of a DDP parameter: nothing to do."""


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module)``: ``module``'s gradients averaged over the ranks.

    Arguments as torch's; those it has no use for on CPU processes over MPI (``device_ids``,
    ``output_device``, ``dim``) must keep their defaults. ``broadcast_buffers`` (default True):
    every forward starts by broadcasting rank 0's buffers (BatchNorm's running statistics).
    ``find_unused_parameters``, ``gradient_as_bucket_view`` and ``static_graph`` are not
    supported: every parameter that requires a gradient must get one in every synchronised
    backward (a missing one is reported at the next forward, naming it).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a minigrad.nn.Module, got {type(module).__name__}")
        for name, value, default in (("device_ids", device_ids, None),
                                     ("output_device", output_device, None), ("dim", dim, 0),
                                     ("find_unused_parameters", find_unused_parameters, False),
                                     ("gradient_as_bucket_view", gradient_as_bucket_view, False),
                                     ("static_graph", static_graph, False)):
            if value != default:
                raise ValueError(f"DistributedDataParallel: {name}={value!r} is not supported "
                                 f"(leave the default, {default!r})")
        if bucket_cap_mb is None:
            bucket_cap_mb = _DEFAULT_BUCKET_CAP_MB
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or \
                not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        self.process_group = _pg._get(process_group)
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        self._check_same_model_everywhere(params)
        if init_sync:
            self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))
        self._buckets, self._where = self._make_buckets(params, bucket_cap_mb)
        self._names = {id(p): n for n, p in module.named_parameters()}
        self._handles = [p.register_post_accumulate_grad_hook(_GradReadyHook(self))
                         for p in params]
        self._collecting = False      # this iteration's forward asked for a reduction
        self._next_bucket = 0         # the next bucket to start, in order

    # ---- set-up -----------------------------------------------------------------------------
    def _check_same_model_everywhere(self, params):
        """Every rank must wrap the same architecture: compared once, here, so a mismatch is
        an error naming the shapes rather than a collective of the wrong size."""
        pg = self.process_group
        mine = [(tuple(p.shape), str(p.dtype)) for p in params]
        everyone = pg.comm.allgather(mine)      # a pickle, once, at construction
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                raise ValueError(f"DistributedDataParallel: rank {pg.rank}'s parameters "
                                 f"(shape, dtype) {mine} differ from rank {rank}'s {theirs}")

    def _broadcast_from_rank0(self, tensors):
        for t in tensors:
            _collectives.broadcast(t, src=0)

    @staticmethod
    def _make_buckets(params, cap_mb):
        """Buckets in reverse parameter order, a new one when the dtype changes or the next
        gradient would pass the cap; ``where[id(p)] = (bucket, index in bucket)``."""
        cap = cap_mb * 1024 * 1024
        buckets, run, size = [], [], 0
        for p in reversed(params):
            if run and (p.dtype != run[0].dtype or size + p.nbytes > cap):
                buckets.append(_Bucket(run, run[0].dtype))
                run, size = [], 0
            run.append(p)
            size += p.nbytes
        if run:
            buckets.append(_Bucket(run, run[0].dtype))
        where = {id(p): (b, i) for b in buckets for i, p in enumerate(b.params)}
        return buckets, where

    # ---- forward ----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._collecting and self._next_bucket <= len(self._buckets) and \
                any(b.ready for b in self._buckets):
            self._report_unfinished_reduction()     # some gradients arrived, not all
        if self.broadcast_buffers and self.process_group.size > 1:
            self._broadcast_from_rank0([b for b in self.module.buffers()])
        self._collecting = is_grad_enabled() and self.require_backward_grad_sync
        self._next_bucket = 0
        for b in self._buckets:
            b.ready, b.arrived = 0, [False] * len(b.params)
        return self.module(*inputs, **kwargs)

    def _report_unfinished_reduction(self):
        started = [b.request for b in self._buckets if b.request is not None]
        _pg.wait(started, "the started buckets of an unfinished reduction", self.process_group)
        for b in self._buckets:
            b.request = None
        self._collecting = False
        missing = [self._names.get(id(p), "?") for b in self._buckets
                   for i, p in enumerate(b.params) if not b.arrived[i]]
        raise RuntimeError(
            "DistributedDataParallel: the previous iteration's gradient reduction did not "
            f"finish: these parameters got no gradient in its backward: {missing}. Every "
            "parameter that requires grad must be used in the loss (find_unused_parameters "
            "is not supported).")

    @contextlib.contextmanager
    def no_sync(self):
        """Forward/backward inside keep the gradients local (accumulation); the first
        synchronised backward after it averages what has accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ---- the reduction (the hooks) ----------------------------------------------------------
    def _grad_ready(self, p):
        """Post-accumulate hook of parameter p: its gradient is final for this backward."""
        if not self._collecting:
            p._distributed_terms = None    # a local step: no average to show in a trace
            return
        bucket, i = self._where[id(p)]
        if self._next_bucket > len(self._buckets) or bucket.arrived[i]:
            raise RuntimeError("DistributedDataParallel: backward ran twice after one forward "
                               "outside no_sync(); to accumulate gradients over several "
                               "backward calls, run all but the last under no_sync()")
        bucket.local[bucket.slot(i)] = _collectives.host_array(p.grad.array).reshape(-1)
        bucket.arrived[i] = True
        bucket.ready += 1
        buckets = self._buckets
        while self._next_bucket < len(buckets) and \
                buckets[self._next_bucket].ready == len(buckets[self._next_bucket].params):
            self._start(buckets[self._next_bucket])     # full, and every earlier one started
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finish()
            self._next_bucket += 1          # marks "done for this iteration"
        elif self._next_bucket:
            # MPI moves a non-blocking collective on only inside MPI calls: testing the
            # started buckets here lets them proceed while the later gradients are copied
            self.process_group.MPI.Request.Testall(
                [b.request for b in self._buckets[:self._next_bucket]])

    def _start(self, bucket):
        pg = self.process_group
        MPI = pg.MPI
        bucket.request = pg.comm.Iallreduce(_collectives.mpi_buffer(MPI, bucket.local),
                                            _collectives.mpi_buffer(MPI, bucket.mean), MPI.SUM)

    def _finish(self):
        pg = self.process_group
        _pg.wait([b.request for b in self._buckets],
                 f"DistributedDataParallel's gradient all-reduce ({len(self._buckets)} buckets)",
                 pg)
        for b in self._buckets:
            b.request = None
            b.mean /= pg.size
            for i, p in enumerate(b.params):
                s = b.slot(i)
                p.grad.array[...] = p.grad.backend.xp.asarray(b.mean[s].reshape(p.shape))
                p._distributed_terms = {"local_grad": b.local[s].reshape(p.shape),
                                        "allreduce_mean": b.mean[s].reshape(p.shape)}

    # ---- state ------------------------------------------------------------------------------
    def __repr__(self):
        return f"DistributedDataParallel(\n  (module): {self.module!r}\n)"
