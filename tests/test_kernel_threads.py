"""Threaded Cython kernels: no scalar shared between threads, and 2 threads = 1 thread.

In a ``prange`` body OpenMP makes private only the variables the body assigns; a scalar whose
address escapes (``helper(&m, &s)``) stays shared by every thread, and rows computed at the
same time overwrite each other's. That is how the cross-entropy forward returned wrong losses
for large batches. Two guards: a source audit of every ``prange`` body in csrc/cpu, and each
row/element kernel run on one and on two threads, above the size where the backend threads it,
compared bit for bit (every kernel here splits work by independent rows, elements or column
blocks, so the thread count must not change a single bit) and with the numpy reference.
"""
import glob
import os
import re

import numpy as np
import pytest

from minigrad.backend import reference

pytest.importorskip("minigrad._C.loss", reason="the compiled CPU kernels are not built")
from minigrad._C import activation, conv, loss, prox, reduce, softmax  # noqa: E402

CSRC = os.path.join(os.path.dirname(__file__), "..", "csrc", "cpu")

# &name not followed by "[": the address of a scalar (&x[r, 0] is an element of an array).
_ADDRESS_OF_SCALAR = re.compile(r"&\s*([A-Za-z_]\w*)\b(?!\s*\[)")


def prange_bodies(source):
    """(line number, text) of every line inside a ``for ... in prange(...)`` body."""
    lines = source.splitlines()
    found = []
    for i, line in enumerate(lines):
        if re.match(r"\s*for .* in prange\(", line):
            indent = len(line) - len(line.lstrip())
            for j in range(i + 1, len(lines)):
                body = lines[j]
                if body.strip() and len(body) - len(body.lstrip()) <= indent:
                    break
                found.append((j + 1, body))
    return found


def scalars_shared_in_prange(source):
    return [(n, m.group(1)) for n, text in prange_bodies(source)
            for m in _ADDRESS_OF_SCALAR.finditer(text.split("#")[0])]


def test_audit_finds_the_pattern_that_broke_cross_entropy():
    # the loop as it was: the audit must flag m and s, and not the array elements
    old = ("    with nogil:\n"
           "        for r in prange(N, schedule='static', num_threads=nthreads):\n"
           "            _softmax_row(&x[r, 0], &probs[r, 0], C, &m, &s)\n"
           "            t = target[r]\n")
    assert [name for _, name in scalars_shared_in_prange(old)] == ["m", "s"]


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(CSRC, "*.pyx"))),
                         ids=os.path.basename)
def test_no_prange_body_takes_the_address_of_a_scalar(path):
    with open(path) as f:
        shared = scalars_shared_in_prange(f.read())
    assert not shared, (f"{os.path.basename(path)}: a prange body passes the address of a scalar "
                        f"(shared between threads): {shared}; compute it inside a per-row "
                        "function instead")


def _rng():
    return np.random.default_rng(7)


ROWS, COLS = 4096, 64   # 2¹⁸ elements; the thread count is passed to the kernels explicitly


