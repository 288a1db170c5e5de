"""Tensor hooks and Module hooks, against torch: the values and the order the hooks run in.

Each scenario is written once as a function of the library (``torch`` or ``mg``) and a log
list; it runs on both and the logs (the hooks' calls, with the gradients they saw) and the
results must agree.
"""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn
from minigrad.utils.hooks import RemovableHandle

torch = pytest.importorskip("torch")
tnn = torch.nn


def arr(t):
    if t is None or isinstance(t, float):
        return t
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def twin(scenario):
    """Runs ``scenario(lib, log)`` for torch and minigrad; their logs and results agree."""
    logs = {}
    results = {}
    for name, lib in (("torch", torch), ("mg", mg)):
        log = []
        results[name] = scenario(lib, log)
        logs[name] = log
    assert len(logs["torch"]) == len(logs["mg"]), (logs["torch"], logs["mg"])
    for a, b in zip(logs["torch"], logs["mg"]):
        _same(a, b)
    _same(results["torch"], results["mg"])
    return logs["mg"]


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _same(x, y)
    elif a is None or b is None or isinstance(a, (str, int, bool)):
        assert a == b, (a, b)
    else:
        np.testing.assert_allclose(arr(b), arr(a), rtol=1e-5, atol=1e-6)


def leaf(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ---- tensor hooks --------------------------------------------------------------------------

def test_several_hooks_run_in_order_each_on_the_previous_result():
    def scenario(lib, log):
        x = leaf(lib, [1.0, -2.0, 3.0])
        y = x * x
        y.register_hook(lambda g: log.append(("y1", g)))          # None: keeps g
        y.register_hook(lambda g: (log.append(("y2", g)), g * 10)[1])
        y.register_hook(lambda g: (log.append(("y3", g)), g + 1)[1])
        x.register_hook(lambda g: (log.append(("x1", g)), g * 0.5)[1])
        x.register_hook(lambda g: log.append(("x2", g)))
        (y * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        return x.grad
    log = twin(scenario)
    assert [e[0] for e in log] == ["y1", "y2", "y3", "x1", "x2"]


def test_leaf_hook_sees_the_summed_gradient_and_its_result_is_accumulated():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: (log.append(g), g * 3)[1])
        (x * x + 5 * x).sum().backward()      # one hook call, on 2x + 5
        (x * 2).sum().backward()              # accumulates 3·2 onto 3·(2x + 5)
        return x.grad
    log = twin(scenario)
    assert len(log) == 2


def test_replacement_changes_everything_upstream():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0, 3.0])
        h = x.exp()
        h.register_hook(lambda g: lib.ones_like(g) * 7)
        (h.sin()).sum().backward()
        return x.grad
    twin(scenario)


def test_remove_and_handle_as_context_manager():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        h1 = x.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: log.append(g))
        (x * 3).sum().backward()
        h1.remove()
        h1.remove()   # twice: nothing
        (x * 3).sum().backward()
        y = x * 1
        with y.register_hook(lambda g: g * 100):
            pass
        (y * 3).sum().backward()
        return x.grad
    twin(scenario)


def test_hook_removing_itself_while_running():
    def scenario(lib, log):
        x = leaf(lib, [1.0])
        handles = []
        handles.append(x.register_hook(lambda g: (log.append("a"), handles[0].remove())[0]))
        x.register_hook(lambda g: log.append("b"))
        (x * 2).sum().backward()
        (x * 2).sum().backward()
        return x.grad
    assert twin(scenario) == ["a", "b", "b"]


def test_retain_grad_keeps_the_hooked_gradient_and_grad_captures_before_hooks():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 1.0])
        y = x * 2
        x.register_hook(lambda g: g * 10)
        y.register_hook(lambda g: g * 3)
        gx, gy = lib.autograd.grad((y * y).sum(), [x, y])
        z = x * 2
        z.retain_grad()
        z.register_hook(lambda g: g * 5)
        z.sum().backward()
        return gx, gy, z.grad, x.grad
    twin(scenario)


def test_multi_output_node_hooks_per_output():
    def scenario(lib, log):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        a, b = x.unbind(0)
        a.register_hook(lambda g: (log.append(("a", g)), g * 2)[1])
        b.register_hook(lambda g: (log.append(("b", g)), g * -1)[1])
        (a * b).sum().backward()
        return x.grad
    twin(scenario)


def test_create_graph_hook_sees_a_recorded_tensor():
    def scenario(lib, log):
        x = leaf(lib, [0.5, 1.5])
        y = x ** 3
        seen = []
        y.register_hook(lambda g: (seen.append(g.requires_grad), g * x)[1])
        (gx,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)  # 2y·x·3x² = 6x⁶
        log.append(seen)                  # the hook saw 2y, recorded: differentiable
        (ggx,) = lib.autograd.grad(gx.sum(), x)                         # 36x⁵
        return gx, ggx
    assert twin(scenario) == [[True, False]]   # the second grad() meets the hook again


