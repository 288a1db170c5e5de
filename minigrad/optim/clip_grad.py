"""Gradient clipping: implemented once, in minigrad.nn.utils (torch's home for it); the names
are kept here as aliases because the update is the optimizer's business."""
from ..nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
