"""Helpers of the ``jvp`` rules (forward mode, autograd/forward_ad.py).

An input that carries no tangent is given None, not zeros, so a rule adds only the terms that
exist; the tangent of a broadcasting op is broadcast to the output's shape (the forward
counterpart of ``sum_to_shape`` in backward).
"""
from .shape import broadcast_to


def tangent_sum(*terms):
    """The sum of the terms that are not None; None when all are."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


def broadcast_tangent(shape, *terms):
    """``tangent_sum(*terms)`` broadcast to ``shape`` (None stays None)."""
    total = tangent_sum(*terms)
    return None if total is None else broadcast_to(total, shape)
