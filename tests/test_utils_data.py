"""minigrad.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader.

Deterministic results (collation, sequential batches, lengths, split sizes, the errors) are
compared with torch's; shuffles are minigrad's own (its generator is not torch's), so they are
checked for being permutations, fresh each epoch and reproducible from a seed.
"""
import collections
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.utils import data as mdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def plain(x):
    """A library-neutral view of a batch: tensors become (dtype, shape, values)."""
    if isinstance(x, (mg.Tensor, torch.Tensor)):
        values = x.numpy() if isinstance(x, mg.Tensor) else x.detach().numpy()
        return ("tensor", values.dtype.name, values.shape, values.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return (type(x).__name__, x)


def both(make):
    """make(lib) for minigrad and torch, in a neutral view."""
    return plain(make(mg)), plain(make(torch))


Point = collections.namedtuple("Point", "x y")

BATCHES = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "0-d tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "float64 tensors": lambda lib: [lib.zeros(2, 2, dtype=lib.float64)] * 3,
    "floats": lambda lib: [1.5, 2.0, -0.25],
    "ints": lambda lib: [1, 2, 3],
    "bools": lambda lib: [True, False],
    "numpy arrays": lambda lib: [np.arange(3.0), np.ones(3)],
    "numpy float32 arrays": lambda lib: [np.zeros((2, 2), np.float32)] * 2,
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.0)],
    "numpy int scalars": lambda lib: [np.int64(4), np.int64(5)],
    "strings": lambda lib: ["a", "b"],
    "tuples": lambda lib: [(lib.tensor([1.0]), 0), (lib.tensor([2.0]), 1)],
    "tuples with strings": lambda lib: [(1, "a"), (2, "b")],
    "lists": lambda lib: [[1, 2.0], [3, 4.0]],
    "dicts": lambda lib: [{"x": 1.0, "y": [1, 2]}, {"x": 2.0, "y": [3, 4]}],
    "ordered dicts": lambda lib: [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    "named tuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda lib: [{"img": np.ones((2, 2)), "meta": ("a", 1)},
                           {"img": np.zeros((2, 2)), "meta": ("b", 2)}],
}


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate_is_torchs(name):
    ours, theirs = both(lambda lib: (mdata if lib is mg else tdata).default_collate(
        BATCHES[name](lib)))
    assert ours == theirs


@pytest.mark.parametrize("sample", [
    np.arange(3), np.float64(2.5), 3, "s", (np.ones(2), 1), [np.zeros(1)], {"a": np.ones(1)},
    Point(np.ones(1), 2),
])
def test_default_convert_is_torchs(sample):
    assert plain(mdata.default_convert(sample)) == plain(tdata.default_convert(sample))


@pytest.mark.parametrize("batch, error, match", [
    ([], ValueError, "at least one sample"),
    ([object(), object()], TypeError, "object"),
    ([None, None], TypeError, "NoneType"),
    ([[1, 2], [3]], ValueError, "different lengths"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "dtype"),
    ([np.zeros(2), np.zeros(3)], ValueError, "different shapes"),
    ([mg.zeros(2), mg.zeros(3)], ValueError, "shape"),
])
def test_default_collate_refuses_what_it_cannot_batch(batch, error, match):
    with pytest.raises(error, match=match):
        mdata.default_collate(batch)


# ---- datasets -----------------------------------------------------------------------------------

def test_tensor_dataset():
    x, y = mg.arange(12.0).reshape(4, 3), mg.tensor([0, 1, 0, 1])
    ds = mdata.TensorDataset(x, y)
    assert len(ds) == 4 and isinstance(ds[1], tuple)
    assert ds[1][0].tolist() == [3.0, 4.0, 5.0] and ds[1][1].item() == 1
    assert [t.tolist() for t in ds[1:3]] == [x[1:3].tolist(), [1, 0]]


