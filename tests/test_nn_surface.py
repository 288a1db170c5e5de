"""torch.nn's surface that course programs use, against torch as the oracle: the containers,
Module's registration rules and methods, nn.utils, optimizers given named_parameters(), and
the legacy FloatTensor/LongTensor spellings (nn.init: test_nn_init.py)."""
import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _names(module):
    return [n for n, _ in module.named_parameters()]


def _copy_weights(src_torch, dst_mg):
    dst_mg.load_state_dict({k: v.detach().numpy() for k, v in src_torch.state_dict().items()})


# ---- containers: the same structure built in both libraries --------------------------------

def _blocks(lib):
    """A module holding every container kind, built with ``lib`` (torch.nn or minigrad.nn)."""
    tensor = torch.ones if lib is tnn else mg.ones

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.layers = lib.ModuleList([lib.Linear(3, 3), lib.Linear(3, 2)])
            self.heads = lib.ModuleDict({"cls": lib.Linear(2, 4), "reg": lib.Linear(2, 1)})
            self.scales = lib.ParameterList([lib.Parameter(tensor(2)), tensor(3)])
            self.extra = lib.ParameterDict({"b": lib.Parameter(tensor(1)), "a": tensor(2)})
            self.body = lib.Sequential(lib.Linear(3, 3), lib.ReLU())

    return Net()


def test_every_container_registers_like_torch():
    t, m = _blocks(tnn), _blocks(nn)
    assert _names(m) == _names(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert _names(m)[:4] == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                             "layers.1.bias"]
    assert "extra.a" in m.state_dict() and _names(m).index("extra.a") < _names(m).index("extra.b")
    assert isinstance(m.scales[1], nn.Parameter) and m.scales[1].requires_grad
    assert isinstance(m.extra["a"], nn.Parameter)
    m.to(np.float64)
    assert all(p.dtype == np.float64 for p in m.parameters())
    m.zero_grad()
    assert len(list(m.parameters())) == len(list(t.parameters()))


def test_module_dict_methods():
    for lib in (tnn, nn):
        d = lib.ModuleDict([("b", lib.ReLU()), ("a", lib.Tanh())])
        assert list(d.keys()) == ["b", "a"] and len(d) == 2 and "a" in d and "c" not in d
        assert list(d) == ["b", "a"]
        assert [type(v).__name__ for v in d.values()] == ["ReLU", "Tanh"]
        d.update(OrderedDict([("c", lib.Sigmoid()), ("a", lib.ReLU())]))
        assert [(k, type(v).__name__) for k, v in d.items()] == [("b", "ReLU"), ("a", "ReLU"),
                                                                 ("c", "Sigmoid")]
        d["z"] = lib.Tanh()
        assert isinstance(d.pop("b"), lib.ReLU) and list(d) == ["a", "c", "z"]
        del d["z"]
        assert list(d) == ["a", "c"]
        d.clear()
        assert len(d) == 0
        with pytest.raises(TypeError):
            d.update(3)
        with pytest.raises(ValueError, match="length 3"):
            d.update([("a", lib.ReLU(), 1)])
        with pytest.raises(TypeError, match="not a Module subclass"):
            d["x"] = 3


def _list_history(lib):
    """What a ModuleList/Sequential looks like after each list operation (names and types)."""
    seen = []
    layers = [lib.Linear(1, 1), lib.ReLU(), lib.Tanh(), lib.Sigmoid(), lib.Linear(1, 2)]
    for kind in ("ModuleList", "Sequential"):
        c = lib.ModuleList(layers) if kind == "ModuleList" else lib.Sequential(*layers)
        snap = lambda c=c: [(n, type(m).__name__) for n, m in c.named_children()]  # noqa: E731
        seen.append(snap())
        seen.append([type(m).__name__ for m in c[1:4]] + [type(c[-1]).__name__])
        seen.append(type(c[::2]).__name__)
        del c[1]
        seen.append(snap())
        del c[0:2]
        seen.append(snap())
        c.insert(1, lib.ELU())
        seen.append(snap())
        if kind == "Sequential":   # torch's ModuleList.insert takes no negative index
            c.insert(-1, lib.GELU())
            seen.append(snap())
        c.append(lib.Softplus())
        c.extend([lib.ReLU()])
        seen.append(snap())
        seen.append(type(c.pop(0)).__name__)
        seen.append(snap())
        c[0] = lib.Identity()
        seen.append(snap())
        seen.append(len(c))
        with pytest.raises(IndexError):
            c[len(c)]
        with pytest.raises(IndexError):
            c[-len(c) - 1]
    return seen


