"""Random numbers: mg.Generator, generator= on every random function, randperm, normal, bernoulli,
multinomial, randint's overloads.

torch is the oracle for names, overloads, shapes and dtypes; the numbers themselves are
minigrad's own (a PCG64 generator, not torch's Mersenne Twister), so the tests check
reproducibility and distributions instead of torch's values.
"""
import inspect

import numpy as np
import pytest

import minigrad as mg
from minigrad import creation

torch = pytest.importorskip("torch")

TORCH_DTYPE = {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64,
               torch.bool: np.bool_, torch.int32: np.int32}


def same_layout(ours, theirs):
    """Same shape and dtype as torch's result."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype == np.dtype(TORCH_DTYPE[theirs.dtype])


def seeded(seed=0):
    return mg.Generator().manual_seed(seed)


# ---- Generator ----------------------------------------------------------------------------------

def test_generator_api_is_torchs():
    g = mg.Generator()
    assert g.manual_seed(3) is g and torch.Generator().manual_seed(3) is not None
    assert g.initial_seed() == 3
    assert mg.Generator().initial_seed() == torch.Generator().initial_seed()
    assert mg.manual_seed(5) is mg.default_generator      # torch.manual_seed returns its generator
    assert mg.initial_seed() == 5
    assert g.device == "cpu"


def test_same_seed_same_numbers_and_generators_are_independent():
    a = mg.randn(5, generator=seeded(1))
    b = mg.randn(5, generator=seeded(1))
    c = mg.randn(5, generator=seeded(2))
    assert np.array_equal(a.numpy(), b.numpy()) and not np.array_equal(a.numpy(), c.numpy())
    mg.manual_seed(0)
    expected = mg.randn(3)
    mg.manual_seed(0)
    mg.randn(100, generator=seeded(4))          # a generator of its own leaves the default alone
    assert np.array_equal(mg.randn(3).numpy(), expected.numpy())


def test_default_generator_draws_are_unchanged_by_the_generator_class():
    """manual_seed(s) gives the numbers numpy's default_rng(s) gives, as it always did."""
    mg.manual_seed(7)
    expected = np.random.default_rng(7).standard_normal((2, 3)).astype(np.float32)
    assert np.array_equal(mg.randn(2, 3).numpy(), expected)


def test_seed_is_fresh_and_recorded():
    g = mg.Generator()
    s1, s2 = g.seed(), g.seed()
    assert isinstance(s1, int) and 0 <= s1 < 2 ** 64 and s1 != s2
    assert g.initial_seed() == s2
    s = mg.seed()
    assert mg.initial_seed() == s


def test_get_state_set_state_round_trip():
    g = seeded(11)
    mg.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (45,)
    first = mg.randn(6, generator=g).numpy()
    other = mg.Generator()
    assert other.set_state(state) is other
    assert np.array_equal(mg.randn(6, generator=other).numpy(), first)
    assert other.initial_seed() == 11
    g.set_state(state)
    assert np.array_equal(mg.randn(6, generator=g).numpy(), first)


def test_get_state_keeps_a_buffered_half_word():
    """numpy buffers half of a 64-bit draw for 32-bit integers: the state carries it."""
    g = seeded(3)
    g._numpy.integers(0, 10, dtype=np.int32)           # leaves a 32-bit half buffered
    state = g.get_state()
    expected = g._numpy.integers(0, 2 ** 31, 5, dtype=np.int32)
    assert np.array_equal(mg.Generator().set_state(state)._numpy.integers(
        0, 2 ** 31, 5, dtype=np.int32), expected)


def test_rng_state_of_the_default_generator():
    mg.manual_seed(9)
    state = mg.get_rng_state()
    a = mg.rand(4).numpy()
    mg.randn(10)
    mg.set_rng_state(state)
    assert np.array_equal(mg.rand(4).numpy(), a)


def test_rng_state_survives_save_and_load(tmp_path):
    mg.manual_seed(2)
    mg.save({"rng": mg.get_rng_state()}, tmp_path / "ck.mg")
    a = mg.randn(3).numpy()
    mg.set_rng_state(mg.load(tmp_path / "ck.mg")["rng"])
    assert np.array_equal(mg.randn(3).numpy(), a)


@pytest.mark.parametrize("seed", [-1, 2 ** 64, 1.5, True, "3"])
def test_bad_seed_is_a_value_error(seed):
    with pytest.raises(ValueError, match="seed"):
        mg.Generator().manual_seed(seed)


@pytest.mark.parametrize("state", [mg.zeros(44, dtype=np.uint8), mg.zeros(45)])
def test_bad_state_is_a_value_error(state):
    with pytest.raises(ValueError, match="uint8 tensor of shape"):
        mg.Generator().set_state(state)
    with pytest.raises(TypeError, match="uint8 tensor"):
        mg.Generator().set_state(np.zeros(45, np.uint8))


