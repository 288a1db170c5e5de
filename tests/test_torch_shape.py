"""torch's views, pieces, masks and indexing along an axis (issue 12, shape part), against torch.

The differential suite (tests/_differential_registry.py) compares values and first and second
derivatives on drawn shapes; gradcheck and gradgradcheck run on the Cases of minigrad/checks.py.
This file holds what those do not: return types, the edge shapes torch treats specially, view
and version semantics, dtypes other than float64, and the errors (minigrad's ValueError or
TypeError where torch raises its RuntimeError or IndexError).
"""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _pair(values, dtype=np.float64, requires_grad=False):
    a = np.asarray(values, dtype=dtype)
    return (mg.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _same(m, t):
    assert isinstance(m, mg.Tensor)
    tn = t.detach().numpy()
    assert m.shape == tuple(t.shape)
    assert m.dtype == tn.dtype, (m.dtype, tn.dtype)
    np.testing.assert_array_equal(m.numpy(), tn)


# ---- views ------------------------------------------------------------------------------------

def test_view_accepts_a_tuple_a_list_and_minus_one():
    m, t = _pair(np.arange(12.0).reshape(3, 4))
    for shape in [(-1,), ((2, 6),), ([6, -1],), (2, -1, 3)]:
        _same(m.view(*shape), t.view(*shape))


def test_view_of_a_contiguous_tensor_shares_its_memory_and_version():
    x = mg.arange(6.0)
    v = x.view(2, 3)
    v[0, 0] = 7.0
    assert x[0].item() == 7.0 and x._version == 1


def test_view_of_a_non_contiguous_tensor_copies_where_torch_refuses():
    """The documented difference: minigrad's view is reshape."""
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError):
        t.t().view(-1)
    _same(m.t().view(-1), t.t().reshape(-1))


def test_view_as_reshape_as_expand_as():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    mo, to = _pair(np.zeros((3, 2)))
    _same(m.view_as(mo), t.view_as(to))
    _same(m.reshape_as(mo), t.reshape_as(to))
    mc, tc = _pair(np.arange(3.0).reshape(3, 1))
    mb, tb = _pair(np.zeros((2, 3, 4)))
    _same(mc.expand_as(mb), tc.expand_as(tb))


@pytest.mark.parametrize("sizes", [(-1, 4), (2, -1, -1), (5, 3, 4), ((2, 3, 4),), ([3, -1],)])
def test_expand_minus_one_keeps_the_size(sizes):
    m, t = _pair(np.arange(3.0).reshape(3, 1))
    _same(m.expand(*sizes), t.expand(*sizes))


def test_expand_refuses_minus_one_in_a_new_leading_axis_and_too_few_sizes():
    m = mg.zeros(2, 3)
    with pytest.raises(ValueError, match="new leading axis"):
        m.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="at least one size per dimension"):
        m.expand(3)
    with pytest.raises(ValueError, match="cannot broadcast"):
        m.expand(2, 4)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_t_of_up_to_two_dims(shape):
    m, t = _pair(np.arange(float(np.prod(shape))).reshape(shape))
    _same(m.t(), t.t())
    _same(mg.t(m), torch.t(t))


def test_t_refuses_three_dims():
    with pytest.raises(ValueError, match=r"at most 2 dimensions, got shape \(2, 3, 4\)"):
        mg.zeros(2, 3, 4).t()


def test_contiguous_returns_self_or_a_copy_and_keeps_the_gradient():
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.contiguous() is x
    c = x.T.contiguous()
    assert c.array.flags.c_contiguous and c is not x
    (c * mg.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(3, 2).T)


def test_swapaxes_swapdims_movedim_moveaxis():
    m, t = _pair(np.arange(24.0).reshape(2, 3, 4))
    _same(m.swapaxes(0, 2), t.swapaxes(0, 2))
    _same(mg.swapdims(m, -1, 0), torch.swapdims(t, -1, 0))
    _same(m.movedim(0, -1), t.movedim(0, -1))
    _same(m.moveaxis([0, 1], [2, 0]), t.moveaxis([0, 1], [2, 0]))
    _same(mg.movedim(m, (2,), (0,)), torch.movedim(t, (2,), (0,)))


def test_movedim_errors():
    m = mg.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="different numbers"):
        m.movedim((0, 1), (2,))
    with pytest.raises(ValueError, match="twice"):
        m.movedim((0, 0), (1, 2))


