"""minigrad's random generator: one numpy Generator, seeded by ``manual_seed`` (as
``torch.manual_seed``). Every random draw of the package comes from it (randn, rand, randint,
dropout masks, nn.init, ``Tensor.uniform_``/``normal_``), on the host, so the same seed gives
the same numbers on every device.
"""
import numbers

import numpy as np

__all__ = ["manual_seed"]

_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Seeds minigrad's random generator (randn, rand, randint, dropout, init)."""
    global _generator
    if not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def _rng():
    """The generator ``manual_seed`` last seeded."""
    return _generator