def test_leaf_hook_with_create_graph_backward():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: (log.append(g.requires_grad), g * g)[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # torch's reference-cycle warning
            (x ** 2).sum().backward(create_graph=True)                 # .grad = (2x)² = 4x²
        g = x.grad
        x.grad = None
        g.sum().backward()                                          # d(4x²) = 8x, hooked: (8x)²
        return g, x.grad
    twin(scenario)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: (log.append(("pre", g)), g * 2)[1])
        x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.clone())))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("post2", t is x)))
        (x * 3).sum().backward()
        (x * x).sum().backward()
        return x.grad
    assert [e[0] for e in twin(scenario)] == ["pre", "post", "post2"] * 2


def test_post_accumulate_hook_with_backward_inputs():
    def scenario(lib, log):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        x.register_post_accumulate_grad_hook(lambda t: log.append(("x", t.grad.clone())))
        w.register_post_accumulate_grad_hook(lambda t: log.append(("w", t.grad.clone())))
        (x * w).sum().backward(inputs=[w])
        return w.grad
    assert [e[0] for e in twin(scenario)] == ["w"]


def test_hook_errors_as_torch():
    for lib in (torch, mg):
        plain = lib.ones(2)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            plain.register_hook(lambda g: g)
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="non-leaf"):
            (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        mg.ones(2, requires_grad=True).register_hook(3)
    x = mg.ones(2, requires_grad=True)
    x.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()


def test_handle_is_removable_handle_with_unique_ids():
    x = mg.ones(2, requires_grad=True)
    h1, h2 = x.register_hook(lambda g: g), x.register_hook(lambda g: g)
    assert isinstance(h1, RemovableHandle) and h1.id != h2.id


def test_no_hooks_leaves_nothing_behind():
    x = mg.ones(2, requires_grad=True)
    y = x * 2
    assert x._backward_hooks is None and y.grad_fn._tensor_hooks is None
    assert "_backward_hooks" not in x.__dict__


# ---- module hooks --------------------------------------------------------------------------

def linear_pair(n_in=3, n_out=2, seed=0):
    torch.manual_seed(seed)
    t = tnn.Linear(n_in, n_out).double()
    m = mnn.Linear(n_in, n_out)
    m.weight = mnn.Parameter(mg.tensor(t.weight.detach().numpy().copy()))
    m.bias = mnn.Parameter(mg.tensor(t.bias.detach().numpy().copy()))
    return {"torch": t, "mg": m}


def modules(lib, pair):
    return pair["torch" if lib is torch else "mg"]


def nnlib(lib):
    return tnn if lib is torch else mnn


X = np.array([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]])


def test_forward_pre_hooks_order_prepend_and_replacement():
    pair = linear_pair()

    def scenario(lib, log):
        lin = modules(lib, pair)
        h1 = lin.register_forward_pre_hook(lambda m, args: log.append("a"))
        h2 = lin.register_forward_pre_hook(lambda m, args: (log.append("b"), args[0] * 2)[1])
        h3 = lin.register_forward_pre_hook(lambda m, args: log.append("c"), prepend=True)
        h4 = lin.register_forward_pre_hook(
            lambda m, args, kwargs: (log.append(("kw", args[0])), ((args[0] + 1,), kwargs))[1],
            with_kwargs=True)
        out = lin(lib.tensor(X))
        for h in (h1, h2, h3, h4):
            h.remove()
        return out, lin(lib.tensor(X))
    assert [e if isinstance(e, str) else e[0] for e in twin(scenario)] == ["c", "a", "b", "kw"]


def test_forward_hooks_replacement_kwargs_and_always_call():
    pair = linear_pair()

    def scenario(lib, log):
        lin = modules(lib, pair)
        lin.register_forward_hook(lambda m, args, out: (log.append(("h1", out)), out * 3)[1])
        lin.register_forward_hook(lambda m, args, out: log.append(("h2", out)))
        lin.register_forward_hook(lambda m, args, kwargs, out: log.append(("kw", out)),
                                  with_kwargs=True)
        lin.register_forward_hook(lambda m, args, out: log.append(("first", args[0])),
                                  prepend=True)
        return lin(lib.tensor(X))
    assert [e[0] for e in twin(scenario)] == ["first", "h1", "h2", "kw"]


