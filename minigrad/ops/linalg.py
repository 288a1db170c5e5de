"""Matrix products (BLAS through numpy, cuBLAS through CuPy)."""
import numpy as np

from .. import threads
from ..autograd import Function, backward_is_differentiated
from .._operands import _binary, _const
from ._tangents import tangent_sum
from .shape import _sum_to_shape_array, reshape, sum_to_shape


def _mT(t):
    """Swap the last two axes."""
    from .shape import transpose
    return transpose(t, -1, -2)


class MatMul(Function):
    """C = A @ B (numpy's matmul: batched, broadcasting over leading axes)

    dC/dA: G ↦ G @ Bᵀ        dC/dB: G ↦ Aᵀ @ G        (jvp: tA @ B + A @ tB)

    1-D operands are treated as a row (A) or a column (B) and the gradient is reshaped back;
    broadcast batch axes are summed back to each operand's shape.

    When no graph of the backward is recorded, the same two products run on the arrays
    (``_matmul_grads``: no transpose/reshape nodes); with ``create_graph=True`` or under a
    forward-mode level the Tensor formula below runs, so higher derivatives stay exact. A test
    checks the two agree.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return threads.matmul(a.array, b.array)  # a @ b, on the BLAS threads its size earns

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if not backward_is_differentiated():
            ga, gb = _matmul_grads(a, b, grad, ctx.needs_input_grad)
            return (None if ga is None else _const(ga, a)), (None if gb is None else _const(gb, b))
        a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a          # (…, n, k)
        b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b          # (…, k, m)
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = reshape(grad, batch + (a2.shape[-2], b2.shape[-1]))      # (…, n, m)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = reshape(sum_to_shape(g2 @ _mT(b2), a2.shape), a.shape)
        if ctx.needs_input_grad[1]:
            gb = reshape(sum_to_shape(_mT(a2) @ g2, b2.shape), b.shape)
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return tangent_sum(None if ta is None else MatMul.apply(ta, b),
                           None if tb is None else MatMul.apply(a, tb))


def _matmul_grads(a, b, grad, needs):
    """MatMul's backward on the arrays: (G @ Bᵀ, Aᵀ @ G) with 1-D operands as a row/column
    and broadcast batch axes summed back; each None where ``needs`` says it is not wanted."""
    A, B, G = a.array, b.array, grad.array
    A2 = A.reshape((1,) + A.shape) if A.ndim == 1 else A          # (…, n, k)
    B2 = B.reshape(B.shape + (1,)) if B.ndim == 1 else B          # (…, k, m)
    if A2.ndim > 2 or B2.ndim > 2:
        batch = np.broadcast_shapes(A2.shape[:-2], B2.shape[:-2])
    else:
        batch = ()
    G2 = G.reshape(batch + (A2.shape[-2], B2.shape[-1]))         # (…, n, m)
    ga = gb = None
    if needs[0]:
        ga = _sum_to_shape_array(a.backend, threads.matmul(G2, B2.swapaxes(-1, -2)), A2.shape)
        ga = ga.reshape(A.shape)
    if needs[1]:
        gb = _sum_to_shape_array(b.backend, threads.matmul(A2.swapaxes(-1, -2), G2), B2.shape)
        gb = gb.reshape(B.shape)
    return ga, gb


def matmul(a, b):
    a, b = _binary(a, b, "@", broadcast=False)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs operands of at least 1 dimension, got shapes {a.shape} "
                         f"and {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({k_a} != {k_b} in the contracted dimension)")
    if a.ndim > 2 or b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not "
                             "broadcast") from None
    return MatMul.apply(a, b)



class MatMulBT(Function):
    """C = A @ Bᵀ for 2-D A (n, k) and B (m, k): a Linear layer's x Wᵀ

    dC/dA: G ↦ G @ B        dC/dB: G ↦ Gᵀ @ A        (jvp: tA @ Bᵀ + A @ tBᵀ)

    The same product as ``a @ b.T``, but B's gradient comes out of BLAS C-contiguous in B's
    own layout (through ``b.T`` it would be a transposed view of a (k, m) array, which every
    consumer — the optimizer's flat kernels first — would have to copy).

    Without a recorded backward graph the two products run on the arrays (as in MatMul).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return threads.matmul(a.array, b.array.T)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if not backward_is_differentiated():
            needs = ctx.needs_input_grad
            return (_const(threads.matmul(grad.array, b.array), a) if needs[0] else None,
                    _const(threads.matmul(grad.array.T, a.array), b) if needs[1] else None)
        ga = grad @ b if ctx.needs_input_grad[0] else None
        gb = _mT(grad) @ a if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return tangent_sum(None if ta is None else MatMulBT.apply(ta, b),
                           None if tb is None else MatMulBT.apply(a, tb))


def matmul_bt(a, b):
    """a @ b.T for 2-D a and b, with b's gradient in b's layout (see MatMulBT)."""
    a, b = _binary(a, b, "@", broadcast=False)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"matmul_bt needs 2-D operands with equal last dimensions, got shapes "
                         f"{a.shape} and {b.shape}")
    return MatMulBT.apply(a, b)


# ---- torch's products of fixed ranks: matmul with the shapes checked --------------------------

def _ranks(what, a, b, ranks):
    from ..tensor import Tensor
    for name, t, r in zip(("input", "other"), (a, b), ranks):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what} expects Tensors, got {type(t).__name__} for {name}")
        if t.ndim != r:
            raise ValueError(f"{what} needs a {r}-D {name}, got shape {t.shape}")


def mm(input, mat2):  # noqa: A002  (torch's names)
    """The product of two matrices (n, k) @ (k, m), torch.mm: 2-D only, no broadcasting."""
    _ranks("mm", input, mat2, (2, 2))
    return matmul(input, mat2)


def bmm(input, mat2):  # noqa: A002
    """A batch of products (b, n, k) @ (b, k, m), torch.bmm: 3-D, equal batch sizes."""
    _ranks("bmm", input, mat2, (3, 3))
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: batch sizes differ, shapes {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


def mv(input, vec):  # noqa: A002
    """A matrix times a vector (n, k) @ (k,), torch.mv."""
    _ranks("mv", input, vec, (2, 1))
    return matmul(input, vec)


def dot(input, other):  # noqa: A002
    """Σᵢ aᵢbᵢ of two vectors of one length, torch.dot (a 0-d result)."""
    _ranks("dot", input, other, (1, 1))
    if input.shape != other.shape:
        raise ValueError(f"dot: vectors of lengths {input.shape[0]} and {other.shape[0]}")
    return matmul(input, other)


def outer(input, vec2):  # noqa: A002
    """aᵢbⱼ: the (n, m) outer product of two vectors, torch.outer      d/da: G ↦ G b,
    d/db: G ↦ Gᵀa (the product's gradients, through broadcasting)."""
    _ranks("outer", input, vec2, (1, 1))
    return reshape(input, (-1, 1)) * reshape(vec2, (1, -1))
