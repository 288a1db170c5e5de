"""In-place operations and version counters, as torch defines them.

Every tensor has a version counter, shared with its views, bumped by each in-place write
(``__setitem__``, the ``*_`` methods, ``+=`` and friends). A tensor saved for backward that was
written in place afterwards makes backward raise, naming the Function; an in-place operation on
a leaf that requires grad raises unless recording is off (``no_grad``). Writes through ``.array``
are the documented escape hatch and are not counted.
"""
import numpy as np
import pytest

import minigrad as mg

F = mg.nn.functional


@pytest.fixture(autouse=True)
def _float64():
    mg.set_default_dtype(np.float64)


def leaf(values):
    return mg.tensor(values, requires_grad=True)


# ---- the version counter -----------------------------------------------------------------------

def test_version_counts_in_place_writes_and_not_data_writes():
    y = mg.tensor([1.0, 2.0]) * 2
    assert y._version == 0
    y += 1
    assert y._version == 1
    with mg.no_grad():
        y[0] = 3.0
    assert y._version == 2
    y.array[1] = 7.0          # the escape hatch: not counted
    assert y._version == 2


def test_views_share_the_version_counter():
    x = mg.tensor(np.arange(6.0))
    v = x.reshape(2, 3)
    d = x.detach()
    x.add_(1.0)
    assert x._version == v._version == d._version == 1
    np.testing.assert_array_equal(v.numpy().ravel(), np.arange(6.0) + 1)


# ---- saved tensors changed in place make backward raise -----------------------------------------

def test_modified_saved_input_raises_naming_the_function():
    a, w = mg.tensor([1.0, 2.0]), leaf([3.0, 4.0])
    y = (a * w).sum()
    a[0] = 100.0
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*Mul is at version 1; "
                                           r"expected version 0"):
        y.backward()


def test_modified_but_unsaved_input_is_fine():
    a, b = leaf([1.0, 2.0]), mg.tensor([3.0, 4.0])
    y = (a + b).sum()      # Add saves nothing
    b.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


# ---- leaves and grad mode --------------------------------------------------------------------

@pytest.mark.parametrize("op", [lambda t: t.zero_(), lambda t: t.add_(1.0),
                                lambda t: t.mul_(2.0), lambda t: t.__iadd__(1.0),
                                lambda t: t.fill_(3.0), lambda t: t.clamp_(0.0, 1.0)])
def test_in_place_on_a_leaf_that_requires_grad_raises(op):
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf .* requires grad .* in-place"):
        op(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_parameter_update_under_no_grad_keeps_the_same_leaf():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    params = [p]
    with mg.no_grad():
        for q in params:
            q -= 0.25 * q.grad
    np.testing.assert_allclose(p.numpy(), [0.5, 1.0])
    assert p.is_leaf and p.requires_grad and p._version == 1


def test_training_loop_written_with_in_place_updates_learns():
    mg.manual_seed(0)
    w = leaf(np.zeros(3))
    X = mg.tensor(np.random.default_rng(0).standard_normal((32, 3)))
    y = X @ mg.tensor([1.0, -2.0, 0.5])
    for _ in range(200):
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    np.testing.assert_allclose(w.numpy(), [1.0, -2.0, 0.5], atol=1e-6)


# ---- in-place on a tensor inside a recorded graph ------------------------------------------------
# minigrad's graph nodes hold their input tensors, so rewriting a non-leaf's history in place
# (torch rebases its autograd edges) would silently change the gradients of consumers recorded
# earlier. minigrad refuses instead and names the out-of-place spelling; under no_grad the write
# is allowed, and the version check catches a saved tensor that it changed.

def test_in_place_on_a_non_leaf_in_a_recorded_graph_is_refused():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"in-place .* recorded graph .*y = y \+ 1|out-of-place"):
        y.add_(1.0)
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    v = y[0:1]
    with pytest.raises(RuntimeError, match="in-place"):
        v.mul_(5.0)


def test_exp_output_zeroed_under_no_grad_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y.sum()
    with pytest.raises(RuntimeError, match="in-place"):
        y.zero_()
    with mg.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match=r"output 0 of Exp is at version 1; expected version 0"):
        z.backward()


def test_in_place_on_tensors_outside_the_graph_feeds_the_graph_normally():
    x = leaf([1.0, 2.0])
    c = mg.tensor([3.0, 5.0])
    c.mul_(2.0).add_(1.0)              # c requires no grad: an ordinary in-place edit
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 11.0])


# ---- the in-place methods: values as torch ---------------------------------------------------------

def test_in_place_methods_values():
    t = mg.tensor([1.0, 4.0, 9.0])
    assert t.sqrt_() is t
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])
    t.neg_().exp_()
    np.testing.assert_allclose(t.numpy(), np.exp([-1.0, -2.0, -3.0]))
    t.copy_(mg.tensor([5.0, -5.0, 0.5]))
    t.clamp_(min=-1.0, max=1.0)
    np.testing.assert_array_equal(t.numpy(), [1.0, -1.0, 0.5])
    t.fill_(2.0).pow_(3)
    np.testing.assert_array_equal(t.numpy(), [8.0, 8.0, 8.0])
    t.sub_(mg.tensor([1.0, 2.0, 3.0])).div_(2.0)
    np.testing.assert_array_equal(t.numpy(), [3.5, 3.0, 2.5])
    t *= 2
    t /= mg.tensor([7.0, 6.0, 5.0])
    t -= 1
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])
    m = mg.tensor(np.eye(2))
    m @= mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(m.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_random_in_place_fills_follow_the_seed():
    mg.manual_seed(5)
    a = mg.empty(1000).uniform_(-2.0, 3.0)
    b = mg.empty(1000).normal_(1.0, 0.5)
    assert -2.0 <= a.numpy().min() and a.numpy().max() < 3.0
    assert abs(b.numpy().mean() - 1.0) < 0.1 and abs(b.numpy().std() - 0.5) < 0.05
    mg.manual_seed(5)
    np.testing.assert_array_equal(mg.empty(1000).uniform_(-2.0, 3.0).numpy(), a.numpy())


def test_in_place_cannot_change_shape_or_dtype():
    t = mg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 2\)"):
        t.add_(mg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    i = mg.tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        i.add_(1.5)
    i.add_(3)
    np.testing.assert_array_equal(i.numpy(), [4, 5])
