"""Convolution as needle does it: im2col (gather the patches), one matmul, col2im (its adjoint).

``Im2Col`` turns x (N, C, H, W) into its patches (C, KH, KW, N, OH, OW),

    cols[c, i, j, n, oh, ow] = x[n, c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]   (0 in the padding)

a linear map whose adjoint is ``Col2Im`` (each patch entry added back to the pixel it came
from). So each is the other's backward, and a conv2d built as

    out = W (O, C·KH·KW) @ cols (C·KH·KW, N·OH·OW)   → (O, N, OH, OW) → (N, O, OH, OW)

is one GEMM, and has every derivative, of any order, from ops: dL/dW = g @ colsᵀ and
dL/dx = col2im(Wᵀ @ g), one GEMM each. The kernels are ``im2col`` / ``col2im`` of the backend
contract. ``Conv2d`` below is that conv2d fused into one Function (forward and a backward on
the arrays, the ops formula when the backward is differentiated).

Max pooling has a kernel of its own (``max_pool2d_forward``: each window's maximum and where it
was); given that index, the max-pool is a linear map on the (H, W) planes, and its adjoint is
its backward:

    GatherPlanes   y[n, c, k] = x[n, c, index[n, c, k]]        (the max-pool itself, given index)
    ScatterPlanes  x[n, c, index[n, c, k]] += y[n, c, k]       (its backward)

so the gradient of a max-pool of any order is these two kernels, each the other's backward.
"""
from .. import threads
from ..autograd import Function, backward_is_differentiated, is_grad_enabled
from .._operands import _const
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


#: Bytes of patches per chunk of images in Conv2d on the CPU: im2col writes a chunk and the
#: GEMM reads it back while it is still in cache. LeNet's layers, batch 64, one thread
#: (CPU time, fwd + bwd): conv1 2.39 ms whole batch → 1.28 ms in chunks of 4–8 images,
#: conv2 2.69 → 2.39 ms (chunks of 4); chunks of 16 or more lose it again.
PATCH_CHUNK_BYTES = 1 << 19


