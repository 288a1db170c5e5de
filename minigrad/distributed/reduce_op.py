"""``ReduceOp``: how all_reduce combines the ranks' tensors (torch.distributed.ReduceOp)."""
import enum

__all__ = ["ReduceOp"]


class ReduceOp(enum.Enum):
    """SUM, AVG (SUM then ÷ world size), PRODUCT, MIN, MAX."""
    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"


def mpi_op(MPI, op):
    """The MPI operation for ``op`` (AVG is MPI's SUM; the caller divides)."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a dist.ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got {op!r}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]
