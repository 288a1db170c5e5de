"""minigrad's random generators (as ``torch.Generator`` and ``torch.random``).

A ``Generator`` wraps one numpy ``Generator`` (PCG64). The package's default generator,
``default_generator``, is the one ``manual_seed`` seeds; every random draw of the package that is
not given a ``generator=`` comes from it (randn, rand, randint, randperm, normal, bernoulli,
multinomial, dropout masks, nn.init, ``Tensor.uniform_``/``normal_``, the DataLoader's shuffle).
Draws are made on the host, so the same seed gives the same numbers on every device.

The numbers are not torch's (torch uses a Mersenne Twister and its own transforms): the same
seed gives reproducible numbers within minigrad, not the numbers torch would draw.

``get_state()`` returns the generator's state as a uint8 tensor of ``STATE_BYTES`` bytes,
little-endian: the PCG64 state (16 bytes), its increment (16), whether a 32-bit half is
buffered (1), that buffered half (4), and the initial seed (8) — so it can be saved with
``mg.save`` as a checkpoint's ``torch.get_rng_state()`` is, and ``set_state`` also restores
``initial_seed()``.

tensor.py imports this module, so it imports no more of the package than tensor.py does at its
top (Tensor itself is imported where ``get_state`` needs it).
"""
import numbers
import os

import numpy as np

from .backend import normalize_device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state"]

DEFAULT_SEED = 67280421310721   # what a new torch.Generator() reports as initial_seed()
STATE_BYTES = 16 + 16 + 1 + 4 + 8
_MAX_SEED = 2 ** 64 - 1


class Generator:
    """A source of random numbers with its own seed and state (``torch.Generator``).

    ``device`` is recorded for torch's sake; draws happen on the host whatever it says, and the
    functions that take ``generator=`` put their result on their own ``device=``.
    """

    def __init__(self, device="cpu"):
        self.device = normalize_device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Seeds the generator with a non-negative integer below 2**64; returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) \
                or not 0 <= seed <= _MAX_SEED:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        self._initial_seed = int(seed)
        self._numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self):
        """Seeds the generator from the operating system's entropy; returns that seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        return self._initial_seed

    def get_state(self):
        """The state as a uint8 tensor (the layout is in this module's docstring)."""
        from .tensor import Tensor
        state = self._numpy.bit_generator.state
        data = (state["state"]["state"].to_bytes(16, "little")
                + state["state"]["inc"].to_bytes(16, "little")
                + bytes([state["has_uint32"]])
                + state["uinteger"].to_bytes(4, "little")
                + self._initial_seed.to_bytes(8, "little"))
        return Tensor._wrap(np.frombuffer(data, dtype=np.uint8).copy(), "cpu")

    def set_state(self, new_state):
        """Restores a state ``get_state`` returned; returns the generator."""
        from .tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"set_state expects the uint8 tensor get_state() returned, got "
                            f"{type(new_state).__name__}")
        array = new_state.numpy()
        if array.dtype != np.uint8 or array.shape != (STATE_BYTES,):
            raise ValueError(f"set_state expects a uint8 tensor of shape ({STATE_BYTES},) from "
                             f"get_state(), got dtype {array.dtype} and shape {array.shape}")
        data = array.tobytes()
        bit_generator = np.random.PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(data[0:16], "little"),
                      "inc": int.from_bytes(data[16:32], "little")},
            "has_uint32": data[32],
            "uinteger": int.from_bytes(data[33:37], "little"),
        }
        self._numpy = np.random.Generator(bit_generator)
        self._initial_seed = int.from_bytes(data[37:45], "little")
        return self

    def __repr__(self):
        return f"<minigrad.Generator device='{self.device}' initial_seed={self._initial_seed}>"


default_generator = Generator().manual_seed(0)   # minigrad's draws have always started at seed 0


def manual_seed(seed):
    """Seeds the default generator (every draw given no ``generator=``); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seeds the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, a uint8 tensor (``set_rng_state`` restores it)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restores the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def _rng(generator=None):
    """The numpy Generator to draw from: ``generator``'s, or the default generator's."""
    if generator is None:
        return default_generator._numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a minigrad.Generator, got "
                        f"{type(generator).__module__}.{type(generator).__name__}")
    return generator._numpy
