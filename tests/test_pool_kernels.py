"""The max-pool kernels (max_pool2d_forward, gather_planes, scatter_add_planes) of every backend
present against the numpy reference, the reference against torch, and max_pool2d built on them
against its readable version written with im2col and indexing (nn/_pool_functions.py)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.backend import cpu, get_backend, reference
from minigrad.nn import _pool_functions

DTYPES = [np.float32, np.float64]
GEOMETRIES = [  # (kh, kw, sh, sw, ph, pw, dh, dw)
    (2, 2, 2, 2, 0, 0, 1, 1), (3, 3, 1, 1, 1, 1, 1, 1), (3, 2, 2, 1, 1, 1, 1, 2),
    (2, 3, 3, 2, 1, 1, 3, 2), (1, 1, 2, 2, 0, 0, 1, 1)]


def _pooled(size, k, s, p, d, extra=0):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1 + extra


def _edge_input(shape, dtype, seed=0):
    """Random values with ties (many zeros, as after a ReLU), NaN, +inf and -inf."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[::3] = 0.0
    x.flat[5::17] = np.nan
    x.flat[7::13] = -np.inf
    x.flat[2::19] = np.inf
    return x


def _run(backend, x, geometry, pooled):
    xd = backend.asarray(x, x.dtype)
    out = backend.xp.full(pooled, np.nan, x.dtype)
    index = backend.xp.full(pooled, 12345, np.int64)
    backend.max_pool2d_forward(xd, *geometry, out, index)
    return xd, out, index


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extra", [0, 1])   # 1: a row and column of windows past the input
def test_kernels_match_the_reference(device, dtype, geometry, extra):
    backend = get_backend(device)
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    shape = (2, 3, 9, 7)
    pooled = (2, 3, _pooled(9, kh, sh, ph, dh, extra), _pooled(7, kw, sw, pw, dw, extra))
    x = _edge_input(shape, dtype)
    want_out, want_index = np.empty(pooled, dtype), np.empty(pooled, np.int64)
    reference.max_pool2d_forward(x, *geometry, want_out, want_index)
    xd, out, index = _run(backend, x, geometry, pooled)
    np.testing.assert_array_equal(backend.to_numpy(index), want_index)
    np.testing.assert_array_equal(backend.to_numpy(out), want_out)   # NaN where NaN
    want = np.empty(pooled, dtype)
    reference.gather_planes(x, want_index, want)
    got = backend.xp.full(pooled, np.nan, dtype)
    backend.gather_planes(xd, index, got)
    np.testing.assert_array_equal(backend.to_numpy(got), want)
    np.testing.assert_array_equal(want[want_index >= 0], want_out[want_index >= 0])
    g = np.random.default_rng(1).standard_normal(pooled).astype(dtype)
    want_dx = np.empty(shape, dtype)
    reference.scatter_add_planes(g, want_index, *geometry, want_dx)
    got_dx = backend.xp.full(shape, np.nan, dtype)
    backend.scatter_add_planes(backend.asarray(g, dtype), index, *geometry, got_dx)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(backend.to_numpy(got_dx), want_dx, **tol)
    # adjoint: <gather(x), g> = <x, scatter(g)> over the finite entries
    finite = np.where(np.isfinite(x), x, 0).astype(np.float64)
    gathered = np.empty(pooled)
    reference.gather_planes(finite, want_index, gathered)
    np.testing.assert_allclose((gathered * g).sum(), (finite * want_dx).sum(), rtol=1e-5)


