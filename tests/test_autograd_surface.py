"""torch.autograd's surface that course programs use, against torch as the oracle:
mg.autograd.gradcheck with torch's options, Variable, grad_fn.next_functions / name(),
custom Functions (trailing None gradients, keywords, setup_context, mark_non_differentiable,
set_materialize_grads, once_differentiable), autograd.backward and autograd.grad's options."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.autograd.function import once_differentiable

torch = pytest.importorskip("torch")


def t64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def both(values):
    """The same float64 leaf in minigrad and in torch."""
    a = np.asarray(values, dtype=np.float64)
    return mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


# ---- gradcheck from mg.autograd, with torch's options -------------------------------------

def test_gradcheck_is_importable_from_autograd_with_torchs_keywords():
    from minigrad.autograd import gradcheck, gradgradcheck
    assert gradcheck is mg.gradcheck and gradgradcheck is mg.gradgradcheck
    x = t64([0.3, -1.2, 2.0])
    assert mg.autograd.gradcheck(lambda v: (v * v).tanh(), (x,), eps=1e-6, atol=1e-4,
                                 rtol=1e-3, raise_exception=True, nondet_tol=1e-12,
                                 check_undefined_grad=True, check_grad_dtypes=True,
                                 check_batched_grad=False, check_forward_ad=False,
                                 check_backward_ad=True, fast_mode=True, masked=None)
    assert mg.autograd.gradgradcheck(lambda v: (v * v).tanh(), (x,), None,
                                     gen_non_contig_grad_outputs=True, nondet_tol=0.0,
                                     check_batched_grad=False, check_fwd_over_rev=False,
                                     check_rev_over_rev=True, fast_mode=False)
    assert mg.autograd.gradcheck(lambda v: v.exp(), x)             # a single tensor, as torch


def test_gradcheck_refuses_checks_it_cannot_make():
    x = t64([1.0])
    for option in ("check_batched_grad", "check_batched_forward_grad", "masked"):
        with pytest.raises(NotImplementedError, match=option):
            mg.autograd.gradcheck(lambda v: v * 2, (x,), **{option: True})
    with pytest.raises(ValueError, match="nothing to check"):
        mg.autograd.gradcheck(lambda v: v * 2, (x,), check_backward_ad=False)
    with pytest.raises(ValueError, match="nondet_tol"):
        mg.autograd.gradcheck(lambda v: v * 2, (x,), nondet_tol=-1.0)
    with pytest.raises(TypeError):            # keyword-only after inputs, as torch
        mg.autograd.gradcheck(lambda v: v * 2, (x,), 1e-6)


# ---- Variable ------------------------------------------------------------------------------

def test_variable_is_a_deprecated_alias_returning_a_tensor():
    from minigrad.autograd import Variable
    t = mg.ones(3)
    with pytest.warns(DeprecationWarning, match="Variable is deprecated"):
        v = Variable(t, requires_grad=True)
    tt = torch.ones(3)
    tv = torch.autograd.Variable(tt, requires_grad=True)
    assert type(v) is mg.Tensor and v is not t and v.array is t.array
    assert (v.requires_grad, t.requires_grad, v.is_leaf) == (tv.requires_grad, tt.requires_grad,
                                                            tv.is_leaf)
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), 2 * np.ones(3))
    with pytest.warns(DeprecationWarning):
        assert not Variable(t).requires_grad
    assert isinstance(t, Variable) and isinstance(v, mg.autograd.Variable)
    assert not isinstance(np.ones(2), Variable)
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1.0, 2.0])


# ---- the graph as torch shows it -----------------------------------------------------------

def test_grad_fn_names_and_next_functions():
    x, tx = both([1.0, 2.0, 3.0])
    c = mg.tensor(np.array([4.0, 5.0, 6.0]))
    y = (x * c).exp().sum()
    node = y.grad_fn
    assert type(node).__name__.endswith("Backward") and node.name() == type(node).__name__
    assert repr(y).endswith(f"grad_fn=<{node.name()}>)")
    (exp_node, index), = node.next_functions
    assert index == 0 and exp_node.name().endswith("Backward")
    (mul_node, _), = exp_node.next_functions
    (acc, i0), (const, i1) = mul_node.next_functions
    ty = (tx * torch.tensor([4.0, 5.0, 6.0], dtype=torch.float64)).exp().sum()
    (tacc, _), (tconst, _) = ty.grad_fn.next_functions[0][0].next_functions[0][0].next_functions
    assert type(acc).__name__ == type(tacc).__name__ == "AccumulateGrad"
    assert acc.name() == "AccumulateGrad" and acc.next_functions == ()
    assert acc.variable is x and tacc.variable is tx
    assert (const, i1) == (None, 0) and tconst is None and i0 == 0
    # one AccumulateGrad per leaf while it is held, as torch's
    assert (x * 2).grad_fn.next_functions[0][0] is acc
    assert (tx * 2).grad_fn.next_functions[0][0] is tacc


def test_next_functions_name_the_output_index_of_a_multi_output_node():
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            return x.array[:1] * 1, x.array[1:] * 1

        @staticmethod
        def backward(ctx, ga, gb):
            return mg.cat([ga, gb])

    x = t64([1.0, 2.0, 3.0])
    a, b = Split.apply(x)
    z = a.sum() + b.sum()
    first, second = z.grad_fn.next_functions
    assert first[0].next_functions[0] == (a.grad_fn, 0)
    assert second[0].next_functions[0] == (b.grad_fn, 1)
    assert type(a.grad_fn).__name__ == "SplitBackward" and a.grad_fn.name() == "SplitBackward"


# ---- custom Functions: what torch allows -----------------------------------------------------

def _custom_functions(F):
    """The same custom Functions written against ``F`` (torch's or minigrad's Function)."""

    class Scale(F):                      # an optional argument: backward returns 3 values
        @staticmethod
        def forward(ctx, x, k, w=None):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, None

    class TooMany(F):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, g

    class TooFew(F):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class GradForANumber(F):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    class Mul(F):                        # for keywords: forward(ctx, x, w=None, k=2.0)
        @staticmethod
        def forward(ctx, x, w=None, k=2.0):
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * k * (1 if w is None else w)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            if w is None:
                return g * ctx.k, None, None
            return g * ctx.k * w, g * ctx.k * x, None

    return Scale, TooMany, TooFew, GradForANumber, Mul


def test_backward_may_return_trailing_nones_but_not_other_counts():
    for lib, F, make in ((torch, torch.autograd.Function, lambda v: torch.tensor(v, requires_grad=True)),
                         (mg, Function, t64)):
        Scale, TooMany, TooFew, GradForANumber, _ = _custom_functions(F)
        x = make([1.0, 2.0])
        Scale.apply(x, 3.0).sum().backward()
        np.testing.assert_array_equal(np.asarray(x.grad.tolist()), [3.0, 3.0])
        with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 3\)"):
            TooMany.apply(x, 2.0).sum().backward()
        with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
            TooFew.apply(x, 2.0).sum().backward()
        with pytest.raises(RuntimeError, match="different than None at position 2"):
            GradForANumber.apply(x, 2.0).sum().backward()
    Scale = _custom_functions(Function)[0]
    assert mg.gradcheck(lambda v: Scale.apply(v, 3.0), (t64([1.0, 2.0]),))
    assert mg.gradgradcheck(lambda v: Scale.apply(v, 3.0), (t64([1.0, 2.0]),))


def test_apply_takes_keywords_as_torch_2():
    results = {}
    for key, F, make in (("torch", torch.autograd.Function,
                          lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)),
                         ("mg", Function, t64)):
        Mul = _custom_functions(F)[4]
        x, w = make([1.0, 2.0]), make([3.0, -1.0])
        y = Mul.apply(x, w=w)
        y.sum().backward()
        results[key] = (y.tolist(), x.grad.tolist(), w.grad.tolist())
    assert results["mg"] == results["torch"]
    Mul = _custom_functions(Function)[4]
    x = t64([1.0, 2.0])
    np.testing.assert_array_equal(Mul.apply(x, k=3.0).numpy(), [3.0, 6.0])  # torch refuses
    with pytest.raises(TypeError):
        Mul.apply(x, q=1.0)
    w = t64([0.5, 4.0])
    assert mg.gradcheck(lambda a, b: Mul.apply(a, w=b, k=1.5), (x, w))
    assert mg.gradgradcheck(lambda a, b: Mul.apply(a, w=b, k=1.5), (x, w))


def _linear_function(F):
    """torch's documentation example, in the torch 2.x style (forward without ctx)."""

    class LinearFunction(F):
        @staticmethod
        def forward(input, weight, bias=None):
            output = input @ weight.T
            if bias is not None:
                output = output + bias
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output @ weight
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.T @ input
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    return LinearFunction


