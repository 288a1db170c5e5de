"""Gradient-check cases of every penalty's value (family "penalty"), for
``python -m minigrad check`` and tests/test_penalties.py.

Inputs are float64 and kept away from each penalty's kinks: |w| at 0 for L1 / ElasticNet /
ActivityL1 (``away_from_zero``), zero groups for GroupLasso (random normal columns are far from
0), ties of the top singular values for SpectralNorm and rank deficiency for NuclearNorm (random
matrices). SpectralNorm and NuclearNorm have second_order=False: their values hold the singular
vectors constant (σ = uᵀWv, ‖W‖_* with backward U·Vᵀ), so the graph's second derivative is
not the norm's Hessian — on purpose, and said in their docstrings.
"""
import numpy as np

from .. import penalties as P
from ..creation import tensor
from ..checks import Case, register


def _fixed(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _cases():
    ref = _fixed((3, 4), 11)
    fisher = np.abs(_fixed((3, 4), 12)) + 0.1
    A = _fixed((4, 2), 13)

    def consistency(u, W):
        f = lambda x: (x @ W).tanh()  # noqa: E731
        return P.Consistency(0.7, f, lambda x: x * 0.8 + 0.1)(u)

    C = Case
    return [
        C("penalty L2", lambda w: P.L2(0.7)(w), [(3, 4)], family="penalty"),
        C("penalty L2.keras", lambda w: P.L2.keras(0.7)(w), [(3, 4)], family="penalty"),
        C("penalty L1", lambda w: P.L1(0.7)(w), [(3, 4)], family="penalty",
          away_from_zero=True),
        C("penalty ElasticNet", lambda w: P.ElasticNet(0.3, 0.7)(w), [(3, 4)],
          family="penalty", away_from_zero=True),
        C("penalty GroupLasso dim=0", lambda w: P.GroupLasso(0.7)(w), [(3, 4)],
          family="penalty"),
        C("penalty GroupLasso dim=(0,2)", lambda w: P.GroupLasso(0.7, dim=(0, 2))(w),
          [(2, 3, 2)], family="penalty"),
        C("penalty GroupLasso groups=", lambda w: P.GroupLasso(
            0.7, groups=[[0, 1, 5], [2, 7, 8], [11]])(w), [(3, 4)], family="penalty",
          away_from_zero=True),
        C("penalty SpectralNorm", lambda w: P.SpectralNorm(0.7)(w), [(4, 3)],
          family="penalty", second_order=False),
        C("penalty NuclearNorm", lambda w: P.NuclearNorm(0.7)(w), [(4, 3)],
          family="penalty", second_order=False),
        C("penalty Orthogonal", lambda w: P.Orthogonal(0.7)(w), [(4, 3)], family="penalty"),
        # the anchors live on the checked weight's device (a CPU array beside a GPU weight
        # is refused, not copied)
        C("penalty L2SP", lambda w: P.L2SP(0.7, tensor(ref, device=w.device))(w), [(3, 4)],
          family="penalty"),
        C("penalty EWC", lambda w: P.EWC(0.7, tensor(fisher, device=w.device),
                                         tensor(ref, device=w.device))(w),
          [(3, 4)], family="penalty"),
        C("penalty ActivityL1", lambda a: P.ActivityL1(0.7)(a), [(5, 3)], family="penalty",
          away_from_zero=True),
        C("penalty ActivityL2", lambda a: P.ActivityL2(0.7)(a), [(5, 3)], family="penalty"),
        C("penalty Consistency (u, W)", consistency, [(5, 4), lambda rng: A.copy()],
          family="penalty"),
        C("penalty PathNorm 3 layers", lambda w1, w2, w3: P.PathNorm(0.7)([w1, w2, w3]),
          [(4, 3), (5, 4), (2, 5)], family="penalty"),
        C("penalty L1 + L2", lambda w: (P.L1(0.3) + P.L2(0.7))(w), [(3, 4)],
          family="penalty", away_from_zero=True),
        C("penalty 0.5 * GroupLasso", lambda w: (0.5 * P.GroupLasso(0.7))(w), [(3, 4)],
          family="penalty"),
    ]


register(*_cases())