def test_module_list_and_sequential_list_operations_match_torch():
    assert _list_history(nn) == _list_history(tnn)


def test_sequential_arithmetic_and_forward():
    for lib in (tnn, nn):
        a = lib.Sequential(lib.ReLU(), lib.Tanh())
        b = lib.Sequential(lib.Sigmoid())
        assert [type(m).__name__ for m in a + b] == ["ReLU", "Tanh", "Sigmoid"]
        assert [type(m).__name__ for m in a * 2] == ["ReLU", "Tanh"] * 2
        assert [type(m).__name__ for m in 2 * b] == ["Sigmoid"] * 2
        a += b
        assert len(a) == 3
        with pytest.raises(ValueError):
            a + [lib.ReLU()]
        with pytest.raises(ValueError):
            a * 0
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert _names(named) == ["fc.weight", "fc.bias"] and isinstance(named[1], nn.ReLU)
    assert _names(named[:1]) == ["fc.weight", "fc.bias"]
    tseq = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2)).double()
    mseq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    _copy_weights(tseq, mseq.to(np.float64))
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(mseq(mg.tensor(x)).numpy(),
                               tseq(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_parameter_list_and_dict_like_torch():
    for lib, ones in ((tnn, torch.ones), (nn, mg.ones)):
        pl = lib.ParameterList([ones(2)])
        pl.append(ones(3)).extend([ones(1), "not a tensor"])
        assert len(pl) == 4 and [type(p).__name__ for p in pl][:3] == ["Parameter"] * 3
        assert pl[3] == "not a tensor" and pl[-1] == "not a tensor"
        assert isinstance(pl[1:3], lib.ParameterList) and len(pl[1:3]) == 2
        pl += [ones(4)]
        assert _names(pl) == ["0", "1", "2", "4"]
        with pytest.raises(TypeError):
            pl.extend(ones(2))
        with pytest.raises(RuntimeError, match="should not be called"):
            pl(1)
        pd = lib.ParameterDict({"z": ones(1), "a": ones(2)})   # a plain dict is sorted
        assert list(pd) == ["a", "z"] and _names(pd) == ["a", "z"]
        pd.update(OrderedDict([("y", ones(1)), ("b", ones(1))]))   # an OrderedDict is not
        assert list(pd.keys()) == ["a", "z", "y", "b"]
        assert pd.get("q") is None and pd.setdefault("q", ones(5)).shape[0] == 5
        assert "q" in pd and len(pd) == 5 and list(reversed(pd))[0] == "q"
        assert pd.popitem()[0] == "q"
        assert pd.pop("y").shape[0] == 1 and "y" not in pd
        assert list((pd | lib.ParameterDict({"n": ones(1)})).keys()) == ["a", "z", "b", "n"]
        assert list(pd.copy()) == ["a", "z", "b"]
        assert [k for k, _ in pd.items()] == ["a", "z", "b"] and len(list(pd.values())) == 3
        pd.clear()
        assert len(pd) == 0 and _names(pd) == []
        with pytest.raises(TypeError, match="not a string"):
            pd[1] = ones(1)


def test_container_reprs_match_torch():
    def build(lib):
        return lib.Sequential(
            lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.ReLU(), lib.ReLU()]),
            lib.ModuleDict({"act": lib.Tanh()}), lib.Identity(), lib.ModuleList())
    assert repr(build(nn)) == repr(build(tnn))


# ---- Module: registration rules ---------------------------------------------------------------

