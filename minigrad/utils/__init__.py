"""minigrad.utils, as torch.utils: ``data`` (datasets, samplers, DataLoader)."""
from . import data  # noqa: F401