def test_setup_context_style_matches_torch():
    rng = np.random.default_rng(0)
    xs, ws, bs = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    ours, theirs = _linear_function(Function), _linear_function(torch.autograd.Function)
    for with_bias in (True, False):
        mx, mw, mb = t64(xs), t64(ws), t64(bs)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (xs, ws, bs))
        my = ours.apply(mx, mw, mb) if with_bias else ours.apply(mx, mw)
        ty = theirs.apply(tx, tw, tb) if with_bias else theirs.apply(tx, tw)
        np.testing.assert_allclose(my.numpy(), ty.detach().numpy(), rtol=1e-14)
        g = rng.standard_normal(my.shape)
        my.backward(mg.tensor(g))
        ty.backward(torch.tensor(g))
        for a, b in ((mx, tx), (mw, tw)) + (((mb, tb),) if with_bias else ()):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-14)
    x, w, b = t64(xs), t64(ws), t64(bs)
    assert mg.autograd.gradcheck(ours.apply, (x, w, b), eps=1e-6, atol=1e-4)
    assert mg.autograd.gradgradcheck(ours.apply, (x, w, b))
    assert type(ours.apply(x, w).grad_fn).__name__ == "LinearFunctionBackward"


def test_mark_non_differentiable_and_materialize_grads():
    seen = {}

    def make(F, key):
        class SortWithIndices(F):
            @staticmethod
            def forward(ctx, x):
                order = np.argsort(np.asarray(x.tolist()), kind="stable")
                values = x[order.tolist()] * 1
                index = (mg.tensor if key == "mg" else torch.tensor)(order * 1.0)
                ctx.mark_non_differentiable(index)
                ctx.order = order
                return values, index

            @staticmethod
            def backward(ctx, g_values, g_index):
                seen[key, "g_index"] = g_index.tolist()
                grad = np.zeros(len(ctx.order))
                grad[ctx.order] = np.asarray(g_values.tolist())
                return (torch.tensor(grad) if key == "torch" else mg.tensor(grad))

        class NoZeros(F):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen[key, "none"] = (ga is None, gb is None)
                return ga * 2 if ga is not None else None

        return SortWithIndices, NoZeros

    for key, F, make_x in (("torch", torch.autograd.Function,
                            lambda: torch.tensor([3.0, 1.0, 2.0], dtype=torch.float64,
                                                 requires_grad=True)),
                           ("mg", Function, lambda: t64([3.0, 1.0, 2.0]))):
        SortWithIndices, NoZeros = make(F, key)
        x = make_x()
        values, index = SortWithIndices.apply(x)
        seen[key, "requires"] = (values.requires_grad, index.requires_grad, index.grad_fn)
        (values * t64([1.0, 2.0, 3.0], False) if key == "mg" else
         values * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
        seen[key, "grad"] = x.grad.tolist()
        a, _ = NoZeros.apply(make_x())
        a.sum().backward()
    for what in ("requires", "grad", "g_index", "none"):
        assert seen["mg", what] == seen["torch", what], what
    assert seen["mg", "none"] == (False, True) and seen["mg", "g_index"] == [0.0, 0.0, 0.0]


def test_once_differentiable():
    calls = []

    def make(F, grad_enabled):
        class Square(F):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @once_differentiable if F is Function else torch.autograd.function.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                calls.append(grad_enabled())
                return 2 * x * g
        return Square

    results = {}
    for key, F, grad, enabled, make_x in (
            ("torch", torch.autograd.Function, torch.autograd.grad, torch.is_grad_enabled,
             lambda: torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)),
            ("mg", Function, mg.autograd.grad, mg.is_grad_enabled, lambda: t64([1.0, -2.0]))):
        Square = make(F, enabled)
        x = make_x()
        gx, = grad(Square.apply(x).sum(), x, create_graph=True)
        results[key] = (gx.tolist(), gx.requires_grad)
        v = make_x()                                  # an output gradient that requires grad
        gx2, = grad(Square.apply(x), x, v, create_graph=True)
        with pytest.raises(RuntimeError, match="once_differentiable"):
            gx2.sum().backward()
    assert results["mg"] == results["torch"] == ([2.0, -4.0], False)
    assert calls == [False] * 4                   # backward itself never records
    Square = make(Function, mg.is_grad_enabled)
    assert mg.gradcheck(Square.apply, (t64([0.5, 1.5]),))