def test_attribute_assignment_rules_are_torchs():
    for lib, ones in ((tnn, torch.ones), (nn, mg.ones)):
        m = lib.Module()
        m.w = lib.Parameter(ones(2))
        m.w = None                                  # a parameter slot may be emptied
        assert "w" in m._parameters and m.w is None and _names(m) == []
        with pytest.raises(TypeError, match="as parameter 'w'"):
            m.w = ones(2)                           # but not filled with a plain tensor
        m.sub = lib.Linear(1, 1)
        with pytest.raises(TypeError, match="as child module 'sub'"):
            m.sub = 3
        m.sub = None
        assert dict(m.named_children()) == {}
        m.register_buffer("running", ones(1))
        m.running = ones(3)                        # a buffer stays a buffer when reassigned
        assert [n for n, _ in m.named_buffers()] == ["running"] and m.running.shape[0] == 3
        with pytest.raises(TypeError):
            m.running = 3
        m.plain = ones(2)                          # a tensor attribute is not registered
        assert "plain" not in m.state_dict()
        del m.running
        assert list(m.buffers()) == [] and not hasattr(m, "running")
        with pytest.raises(AttributeError, match="object has no attribute 'nothing'"):
            m.nothing
        with pytest.raises(KeyError):
            m.register_parameter("a.b", lib.Parameter(ones(1)))
        with pytest.raises(KeyError):
            m.add_module("", lib.ReLU())
        with pytest.raises(TypeError, match="is not a Module subclass"):
            m.add_module("x", 3)
        with pytest.raises(KeyError, match="already exists"):
            m.register_buffer("forward", ones(1))
        with pytest.raises(KeyError, match="already exists"):
            m.register_buffer("w", ones(1))          # a parameter's name
        m.register_module("act", lib.ReLU())
        assert [n for n, _ in m.named_children()] == ["act"]


def test_assignment_before_init():
    for lib, ones in ((tnn, torch.ones), (nn, mg.ones)):
        class Early(lib.Module):
            def __init__(self):
                self.size = 3                          # plain attributes are fine
                with pytest.raises(AttributeError, match="before Module.__init__"):
                    self.w = lib.Parameter(ones(2))
                super().__init__()
        assert Early().size == 3


def test_reassigning_a_parameter_keeps_its_place():
    for lib, ones in ((tnn, torch.ones), (nn, mg.ones)):
        lin = lib.Linear(2, 2)
        lin.weight = lib.Parameter(ones(2, 2))
        assert _names(lin) == ["weight", "bias"]


def test_buffers_persistent_or_not():
    for lib, zeros in ((tnn, torch.zeros), (nn, mg.zeros)):
        m = lib.BatchNorm1d(2)
        m.register_buffer("scratch", zeros(2), persistent=False)
        m.register_buffer("nothing", None)
        assert "scratch" not in m.state_dict() and "nothing" not in m.state_dict()
        assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var",
                                                      "num_batches_tracked", "scratch"]
        m.load_state_dict(m.state_dict())       # a non-persistent buffer is not expected
    mm = nn.BatchNorm1d(2)
    mm.register_buffer("scratch", mg.zeros(2), persistent=False)
    mm.to(np.float64)
    assert mm.scratch.dtype == np.float64


def test_traversal_with_shared_modules_and_recurse():
    for lib in (tnn, nn):
        shared = lib.Linear(2, 2)
        model = lib.Sequential(shared, lib.ReLU(), shared)
        assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
        assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
        assert len(list(model.modules(remove_duplicate=False))) == 4
        assert [n for n, _ in model.named_children()] == ["0", "1"]
        assert _names(model) == ["0.weight", "0.bias"]
        assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
            "0.weight", "0.bias", "2.weight", "2.bias"]
        assert [n for n, _ in model.named_parameters(prefix="net")] == ["net.0.weight",
                                                                         "net.0.bias"]
        assert list(model.parameters(recurse=False)) == []
        assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_tied_weights_appear_under_both_names_in_state_dict():
    def tied(lib):
        emb, head = lib.Embedding(5, 3), lib.Linear(3, 5, bias=False)
        head.weight = emb.weight
        return lib.ModuleDict({"emb": emb, "head": head})
    t, m = tied(tnn), tied(nn)
    assert list(m.state_dict()) == list(t.state_dict()) == ["emb.weight", "head.weight"]
    assert _names(m) == _names(t) == ["emb.weight"]
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def test_get_submodule_parameter_buffer():
    for lib in (tnn, nn):
        model = lib.Sequential(OrderedDict(feat=lib.Sequential(lib.Linear(2, 2),
                                                               lib.BatchNorm1d(2))))
        assert model.get_submodule("") is model
        assert isinstance(model.get_submodule("feat.1"), lib.BatchNorm1d)
        assert model.get_parameter("feat.0.bias") is model.feat[0].bias
        assert model.get_buffer("feat.1.running_mean") is model.feat[1].running_mean
        with pytest.raises(AttributeError, match="has no attribute `nope`"):
            model.get_submodule("feat.nope")
        with pytest.raises(AttributeError):
            model.get_parameter("feat.0.nope")