def test_a_foreign_generator_is_a_type_error():
    for bad in (np.random.default_rng(0), torch.Generator(), 3):
        with pytest.raises(TypeError, match="minigrad.Generator"):
            mg.randn(2, generator=bad)


# ---- generator= on every random function --------------------------------------------------------

DRAWS = {
    "randn": lambda g: mg.randn(2, 3, generator=g),
    "rand": lambda g: mg.rand(4, generator=g),
    "randint": lambda g: mg.randint(0, 100, (5,), generator=g),
    "randperm": lambda g: mg.randperm(20, generator=g),
    "normal": lambda g: mg.normal(0.0, 1.0, (3,), generator=g),
    "normal_tensor": lambda g: mg.normal(mg.zeros(3), mg.ones(3), generator=g),
    "bernoulli": lambda g: mg.bernoulli(mg.full((20,), 0.5), generator=g),
    "multinomial": lambda g: mg.multinomial(mg.ones(10), 5, generator=g),
    "Tensor.multinomial": lambda g: mg.ones(10).multinomial(5, True, generator=g),
    "uniform_": lambda g: mg.empty(5).uniform_(-1, 1, generator=g),
    "normal_": lambda g: mg.empty(5).normal_(2, 3, generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_generator_makes_draws_reproducible_and_leaves_the_default_alone(name):
    draw = DRAWS[name]
    mg.manual_seed(0)
    a, b, c = draw(seeded(5)), draw(seeded(5)), draw(seeded(6))
    assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    first_of_seed_0 = np.random.default_rng(0).random(3).astype(np.float32)
    assert np.array_equal(mg.rand(3).numpy(), first_of_seed_0)   # the default was not drawn from
    mg.manual_seed(1)                                # without generator=: the default one
    d = draw(None)
    mg.manual_seed(1)
    assert np.array_equal(draw(None).numpy(), d.numpy())


def test_creation_functions_default_to_the_default_device():
    for name in ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange", "linspace",
                 "eye", "randn", "rand", "randint", "randperm", "normal"):
        assert inspect.signature(getattr(creation, name)).parameters["device"].default is None
    assert mg.zeros(2).device == "cpu" and mg.randperm(3).device == "cpu"


# ---- randint's overloads ------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs", [
    ((5, (3,)), {}), ((2, 5, (3,)), {}), ((5,), {"size": (3,)}), ((), {"high": 5, "size": (3,)}),
    ((), {"low": 2, "high": 5, "size": (2, 2)}), ((5, (3,)), {"dtype": "float32"}),
    ((0, 3, (0,)), {}), ((-3, 3, ()), {}),
])
def test_randint_overloads_match_torch(args, kwargs):
    theirs = torch.randint(*args, **{k: getattr(torch, v) if k == "dtype" else v
                                     for k, v in kwargs.items()})
    ours = mg.randint(*args, **kwargs)
    same_layout(ours, theirs)
    low = args[0] if len(args) == 3 else kwargs.get("low", 0)
    high = args[1] if len(args) == 3 else (args[0] if args else kwargs["high"])
    values = ours.numpy()
    assert np.all((values >= low) & (values < high))


def test_randint_covers_its_range():
    values = mg.randint(3, 7, (2000,)).numpy()
    assert set(values.tolist()) == {3, 4, 5, 6}


@pytest.mark.parametrize("args, error", [
    ((5, 5, (3,)), ValueError), ((5, 2, (3,)), ValueError), ((5,), TypeError),
    ((5.5, (3,)), TypeError), ((0, 2.0, (3,)), TypeError),
])
def test_randint_bad_arguments(args, error):
    with pytest.raises(error, match="randint"):
        mg.randint(*args)


# ---- randperm -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, dtype", [(10, None), (0, None), (1, None), (7, "float32")])
def test_randperm_is_a_permutation_like_torchs(n, dtype):
    ours = mg.randperm(n, dtype=dtype)
    same_layout(ours, torch.randperm(n, dtype=None if dtype is None else getattr(torch, dtype)))
    assert sorted(ours.numpy().tolist()) == list(range(n))


def test_randperm_shuffles_uniformly():
    first = [mg.randperm(4, generator=seeded(s)).numpy()[0] for s in range(4000)]
    assert np.allclose(np.bincount(first, minlength=4) / 4000, 0.25, atol=0.03)


@pytest.mark.parametrize("n", [-1, 2.0, True])
def test_randperm_bad_n(n):
    with pytest.raises(ValueError, match="randperm"):
        mg.randperm(n)