def test_unflatten():
    m, t = _pair(np.arange(24.0).reshape(2, 12))
    for dim, sizes in [(1, (3, 4)), (-1, (-1, 4)), (1, [2, -1, 3]), (1, (12,))]:
        _same(m.unflatten(dim, sizes), t.unflatten(dim, sizes))
    me, te = _pair(np.zeros((2, 0)))
    _same(me.unflatten(1, (-1, 4)), te.unflatten(1, (-1, 4)))
    for bad in [(5, 4), (), (-1, -1), (0, -1)]:
        with pytest.raises(ValueError, match="unflatten"):
            (me if bad == (0, -1) else m).unflatten(1, bad)


def test_narrow():
    m, t = _pair(np.arange(5.0))
    for start, length in [(-2, 2), (5, 0), (-5, 1), (0, 5)]:
        _same(m.narrow(0, start, length), t.narrow(0, start, length))
    _same(m.narrow(0, mg.tensor(1), 2), t.narrow(0, torch.tensor(1), 2))
    for start, length in [(3, 3), (-6, 1), (6, 0), (1, -1)]:
        with pytest.raises(ValueError, match="narrow"):
            m.narrow(0, start, length)
    with pytest.raises(ValueError, match="at least one dimension"):
        mg.tensor(1.0).narrow(0, 0, 1)


def test_unbind_returns_a_tuple_of_views():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    pieces = m.unbind(1)
    assert isinstance(pieces, tuple) and len(pieces) == 3
    for a, b in zip(pieces, t.unbind(1)):
        _same(a, b)
    assert mg.zeros(0, 3).unbind() == ()
    with pytest.raises(ValueError):
        mg.tensor(1.0).unbind()


def test_squeeze_and_unsqueeze_take_dim_and_tuples():
    m, t = _pair(np.zeros((1, 2, 1)))
    _same(m.squeeze((0, 2)), t.squeeze((0, 2)))
    _same(m.squeeze(dim=[0, 2]), t.squeeze(dim=[0, 2]))
    _same(m.unsqueeze(dim=-1), t.unsqueeze(dim=-1))
    _same(mg.squeeze(m, dim=0), torch.squeeze(t, dim=0))
    _same(mg.tensor(1.0).squeeze((0,)), torch.tensor(1.0).squeeze((0,)))
    with pytest.raises(ValueError, match="twice"):
        m.squeeze((0, 0))
    with pytest.raises(TypeError, match="not both"):
        m.squeeze(0, dim=0)


# ---- split, chunk, cat, stack -----------------------------------------------------------------

@pytest.mark.parametrize("n,arg", [(5, 2), (5, 7), (5, [2, 3]), (5, [5, 0]), (0, 0), (0, 3),
                                   (4, [0, 4, 0])])
def test_split_sizes_as_torch(n, arg):
    m, t = _pair(np.arange(float(n)))
    pieces = m.split(arg)
    assert isinstance(pieces, tuple)
    want = t.split(arg)
    assert [p.shape for p in pieces] == [tuple(p.shape) for p in want]
    for a, b in zip(pieces, want):
        _same(a, b)
    assert [p.shape for p in mg.split(m, arg)] == [tuple(p.shape) for p in torch.split(t, arg)]


def test_split_errors():
    m = mg.arange(5.0)
    with pytest.raises(ValueError, match="split_size 0"):
        m.split(0)
    with pytest.raises(ValueError, match="split_size -1"):
        m.split(-1)
    with pytest.raises(ValueError, match=r"add up to the size 5"):
        m.split([2, 2])
    with pytest.raises(TypeError, match="sequence of ints"):
        m.split([2.5, 2.5])
    with pytest.raises(ValueError, match="at least one dimension"):
        mg.tensor(1.0).split(1)


@pytest.mark.parametrize("shape,chunks,dim", [((5,), 3, 0), ((6,), 4, 0), ((0,), 3, 0),
                                              ((2, 0), 3, 1), ((5,), 10, 0), ((3, 7), 2, -1)])
def test_chunk_sizes_as_torch(shape, chunks, dim):
    m, t = _pair(np.zeros(shape))
    got, want = m.chunk(chunks, dim), t.chunk(chunks, dim)
    assert isinstance(got, tuple)
    assert [p.shape for p in got] == [tuple(p.shape) for p in want]
    assert [p.shape for p in mg.chunk(m, chunks, dim)] == [tuple(p.shape) for p in want]