def test_apply_train_eval_zero_grad_requires_grad():
    order = {}
    for lib, key in ((tnn, "torch"), (nn, "mg")):
        model = lib.Sequential(lib.Linear(2, 2), lib.Sequential(lib.ReLU(), lib.Dropout()))
        visited = []
        assert model.apply(lambda m: visited.append(type(m).__name__)) is model
        order[key] = visited
        calls = []

        class Counting(lib.Module):
            def forward(self, x):
                return x

            def train(self, mode=True):
                calls.append(mode)
                return super().train(mode)

        model.append(Counting())
        assert model.eval() is model and not model[1][1].training and calls == [False]
        model.train()
        assert all(m.training for m in model.modules()) and calls == [False, True]
        with pytest.raises(ValueError, match="boolean"):
            model.train("yes")
        model.requires_grad_(False)
        assert not any(p.requires_grad for p in model.parameters())
        model.requires_grad_()
        model(mg.ones(1, 2) if lib is nn else torch.ones(1, 2)).sum().backward()
        model.zero_grad()                            # torch 2.x: set_to_none=True
        assert all(p.grad is None for p in model.parameters())
    assert order["mg"] == order["torch"]


def test_load_state_dict_like_torch():
    tm, mm = tnn.Linear(3, 2), nn.Linear(3, 2)
    ok = mm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert repr(ok) == repr(tm.load_state_dict(tm.state_dict())) == "<All keys matched successfully>"
    assert ok.missing_keys == [] and ok.unexpected_keys == []
    for lib, m, ones in ((tnn, tm, torch.ones), (nn, mm, mg.ones)):
        result = m.load_state_dict({"weight": ones(2, 3), "extra": ones(1)}, strict=False)
        assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
        assert "missing_keys=['bias']" in repr(result)
        with pytest.raises(RuntimeError) as info:
            m.load_state_dict({"weight": ones(3, 3), "extra": ones(1)})
        message = str(info.value)
        assert message.startswith("Error(s) in loading state_dict for Linear:")
        assert 'Missing key(s) in state_dict: "bias"' in message
        assert 'Unexpected key(s) in state_dict: "extra"' in message
        assert "size mismatch for weight" in message
        with pytest.raises(TypeError, match="dict-like"):
            m.load_state_dict([("weight", ones(2, 3))])
    old = mm.weight
    mm.load_state_dict({"weight": mg.ones(2, 3), "bias": mg.zeros(2)}, assign=True)
    assert mm.weight is not old and isinstance(mm.weight, nn.Parameter)
    assert mm.weight.requires_grad and _names(mm) == ["weight", "bias"]
    np.testing.assert_array_equal(mm.weight.numpy(), np.ones((2, 3)))


def test_repr_nested_and_multiline_extra_repr_like_torch():
    def build(lib):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.Linear(2, 3)
                self.act = None

            def extra_repr(self):
                return "first line\nsecond line"

        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()
                self.seq = lib.Sequential(lib.Linear(3, 3), Block())

        return Net()
    assert repr(build(nn)) == repr(build(tnn))


def test_deepcopy_and_pickle_keep_the_registries():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert _names(clone) == _names(model)
        assert clone[0].weight is not model[0].weight
        np.testing.assert_array_equal(clone[0].weight.numpy(), model[0].weight.numpy())
        assert list(clone.state_dict()) == list(model.state_dict())


def test_dir_lists_registered_names():
    lin = nn.Linear(2, 2)
    assert {"weight", "bias", "forward"} <= set(dir(lin))
    assert not any(k.isdigit() for k in dir(nn.Sequential(lin)))


# ---- nn.utils ------------------------------------------------------------------------------

def _with_grads(seed=0, lib="mg"):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in [(3, 4), (5,), (2,)]]
    grads = [3 * rng.standard_normal(s) for s in [(3, 4), (5,), (2,)]]
    grads[2][:] = 0
    if lib == "mg":
        ps = [nn.Parameter(mg.tensor(v)) for v in values]
        for p, g in zip(ps, grads):
            p.grad = mg.tensor(g)
    else:
        ps = [tnn.Parameter(torch.tensor(v)) for v in values]
        for p, g in zip(ps, grads):
            p.grad = torch.tensor(g)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 0, 3.5, math.inf, "inf"])
