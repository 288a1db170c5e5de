"""Benchmarks: minigrad beside hand-written NumPy and (when installed) PyTorch, in one run."""
