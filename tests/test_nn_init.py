"""nn.init against torch: signatures and defaults, gains, deterministic initialisers exactly,
random ones by their moments, bounds and law (the random streams differ from torch's)."""
import inspect
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn


# ---- nn.init -------------------------------------------------------------------------------

INIT_FUNCTIONS = ["uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                  "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                  "kaiming_normal_", "orthogonal_", "sparse_", "calculate_gain"]


@pytest.mark.parametrize("name", INIT_FUNCTIONS)
def test_init_signatures_are_torchs(name):
    ours = inspect.signature(getattr(nn.init, name)).parameters
    theirs = inspect.signature(getattr(tnn.init, name)).parameters
    assert list(ours) == list(theirs)
    for key in theirs:
        if key != "tensor":
            assert ours[key].default == theirs[key].default, key


@pytest.mark.parametrize("name", ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu",
                                  "selu", "conv_transpose3d"])
def test_calculate_gain_is_torchs(name):
    assert nn.init.calculate_gain(name) == pytest.approx(tnn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == tnn.init.calculate_gain("leaky_relu", 0.2)
    with pytest.raises(ValueError):
        nn.init.calculate_gain("leaky_relu", "0.2")
    with pytest.raises(ValueError):
        nn.init.calculate_gain("swish")


def _big(*shape):
    return mg.zeros(*shape, dtype=np.float64)


def test_every_initialiser_returns_its_tensor_and_fills_in_place():
    for name, args in [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()),
                       ("constant_", (0.5,)), ("ones_", ()), ("zeros_", ()), ("eye_", ()),
                       ("xavier_uniform_", ()), ("xavier_normal_", ()),
                       ("kaiming_uniform_", ()), ("kaiming_normal_", ()), ("orthogonal_", ()),
                       ("sparse_", (0.5,))]:
        w = nn.Parameter(mg.zeros(4, 6))
        before = w.array
        assert getattr(nn.init, name)(w, *args) is w, name
        assert w.array is before and w.requires_grad and w.is_leaf, name


def test_distributions_have_the_stated_moments():
    n = 200_000
    w = nn.init.uniform_(_big(n), -1.0, 3.0)
    assert w.numpy().min() >= -1 and w.numpy().max() < 3
    assert abs(w.numpy().mean() - 1.0) < 0.02 and abs(w.numpy().std() - 4 / math.sqrt(12)) < 0.02
    w = nn.init.normal_(_big(n), 2.0, 0.5)
    assert abs(w.numpy().mean() - 2.0) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    for fan_in, fan_out in [(300, 100), (20, 500)]:
        w = nn.init.xavier_uniform_(_big(fan_out, fan_in), gain=2.0)
        assert abs(w.numpy().std() - 2.0 * math.sqrt(2.0 / (fan_in + fan_out))) < 0.01 * 2
        w = nn.init.xavier_normal_(_big(fan_out, fan_in))
        assert abs(w.numpy().std() - math.sqrt(2.0 / (fan_in + fan_out))) < 0.01
        w = nn.init.kaiming_normal_(_big(fan_out, fan_in), mode="fan_out", nonlinearity="relu")
        assert abs(w.numpy().std() - math.sqrt(2.0 / fan_out)) < 0.02 * math.sqrt(2.0 / fan_out)
        w = nn.init.kaiming_uniform_(_big(fan_out, fan_in), a=math.sqrt(5))
        bound = 1 / math.sqrt(fan_in)
        assert w.numpy().min() >= -bound and w.numpy().max() <= bound
    conv = nn.init.kaiming_normal_(_big(64, 16, 3, 3))         # fan_in = 16·9
    assert abs(conv.numpy().std() - math.sqrt(2.0 / 144)) < 0.01


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (1.0, 2.0, -1.0, 2.0), (0.0, 1.0, 0.5, 4.0),
                                          (0.0, 1.0, -math.inf, 0.0)])
def test_trunc_normal_has_the_truncated_moments(mean, std, a, b):
    n = 200_000
    x = nn.init.trunc_normal_(_big(n), mean, std, a, b).numpy()
    assert x.min() >= a and x.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: 0.0 if math.isinf(z) else math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    mu = mean + std * (pdf(alpha) - pdf(beta)) / z
    ta = 0.0 if math.isinf(alpha) else alpha * pdf(alpha)
    tb = 0.0 if math.isinf(beta) else beta * pdf(beta)
    sd = std * math.sqrt(1 + (ta - tb) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(x.mean() - mu) < 5 * sd / math.sqrt(n)
    assert abs(x.std() - sd) < 0.01 * sd
    # and the same law as torch's (a two-sample Kolmogorov–Smirnov distance)
    t = tnn.init.trunc_normal_(torch.empty(n, dtype=torch.float64), mean, std, a, b).numpy()
    grid = np.sort(np.concatenate([x, t]))
    ks = np.max(np.abs(np.searchsorted(np.sort(x), grid, "right") -
                       np.searchsorted(np.sort(t), grid, "right"))) / n
    assert ks < 1.95 * math.sqrt(2 / n)        # the 0.1 % critical value


def test_trunc_normal_checks_and_warns():
    with pytest.raises(ValueError, match="std"):
        nn.init.trunc_normal_(_big(3), std=0.0)
    with pytest.raises(ValueError, match="a < b"):
        nn.init.trunc_normal_(_big(3), a=1.0, b=1.0)
    with pytest.warns(UserWarning, match="more than 2 std"):
        nn.init.trunc_normal_(_big(3), mean=10.0)


@pytest.mark.parametrize("shape", [(30, 30), (50, 20), (20, 50), (8, 3, 2, 2), (4, 30)])
def test_orthogonal_is_orthogonal(shape):
    w = nn.init.orthogonal_(_big(*shape), gain=1.5).numpy().reshape(shape[0], -1) / 1.5
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    assert w.std() > 0
    with pytest.raises(ValueError, match="2 or more"):
        nn.init.orthogonal_(_big(3))


def test_eye_dirac_sparse_like_torch():
    for shape in [(3, 5), (4, 2)]:
        np.testing.assert_array_equal(nn.init.eye_(_big(*shape)).numpy(),
                                      tnn.init.eye_(torch.empty(shape)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 2, 3), 4), ((2, 5, 5, 5), 1)]:
        np.testing.assert_array_equal(nn.init.dirac_(_big(*shape), groups).numpy(),
                                      tnn.init.dirac_(torch.empty(shape), groups).numpy())
    with pytest.raises(ValueError, match="divisible"):
        nn.init.dirac_(_big(3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.eye_(_big(2, 2, 2))
    w = nn.init.sparse_(_big(10, 40), sparsity=0.3, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) == 3).all()
    assert abs(w[w != 0].std() - 0.5) < 0.06


def test_zero_element_tensors_are_a_no_op_with_a_warning():
    w = mg.zeros(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        assert nn.init.kaiming_uniform_(w) is w
    with pytest.warns(UserWarning, match="zero-element"):   # torch's Linear warns too
        assert nn.Linear(0, 3).weight.shape == (3, 0)


def test_deprecated_init_spellings_warn():
    with pytest.warns(FutureWarning, match="nn.init.xavier_uniform_"):
        nn.init.xavier_uniform(_big(3, 3))
    assert nn.init.normal.__name__ == "normal"


def test_seeded_initialisation_repeats():
    mg.manual_seed(3)
    a = nn.init.orthogonal_(_big(4, 4)).numpy().copy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(nn.init.orthogonal_(_big(4, 4)).numpy(), a)