def test_chunk_errors():
    with pytest.raises(ValueError, match="positive"):
        mg.arange(5.0).chunk(0)
    with pytest.raises(ValueError, match="at least one dimension"):
        mg.tensor(1.0).chunk(2)


def test_split_pieces_are_views_sharing_the_version_counter():
    x = mg.arange(6.0)
    first, _ = x.split(3)
    first.add_(1.0)
    assert x._version == 1
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3, 3, 4, 5])


def test_gradient_of_unused_pieces_is_zero():
    x, tx = _pair(np.arange(6.0), requires_grad=True)
    (x.split(4)[1] * 3).sum().backward()
    (tx.split(4)[1] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_cat_skips_one_d_empty_tensors_as_torch():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    me, te = _pair(np.zeros(0))
    _same(mg.cat([m, me]), torch.cat([t, te]))
    _same(mg.cat([me, m], dim=1), torch.cat([te, t], dim=1))
    _same(mg.cat([me, me]), torch.cat([te, te]))
    with pytest.raises(ValueError, match="incompatible"):
        mg.cat([m, mg.zeros(0, 2, dtype=np.float64)])


def test_cat_and_stack_take_dim_axis_lists_and_tuples():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    _same(mg.cat((m, m), dim=1), torch.cat((t, t), dim=1))
    _same(mg.cat([m, m], axis=1), torch.cat([t, t], axis=1))
    _same(mg.concat([m, m], -1), torch.concat([t, t], -1))
    _same(mg.concatenate((m, m), axis=0), torch.concatenate((t, t), axis=0))
    _same(mg.stack((m, m), dim=1), torch.stack((t, t), dim=1))
    _same(mg.stack([m, m], axis=-1), torch.stack([t, t], axis=-1))
    with pytest.raises(TypeError, match="not both"):
        mg.cat([m, m], 0, dim=1)


def test_cat_promotes_integers_to_float_and_refuses_two_float_dtypes():
    m, t = _pair(np.arange(6.0).reshape(2, 3), np.float32)
    mi, ti = _pair([[1, 2, 3]], np.int64)
    _same(mg.cat([m, mi]), torch.cat([t, ti]))
    mb, tb = _pair([[True, False, True]], np.bool_)
    _same(mg.cat([mi, mb]), torch.cat([ti, tb]))
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.cat([m, m.double()])


def test_cat_and_stack_bad_input():
    with pytest.raises(ValueError, match="at least one tensor"):
        mg.cat([])
    with pytest.raises(TypeError, match="single Tensor"):
        mg.cat(mg.zeros(2))
    with pytest.raises(TypeError, match="element 1 is a list"):
        mg.stack([mg.zeros(2), [1.0, 2.0]])
    with pytest.raises(ValueError, match="zero-dimensional"):
        mg.cat([mg.tensor(1.0)])


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 2)])
def test_hstack_vstack(shape):
    m, t = _pair(np.arange(float(np.prod(shape))).reshape(shape))
    _same(mg.hstack([m, m]), torch.hstack([t, t]))
    _same(mg.vstack((m, m)), torch.vstack((t, t)))


# ---- triangles and masks -----------------------------------------------------------------------

@pytest.mark.parametrize("diagonal", [-2, -1, 0, 1, 5])
def test_tril_triu_batched_and_on_integers(diagonal):
    for dtype in (np.float64, np.int64, np.bool_):
        m, t = _pair(np.arange(24).reshape(2, 3, 4) % 3 > 0 if dtype == np.bool_
                     else np.arange(24).reshape(2, 3, 4), dtype)
        _same(m.tril(diagonal), t.tril(diagonal))
        _same(mg.triu(m, diagonal=diagonal), torch.triu(t, diagonal=diagonal))


def test_tril_keeps_no_nan_from_an_inf_it_drops_and_refuses_one_dim():
    m, t = _pair([[np.inf, np.nan], [1.0, 2.0]])
    _same(m.tril(), t.tril())
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        mg.arange(3.0).tril()
    with pytest.raises(TypeError, match="diagonal"):
        mg.zeros(2, 2).triu(0.5)