def _image_chunks(n, bytes_per_image, xp):
    """[(n0, n1), ...]: the batch in runs of images whose patches take about PATCH_CHUNK_BYTES
    (on the GPU one run: there the launches, not the cache, are what cost)."""
    import numpy
    if xp is not numpy or n == 0:
        return [(0, n)]
    step = max(1, min(n, PATCH_CHUNK_BYTES // max(1, bytes_per_image)))
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


class Conv2d(Function):
    """out = conv2d(x, W, b) with groups = 1, fused: x (N, C, H, W), W (O, C, KH, KW), b (O,)

        cols = im2col(x) as (C·KH·KW, N·OH·OW),   out = (W₂ cols) as (N, O, OH, OW) + b

    with W₂ = W as (O, C·KH·KW): a GEMM, whose result is moved to (N, O, OH, OW) in the same
    pass that adds the bias. On the CPU the batch is done in chunks of images (_image_chunks)
    so that each chunk's patches are still in cache when the GEMM reads them; the chunks'
    patches are kept for dL/dW. With G = dL/dout as (O, N·OH·OW):

        dL/dW = G colsᵀ      dL/db = Σ over n, oh, ow of dL/dout      dL/dx = col2im(W₂ᵀ G)

    (sums over the chunks). When the backward is itself differentiated (create_graph,
    forward-over-reverse) these are written with ops (Im2Col, matmul, Col2Im:
    ``conv2d_gradients``), so gradients of any order come from them; otherwise they run on
    the arrays, dL/dW as (cols Gᵀ)ᵀ, the orientation OpenBLAS ran fastest.
    Bilinear in (x, W), plus b: jvp = conv2d(tx, W) + conv2d(x, tW) + tb.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation):
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        n, c, h, w = x.shape
        o, _, kh, kw = weight.shape
        oh = conv_output_size(h, kh, sh, ph, dh)
        ow = conv_output_size(w, kw, sw, pw, dw)
        patch = c * kh * kw
        backend = x.backend
        xp = backend.xp
        image, w2 = contiguous(x.array), weight.array.reshape(o, patch)
        out = xp.empty((n, o, oh, ow), dtype=x.dtype)
        chunks = _image_chunks(n, patch * oh * ow * x.array.itemsize, xp)
        kept = []
        # one allocation for every chunk's patches: separate ones of a few hundred KiB each
        # were mapped and page-faulted afresh every step by glibc (conv1 forward 2.5 → 1.0 ms
        # alone), one large block stays in its heap
        block = xp.empty(patch * n * oh * ow, dtype=x.dtype)
        # BLAS threads by one chunk's product, set once for the loop (minigrad/threads.py)
        chunk_macs = o * patch * oh * ow * max([n1 - n0 for n0, n1 in chunks], default=0)
        with threads.products_of(chunk_macs):
            for n0, n1 in chunks:
                cols = block[patch * n0 * oh * ow:patch * n1 * oh * ow].reshape(
                    (c, kh, kw, n1 - n0, oh, ow))
                backend.im2col(image[n0:n1], sh, sw, ph, pw, dh, dw, cols)
                moved = (w2 @ cols.reshape(patch, -1)).reshape(o, n1 - n0, oh, ow).transpose(
                    1, 0, 2, 3)
                if bias is None:
                    out[n0:n1] = moved
                else:
                    xp.add(moved, bias.array.reshape(1, o, 1, 1), out=out[n0:n1])
                kept.append(cols)
        ctx.save_for_backward(x, weight)
        ctx.geometry, ctx.output_size, ctx.chunks = (stride, padding, dilation), (oh, ow), chunks
        ctx.cols = kept if weight.requires_grad else None    # dL/dW's other factor
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        stride, padding, dilation = ctx.geometry
        wants_x, wants_w, wants_b = ctx.needs_input_grad[:3]
        if backward_is_differentiated():
            return conv2d_gradients(x, weight, grad, stride, padding, dilation, wants_x,
                                    wants_w, wants_b) + (None, None, None)
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        xp = x.backend.xp
        o, c, kh, kw = weight.shape
        patch = c * kh * kw
        w2 = weight.array.reshape(o, patch)
        gw_t = xp.zeros((patch, o), dtype=weight.dtype) if wants_w else None   # dL/dWᵀ
        dx = xp.empty(x.shape, dtype=x.dtype) if wants_x else None
        oh, ow = ctx.output_size
        # one buffer for each chunk's W₂ᵀ G in turn (a fresh one per chunk was page-faulted)
        largest = max(n1 - n0 for n0, n1 in ctx.chunks)
        scratch = xp.empty(patch * largest * oh * ow, dtype=x.dtype) if wants_x else None
        with threads.products_of(o * patch * oh * ow * largest):
            for k, (n0, n1) in enumerate(ctx.chunks):
                g = xp.ascontiguousarray(grad.array[n0:n1].transpose(1, 0, 2, 3)).reshape(o, -1)
                if wants_w:
                    gw_t += ctx.cols[k].reshape(patch, -1) @ g.T
                if wants_x:
                    patches = scratch[:patch * (n1 - n0) * oh * ow].reshape(patch, -1)
                    xp.matmul(w2.T, g, out=patches)
                    x.backend.col2im(patches.reshape((c, kh, kw, n1 - n0, oh, ow)), sh, sw, ph, pw,
                                     dh, dw, dx[n0:n1])
        gx = None if dx is None else _const(dx, x)
        gw = None if gw_t is None else _const(xp.ascontiguousarray(gw_t.T).reshape(weight.shape),
                                               weight)
        gb = _const(grad.array.sum(axis=(0, 2, 3)), weight) if wants_b else None
        return gx, gw, gb, None, None, None

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        x, weight = ctx.saved_tensors
        stride, padding, dilation = ctx.geometry
        parts = []
        if tx is not None:
            parts.append(Conv2d.apply(tx, weight, None, stride, padding, dilation))
        if tw is not None:
            parts.append(Conv2d.apply(x, tw, None, stride, padding, dilation))
        total = None
        for part in parts:
            total = part if total is None else total + part
        if tb is not None:
            from .shape import broadcast_to
            shape = (x.shape[0], weight.shape[0]) + tuple(ctx.output_size)
            bias = broadcast_to(tb.reshape(1, -1, 1, 1), shape)
            total = bias if total is None else total + bias
        return total


def conv2d_gradients(x, weight, grad, stride, padding, dilation, wants_x=True, wants_w=True,
                     wants_b=True):
    """(dL/dx, dL/dW, dL/db) of Conv2d written with ops (each None where not wanted):
    G = grad as (O, N·OH·OW), dL/dW = G im2col(x)ᵀ, dL/db = Σ grad, dL/dx = col2im(W₂ᵀ G)."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    oh, ow = grad.shape[2], grad.shape[3]
    g = grad.permute(1, 0, 2, 3).reshape(o, n * oh * ow)
    gx = gw = gb = None
    if wants_w:
        cols = im2col(x, (kh, kw), stride, padding, dilation).reshape(c * kh * kw, n * oh * ow)
        gw = (g @ cols.transpose(0, 1)).reshape(weight.shape)
    if wants_b:
        gb = grad.sum(axis=(0, 2, 3))
    if wants_x:
        patches = (weight.reshape(o, c * kh * kw).transpose(0, 1) @ g).reshape(
            c, kh, kw, n, oh, ow)
        gx = col2im(patches, (h, w), stride, padding, dilation)
    return gx, gw, gb


def im2col(x, kernel_size, stride, padding, dilation):
    """Patches (C, KH, KW, N, OH, OW) of x (N, C, H, W); every size argument an (h, w) pair."""
    return Im2Col.apply(x, kernel_size, stride, padding, dilation)


def col2im(cols, image_size, stride, padding, dilation):
    return Col2Im.apply(cols, tuple(image_size), stride, padding, dilation)


def _flat(geometry):
    """((kh, kw), (sh, sw), (ph, pw), (dh, dw)) -> kh, kw, sh, sw, ph, pw, dh, dw"""
    return tuple(v for pair in geometry for v in pair)


class GatherPlanes(Function):
    """y[n, c, oh, ow] = x[n, c, index[n, c, oh, ow]]   (each (H, W) plane read flat; 0 at −1)

    index names a tap of window (oh, ow) of the pooling geometry (as max_pool2d_forward makes
    it). Linear in x: backward dL/dx = ScatterPlanes(dL/dy, index), jvp GatherPlanes(tx, index).
    """

    @staticmethod
    def forward(ctx, x, index, geometry):
        ctx.image_size, ctx.geometry = x.shape[2:], geometry
        backend = x.backend
        out = backend.xp.empty(index.shape, dtype=x.dtype)
        backend.gather_planes(contiguous(x.array), index.array, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return ScatterPlanes.apply(grad, ctx.inputs[1], ctx.image_size, ctx.geometry), None, None

    @staticmethod
    def jvp(ctx, tx, *_):
        return GatherPlanes.apply(tx, ctx.inputs[1], ctx.geometry)


class ScatterPlanes(Function):
    """x[n, c, index[n, c, oh, ow]] += y[n, c, oh, ow] into zero planes of image_size (an index
    that is not a tap of its window, such as −1, is skipped): GatherPlanes' adjoint. Linear in
    y: backward dL/dy = GatherPlanes(dL/dx, index), jvp ScatterPlanes(ty, index)."""

    @staticmethod
    def forward(ctx, y, index, image_size, geometry):
        ctx.image_size, ctx.geometry = tuple(image_size), geometry
        backend = y.backend
        out = backend.xp.empty(tuple(y.shape[:2]) + ctx.image_size, dtype=y.dtype)
        backend.scatter_add_planes(contiguous(y.array), index.array, *_flat(geometry), out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GatherPlanes.apply(grad, ctx.inputs[1], ctx.geometry), None, None, None

    @staticmethod
    def jvp(ctx, ty, *_):
        return ScatterPlanes.apply(ty, ctx.inputs[1], ctx.image_size, ctx.geometry)


def max_pool2d_with_index(x, kernel_size, stride, padding, dilation, output_size):
    """(out, index) of a max-pool of x (N, C, H, W), every size argument an (h, w) pair and
    output_size (OH, OW) the caller's (ceil_mode).

    index[n, c, oh, ow] is the flat position r·W + q in its (H, W) plane of the tap the
    ``max_pool2d_forward`` kernel chose (torch's: the first maximum, or the last NaN; −1 for a
    window with no tap inside x), found without recording: it is piecewise constant in x. The
    output is then x read at index, GatherPlanes, which is linear in x: so the derivatives of
    every order are GatherPlanes' and ScatterPlanes', and the max's kinks (ties) are in the
    index alone, as with torch's indices. Without a graph to record (no grad, no forward-mode
    level) the kernel's own maxima are the output.
    """
    from ..tensor import Tensor   # (ops is imported by tensor.py: the one deferred import)
    geometry = (tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation))
    backend = x.backend
    shape = tuple(x.shape[:2]) + tuple(output_size)
    out = backend.xp.empty(shape, dtype=x.dtype)
    index = backend.xp.empty(shape, dtype="int64")
    backend.max_pool2d_forward(contiguous(x.array), *_flat(geometry), out, index)
    index = Tensor._wrap(index, x.device)
    if not (x.requires_grad and is_grad_enabled()) and x._fw_tangent is None:
        return Tensor._wrap(out, x.device), index     # nothing records x: the maxima as found
    return GatherPlanes.apply(x, index, geometry), index


__all__ = ["Im2Col", "Col2Im", "im2col", "col2im", "conv_output_size", "Conv2d",
           "conv2d_gradients",
           "GatherPlanes", "ScatterPlanes", "max_pool2d_with_index"]