def test_forward_hook_with_kwargs_sees_keyword_arguments():
    class Scale:
        pass

    def scenario(lib, log):
        nn = nnlib(lib)

        class M(nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale
        m = M()
        m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": kwargs["scale"]
                                                                         * 10}),
                                    with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append(kwargs["scale"]),
                                with_kwargs=True)
        return m(lib.tensor(X), scale=2.0)
    assert twin(scenario) == [20.0]


def test_always_call_forward_hook_runs_when_forward_raises():
    def scenario(lib, log):
        nn = nnlib(lib)

        class Bad(nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Bad()
        m.register_forward_hook(lambda mod, args, out: log.append("plain"))
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out is None)),
                                always_call=True)
        with pytest.raises(ValueError, match="boom"):
            m(lib.tensor(X))
        return None
    assert twin(scenario) == [("always", True)]


def test_full_backward_hook_on_linear():
    pair = linear_pair()

    def scenario(lib, log):
        lin = modules(lib, pair)
        lin.register_full_backward_hook(lambda m, gi, go: log.append(("h", gi, go)))
        x = lib.tensor(X, requires_grad=True)
        (lin(x) ** 2).sum().backward()
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            lin(lib.tensor(X)).sum().backward()   # input needs no grad: grad_input = (None,)
        return x.grad
    twin(scenario)


def test_full_backward_hook_replaces_grad_input_and_pre_hook_grad_output():
    pair = linear_pair()

    def scenario(lib, log):
        lin = modules(lib, pair)
        lin.register_full_backward_pre_hook(lambda m, go: (log.append(("pre", go)),
                                                           (go[0] * 2,))[1])
        lin.register_full_backward_hook(lambda m, gi, go: (log.append(("h", gi, go)),
                                                           (gi[0] + 1,))[1])
        x = lib.tensor(X, requires_grad=True)
        y = lin(x)
        (y ** 2).sum().backward()
        return x.grad, lin.weight.grad
    assert [e[0] for e in twin(scenario)] == ["pre", "h"]


def test_full_backward_hook_several_inputs_and_outputs_with_a_non_tensor():
    def scenario(lib, log):
        nn = nnlib(lib)

        class Two(nn.Module):
            def forward(self, a, k, b):
                return a * b * k, a + b
        m = Two()
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        a = lib.tensor(X, requires_grad=True)
        b = lib.tensor(X + 1)
        p, q = m(a, 3.0, b)
        (p.sum() + (q ** 2).sum()).backward()
        return a.grad
    twin(scenario)


def test_full_backward_hooks_in_a_sequential():
    torch.manual_seed(1)
    t = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2)).double()
    m = mnn.Sequential(mnn.Linear(3, 4), mnn.Tanh(), mnn.Linear(4, 2)).double()
    for (_, tp), (_, mp) in zip(t.named_parameters(), m.named_parameters()):
        mp.array[...] = tp.detach().numpy()
    pair = {"torch": t, "mg": m}

    def scenario(lib, log):
        seq = modules(lib, pair)
        for name, sub in [("seq", seq)] + [(str(i), c) for i, c in enumerate(seq)]:
            sub.register_full_backward_hook(
                lambda mod, gi, go, name=name: log.append((name, gi, go)))
            sub.register_forward_hook(lambda mod, args, out, name=name: log.append(name))
        x = lib.tensor(X, requires_grad=True)
        (seq(x) ** 2).sum().backward()
        return x.grad, [p.grad for p in seq.parameters()]
    names = [e if isinstance(e, str) else e[0] for e in twin(scenario)]
    assert names == ["0", "1", "2", "seq", "2", "1", "0", "seq"]  # seq: after its input grad


def test_global_module_hooks():
    pair = linear_pair()

    def scenario(lib, log):
        glob = (torch.nn.modules.module if lib is torch else mg.nn.modules.module)
        lin = modules(lib, pair)
        lin.register_forward_hook(lambda m, a, out: log.append("own"))
        h1 = glob.register_module_forward_pre_hook(lambda m, a: log.append("gpre"))
        h2 = glob.register_module_forward_hook(lambda m, a, out: (log.append("g"), out + 1)[1])
        try:
            out = lin(lib.tensor(X))
        finally:
            h1.remove()
            h2.remove()
        return out, lin(lib.tensor(X))
    assert twin(scenario) == ["gpre", "g", "own", "own"]


def test_module_without_hooks_takes_the_plain_path():
    lin = mnn.Linear(3, 2)
    assert not lin._has_hooks and "_forward_hooks" not in lin.__dict__
    h = lin.register_forward_hook(lambda m, a, o: None)
    assert lin._has_hooks
    h.remove()
    assert len(lin._forward_hooks) == 0


def test_module_hook_must_be_callable():
    with pytest.raises(TypeError, match="callable"):
        mnn.Linear(2, 2).register_forward_hook(None)