def test_masked_fill_values_and_gradients():
    m, t = _pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    mask = np.array([True, False, True])
    mv, tv = _pair(3.0, requires_grad=True)
    g = np.array([[np.inf, 1.0, 2.0], [3.0, -np.inf, 5.0]])   # inf where masked: still exactly 0
    ym, yt = m.masked_fill(mg.tensor(mask), mv), t.masked_fill(torch.tensor(mask), tv)
    _same(ym, yt)
    ym.backward(mg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(mv.grad.numpy(), tv.grad.numpy())


def test_masked_fill_broadcasting_numbers_and_dtypes():
    m, t = _pair(np.arange(6.0).reshape(2, 3), np.float32)
    for mask in (np.ones((2, 2, 3), bool), np.array([[True], [False]]), np.array(True)):
        for value in (-1, 2.5, float("-inf")):
            _same(m.masked_fill(mg.tensor(mask), value), t.masked_fill(torch.tensor(mask), value))
    _same(m.masked_fill(mg.tensor([True, False, True]), mg.tensor(4)),
          t.masked_fill(torch.tensor([True, False, True]), torch.tensor(4)))
    mi, ti = _pair(np.arange(3), np.int64)
    _same(mg.masked_fill(mi, mg.tensor([True, False, True]), 7),
          torch.masked_fill(ti, torch.tensor([True, False, True]), 7))


def test_masked_fill_errors():
    x = mg.zeros(2, 3)
    with pytest.raises(TypeError, match="bool Tensor"):
        x.masked_fill(mg.tensor([1, 0, 1]), 1.0)
    with pytest.raises(ValueError, match="must be 0-d"):
        x.masked_fill(mg.tensor([True, False, True]), mg.tensor([1.0]))
    with pytest.raises(TypeError, match="float64, the tensor float32"):
        x.masked_fill(mg.tensor([True, False, True]), mg.tensor(1.0, dtype=np.float64))
    with pytest.raises(TypeError, match="does not fit"):
        mg.arange(3).masked_fill(mg.tensor([True, False, True]), 1.5)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(mg.tensor([True, False]), 1.0)


def test_masked_fill_in_place():
    x = mg.zeros(2, 3)
    out = x.masked_fill_(mg.tensor([True, False, True]), 2.0)
    assert out is x and x._version == 1
    np.testing.assert_array_equal(x.numpy(), [[2, 0, 2], [2, 0, 2]])
    with pytest.raises(ValueError, match="cannot change the tensor's shape"):
        x.masked_fill_(mg.ones(2, 2, 3, dtype=np.bool_), 1.0)
    leaf = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor"):
        leaf.masked_fill_(mg.tensor([True, False, True]), 1.0)


def test_masked_fill_catches_a_later_write_into_the_mask():
    x = mg.zeros(3, requires_grad=True)
    mask = mg.tensor([True, False, True])
    y = x.masked_fill(mask, 1.0)
    mask[1] = True
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_where_method_and_scalars():
    m, t = _pair(np.arange(6.0).reshape(2, 3), np.float32)
    mc, tc = _pair([True, False, True], np.bool_)
    _same(m.where(mc, 0.0), t.where(tc, 0.0))
    _same(m.where(mc, -m), t.where(tc, -t))
    _same(mg.where(mc, 1.0, m), torch.where(tc, 1.0, t))
    _same(mg.where(mc, m, 2), torch.where(tc, t, 2))


# ---- indexing along an axis -------------------------------------------------------------------

def test_gather_and_scatter_add_as_torch_with_repeats_and_gradients():
    m, t = _pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = np.array([[0, 0], [2, 1]])
    ym, yt = m.gather(1, mg.tensor(idx)), t.gather(1, torch.tensor(idx))
    _same(ym, yt)
    ym.backward(mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64))
    yt.backward(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64))
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())
    ms, ts = _pair(np.ones((3, 3)), requires_grad=True)   # src larger than index
    _same(m.scatter_add(1, mg.tensor(idx), ms), t.scatter_add(1, torch.tensor(idx), ts))
    _same(mg.scatter_add(m, 0, mg.tensor([[1, 0, 1]]), ms),
          torch.scatter_add(t, 0, torch.tensor([[1, 0, 1]]), ts))