# ---- normal -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(2, 3)),
    lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(3)),                 # broadcast
    lambda lib: lib.normal(lib.zeros(4, dtype=lib.float64), 2.0),
    lambda lib: lib.normal(lib.zeros(4, dtype=lib.float64)),              # std=1 by default
    lambda lib: lib.normal(0.5, lib.ones(5)),
    lambda lib: lib.normal(mean=0.5, std=lib.ones(2, 2)),
    lambda lib: lib.normal(2, 3, (1, 4)),
    lambda lib: lib.normal(2.0, 3.0, size=(0, 2)),
    lambda lib: lib.normal(2.0, 3.0, size=(3,), dtype=lib.float64),
    lambda lib: lib.normal(lib.zeros(()), lib.ones(())),
])
def test_normal_overloads_match_torchs_shapes_and_dtypes(make):
    same_layout(make(mg), make(torch))


def test_normal_has_the_asked_mean_and_std():
    mean = mg.tensor([-3.0, 0.0, 10.0], dtype=np.float64)
    std = mg.tensor([0.5, 1.0, 2.0], dtype=np.float64)
    samples = mg.normal(mean.reshape(1, 3) + mg.zeros(100_000, 3, dtype=np.float64), std)
    values = samples.numpy()
    np.testing.assert_allclose(values.mean(0), mean.numpy(), atol=0.03)
    np.testing.assert_allclose(values.std(0), std.numpy(), rtol=0.02)
    assert np.array_equal(mg.normal(1.5, 0.0, (3,)).numpy(), np.full(3, 1.5, np.float32))


def test_normal_result_requires_no_grad():
    """Difference from torch (documented): torch records a node whose gradient is zero."""
    mean = mg.zeros(3, requires_grad=True)
    assert not mg.normal(mean, 1.0).requires_grad
    assert torch.normal(torch.zeros(3, requires_grad=True), 1.0).requires_grad