@pytest.mark.parametrize("tensors, error, match", [
    ((mg.zeros(4, 2), mg.zeros(3)), ValueError, r"\[4, 3\]"),
    ((), ValueError, "at least one"),
    ((mg.zeros(2), np.zeros(2)), TypeError, "argument 1 is a ndarray"),
    ((mg.tensor(1.0),), ValueError, "0-d"),
])
def test_tensor_dataset_bad_tensors(tensors, error, match):
    with pytest.raises(error, match=match):
        mdata.TensorDataset(*tensors)


def test_tensor_dataset_of_sklearn_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_digits(return_X_y=True)
    ours = mdata.TensorDataset(mg.tensor(X, dtype=mg.float32), mg.tensor(y))
    theirs = tdata.TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
    assert len(ours) == len(theirs) == 1797
    for i in (0, 1000, -1):
        assert plain(ours[i]) == plain(theirs[i])
    ours_batches = list(mdata.DataLoader(ours, batch_size=100))
    theirs_batches = list(tdata.DataLoader(theirs, batch_size=100))
    assert len(ours_batches) == len(theirs_batches) == 18
    assert all(plain(a) == plain(b) for a, b in zip(ours_batches, theirs_batches))


class Squares(mdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


def test_subset_and_concat_and_plus():
    sub = mdata.Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [81, 4, 25]
    both_sets = Squares(3) + Squares(2)
    assert isinstance(both_sets, mdata.ConcatDataset) and len(both_sets) == 5
    assert [both_sets[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert both_sets[-1] == 1 and both_sets.cumulative_sizes == [3, 5]
    with pytest.raises(IndexError, match="out of range"):
        both_sets[5]
    with pytest.raises(ValueError, match="at least one"):
        mdata.ConcatDataset([])


class Stream(mdata.IterableDataset):
    def __init__(self, n, has_len=True):
        self.n, self.has_len = n, has_len

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.has_len:
            raise TypeError("no length")
        return self.n


def test_iterable_dataset_chain_and_loader():
    chained = Stream(3) + Stream(2)
    assert isinstance(chained, mdata.ChainDataset) and list(chained) == [0, 1, 2, 0, 1]
    assert len(chained) == 5
    with pytest.raises(TypeError, match="IterableDataset"):
        mdata.ConcatDataset([Stream(2)])
    loader = mdata.DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    loader = mdata.DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2
    assert list(mdata.DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(TypeError):
        len(mdata.DataLoader(Stream(3, has_len=False)))


# ---- random_split ------------------------------------------------------------------------------

@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (1797, [0.8, 0.2]),
    (5, [0.1] * 10), (11, [1 / 3] * 3), (1, [1.0]), (4, [0.25, 0.75]),
])
def test_random_split_sizes_are_torchs(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = mdata.random_split(Squares(n), lengths, generator=mg.Generator().manual_seed(0))
        theirs = tdata.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    indices = sorted(i for s in ours for i in s.indices)
    assert indices == list(range(n))                        # disjoint, covering everything


def test_random_split_is_reproducible_from_its_generator_or_the_seed():
    def split(**kw):
        return [s.indices for s in mdata.random_split(Squares(20), [5, 15], **kw)]

    g = mg.Generator
    assert split(generator=g().manual_seed(1)) == split(generator=g().manual_seed(1))
    assert split(generator=g().manual_seed(1)) != split(generator=g().manual_seed(2))
    mg.manual_seed(3)
    a = split()
    mg.manual_seed(3)
    assert split() == a


def test_random_split_warns_of_an_empty_split_like_torch():
    for split in (lambda: tdata.random_split(range(2), [0.9, 0.05, 0.05]),
                  lambda: mdata.random_split(Squares(2), [0.9, 0.05, 0.05])):
        with pytest.warns(UserWarning) as caught:
            split()
        assert ["index 2" in str(w.message) for w in caught] == [False, True]


@pytest.mark.parametrize("lengths, match", [
    ([3, 3], "sum to 6"), ([0.5, 0.4], "fractions summing to 1"),
    ([1.5, -0.5], "not between 0 and 1"),
    ([-1, 11], "non-negative"), ([2.5, 7.5], "non-negative integers"),
])
def test_random_split_bad_lengths(lengths, match):
    with pytest.raises(ValueError, match=match):
        mdata.random_split(Squares(10), lengths)


# ---- samplers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (5, False), (12, True)])
def test_batch_sampler_is_torchs(batch_size, drop_last):
    ours = mdata.BatchSampler(mdata.SequentialSampler(range(10)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("make", [
    lambda lib: lib.utils.data.BatchSampler(range(3), 0, False),
    lambda lib: lib.utils.data.BatchSampler(range(3), 2, 1),
    lambda lib: lib.utils.data.RandomSampler(range(3), num_samples=0),
    lambda lib: lib.utils.data.RandomSampler(range(0)),
])
def test_sampler_argument_errors_are_torchs(make):
    with pytest.raises(ValueError):
        make(torch)
    with pytest.raises(ValueError):
        make(mg)
    with pytest.raises(TypeError):
        mdata.RandomSampler(range(3), replacement=1)


def test_random_sampler_orders():
    sampler = mdata.RandomSampler(range(10), generator=mg.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    longer = list(mdata.RandomSampler(range(4), num_samples=10))
    assert len(longer) == 10 and sorted(longer[:4]) == sorted(longer[4:8]) == [0, 1, 2, 3]
    drawn = list(mdata.RandomSampler(range(3), replacement=True, num_samples=500))
    assert len(drawn) == 500 and set(drawn) == {0, 1, 2}
    assert len(mdata.RandomSampler(range(4), num_samples=10)) == 10


def test_subset_and_weighted_samplers():
    order = list(mdata.SubsetRandomSampler([10, 20, 30], generator=mg.Generator()))
    assert sorted(order) == [10, 20, 30]
    weighted = mdata.WeightedRandomSampler([0.0, 1.0, 3.0], 4000)
    drawn = np.array(list(weighted))
    assert len(weighted) == 4000 and 0 not in drawn
    assert abs((drawn == 2).mean() - 0.75) < 0.03
    assert sorted(mdata.WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]


# ---- DataLoader ---------------------------------------------------------------------------------

def dataset_pair(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 3
    return (mdata.TensorDataset(mg.tensor(x), mg.tensor(y)),
            tdata.TensorDataset(torch.tensor(x), torch.tensor(y)))


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": 10},
    {"batch_size": 20}, {"batch_size": None},
])
def test_sequential_batches_and_len_are_torchs(kwargs):
    ours_ds, theirs_ds = dataset_pair()
    ours, theirs = mdata.DataLoader(ours_ds, **kwargs), tdata.DataLoader(theirs_ds, **kwargs)
    assert len(ours) == len(theirs)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_tensor_dataset_gather_equals_collating_samples():
    ours_ds, _ = dataset_pair(17)
    indices = [[3, 0, 16], [5], [2, 2, 9]]
    fast = mdata.DataLoader(ours_ds, batch_sampler=indices)
    slow = mdata.DataLoader(ours_ds, batch_sampler=indices,
                            collate_fn=lambda b: mdata.default_collate(b))
    assert [plain(b) for b in fast] == [plain(b) for b in slow]


def test_shuffle_is_a_fresh_permutation_each_epoch_and_reproducible():
    ds, _ = dataset_pair(50)

    def epochs(loader, n=2):
        """The sample indices each epoch visits (sample i has x[0] = 2i)."""
        return [[int(v) for x, _ in loader for v in (x[:, 0] / 2).tolist()] for _ in range(n)]

    mg.manual_seed(0)
    a1, a2 = epochs(mdata.DataLoader(ds, batch_size=8, shuffle=True))
    assert sorted(a1) == sorted(a2) == list(range(50)) and a1 != a2
    mg.manual_seed(0)
    assert epochs(mdata.DataLoader(ds, batch_size=8, shuffle=True)) == [a1, a2]
    loader = mdata.DataLoader(ds, batch_size=8, shuffle=True,
                              generator=mg.Generator().manual_seed(4))
    b = epochs(loader)
    loader.generator.manual_seed(4)
    assert epochs(loader) == b


def test_an_epoch_takes_one_draw_from_the_default_generator():
    """As torch's RandomSampler: the epoch's generator is seeded by one draw, so a model's
    random numbers after the loop do not depend on the dataset's size."""
    after = []
    for n in (10, 1000):
        mg.manual_seed(0)
        list(mdata.DataLoader(Squares(n), batch_size=7, shuffle=True))
        after.append(mg.randn(3).numpy())
    assert np.array_equal(after[0], after[1])
    mg.manual_seed(0)
    list(mdata.DataLoader(Squares(9), batch_size=7, shuffle=True,
                          generator=mg.Generator().manual_seed(1)))
    mg_first = mg.randn(3).numpy()                         # a loader's own generator: no draw
    mg.manual_seed(0)
    assert np.array_equal(mg.randn(3).numpy(), mg_first)


def test_loader_is_re_iterable_and_takes_samplers_and_collate_fn():
    loader = mdata.DataLoader(Squares(5), batch_size=2)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader] == [[0, 1], [4, 9], [16]]
    loader = mdata.DataLoader(Squares(5), sampler=[4, 0], batch_size=2)
    assert [b.tolist() for b in loader] == [[16, 0]]
    loader = mdata.DataLoader(Squares(5), batch_sampler=[[1, 2], [3]], collate_fn=sum)
    assert list(loader) == [5, 9] and len(loader) == 2
    assert list(mdata.DataLoader(Squares(3), batch_size=None)) == [0, 1, 4]


def test_loader_uses_getitems_when_the_dataset_has_it():
    class Batched(Squares):
        def __getitems__(self, indices):
            return [-i for i in indices]

    assert [b.tolist() for b in mdata.DataLoader(Batched(4), batch_size=3)] == [[0, -1, -2],
                                                                                 [-3]]


def test_num_workers_and_pin_memory_are_accepted_and_load_in_process():
    ds, _ = dataset_pair()
    called = []
    loader = mdata.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True,
                              worker_init_fn=called.append, prefetch_factor=2,
                              persistent_workers=True)
    assert [plain(b) for b in loader] == [plain(b) for b in mdata.DataLoader(ds, batch_size=4)]
    assert called == [] and mdata.get_worker_info() is None


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"batch_size": 0},
    {"num_workers": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"timeout": -1},
])
def test_loader_option_conflicts_are_torchs(kwargs):
    ours_ds, theirs_ds = dataset_pair()
    with pytest.raises(ValueError):
        tdata.DataLoader(theirs_ds, **kwargs)
    with pytest.raises(ValueError):
        mdata.DataLoader(ours_ds, **kwargs)