def test_clip_grad_norm_matches_torch_for_every_norm(norm_type):
    ps, ts = _with_grads(), _with_grads(lib="torch")
    got = nn.utils.clip_grad_norm_((p for p in ps), 0.5, norm_type=norm_type, foreach=None)
    expected = tnn.utils.clip_grad_norm_(iter(ts), 0.5, norm_type=norm_type, foreach=None)
    assert got.shape == () and got.dtype == np.float64
    assert got.item() == pytest.approx(expected.item(), rel=1e-13)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-13)


def test_total_norm_and_clip_with_norm_building_blocks():
    ps, ts = _with_grads(), _with_grads(lib="torch")
    total = nn.utils.get_total_norm([p.grad for p in ps], 2.0)
    expected = tnn.utils.get_total_norm([t.grad for t in ts], 2.0)
    assert total.item() == pytest.approx(expected.item(), rel=1e-14)
    nn.utils.clip_grads_with_norm_(ps, 1.0, total)
    tnn.utils.clip_grads_with_norm_(ts, 1.0, expected)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-13)
    assert nn.utils.get_total_norm([]).item() == 0.0
    assert mg.optim.clip_grad_norm_ is nn.utils.clip_grad_norm_
    assert mg.optim.clip_grad_value_ is nn.utils.clip_grad_value_


def test_clip_grad_value_and_nonfinite():
    ps, ts = _with_grads(), _with_grads(lib="torch")
    assert nn.utils.clip_grad_value_(ps, 0.5, foreach=None) is None
    tnn.utils.clip_grad_value_(ts, 0.5)
    for p, t in zip(ps, ts):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    ps[0].grad.array[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_parameters_to_vector_and_back():
    model, tmodel = nn.Linear(3, 2), tnn.Linear(3, 2)
    _copy_weights(tmodel, model)
    vec = nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_allclose(vec.numpy(),
                               tnn.utils.parameters_to_vector(tmodel.parameters()).detach().numpy())
    assert vec.requires_grad                      # differentiable, as torch's cat of views
    new = mg.arange(8, dtype=np.float32)
    nn.utils.vector_to_parameters(new, model.parameters())
    tnn.utils.vector_to_parameters(torch.arange(8, dtype=torch.float32), tmodel.parameters())
    for p, t in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy())
    new.array[...] = -1                            # minigrad copies (torch would alias vec)
    assert model.weight.numpy()[0, 0] == 0
    with pytest.raises(ValueError, match="8 values"):
        nn.utils.vector_to_parameters(mg.zeros(7), model.parameters())
    with pytest.raises(TypeError, match="float64"):
        nn.utils.vector_to_parameters(mg.zeros(8, dtype=np.float64), model.parameters())
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.utils.vector_to_parameters(np.zeros(8), model.parameters())


def test_parameters_to_vector_gradients():
    a = mg.tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    b = mg.tensor(np.random.default_rng(2).standard_normal(4), requires_grad=True)

    def f(a, b):
        v = nn.utils.parameters_to_vector([a, b])
        return v * v.sum()
    assert mg.gradcheck(f, (a, b)) and mg.gradgradcheck(f, (a, b))


# ---- optimizers and named_parameters() ---------------------------------------------------------

def _pair():
    tmodel = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 1)).double()
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(np.float64)
    _copy_weights(tmodel, model)
    return tmodel, model


def _step(opt, model, x, y, lib):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.parametrize("kind", ["SGD", "Adam", "AdamW"])
def test_optimizers_accept_named_parameters_like_torch(kind):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    tmodel, model = _pair()
    kw = {"lr": 0.05, "weight_decay": 0.01}
    topt = getattr(torch.optim, kind)(tmodel.named_parameters(), **kw)
    opt = getattr(mg.optim, kind)(model.named_parameters(), **kw)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"]
    for _ in range(3):
        lt = _step(topt, tmodel, torch.tensor(x), torch.tensor(y), torch)
        lm = _step(opt, model, mg.tensor(x), mg.tensor(y), mg)
        assert lm == pytest.approx(lt, rel=1e-10)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"][0]["param_names"] == tsd["param_groups"][0]["param_names"] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    if kind != "SGD":     # torch's SGD without momentum keeps no state; minigrad an empty dict
        assert sorted(sd["state"]) == sorted(tsd["state"])
    again = getattr(mg.optim, kind)(model.named_parameters(), **kw)
    again.load_state_dict(sd)
    assert again.param_groups[0]["param_names"] == sd["param_groups"][0]["param_names"]


