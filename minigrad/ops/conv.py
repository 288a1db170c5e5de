"""Convolution as needle does it: im2col (gather the patches), one matmul, col2im (its adjoint).

``Im2Col`` turns x (N, C, H, W) into its patches (C, KH, KW, N, OH, OW),

    cols[c, i, j, n, oh, ow] = x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]   (0 in the padding)

a linear map whose adjoint is ``Col2Im`` (each patch entry added back to the pixel it came
from). So each is the other's backward, and a conv2d built as

    out = W (O, C·KH·KW) @ cols (C·KH·KW, N·OH·OW)   → (O, N, OH, OW) → (N, O, OH, OW)

is one GEMM, and has every derivative, of any order, from ops: dL/dW = g @ colsᵀ and
dL/dx = col2im(Wᵀ @ g), one GEMM each. The kernels are ``im2col`` / ``col2im`` of the backend contract.
"""
from ..autograd import Function
from ..backend import contiguous


def conv_output_size(size, kernel, stride, padding, dilation):
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1, as torch."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class Im2Col(Function):
    """cols = im2col(x)      backward: dL/dx = col2im(dL/dcols)   (its adjoint, also linear)
    Linear: jvp takes the patches of the tangent."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        n, c, h, w = x.shape
        oh = conv_output_size(h, kh, sh, ph, dh)
        ow = conv_output_size(w, kw, sw, pw, dw)
        ctx.geometry = ((h, w), kernel_size, stride, padding, dilation)
        backend = x.backend
        out = backend.xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
        backend.im2col(contiguous(x.array), sh, sw, ph, pw, dh, dw, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (h, w), _, stride, padding, dilation = ctx.geometry
        return Col2Im.apply(grad, (h, w), stride, padding, dilation), None, None, None, None

    @staticmethod
    def jvp(ctx, tx, *_):
        _, kernel_size, stride, padding, dilation = ctx.geometry
        return Im2Col.apply(tx, kernel_size, stride, padding, dilation)


class Col2Im(Function):
    """x = col2im(cols): each patch entry added to the pixel it was read from.
    backward: dL/dcols = im2col(dL/dx)      Linear: jvp adds the tangent's patches back."""

    @staticmethod
    def forward(ctx, cols, image_size, stride, padding, dilation):
        c, kh, kw, n, _, _ = cols.shape
        ctx.geometry = ((kh, kw), stride, padding, dilation)
        ctx.image_size = image_size
        backend = cols.backend
        out = backend.xp.empty((n, c) + tuple(image_size), dtype=cols.dtype)
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        backend.col2im(contiguous(cols.array), sh, sw, ph, pw, dh, dw, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        kernel_size, stride, padding, dilation = ctx.geometry
        return Im2Col.apply(grad, kernel_size, stride, padding, dilation), None, None, None, None

    @staticmethod
    def jvp(ctx, tcols, *_):
        _, stride, padding, dilation = ctx.geometry
        return Col2Im.apply(tcols, ctx.image_size, stride, padding, dilation)


def im2col(x, kernel_size, stride, padding, dilation):
    """Patches (C, KH, KW, N, OH, OW) of x (N, C, H, W); every size argument an (h, w) pair."""
    return Im2Col.apply(x, kernel_size, stride, padding, dilation)


def col2im(cols, image_size, stride, padding, dilation):
    return Col2Im.apply(cols, tuple(image_size), stride, padding, dilation)


__all__ = ["Im2Col", "Col2Im", "im2col", "col2im", "conv_output_size"]
