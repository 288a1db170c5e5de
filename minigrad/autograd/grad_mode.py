"""Grad mode: whether operations are recorded for differentiation, per thread (as torch).

``Function.apply`` reads ``_mode.enabled`` on every operation; ``no_grad`` / ``enable_grad`` /
``set_grad_enabled`` switch it for a block (or, as decorators, for a function). The engine
switches it on while it runs a backward with ``create_graph=True``, so that the backward's own
operations are recorded, and off otherwise.
"""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


class _ForwardLevel:
    """The forward-mode AD level open now (``forward_ad.dual_level``), or None: process-wide,
    as torch's. ``Function.apply`` reads it on every operation, so it is one attribute."""
    level = None


_forward = _ForwardLevel()


def is_grad_enabled():
    """True when operations are being recorded for differentiation."""
    return _mode.enabled


def backward_is_differentiated():
    """True when the derivative of a backward formula is wanted: recording is on
    (``create_graph=True``), or a forward-mode level is open (the backward's operations carry
    tangents: forward-over-reverse). Ops with a fused, non-differentiable backward kernel take
    their readable Tensor formula then."""
    return _mode.enabled or _forward.level is not None


class set_grad_enabled:
    """Context manager (and decorator) that switches recording on or off, as in torch."""

    def __init__(self, mode):
        self.prev = _mode.enabled
        _mode.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False


class _ModeContext:
    mode = True

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_ModeContext):
    """Inside ``with mg.no_grad():`` nothing is recorded; results have requires_grad=False."""
    mode = False


class enable_grad(_ModeContext):
    """Re-enables recording inside a ``no_grad`` block."""
    mode = True