def test_named_param_groups_and_their_errors():
    tmodel, model = _pair()
    for lib_model, optim in ((tmodel, torch.optim), (model, mg.optim)):
        named = dict(lib_model.named_parameters())
        decay = [(n, p) for n, p in named.items() if n.endswith("weight")]
        rest = [(n, p) for n, p in named.items() if not n.endswith("weight")]
        opt = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                           {"params": rest, "weight_decay": 0.0}], lr=1e-3)
        assert opt.param_groups[1]["param_names"] == ["0.bias", "2.bias"]
        assert [g["weight_decay"] for g in opt.state_dict()["param_groups"]] == [0.1, 0.0]
        with pytest.raises(ValueError, match="with/without names"):
            optim.SGD([named["0.weight"], ("0.bias", named["0.bias"])], lr=0.1)
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [lib_model[0].weight.detach().clone()]})
        with pytest.raises(TypeError, match="ordered collections"):
            optim.SGD([named["0.bias"]], lr=0.1).add_param_group({"params": {named["2.bias"]}})


def test_lr_set_through_param_groups_takes_effect():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    tmodel, model = _pair()
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(6):
        if epoch == 3:
            for g in opt.param_groups:
                g["lr"] = 0.01
            for g in topt.param_groups:
                g["lr"] = 0.01
        lt = _step(topt, tmodel, torch.tensor(x), torch.tensor(y), torch)
        lm = _step(opt, model, mg.tensor(x), mg.tensor(y), mg)
        assert lm == pytest.approx(lt, rel=1e-10)
    for p, t in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-10)


def test_add_param_group_and_the_group_dict_is_the_callers():
    tmodel, model = _pair()
    topt = torch.optim.SGD(tmodel[0].parameters(), lr=0.1)
    opt = mg.optim.SGD(model[0].parameters(), lr=0.1)
    group = {"params": model[2].parameters(), "lr": 0.5}
    opt.add_param_group(group)
    topt.add_param_group({"params": tmodel[2].parameters(), "lr": 0.5})
    assert opt.param_groups[1] is group and group["momentum"] == 0   # filled in, as torch
    group["lr"] = 0.2
    topt.param_groups[1]["lr"] = 0.2
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    for _ in range(2):
        assert _step(opt, model, mg.tensor(x), mg.tensor(y), mg) == pytest.approx(
            _step(topt, tmodel, torch.tensor(x), torch.tensor(y), torch), rel=1e-10)
    opt.zero_grad()                                  # torch 2.x: set_to_none=True
    assert all(p.grad is None for p in model.parameters())


# ---- legacy tensor types ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "BoolTensor", "ByteTensor"])
def test_legacy_tensor_types_like_torch(name):
    ours, theirs = getattr(mg, name), getattr(torch, name)
    for args in [([1, 2],), ([[1.5, 2.7], [0, 1]],), ((2, 3),), (np.array([1.0, 0.0]),), ([],)]:
        a, b = ours(*args), theirs(*args)
        assert a.shape == tuple(b.shape) and a.dtype == b.numpy().dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    z = ours(2, 3)                                   # a shape: zeros here (torch: uninitialised)
    assert z.shape == (2, 3) and z.dtype == theirs(2, 3).numpy().dtype and not z.numpy().any()
    assert ours().shape == (0,) and ours(0).shape == (0,)
    assert isinstance(ours([1]), ours) and not isinstance(mg.tensor([1], dtype=np.int16), ours)
    assert ours.dtype == theirs([1]).numpy().dtype
    with pytest.raises(TypeError):
        ours(2.5)
    with pytest.raises(TypeError):
        ours(True)
    with pytest.raises(ValueError):
        ours(-1)


def test_legacy_tensor_type_of_a_tensor():
    t = mg.ones(2)
    u = mg.FloatTensor(t)
    assert u is not t and u.array is t.array
    with pytest.raises(TypeError, match="float32"):
        mg.FloatTensor(mg.tensor([1, 2]))
    assert isinstance(mg.ones(2), mg.FloatTensor) and not isinstance(mg.ones(2), mg.DoubleTensor)
    assert repr(mg.LongTensor) == "<class 'minigrad.LongTensor'>"