def test_reference_matches_torch_on_ties_nan_and_infinities():
    torch = pytest.importorskip("torch")
    for geometry in GEOMETRIES:
        kh, kw, sh, sw, ph, pw, dh, dw = geometry
        if ph > kh // 2 or pw > kw // 2:
            continue
        for ceil in (False, True):
            x = _edge_input((2, 3, 9, 7), np.float64, seed=3)
            want, want_index = torch.nn.functional.max_pool2d(
                torch.tensor(x), (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil_mode=ceil,
                return_indices=True)
            pooled = tuple(want.shape)
            out, index = np.empty(pooled), np.empty(pooled, np.int64)
            reference.max_pool2d_forward(x, *geometry, out, index)
            np.testing.assert_array_equal(out, want.numpy())
            np.testing.assert_array_equal(index, want_index.numpy())


def test_threaded_kernels_match_the_serial_ones():
    """Above PARALLEL_MIN_SIZE the CPU kernels split the planes over threads."""
    if not cpu.COMPILED:
        pytest.skip("compiled kernels not in use")
    from minigrad._C import pool
    shape = (4, 8, 184, 184)                      # 1.08M entries ≥ 2²⁰
    assert np.prod(shape) >= cpu.PARALLEL_MIN_SIZE
    x = _edge_input(shape, np.float32, seed=4)
    pooled = (4, 8, 92, 92)
    results = []
    for threads in (1, 2):
        out, index = np.empty(pooled, np.float32), np.empty(pooled, np.int64)
        pool.max_pool2d_forward(x, out, index, 2, 2, 2, 2, 0, 0, 1, 1, threads)
        got = np.empty(pooled, np.float32)
        pool.gather_planes(x, index, got, threads)
        dx = np.empty(shape, np.float32)
        pool.scatter_add_planes(got, index, dx, 2, 2, 2, 2, 0, 0, 1, 1, threads)
        results.append((out, index, got, dx))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_empty_and_odd_sizes(device):
    backend = get_backend(device)
    for shape, geometry in [((0, 3, 4, 4), (2, 2, 2, 2, 0, 0, 1, 1)),
                            ((2, 0, 4, 4), (2, 2, 2, 2, 0, 0, 1, 1)),
                            ((1, 1, 1, 1), (1, 1, 1, 1, 0, 0, 1, 1)),
                            ((3, 1, 5, 3), (3, 3, 2, 2, 1, 1, 1, 1))]:
        kh, kw, sh, sw, ph, pw, dh, dw = geometry
        pooled = shape[:2] + (_pooled(shape[2], kh, sh, ph, dh), _pooled(shape[3], kw, sw, pw, dw))
        x = _edge_input(shape, np.float64)
        want, want_index = np.empty(pooled), np.empty(pooled, np.int64)
        reference.max_pool2d_forward(x, *geometry, want, want_index)
        _, out, index = _run(backend, x, geometry, pooled)
        np.testing.assert_array_equal(backend.to_numpy(out), want)
        np.testing.assert_array_equal(backend.to_numpy(index), want_index)


def test_a_window_outside_the_input_gives_minus_infinity_and_no_gradient(device):
    backend = get_backend(device)
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    geometry = (2, 2, 1, 1, 1, 1, 3, 3)              # dilation 3: window (0, 0) reads only padding
    pooled = (1, 1, 1, 1)
    _, out, index = _run(backend, x, geometry, pooled)
    assert backend.to_numpy(out)[0, 0, 0, 0] == -np.inf
    assert backend.to_numpy(index)[0, 0, 0, 0] == -1
    dx = backend.xp.full(x.shape, np.nan)
    backend.scatter_add_planes(backend.asarray(np.ones(pooled), np.float64), index, *geometry, dx)
    np.testing.assert_array_equal(backend.to_numpy(dx), np.zeros_like(x))


def test_indices_that_are_not_taps_of_their_window_are_skipped(device):
    """A bad index never reads or writes out of bounds: off the plane it reads 0 and is never
    written through; scattering also skips one that is not a tap of its own window."""
    backend = get_backend(device)
    x = backend.asarray(np.arange(16.0).reshape(1, 1, 4, 4), np.float64)
    index = backend.asarray(np.array([[[[-5, 16], [10**12, 0]]]], np.int64), np.int64)
    got = backend.xp.full((1, 1, 2, 2), np.nan)
    backend.gather_planes(x, index, got)
    np.testing.assert_array_equal(backend.to_numpy(got), [[[[0, 0], [0, 0]]]])
    dx = backend.xp.full((1, 1, 4, 4), np.nan)
    backend.scatter_add_planes(backend.asarray(np.ones((1, 1, 2, 2)), np.float64), index,
                               2, 2, 2, 2, 0, 0, 1, 1, dx)   # 0 is not in window (1, 1)
    np.testing.assert_array_equal(backend.to_numpy(dx), np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("call", [
    lambda be, m: be.max_pool2d_forward(m((2, 3, 4, 4), np.float32), 2, 2, 2, 2, 0, 0, 1, 1,
                                        m((2, 3, 2, 2), np.float32), m((2, 3, 2, 2), np.int32)),
    lambda be, m: be.max_pool2d_forward(m((2, 3, 4, 4), np.float32), 2, 2, 0, 2, 0, 0, 1, 1,
                                        m((2, 3, 2, 2), np.float32), m((2, 3, 2, 2), np.int64)),
    lambda be, m: be.max_pool2d_forward(m((2, 3, 4, 4), np.float32), 2, 2, 2, 2, 0, 0, 1, 1,
                                        m((2, 4, 2, 2), np.float32), m((2, 4, 2, 2), np.int64)),
    lambda be, m: be.gather_planes(m((2, 3, 4, 4), np.float64), m((2, 3, 2, 2), np.int64),
                                   m((2, 3, 2, 2), np.float32)),
    lambda be, m: be.scatter_add_planes(m((2, 3, 2, 2), np.float64), m((2, 3, 2, 3), np.int64),
                                        2, 2, 2, 2, 0, 0, 1, 1, m((2, 3, 4, 4), np.float64)),
    lambda be, m: be.scatter_add_planes(m((2, 3, 2, 2), np.float64), m((2, 3, 2, 2), np.int64),
                                        2.0, 2, 2, 2, 0, 0, 1, 1, m((2, 3, 4, 4), np.float64)),
], ids=["index dtype", "stride 0", "channels", "dtype mismatch", "index shape", "float size"])
def test_bad_calls_raise_the_same_error_on_every_backend(device, call):
    backends = [cpu.ReferenceBackend(), get_backend(device)]
    errors = set()
    for be in backends:
        with pytest.raises((TypeError, ValueError)) as info:
            call(be, lambda shape, dtype, be=be: be.xp.zeros(shape, dtype))
        errors.add((info.type, str(info.value)))
    assert len(errors) == 1, errors


# ---- max_pool2d on the kernels against its readable version ---------------------------------

CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2)),
         dict(kernel_size=2, stride=1, dilation=2, padding=1)]