def test_gather_on_integer_tensors_zero_d_and_int32_indices():
    m, t = _pair(np.arange(6).reshape(2, 3), np.int64)
    i32 = np.array([[2], [0]], np.int32)
    _same(m.gather(1, mg.tensor(i32)), t.gather(1, torch.tensor(i32)))
    m0, t0 = _pair(5.0)
    _same(m0.gather(0, mg.tensor(0)), t0.gather(0, torch.tensor(0)))
    _same(m0.gather(-1, mg.tensor([0])), t0.gather(-1, torch.tensor([0])))
    _same(m.gather(1, mg.zeros(2, 0, dtype=np.int64)), t.gather(1, torch.zeros(2, 0).long()))


@pytest.mark.parametrize("call", [
    lambda x, i: x.gather(1, i), lambda x, i: x.scatter_add(1, i, mg.ones(1, 1)),
    lambda x, i: x.scatter(1, i, 0.0), lambda x, i: x.index_select(1, i.reshape(-1)),
    lambda x, i: x.take_along_dim(i, 1)])
def test_index_out_of_range_is_a_value_error_naming_it(call):
    x = mg.zeros(2, 3)
    for bad in (3, -1):
        with pytest.raises(ValueError, match=rf"index {bad} is out of range for dim 1 of size 3"):
            call(x, mg.tensor([[bad]]))


def test_index_must_be_an_integer_tensor():
    x = mg.zeros(2, 3)
    for call in (lambda i: x.gather(1, i), lambda i: x.index_select(1, i[0]),
                 lambda i: x.scatter_add(1, i, mg.zeros(1, 1)), lambda i: x.scatter(1, i, 0.0)):
        with pytest.raises(TypeError, match="integer tensor, got float32"):
            call(mg.tensor([[0.0]]))
        with pytest.raises(TypeError, match="integer Tensor, got .*list"):
            call([[0]])


def test_gather_and_scatter_shape_errors():
    x = mg.zeros(2, 3)
    with pytest.raises(ValueError, match="same number of dimensions"):
        x.gather(1, mg.tensor([0]))
    with pytest.raises(ValueError, match="larger than the tensor's"):
        x.gather(1, mg.tensor([[0], [0], [0]]))
    with pytest.raises(ValueError, match="larger than src's"):
        x.scatter_add(1, mg.tensor([[0, 0]]), mg.ones(1, 1))
    with pytest.raises(TypeError, match="src is float64, the tensor float32"):
        x.scatter_add(1, mg.tensor([[0]]), mg.ones(1, 1, dtype=np.float64))
    with pytest.raises(TypeError, match="src .* or value"):
        x.scatter(1, mg.tensor([[0]]))