def test_user_functions_get_the_binding_apply_and_minigrads_ops_the_fast_one():
    Scale = _custom_functions(Function)[0]
    assert Scale.apply.__func__ is not Function.apply.__func__
    assert mg.ops.Add.apply.__func__ is Function.apply.__func__


# ---- autograd.backward and autograd.grad -------------------------------------------------------

def test_autograd_backward_takes_a_tensor_or_a_sequence():
    for lib, make in ((torch, lambda: torch.tensor([1.0, 2.0], dtype=torch.float64,
                                                    requires_grad=True)),
                      (mg, lambda: t64([1.0, 2.0]))):
        x = make()
        lib.autograd.backward((x * x).sum())
        lib.autograd.backward([(x * 3).sum(), x * 2], [None, lib.ones_like(x)])
        assert x.grad.tolist() == [7.0, 9.0]
        y = make()
        lib.autograd.backward(y * y, grad_tensors=lib.ones_like(y), inputs=[y])
        assert y.grad.tolist() == [2.0, 4.0]


def test_autograd_grad_options_like_torch():
    for lib, make in ((torch, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)),
                      (mg, t64)):
        x, unused = make([1.0, 2.0]), make([5.0])
        y = (x * x).sum()
        with pytest.raises(RuntimeError):
            lib.autograd.grad(y, [x, unused], retain_graph=True)
        gx, gu = lib.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)
        assert gx.tolist() == [2.0, 4.0] and gu is None
        gx, gu = lib.autograd.grad(y, [x, unused], materialize_grads=True, only_inputs=True)
        assert gu.tolist() == [0.0]
    with pytest.raises(NotImplementedError, match="vmap"):
        mg.autograd.grad((t64([1.0]) * 2).sum(), t64([1.0]), is_grads_batched=True)
    x = t64([1.0])
    with pytest.raises(ValueError, match="allow_unused"):
        mg.autograd.grad((x * 2).sum(), x, materialize_grads=True, allow_unused=False)
    assert mg.autograd.grad((x * 2).sum(), x, allow_unused=None)[0].tolist() == [2.0]
