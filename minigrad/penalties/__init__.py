"""Penalties: every parameter-norm regulariser with its value, gradient and prox written out.

A ``Penalty`` ``p`` offers three views of one function:

* ``p(w)``  — ``w`` a Tensor: the value as a 0-d Tensor built from minigrad ops, so autograd
  gives its gradient (and, where the ops allow, with ``create_graph`` its Hessian);
* ``p.grad(w)`` — ``w`` the backing array (numpy or cupy): the gradient, or the subgradient
  named in the docstring, computed by hand with the array's own module (no autograd);
* ``p.prox(v, step)`` — ``argmin_w p(w) + ‖w − v‖²/(2·step)`` where that has a closed form;
  otherwise ``NotImplementedError`` naming the penalty.

Strengths are validated when a penalty is made: negative, NaN or infinite → ``ValueError``
naming the argument. Penalties add and scale: ``L1(a) + L2(b)``, ``0.5 * L2(b)``. The value and
gradient of a sum are the sums; ``prox`` of a sum exists only where it is a known closed form
(any sum of L1/L2/ElasticNet terms is an elastic net); ``prox_{c·p}(v, s) = prox_p(v, c·s)``.

Conventions: ``L2(lam)`` is ``(lam/2)‖w‖²`` with gradient ``lam·w`` — what torch's
``weight_decay=lam`` adds; the Keras form ``l2·‖w‖²`` (gradient ``2·l2·w``) is ``L2.keras(l2)``.
Soft-thresholding and group soft-thresholding run as kernels (csrc/cpu/prox.pyx,
csrc/cuda/prox.cu; the numpy reference is in minigrad/backend/reference.py).

    base.py          Penalty (the three views), its algebra (p₁ + p₂, c·p), argument checks
    elementwise.py   L2 (L2.keras), L1, ElasticNet
    group.py         GroupLasso (groups along axes, or explicit index groups)
    matrix.py        SpectralNorm (power iteration), NuclearNorm, Orthogonal
    anchored.py      L2SP, EWC (towards a reference weight)
    activity.py      ActivityL1, ActivityL2, Consistency (on activations)
    path.py          PathNorm (a chain of Linear layers)
    attach.py        apply_penalty (one penalty on every weight of a model)
    _kernels.py      the soft-threshold prox kernels through the array's backend
    _cases.py        the gradient-check cases of every value (``python -m minigrad check``)

The Functions behind GroupLasso, SpectralNorm and NuclearNorm are in minigrad/ops/penalty.py.
"""
from .activity import ActivityL1, ActivityL2, Consistency
from .anchored import EWC, L2SP
from .attach import apply_penalty
from .base import Penalty
from .elementwise import L1, L2, ElasticNet
from .group import GroupLasso
from .matrix import NuclearNorm, Orthogonal, SpectralNorm
from .path import PathNorm

__all__ = [
    "Penalty", "L2", "L1", "ElasticNet", "GroupLasso", "SpectralNorm", "NuclearNorm",
    "Orthogonal", "PathNorm", "L2SP", "EWC", "ActivityL1", "ActivityL2", "Consistency",
    "apply_penalty",
]
