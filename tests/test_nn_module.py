"""Module system: registration, torch's dotted names, modes, state_dict, hooks for penalties and
constraints, containers, repr."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
        self.head = nn.Linear(2, 3)

    def forward(self, x):
        return self.head(self.features(x).mean(axis=(2, 3)))


def test_named_parameters_are_torchs_dotted_names():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert [tuple(p.shape) for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "head.weight", "head.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "features", "features.0", "features.1",
                                                  "features.2", "head"]
    assert [type(c).__name__ for c in net.children()] == ["Sequential", "Linear"]
    assert len(list(net.modules())) == 6


def test_shared_parameter_is_listed_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, lin)
    assert len(list(model.parameters())) == 2


def test_train_eval_propagate_and_zero_grad():
    net = Net()
    net.eval()
    assert not net.training and not net.features[1].training
    net.train()
    assert all(m.training for m in net.modules())
    net(mg.randn(2, 1, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_holds_parameters_and_buffers_and_round_trips():
    net = Net()
    keys = list(net.state_dict())
    assert keys == ["features.0.weight", "features.0.bias", "features.1.weight",
                    "features.1.bias", "features.1.running_mean", "features.1.running_var",
                    "features.1.num_batches_tracked", "head.weight", "head.bias"]
    net(mg.randn(3, 1, 4, 4))  # moves the running statistics
    other = Net()
    other.load_state_dict(net.state_dict())
    for (k, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert int(other.features[1].num_batches_tracked.item()) == 1


def test_load_state_dict_errors_name_the_key():
    # torch's types: one RuntimeError gathering every problem
    net = Net()
    state = net.state_dict()
    missing = dict(state)
    del missing["head.bias"]
    with pytest.raises(RuntimeError, match="Missing key.*head.bias"):
        net.load_state_dict(missing)
    extra = dict(state)
    extra["head.scale"] = mg.ones(3)
    with pytest.raises(RuntimeError, match="Unexpected key.*head.scale"):
        net.load_state_dict(extra)
    assert net.load_state_dict(missing, strict=False) == (["head.bias"], [])
    wrong = dict(state)
    wrong["head.weight"] = mg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"head.weight.*\(2, 3\).*\(3, 2\)"):
        net.load_state_dict(wrong)


def test_containers_and_simple_modules():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and isinstance(seq[-1], nn.Linear)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and [n for n, _ in head.named_parameters()] == [
        "0.weight", "0.bias"]
    with pytest.raises(IndexError, match="index 5"):
        seq[5]
    with pytest.raises(TypeError, match="position 1"):
        nn.Sequential(nn.ReLU(), "relu")
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    holder = nn.Module()
    holder.layers = ml
    assert [n for n, _ in holder.named_parameters()] == ["layers.0.weight", "layers.0.bias",
                                                        "layers.1.weight", "layers.1.bias"]
    x = mg.randn(2, 3, 4)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)


def test_repr_reads_like_torch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Conv2d(1, 2, 3, padding=1))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                           "  (1): ReLU()\n  (2): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1),"
                           " padding=(1, 1))\n)")


def test_parameter_is_a_leaf_requiring_grad_with_no_constraint():
    p = nn.Parameter(mg.zeros(3))
    assert p.requires_grad and p.is_leaf and p.constraint is None
    assert all(q.constraint is None for q in Net().parameters())


def test_dtype_and_device_arguments():
    lin = nn.Linear(3, 2, dtype=np.float64)
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    assert nn.Linear(3, 2).weight.dtype == np.float32
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    net = Net().to(np.float64)
    assert all(t.dtype == np.float64 for k, t in net.state_dict().items()
               if not k.endswith("num_batches_tracked"))


def test_layers_run_on_every_device(device):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, device=device), nn.BatchNorm2d(2, device=device),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3, device=device))
    cpu = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    cpu.load_state_dict(model.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    out = model(mg.tensor(x, device=device))
    nn.functional.cross_entropy(out, mg.tensor([0, 2], device=device)).backward()
    ref = cpu(mg.tensor(x))
    nn.functional.cross_entropy(ref, mg.tensor([0, 2])).backward()
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    for (name, p), q in zip(model.named_parameters(), cpu.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


# ---- penalty / constraint hooks (the generic mechanism; minigrad.penalties builds on it) ------

def test_penalty_sums_weight_bias_and_activity_penalties():
    mg.set_default_dtype(np.float64)
    sq = lambda w: (w * w).sum()  # noqa: E731
    first = nn.Linear(3, 4, weight_penalty=sq, bias_penalty=lambda b: b.abs().sum() * 0.5,
                      activity_penalty=lambda a: a.abs().mean())
    conv = nn.Conv2d(1, 1, 2, weight_penalty=lambda w: w.sum() * 3)
    emb = nn.Embedding(5, 2, weight_penalty=sq)
    model = nn.Sequential(first, nn.ReLU(), nn.Linear(4, 2))
    holder = nn.Module()
    holder.model, holder.conv, holder.emb = model, conv, emb
    x = mg.randn(5, 3)
    model(x)
    W, b = first.weight.numpy(), first.bias.numpy()
    act = x.numpy() @ W.T + b
    want = ((W ** 2).sum() + 0.5 * np.abs(b).sum() + np.abs(act).mean()
            + 3 * conv.weight.numpy().sum() + (emb.weight.numpy() ** 2).sum())
    total = holder.penalty()
    assert total.ndim == 0
    np.testing.assert_allclose(total.item(), want, rtol=1e-12)
    total.backward()
    np.testing.assert_allclose(conv.weight.grad.numpy(), 3.0, rtol=1e-12)
    np.testing.assert_allclose(emb.weight.grad.numpy(), 2 * emb.weight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(first.bias.grad.numpy(),
                               0.5 * np.sign(b) + np.sign(act).sum(0) / act.size, rtol=1e-10)
    # the activity penalty follows the most recent forward
    x2 = mg.randn(2, 3)
    model(x2)
    act2 = x2.numpy() @ W.T + b
    np.testing.assert_allclose(model.penalty().item() - (W ** 2).sum() - 0.5 * np.abs(b).sum(),
                               np.abs(act2).mean(), rtol=1e-10)


def test_penalty_is_a_zero_scalar_without_hooks_and_activity_needs_a_forward():
    model = nn.Sequential(nn.Linear(2, 2))
    p = model.penalty()
    assert p.shape == () and p.item() == 0.0
    lazy = nn.Linear(2, 2, activity_penalty=lambda a: a.sum())
    with pytest.raises(RuntimeError, match="forward"):
        lazy.penalty()
    with pytest.raises(TypeError, match="weight_penalty"):
        nn.Linear(2, 2, weight_penalty=3.0)


def test_constraints_are_stored_on_the_parameters():
    clip = lambda a: np.clip(a, -0.1, 0.1)  # noqa: E731
    lin = nn.Linear(3, 2, weight_constraint=clip, bias_constraint=np.abs)
    assert lin.weight.constraint is clip and lin.bias.constraint is np.abs
    conv = nn.Conv2d(1, 1, 2, weight_constraint=clip)
    assert conv.weight.constraint is clip and conv.bias.constraint is None
    lin.weight.array[...] = lin.weight.constraint(lin.weight.array * 100)  # what optimizers do
    assert np.abs(lin.weight.numpy()).max() <= 0.1
    with pytest.raises(ValueError, match="no bias"):
        nn.Linear(2, 2, bias=False, bias_constraint=clip)