@pytest.mark.parametrize("call, error, match", [
    (lambda: mg.normal(0.0, 1.0), TypeError, "needs a size"),
    (lambda: mg.normal(mg.zeros(2), 1.0, (2,)), TypeError, "size"),
    (lambda: mg.normal(mg.zeros(2), 1.0, dtype=np.float64), TypeError, "dtype"),
    (lambda: mg.normal(mg.zeros(2, 3), mg.ones(6)), ValueError, "broadcast"),
    (lambda: mg.normal(0.0, -1.0, (2,)), ValueError, "std >= 0"),
    (lambda: mg.normal(mg.zeros(2), mg.tensor([1.0, -1.0])), ValueError, "std >= 0"),
    (lambda: mg.normal(mg.zeros(2), mg.tensor([1.0, float("nan")])), ValueError, "std >= 0"),
    (lambda: mg.normal(mg.zeros(2, dtype=np.int64), 1.0), TypeError, "floating-point"),
    (lambda: mg.normal(mg.zeros(2), mg.ones(2, dtype=np.float64)), TypeError, "same dtype"),
    (lambda: mg.normal(np.zeros(2), 1.0), TypeError, "ndarray"),
])
def test_normal_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- bernoulli ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bernoulli_matches_torchs_layout_and_frequencies(dtype):
    p = mg.tensor([0.0, 0.2, 0.9, 1.0], dtype=dtype) + mg.zeros(50_000, 4, dtype=dtype)
    ours = mg.bernoulli(p)
    same_layout(ours, torch.bernoulli(torch.from_numpy(p.numpy())))
    values = ours.numpy()
    assert set(np.unique(values).tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(values.mean(0), [0.0, 0.2, 0.9, 1.0], atol=0.01)
    assert values[:, 0].max() == 0 and values[:, 3].min() == 1


def test_bernoulli_with_p_replaces_the_probabilities():
    ours = mg.bernoulli(mg.zeros(20_000), 0.3)
    same_layout(ours, torch.bernoulli(torch.zeros(20_000), 0.3))
    assert abs(ours.numpy().mean() - 0.3) < 0.02
    assert not mg.bernoulli(mg.full((3,), 0.5, requires_grad=True)).requires_grad


@pytest.mark.parametrize("call, error", [
    (lambda: mg.bernoulli(mg.tensor([0.5, 1.5])), ValueError),
    (lambda: mg.bernoulli(mg.tensor([0.5, -0.1])), ValueError),
    (lambda: mg.bernoulli(mg.tensor([float("nan")])), ValueError),
    (lambda: mg.bernoulli(mg.zeros(2), 2.0), ValueError),
    (lambda: mg.bernoulli(mg.tensor([0, 1])), TypeError),
    (lambda: mg.bernoulli(0.5), TypeError),
])
def test_bernoulli_bad_arguments(call, error):
    with pytest.raises(error, match="bernoulli"):
        call()


# ---- multinomial --------------------------------------------------------------------------------

@pytest.mark.parametrize("weights, n, replacement", [
    ([1.0, 2.0, 3.0], 2, False), ([1.0, 2.0, 3.0], 3, False), ([1.0, 2.0, 3.0], 7, True),
    ([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], 2, False), ([[0.0, 1.0], [1.0, 0.0]], 5, True),
])
def test_multinomial_matches_torchs_layout(weights, n, replacement):
    ours = mg.multinomial(mg.tensor(weights), n, replacement)
    same_layout(ours, torch.multinomial(torch.tensor(weights), n, replacement))
    rows = ours.numpy().reshape(-1, n)
    if not replacement:
        assert all(len(set(r.tolist())) == n for r in rows)


def test_multinomial_empty_batch_of_rows_like_torch():
    ours = mg.multinomial(mg.ones(0, 3), 2)
    same_layout(ours, torch.multinomial(torch.ones(0, 3), 2))


def test_multinomial_with_replacement_frequencies_and_zero_weights():
    weights = mg.tensor([0.0, 1.0, 0.0, 3.0, 0.0], dtype=np.float64)
    drawn = mg.multinomial(weights, 80_000, replacement=True).numpy()
    counts = np.bincount(drawn, minlength=5) / drawn.size
    np.testing.assert_allclose(counts, [0, 0.25, 0, 0.75, 0], atol=0.01)
    assert counts[0] == counts[2] == counts[4] == 0


def test_multinomial_without_replacement_draws_one_by_one():
    """Ranking weight/E, E ~ Exp(1), is sequential drawing without replacement: the first pick
    has probability w_i / W, the second w_j / (W - w_i) given the first."""
    w = np.array([1.0, 2.0, 3.0, 4.0])
    rows = 60_000
    drawn = mg.multinomial(mg.tensor(np.tile(w, (rows, 1))), 2).numpy()
    first = np.bincount(drawn[:, 0], minlength=4) / rows
    second = np.bincount(drawn[:, 1], minlength=4) / rows
    expected_second = [sum(w[i] / w.sum() * w[j] / (w.sum() - w[i]) for i in range(4) if i != j)
                       for j in range(4)]
    np.testing.assert_allclose(first, w / w.sum(), atol=0.01)
    np.testing.assert_allclose(second, expected_second, atol=0.01)


def test_multinomial_without_replacement_takes_zero_weights_last_like_torch():
    for seed in range(20):
        ours = mg.multinomial(mg.tensor([1.0, 0.0, 3.0]), 3, generator=seeded(seed)).tolist()
        assert ours[2] == 1
    assert torch.multinomial(torch.tensor([1.0, 0.0, 3.0]), 3).tolist()[2] == 1


def test_tensor_multinomial_is_mg_multinomial():
    w = mg.tensor([[1.0, 2.0], [3.0, 1.0]])
    assert np.array_equal(w.multinomial(4, replacement=True, generator=seeded(1)).numpy(),
                          mg.multinomial(w, 4, True, generator=seeded(1)).numpy())


@pytest.mark.parametrize("weights, n, replacement, error", [
    ([1.0, 2.0, 3.0], 4, False, ValueError),
    ([1.0, -2.0, 3.0], 2, True, ValueError),
    ([0.0, 0.0, 0.0], 2, True, ValueError),
    ([[1.0, 1.0], [0.0, 0.0]], 1, True, ValueError),
    ([1.0, float("inf")], 1, True, ValueError),
    ([1.0, float("nan")], 1, True, ValueError),
    ([[[1.0]]], 1, True, ValueError),
    (1.0, 1, True, ValueError),
    ([1.0, 2.0], 0, True, ValueError),
    ([1, 2], 1, True, TypeError),
    ([], 1, True, ValueError),
])
def test_multinomial_bad_arguments_where_torch_refuses_too(weights, n, replacement, error):
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n, replacement)
    with pytest.raises(error, match="multinomial"):
        mg.multinomial(mg.tensor(weights), n, replacement)


# ---- in-place random fills ----------------------------------------------------------------------

def test_uniform_and_normal_fills_with_a_generator():
    a = mg.empty(10_000, dtype=np.float64).uniform_(-2.0, 3.0, generator=seeded(3)).numpy()
    assert a.min() >= -2.0 and a.max() < 3.0
    b = mg.empty(10_000, dtype=np.float64).normal_(1.0, 0.5, generator=seeded(3)).numpy()
    assert abs(b.mean() - 1.0) < 0.03 and abs(b.std() - 0.5) < 0.02