def _logits(rng, dtype):
    x = rng.standard_normal((ROWS, COLS)) * 3
    x[::97] = 0.0           # ties within rows
    x[5, 3] = -np.inf       # a masked logit
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_forward_two_threads_is_one_thread(dtype, label_smoothing):
    rng = _rng()
    for _ in range(10):  # the race hit about half of such batches on 2 cores
        x = _logits(rng, dtype)
        if label_smoothing:
            x[5, 3] = 0.0    # with smoothing a −inf logit makes the loss +inf: keep it finite
        target = rng.integers(0, COLS, ROWS).astype(np.int64)
        target[::13] = -100
        weight = rng.uniform(0.5, 2.0, COLS).astype(dtype)
        results = []
        for threads in (1, 2):
            probs, out = np.empty_like(x), np.empty(ROWS, dtype)
            loss.cross_entropy_forward(x, target, weight, label_smoothing, -100, probs, out,
                                       threads)
            results.append((probs, out))
        np.testing.assert_array_equal(results[1][0], results[0][0])
        np.testing.assert_array_equal(results[1][1], results[0][1])
        want_p, want_l = np.empty_like(x), np.empty(ROWS, dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            reference.cross_entropy_forward(x.astype(np.float64), target,
                                            weight.astype(np.float64), label_smoothing, -100,
                                            want_p, want_l)
        finite = np.isfinite(want_l)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(results[1][1][finite], want_l[finite], rtol=tol, atol=tol)


def _same_on_one_and_two_threads(kernel, inputs, out_shape, dtype, *scalars):
    outs = []
    for threads in (1, 2):
        out = np.full(out_shape, np.nan, dtype)
        kernel(*inputs, *scalars, out, threads) if scalars else kernel(*inputs, out, threads)
        outs.append(out)
    np.testing.assert_array_equal(outs[1], outs[0])
    return outs[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_row_and_elementwise_kernels_two_threads_is_one_thread(dtype):
    rng = _rng()
    x = _logits(rng, dtype)
    x[5, 3] = 0.0
    g = rng.standard_normal((ROWS, COLS)).astype(dtype)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for name in ("relu_forward", "sigmoid_forward"):
        _same_on_one_and_two_threads(getattr(activation, name), (flat,), flat.shape, dtype)
    for name in ("relu_backward", "sigmoid_backward", "tanh_backward"):
        _same_on_one_and_two_threads(getattr(activation, name), (flat, gflat), flat.shape, dtype)
    for name in ("softmax_forward", "log_softmax_forward"):
        got = _same_on_one_and_two_threads(getattr(softmax, name), (x,), x.shape, dtype)
        want = np.empty_like(x)
        getattr(reference, name)(x, want)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for name in ("softmax_backward", "log_softmax_backward"):
        _same_on_one_and_two_threads(getattr(softmax, name), (x, g), x.shape, dtype)
    got = _same_on_one_and_two_threads(softmax.logsumexp_forward, (x,), (ROWS,), dtype)
    want = np.empty(ROWS, dtype)
    reference.logsumexp_forward(x, want)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    _same_on_one_and_two_threads(reduce.sum_rows, (x,), (COLS,), dtype)
    _same_on_one_and_two_threads(loss.erf_forward, (flat,), flat.shape, dtype)
    # prox: soft_threshold(v, threshold, divisor, out, threads); group rows likewise
    outs = []
    for threads in (1, 2):
        out = np.empty_like(flat)
        prox.soft_threshold(flat, 0.5, 1.5, out, threads)
        outs.append(out)
    np.testing.assert_array_equal(outs[1], outs[0])
    outs = []
    for threads in (1, 2):
        out = np.empty_like(x)
        prox.group_soft_threshold(x, 2.0, out, threads)
        outs.append(out)
    np.testing.assert_array_equal(outs[1], outs[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_cross_entropy_backward_and_conv_two_threads_is_one_thread(dtype):
    rng = _rng()
    probs = rng.dirichlet(np.ones(COLS), ROWS).astype(dtype)
    target = rng.integers(0, COLS, ROWS).astype(np.int64)
    weight = rng.uniform(0.5, 2.0, COLS).astype(dtype)
    grad = rng.standard_normal(ROWS).astype(dtype)
    outs = []
    for threads in (1, 2):
        out = np.empty_like(probs)
        loss.cross_entropy_backward(probs, target, weight, 0.1, -100, grad, out, threads)
        outs.append(out)
    np.testing.assert_array_equal(outs[1], outs[0])
    # conv: (N, C, H, W) = (8, 4, 28, 28), 3x3 kernel, stride 1, padding 1 -> cols of 2.5e5
    x = rng.standard_normal((8, 4, 28, 28)).astype(dtype)
    cols = []
    for threads in (1, 2):
        out = np.empty((4, 3, 3, 8, 28, 28), dtype)
        conv.im2col(x, out, 1, 1, 1, 1, 1, 1, threads)
        cols.append(out)
    np.testing.assert_array_equal(cols[1], cols[0])
    want = np.empty_like(cols[0])
    reference.im2col(x, 1, 1, 1, 1, 1, 1, want)
    np.testing.assert_array_equal(cols[1], want)
    images = []
    for threads in (1, 2):
        out = np.empty_like(x)
        conv.col2im(cols[0], out, 1, 1, 1, 1, 1, 1, threads)
        images.append(out)
    np.testing.assert_array_equal(images[1], images[0])