def test_scatter_src_and_value_and_its_gradients():
    m, t = _pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = np.array([[0, 1], [2, 0]])
    ms, ts = _pair([[10.0, 20.0], [30.0, 40.0]], requires_grad=True)
    ym, yt = m.scatter(1, mg.tensor(idx), ms), t.scatter(1, torch.tensor(idx), ts)
    _same(ym, yt)
    g = np.arange(6.0).reshape(2, 3) + 1
    ym.backward(mg.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(ms.grad.numpy(), ts.grad.numpy())
    _same(m.scatter(1, mg.tensor(idx), 7.0), t.scatter(1, torch.tensor(idx), 7.0))
    _same(mg.scatter(m, 1, mg.tensor(idx), value=7),
          torch.scatter(t, 1, torch.tensor(idx), value=7))
    with pytest.raises(TypeError, match="does not fit"):
        mg.arange(3).reshape(1, 3).scatter(1, mg.tensor([[0]]), 1.5)


def test_index_select():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    for index in ([2, 0, 2], 2, []):
        _same(m.index_select(1, mg.tensor(index, dtype=np.int64)),
              t.index_select(1, torch.tensor(index, dtype=torch.int64)))
    m0, t0 = _pair(5.0)
    _same(mg.index_select(m0, 0, mg.tensor([0])), torch.index_select(t0, 0, torch.tensor([0])))
    with pytest.raises(ValueError, match="0-d or 1-D"):
        m.index_select(1, mg.tensor([[0]]))


def test_take_along_dim():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    for idx, dim in [([[0], [2]], 1), ([[0, 2]], 1), ([5, 0], None), ([[1, 0, 1]], 0)]:
        _same(m.take_along_dim(mg.tensor(idx), dim), t.take_along_dim(torch.tensor(idx), dim))
    with pytest.raises(ValueError, match="same number"):
        m.take_along_dim(mg.tensor([0]), 1)


def test_a_write_into_the_index_after_gather_makes_backward_raise():
    x = mg.zeros(3, requires_grad=True)
    idx = mg.tensor([0, 1])
    y = x.gather(0, idx)
    idx[0] = 2
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


# ---- flip, roll, repeat, tile, repeat_interleave ------------------------------------------------

def test_flip():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    for dims in [(0,), (0, 1), (-1,)]:
        _same(m.flip(*dims), t.flip(*dims))
        _same(mg.flip(m, dims), torch.flip(t, dims))
    _same(mg.tensor(1.0).flip(()), torch.tensor(1.0).flip(()))
    _same(m.flip(0).flip(0), t)   # a copy, not a view
    with pytest.raises(TypeError, match="needs the dims"):
        m.flip()
    with pytest.raises(ValueError, match="twice"):
        m.flip(0, 0)


def test_roll():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    for shifts, dims in [(1, None), (1, 1), ((1, 1), (0, 1)), (-4, 1), ((1,), (0,)), (7, None)]:
        _same(m.roll(shifts, dims), t.roll(shifts, dims))
    _same(mg.roll(mg.tensor(1.0), 1), torch.roll(torch.tensor(1.0), 1))
    for shifts, dims in [((1, 1), None), (1, (0, 1))]:
        with pytest.raises(ValueError, match="roll"):
            m.roll(shifts, dims)


@pytest.mark.parametrize("sizes", [(2, 1), (2, 1, 2), (0, 2), ((2, 2),), (1, 1)])
def test_repeat_is_numpy_tile(sizes):
    m, t = _pair(np.arange(6).reshape(2, 3), np.int64)
    _same(m.repeat(*sizes), t.repeat(*sizes))


def test_repeat_errors_and_zero_d():
    _same(mg.tensor(1.0).repeat(3), torch.tensor(1.0).repeat(3))
    with pytest.raises(ValueError, match="at least one per dimension"):
        mg.zeros(2, 3).repeat(2)
    with pytest.raises(ValueError, match="non-negative"):
        mg.zeros(2, 3).repeat(-1, 2)


@pytest.mark.parametrize("dims", [(2,), ((2,),), (2, 1, 1), ((),)])
def test_tile(dims):
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    _same(m.tile(*dims), t.tile(*dims))


def test_repeat_interleave():
    m, t = _pair(np.arange(6.0).reshape(2, 3))
    for repeats, dim in [(2, None), (2, 0), (2, -1), (0, 0)]:
        _same(m.repeat_interleave(repeats, dim), t.repeat_interleave(repeats, dim))
    for counts in ([1, 2], [2], 2):
        _same(m.repeat_interleave(mg.tensor(counts), dim=0),
              t.repeat_interleave(torch.tensor(counts), dim=0))
    _same(mg.repeat_interleave(mg.tensor(1.0), 3), torch.repeat_interleave(torch.tensor(1.0), 3))
    _same(m.repeat_interleave(2, 0, output_size=4), t.repeat_interleave(2, 0, output_size=4))
    with pytest.raises(ValueError, match="non-negative"):
        m.repeat_interleave(-1, 0)
    with pytest.raises(ValueError, match="1 or 2 elements"):
        m.repeat_interleave(mg.tensor([1, 2, 3]), dim=0)
    with pytest.raises(TypeError, match="int or an integer Tensor"):
        m.repeat_interleave([1, 2], dim=0)


# ---- clone and detach are unchanged -------------------------------------------------------------

def test_clone_and_detach_with_views_and_versions():
    x = mg.arange(6.0)
    c, d = x.clone(), x.detach()
    d[0] = 5.0                       # detach shares memory and the version counter
    assert x[0].item() == 5.0 and x._version == d._version == 1
    assert c[0].item() == 0.0 and c._version == 0   # clone is its own tensor
    v = x.view(2, 3).detach()
    v[1, 1] = 9.0
    assert x[4].item() == 9.0 and x._version == 2
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w.clone() * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_repeat_and_tile_copy_even_when_every_size_is_one():
    x = mg.arange(6.0).reshape(2, 3)
    for y in (x.repeat(1, 1), x.tile(1), x.repeat(1, 1, 1)):
        y.fill_(9.0)
        assert x.numpy().max() == 5.0 and x._version == 0