class TorchStream(tdata.IterableDataset):
    def __iter__(self):
        return iter(range(3))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]},
                                    {"batch_sampler": [[0]]}])
def test_iterable_dataset_refuses_an_order(kwargs):
    with pytest.raises(ValueError):
        tdata.DataLoader(TorchStream(), **kwargs)
    with pytest.raises(ValueError, match="IterableDataset"):
        mdata.DataLoader(Stream(3), **kwargs)


def test_training_on_digits_through_a_loader_matches_torch():
    """One epoch of minibatch SGD over sklearn's digits, unshuffled, in both libraries from the
    same initial weights: the same batches give the same weights (float64 round-off)."""
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((10, 64)) * 0.1, np.zeros(10)
    results = []
    for lib in (mg, torch):
        data = lib.utils.data
        ds = data.TensorDataset(lib.tensor(X, dtype=lib.float64), lib.tensor(y))
        if lib is mg:
            mg.set_default_dtype(np.float64)           # the fixture in conftest.py restores it
            model = mg.nn.Linear(64, 10)
            model.weight.array[...], model.bias.array[...] = w0, b0
        else:
            model = torch.nn.Linear(64, 10, dtype=torch.float64)
            with torch.no_grad():
                model.weight.copy_(torch.tensor(w0))
                model.bias.copy_(torch.tensor(b0))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        for xb, yb in data.DataLoader(ds, batch_size=64):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        weight = model.weight.numpy() if lib is mg else model.weight.detach().numpy()
        results.append(weight)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)
