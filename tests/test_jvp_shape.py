"""Forward-mode jvp rules of the shape, indexing, masking, product, convolution and scan ops
(ops/shape.py, index.py, select.py, mask.py, rearrange.py, einsum.py, linalg.py, conv.py,
scan.py) against torch.autograd.forward_ad on the same float64 inputs and tangents.

Each case gives some arguments a tangent and leaves the others plain (None), so a rule's
handling of a missing tangent is checked too; the catalogue test (test_forward_ad.py) checks
the rules against finite differences, these check them against torch's own rules to 1e-10.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import forward_ad as fwAD

torch = pytest.importorskip("torch")
F = mg.nn.functional
tF = torch.nn.functional
TOL = dict(rtol=1e-10, atol=1e-10)


def _mg_jvp(fn, primals, tangents):
    with fwAD.dual_level():
        args = [fwAD.make_dual(mg.tensor(p), mg.tensor(t)) if t is not None else
                (mg.tensor(p) if isinstance(p, np.ndarray) else p)
                for p, t in zip(primals, tangents)]
        out = fn(*args)
        primal, tangent = fwAD.unpack_dual(out)
        assert tangent is not None, "the output carries no tangent"
        return primal.numpy(), tangent.numpy()


def _torch_jvp(fn, primals, tangents):
    import torch.autograd.forward_ad as tfw
    with tfw.dual_level():
        args = [tfw.make_dual(torch.tensor(p), torch.tensor(t)) if t is not None else
                (torch.tensor(p) if isinstance(p, np.ndarray) else p)
                for p, t in zip(primals, tangents)]
        out = tfw.unpack_dual(fn(*args))
        return out.primal.detach().numpy(), out.tangent.detach().numpy()


def check(mg_fn, torch_fn, primals, dual, seed=0):
    """Tangents (random) for the arguments whose positions are in ``dual``; the others None."""
    rng = np.random.default_rng(seed)
    tangents = [rng.standard_normal(p.shape) if i in dual else None
                for i, p in enumerate(primals)]
    y, t = _mg_jvp(mg_fn, primals, tangents)
    y_ref, t_ref = _torch_jvp(torch_fn, primals, tangents)
    np.testing.assert_allclose(y, y_ref, **TOL)
    assert t.shape == t_ref.shape
    np.testing.assert_allclose(t, t_ref, **TOL)


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- views and copies: one tensor input, linear ------------------------------------------------

X = randn(3, 4, 5)

LINEAR = {
    "reshape": (lambda x: x.reshape(5, 12), lambda x: x.reshape(5, 12)),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    "getitem basic": (lambda x: x[1:, ::2, -1], lambda x: x[1:, ::2, -1]),
    "getitem int array, repeats": (lambda x: x[[0, 2, 0]], lambda x: x[[0, 2, 0]]),
    "getitem bool mask": (lambda x: x[x > 0], lambda x: x[x > 0]),
    "broadcast_to": (lambda x: mg.broadcast_to(x[:, :1], (2, 3, 4, 5)),
                     lambda x: torch.broadcast_to(x[:, :1], (2, 3, 4, 5))),
    "sum_to_shape": (lambda x: mg.ops.sum_to_shape(x, (4, 1)), lambda x: x.sum_to_size(4, 1)),
    "contiguous": (lambda x: x.permute(2, 0, 1).contiguous(),
                   lambda x: x.permute(2, 0, 1).contiguous()),
    "repeat": (lambda x: x.repeat(2, 1, 1, 3), lambda x: x.repeat(2, 1, 1, 3)),
    "split": (lambda x: mg.split(x, [1, 3], 1)[1], lambda x: torch.split(x, [1, 3], 1)[1]),
    "flip": (lambda x: mg.flip(x, (0, 2)), lambda x: torch.flip(x, (0, 2))),
    "roll dims": (lambda x: mg.roll(x, (1, -2), (0, 2)), lambda x: torch.roll(x, (1, -2), (0, 2))),
    "roll flattened": (lambda x: mg.roll(x, 7), lambda x: torch.roll(x, 7)),
    "tril": (lambda x: mg.tril(x, -1), lambda x: torch.tril(x, -1)),
    "triu": (lambda x: mg.triu(x, 1), lambda x: torch.triu(x, 1)),
    "cumsum": (lambda x: mg.cumsum(x, 1), lambda x: torch.cumsum(x, 1)),
    "sort values": (lambda x: mg.sort(x, 1).values, lambda x: torch.sort(x, 1).values),
    "index_select": (lambda x: mg.index_select(x, 2, mg.tensor([4, 0, 4])),
                     lambda x: torch.index_select(x, 2, torch.tensor([4, 0, 4]))),
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_linear_op_applies_itself_to_the_tangent(name):
    mg_fn, torch_fn = LINEAR[name]
    check(mg_fn, torch_fn, [X], dual={0})


def test_median_of_all_shares_the_tangent_over_ties():
    x = np.array([[3.0, 1.0, 2.0], [2.0, 5.0, 2.0]])   # median 2, held three times
    check(lambda a: mg.median(a), lambda a: torch.median(a), [x], dual={0})


def test_index_add_is_linear_in_g():
    index = (np.array([0, 2, 0]),)
    g = randn(3, 4)
    check(lambda t: mg.ops.IndexAdd.apply(t, index, (3, 4)),
          lambda t: torch.zeros(3, 4, dtype=t.dtype).index_put((torch.tensor(index[0]),), t,
                                                                 accumulate=True),
          [g], dual={0})


# ---- several tensor inputs: a tangent on some of them ------------------------------------------

@pytest.mark.parametrize("dual", [{0, 1, 2}, {1}, {0, 2}])
def test_concatenate(dual):
    a, b, c = randn(2, 3), randn(2, 1, seed=2), randn(2, 4, seed=3)
    check(lambda *t: mg.cat(t, dim=1), lambda *t: torch.cat(t, dim=1), [a, b, c], dual)


def test_concatenate_skips_an_empty_vector():
    a, e = randn(2, 3), np.zeros((0,))
    check(lambda p, q: mg.cat([p, q]), lambda p, q: torch.cat([p, q]), [a, e], {0, 1})


@pytest.mark.parametrize("dual", [{0, 1}, {1}])
def test_stack(dual):
    check(lambda p, q: mg.stack([p, q], dim=2), lambda p, q: torch.stack([p, q], dim=2),
          [randn(2, 3), randn(2, 3, seed=2)], dual)


INDEX = np.array([[0, 2, 0], [1, 1, 2]])   # repeats within a column


def test_gather():
    check(lambda x: mg.gather(x, 0, mg.tensor(INDEX)),
          lambda x: torch.gather(x, 0, torch.tensor(INDEX)), [randn(3, 4)], {0})


def test_take_along_dim_broadcast():
    idx = np.array([[2], [0]])
    check(lambda x: mg.take_along_dim(x, mg.tensor(idx), 1),
          lambda x: torch.take_along_dim(x, torch.tensor(idx), 1), [randn(1, 3)], {0})


@pytest.mark.parametrize("dual", [{0, 1}, {0}, {1}])
def test_scatter_add(dual):
    check(lambda x, s: mg.scatter_add(x, 0, mg.tensor(INDEX), s),
          lambda x, s: torch.scatter_add(x, 0, torch.tensor(INDEX), s),
          [randn(3, 4), randn(3, 5, seed=2)], dual)


@pytest.mark.parametrize("dual", [{0, 1}, {0}, {1}])
def test_scatter_src(dual):
    index = np.array([[0, 2, 1], [1, 0, 2]])   # no repeated place: torch leaves which unspecified
    check(lambda x, s: mg.scatter(x, 0, mg.tensor(index), s),
          lambda x, s: torch.scatter(x, 0, torch.tensor(index), s),
          [randn(3, 4), randn(3, 5, seed=2)], dual)


def test_scatter_value():
    check(lambda x: mg.scatter(x, 1, mg.tensor(INDEX), value=2.5),
          lambda x: torch.scatter(x, 1, torch.tensor(INDEX), value=2.5), [randn(3, 4)], {0})


MASK = np.array([[True, False, True, False]])   # broadcasts over the rows


@pytest.mark.parametrize("dual", [{0, 1}, {0}, {1}])
def test_masked_fill_value_tensor(dual):
    check(lambda x, v: mg.masked_fill(x, mg.tensor(MASK), v),
          lambda x, v: torch.masked_fill(x, torch.tensor(MASK), v),
          [randn(3, 4), np.array(0.7)], dual)


def test_masked_fill_number():
    check(lambda x: mg.masked_fill(x, mg.tensor(MASK), -1.0),
          lambda x: torch.masked_fill(x, torch.tensor(MASK), -1.0), [randn(3, 4)], {0})


# ---- products: the product rule ---------------------------------------------------------------

MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dual", [{0, 1}, {0}, {1}], ids=str)
def test_matmul(shapes, dual):
    a, b = randn(*shapes[0]), randn(*shapes[1], seed=2)
    check(lambda p, q: p @ q, lambda p, q: p @ q, [a, b], dual)


@pytest.mark.parametrize("dual", [{0, 1}, {0}, {1}])
def test_matmul_bt(dual):
    check(lambda p, q: mg.ops.matmul_bt(p, q), lambda p, q: p @ q.T,
          [randn(3, 4), randn(5, 4, seed=2)], dual)


EINSUMS = [("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
           ("ii->", [(4, 4)]), ("ii->i", [(3, 3)]), ("ij->", [(3, 4)]),
           ("i,j,k->ijk", [(2,), (3,), (4,)]), ("...ij,...j->...i", [(2, 3, 4), (1, 4)]),
           ("ij,ij->i", [(3, 4), (3, 4)]), ("bi,bi", [(2, 3), (2, 3)])]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_every_operand_dual(equation, shapes):
    operands = [randn(*s, seed=k) for k, s in enumerate(shapes)]
    check(lambda *t: mg.einsum(equation, *t), lambda *t: torch.einsum(equation, *t), operands,
          dual=set(range(len(operands))))


@pytest.mark.parametrize("equation,shapes", [e for e in EINSUMS if len(e[1]) > 1],
                         ids=[e for e, s in EINSUMS if len(s) > 1])
def test_einsum_last_operand_plain(equation, shapes):
    operands = [randn(*s, seed=k) for k, s in enumerate(shapes)]
    check(lambda *t: mg.einsum(equation, *t), lambda *t: torch.einsum(equation, *t), operands,
          dual=set(range(len(operands) - 1)))


# ---- convolution: im2col (linear in x) and the product with the weight -------------------------

@pytest.mark.parametrize("dual", [{0, 1, 2}, {0}, {1}])
@pytest.mark.parametrize("geometry", [dict(), dict(stride=2, padding=1),
                                      dict(stride=(1, 2), padding=(1, 2), dilation=2)], ids=str)
def test_conv2d(dual, geometry):
    x, w, b = randn(2, 3, 7, 6), randn(4, 3, 3, 2, seed=2), randn(4, seed=3)
    check(lambda *t: F.conv2d(*t, **geometry), lambda *t: tF.conv2d(*t, **geometry),
          [x, w, b], dual)


def test_col2im_is_torch_fold():
    """Col2Im's cols (C, KH, KW, N, OH, OW) are fold's input (N, C·KH·KW, OH·OW) permuted."""
    c, kh, kw, n, oh, ow = 2, 3, 2, 2, 3, 3
    size, stride, padding, dilation = (5, 6), (2, 2), (1, 1), (1, 2)
    cols = randn(c, kh, kw, n, oh, ow)

    def fold(t):
        flat = t.permute(3, 0, 1, 2, 4, 5).reshape(n, c * kh * kw, oh * ow)
        return tF.fold(flat, size, (kh, kw), dilation=dilation, padding=padding, stride=stride)

    check(lambda t: mg.ops.col2im(t, size, stride, padding, dilation), fold, [cols], {0})


# ---- cumprod: zeros ---------------------------------------------------------------------------

CUMPROD = {
    "no zero": np.array([[0.5, -1.5, 2.0, 0.7], [1.2, 0.3, -0.8, 2.5]]),
    "one zero": np.array([[0.5, 0.0, 2.0, 0.7], [1.2, 0.3, -0.8, 0.0]]),
    "zero first, two zeros": np.array([[0.0, 1.5, 0.0, 0.7], [0.0, 0.0, -0.8, 3.0]]),
    "length one": np.array([[0.0], [2.0]]),
}


@pytest.mark.parametrize("name", list(CUMPROD))
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod(name, dim):
    check(lambda x: mg.cumprod(x, dim), lambda x: torch.cumprod(x, dim), [CUMPROD[name]], {0})


def test_cumprod_0d():
    check(lambda x: mg.cumprod(x, 0), lambda x: torch.cumprod(x, 0), [np.array(0.0)], {0})


def _cumprod_jvp_polynomial(x, t, dim):
    """dyₖ = Σ_{i≤k} tᵢ Π_{j≤k, j≠i} xⱼ written out in torch, with no division: the exact
    reference for the tangent's derivative (torch's own rule divides by x, NaN at zeros)."""
    n = x.shape[dim]
    total = torch.zeros_like(x)
    for i in range(n):
        at_i = torch.zeros(n, dtype=torch.bool)
        at_i[i] = True
        shape = [1] * x.ndim
        shape[dim] = n
        at_i = at_i.reshape(shape)
        from_i = (torch.arange(n) >= i).reshape(shape)
        without_i = torch.cumprod(torch.where(at_i, torch.ones_like(x), x), dim)
        t_i = torch.where(at_i, t, torch.zeros_like(t)).sum(dim, keepdim=True)
        total = total + torch.where(from_i, t_i * without_i, torch.zeros_like(x))
    return total


@pytest.mark.parametrize("name", ["no zero", "one zero", "zero first, two zeros"])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_tangent_is_differentiable(name, dim):
    """Reverse over forward: d/dx and d/dt of Σ w·(J_cumprod(x)·t), exact at zeros too (x_z
    stays a variable in the rule), against the written-out polynomial."""
    x, t = CUMPROD[name], randn(2, 4, seed=5)
    w = randn(2, 4, seed=6)

    xm, tm = mg.tensor(x, requires_grad=True), mg.tensor(t, requires_grad=True)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(mg.cumprod(fwAD.make_dual(xm, tm), dim)).tangent
    (tangent * mg.tensor(w)).sum().backward()

    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    reference = _cumprod_jvp_polynomial(xt, tt, dim)
    (reference * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(tangent.detach().numpy(), reference.detach().numpy(), **TOL)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(tm.grad.numpy(), tt.grad.numpy(), **TOL)