@pytest.mark.parametrize("kwargs", CASES)
def test_max_pool2d_agrees_with_its_readable_version(kwargs):
    x_np = _edge_input((2, 3, 9, 8), np.float64, seed=6)
    results = []
    for function in (F.max_pool2d, _pool_functions._max_pool2d_from_patches):
        x = mg.tensor(x_np, requires_grad=True)
        out, index = function(x, return_indices=True, **kwargs)
        g = mg.tensor(np.random.default_rng(2).standard_normal(out.shape))
        out.backward(g)
        results.append((out.numpy(), index.numpy(), x.grad.numpy()))
    (out, index, gx), (out2, index2, gx2) = results
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(index, index2)
    np.testing.assert_allclose(gx, gx2, rtol=1e-12, atol=1e-12)   # sums in another order


def test_max_pool2d_gradients_of_any_order_and_forward_mode():
    mg.manual_seed(3)
    x = mg.randn(2, 2, 6, 5, dtype=mg.float64, requires_grad=True)
    f = lambda t: F.max_pool2d(t, 3, stride=2, padding=1)  # noqa: E731
    assert mg.autograd.gradcheck(f, (x,))
    assert mg.autograd.gradgradcheck(f, (x,))
    assert mg.autograd.gradcheck(f, (x,), check_forward_ad=True, check_backward_ad=False)


def test_without_a_graph_the_kernel_maxima_are_the_output():
    x = mg.tensor(_edge_input((2, 3, 8, 8), np.float32, seed=7))
    with mg.no_grad():
        out = F.max_pool2d(x, 2)
    want = _pool_functions._max_pool2d_from_patches(x, 2)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    assert out.grad_fn is None
