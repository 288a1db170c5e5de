"""mg.save / mg.load: bit-exact round trips of tensors, state dicts and checkpoints; resumed
training equal to uninterrupted training; the documented format; and loading runs no code
unless weights_only=False is passed."""
import builtins
import io
import json
import math
import pathlib
import pickle
import zipfile
from collections import OrderedDict, defaultdict

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cuda_unavailable_reason


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    mg.save(obj, buffer)
    buffer.seek(0)
    return mg.load(buffer, **load_kwargs)


def assert_bits_equal(a, b):
    """Same dtype, shape and bytes (NaN payloads and -0.0 included)."""
    a = a.numpy() if isinstance(a, mg.Tensor) else a
    b = b.numpy() if isinstance(b, mg.Tensor) else b
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


# ---- tensors ------------------------------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1e-310, -1.5, np.inf, -np.inf, np.nan, 3.4e38]

TENSORS = {
    "float32": lambda: mg.tensor(np.array(SPECIAL, dtype=np.float32)),
    "float64": lambda: mg.tensor(np.array(SPECIAL + [1e308, 0.1], dtype=np.float64)),
    "nan payload": lambda: mg.from_numpy(np.array([0x7FF8DEADBEEF0001], np.uint64)
                                         .view(np.float64).copy()),
    "int64": lambda: mg.tensor(np.array([-(2 ** 63), -1, 0, 2 ** 63 - 1], dtype=np.int64)),
    "int32": lambda: mg.tensor(np.array([-(2 ** 31), 7], dtype=np.int32)),
    "uint8": lambda: mg.tensor(np.array([0, 255], dtype=np.uint8)),
    "bool": lambda: mg.tensor([[True, False], [False, True]]),
    "0-d": lambda: mg.tensor(np.float64(2.5)),
    "0-d int": lambda: mg.tensor(3),
    "empty": lambda: mg.zeros(0, 3),
    "empty 1-d int": lambda: mg.tensor(np.zeros(0, np.int64)),
    "4-d": lambda: mg.randn(2, 3, 4, 5, dtype=np.float64),
    "transposed view": lambda: mg.randn(3, 4).T,
    "sliced view": lambda: mg.arange(20.0).reshape(4, 5)[::2, 1:4],
}


@pytest.mark.parametrize("name", list(TENSORS))
def test_tensor_round_trip_is_bit_exact(name):
    t = TENSORS[name]()
    loaded = round_trip(t)
    assert type(loaded) is mg.Tensor and loaded.device == "cpu"
    assert_bits_equal(loaded, t)
    assert loaded.is_leaf and loaded.grad is None and not loaded.requires_grad


def test_requires_grad_and_parameters_are_kept():
    leaf = mg.randn(3, requires_grad=True)
    leaf.grad = mg.ones(3).array                             # .grad is not saved, as torch
    non_leaf = leaf * 2
    param = mg.nn.Parameter(mg.randn(2, 2))
    frozen = mg.nn.Parameter(mg.randn(2), requires_grad=False)
    a, b, c, d = round_trip([leaf, non_leaf, param, frozen])
    assert a.requires_grad and a.is_leaf and a.grad is None
    assert b.requires_grad and b.is_leaf                    # loaded as a leaf, as torch
    assert type(c) is mg.nn.Parameter and c.requires_grad
    assert type(d) is mg.nn.Parameter and not d.requires_grad
    for x, y in zip((a, b, c, d), (leaf, non_leaf, param, frozen)):
        assert_bits_equal(x, y)


def test_one_tensor_twice_loads_as_one_tensor_and_views_load_separately():
    """Documented: a tensor object stored twice (tied weights) is one tensor again; tensors
    that share memory without being the same object come back independent."""
    base = mg.arange(6.0)
    view = base[2:4]
    loaded = round_trip({"a": base, "b": base, "view": view})
    assert loaded["a"] is loaded["b"]
    loaded["a"].array[2] = 100.0
    assert loaded["view"].tolist() == [2.0, 3.0]


# ---- Python values and containers ---------------------------------------------------------------

def test_python_values_keep_their_types_and_values():
    obj = {
        "none": None, "true": True, "false": False, "int": 7, "big": 2 ** 100, "neg": -3,
        "float": 0.1, "third": 1 / 3, "negzero": -0.0, "tiny": 5e-324, "inf": math.inf,
        "-inf": -math.inf, "nan": math.nan, "text": "héllo ✓", "empty": "",
        "list": [1, [2, [3]]], "tuple": (1, (2.0, "x")), "empty tuple": (), "empty list": [],
        "empty dict": {}, 3: "int key", (1, "a"): "tuple key", None: "none key", 2.5: "float",
    }
    loaded = round_trip(obj)
    assert type(loaded) is dict and list(loaded) == list(obj)
    for key, value in obj.items():
        got = loaded[key]
        assert type(got) is type(value), key
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got)
        elif isinstance(value, float):
            assert got == value and math.copysign(1, got) == math.copysign(1, value)
        else:
            assert got == value


def test_ordered_dict_and_numpy_values_keep_their_types():
    obj = OrderedDict([("b", np.float32(0.1)), ("a", np.int64(-5)), ("c", np.bool_(True)),
                       ("arr", np.arange(6, dtype=np.float32).reshape(2, 3)),
                       ("f64", np.array([np.nan, -0.0]))])
    loaded = round_trip(obj)
    assert type(loaded) is OrderedDict and list(loaded) == ["b", "a", "c", "arr", "f64"]
    for key in ("b", "a", "c"):
        assert type(loaded[key]) is type(obj[key]) and loaded[key] == obj[key]
    for key in ("arr", "f64"):
        assert type(loaded[key]) is np.ndarray
        assert_bits_equal(loaded[key], obj[key])


# ---- modules, optimizers, checkpoints -----------------------------------------------------------

def small_model():
    return mg.nn.Sequential(mg.nn.Linear(4, 8), mg.nn.BatchNorm1d(8), mg.nn.ReLU(),
                            mg.nn.Linear(8, 3))


def test_module_state_dict_round_trip_into_a_new_module(tmp_path):
    mg.manual_seed(0)
    model = small_model()
    model(mg.randn(5, 4))                                    # moves BatchNorm's running stats
    mg.save(model.state_dict(), tmp_path / "model.mg")
    mg.manual_seed(1)
    other = small_model()
    state = mg.load(tmp_path / "model.mg")
    assert type(state) is OrderedDict and list(state) == list(model.state_dict())
    other.load_state_dict(state)
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert_bits_equal(a, b)
    model.eval(), other.eval()
    x = mg.randn(6, 4)
    assert_bits_equal(model(x), other(x))


def train_steps(model, opt, steps, seed):
    mg.manual_seed(seed)
    for _ in range(steps):
        x, y = mg.randn(8, 4), mg.randint(0, 3, (8,))
        opt.zero_grad()
        loss = mg.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss


OPTIMIZERS = {
    "Adam": lambda p: mg.optim.Adam(p, lr=1e-2, amsgrad=True),
    "AdamW": lambda p: mg.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "SGD momentum": lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "RMSprop": lambda p: mg.optim.RMSprop(p, lr=1e-2, centered=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resumed_training_equals_uninterrupted_training(name, tmp_path):
    """Train 3 steps, checkpoint, train 3 more; a fresh model and optimizer loaded from the
    checkpoint and trained the same 3 steps end bit-identical."""
    mg.manual_seed(0)
    model = small_model()
    opt = OPTIMIZERS[name](model.parameters())
    loss = train_steps(model, opt, 3, seed=10)
    checkpoint = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
                  "loss": loss.item(), "rng": mg.get_rng_state()}
    mg.save(checkpoint, str(tmp_path / "ck.mg"))            # a str path
    train_steps(model, opt, 3, seed=20)

    mg.manual_seed(5)
    resumed = small_model()
    resumed_opt = OPTIMIZERS[name](resumed.parameters())
    with open(tmp_path / "ck.mg", "rb") as f:               # a file object
        loaded = mg.load(f)
    assert loaded["epoch"] == 3 and loaded["loss"] == loss.item()
    resumed.load_state_dict(loaded["model"])
    resumed_opt.load_state_dict(loaded["optimizer"])
    train_steps(resumed, resumed_opt, 3, seed=20)
    for (k, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert_bits_equal(a, b)


def test_optimizer_state_dict_keeps_int_keys_and_tuples():
    model = small_model()
    opt = mg.optim.Adam(model.parameters(), betas=(0.8, 0.99))
    train_steps(model, opt, 1, seed=0)
    state = opt.state_dict()
    loaded = round_trip(state)
    assert list(loaded["state"]) == list(state["state"]) and all(
        type(k) is int for k in loaded["state"])
    assert loaded["param_groups"][0]["betas"] == (0.8, 0.99)
    assert type(loaded["param_groups"][0]["betas"]) is tuple


# ---- files --------------------------------------------------------------------------------------

class ReadOnlyStream(io.RawIOBase):
    """A stream that cannot seek (a pipe, a socket)."""

    def __init__(self, data):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._inner.readinto(buffer)


def test_paths_and_file_objects(tmp_path):
    t = mg.randn(3)
    mg.save(t, pathlib.Path(tmp_path / "a.mg"))
    assert_bits_equal(mg.load(str(tmp_path / "a.mg")), t)
    with open(tmp_path / "b.mg", "wb") as f:
        mg.save(t, f)
    assert_bits_equal(mg.load(pathlib.Path(tmp_path / "b.mg")), t)
    data = (tmp_path / "b.mg").read_bytes()
    assert_bits_equal(mg.load(ReadOnlyStream(data)), t)


def test_the_same_object_gives_the_same_bytes():
    obj = {"w": mg.arange(4.0), "step": 3}
    first, second = io.BytesIO(), io.BytesIO()
    mg.save(obj, first)
    mg.save(obj, second)
    assert first.getvalue() == second.getvalue()


def test_the_documented_format_is_readable_without_minigrad():
    buffer = io.BytesIO()
    mg.save({"w": mg.tensor([[1.0, 2.0]]), "n": 2, "x": float("inf")}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        document = json.loads(archive.read("data.json"))
        assert document["format"] == "minigrad.save" and document["version"] == 1
        pairs = document["object"]["dict"]
        assert pairs[1] == [{"str": "n"}, {"int": 2}]
        assert pairs[2] == [{"str": "x"}, {"float": "inf"}]
        meta = pairs[0][1]["tensor"]
        assert meta == {"file": "tensors/0.npy", "dtype": "float32", "shape": [1, 2],
                        "device": "cpu", "requires_grad": False, "parameter": False}
        array = np.load(io.BytesIO(archive.read(meta["file"])), allow_pickle=False)
        assert array.tolist() == [[1.0, 2.0]]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())


# ---- what the format refuses --------------------------------------------------------------------

class Opaque:
    pass


@pytest.mark.parametrize("obj, match", [
    (small_model(), r"obj is a minigrad\.nn\..*Sequential"),
    ({"model": {"layers": [Opaque()]}}, r"obj\['model'\]\['layers'\]\[0\] is a .*Opaque"),
    ({1, 2}, "set"),
    (lambda: 0, "function"),
    (b"bytes", "bytes"),
    (1 + 2j, "complex"),
    (np.array([object()]), "numpy array of dtype object"),
    (np.array(["a"]), "numpy array of dtype <U1"),
    ({mg.zeros(1): 1}, "a key of obj is a Tensor"),
    ({frozenset([1]): 1}, "a key of obj is a frozenset"),
    (defaultdict(int), "defaultdict"),
])
def test_objects_outside_the_format_are_a_type_error_at_save(obj, match):
    with pytest.raises(TypeError, match=match):
        mg.save(obj, io.BytesIO())


def test_a_circular_structure_is_a_value_error():
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="circular"):
        mg.save(loop, io.BytesIO())


def test_allow_pickle_stores_other_objects_behind_weights_only_false():
    buffer = io.BytesIO()
    model = small_model()
    mg.save({"model": model, "epoch": 1}, buffer, allow_pickle=True)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        mg.load(buffer)
    buffer.seek(0)
    loaded = mg.load(buffer, weights_only=False)
    assert loaded["epoch"] == 1 and type(loaded["model"]) is type(model)
    assert_bits_equal(loaded["model"][0].weight, model[0].weight)


# ---- loading runs no code -----------------------------------------------------------------------

class Malicious:
    """Unpickling this runs code: it sets builtins._minigrad_pwned."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins._minigrad_pwned = True",))


@pytest.fixture
def pwned():
    builtins.__dict__.pop("_minigrad_pwned", None)
    yield lambda: builtins.__dict__.get("_minigrad_pwned", False)
    builtins.__dict__.pop("_minigrad_pwned", None)


def test_a_malicious_pickle_inside_a_save_file_is_not_run_by_default(pwned):
    buffer = io.BytesIO()
    mg.save({"weights": mg.ones(2), "payload": Malicious()}, buffer, allow_pickle=True)
    for weights_only in (True, None):
        buffer.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            mg.load(buffer, weights_only=weights_only)
        assert not pwned()
    buffer.seek(0)
    mg.load(buffer, weights_only=False)                     # the explicit opt-in does run it
    assert pwned()


def test_a_plain_pickle_file_is_refused_without_being_run(pwned):
    for weights_only in (True, False):
        with pytest.raises(ValueError, match="not a file mg.save wrote"):
            mg.load(io.BytesIO(pickle.dumps({"w": Malicious()})), weights_only=weights_only)
    assert not pwned()


def test_an_object_array_smuggled_in_as_a_tensor_is_refused(pwned):
    buffer = io.BytesIO()
    mg.save(mg.zeros(1), buffer)
    evil_npy = io.BytesIO()
    np.save(evil_npy, np.array([Malicious()], dtype=object), allow_pickle=True)
    forged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(forged, "w") as dst:
        dst.writestr("data.json", src.read("data.json"))
        dst.writestr("tensors/0.npy", evil_npy.getvalue())
    forged.seek(0)
    with pytest.raises(ValueError, match="allow_pickle"):
        mg.load(forged, weights_only=False)
    assert not pwned()


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(version=2), "version 2"),
    (lambda d: d.update(format="other"), "does not describe"),
    (lambda d: d.update(object={"exec": "print(1)"}), "unknown node type 'exec'"),
    (lambda d: d.update(object={"int": "1"}), "malformed"),
    (lambda d: d["object"]["tensor"].update(dtype="float64"), "data.json says float64"),
    (lambda d: d["object"]["tensor"].update(shape=[3]), r"data.json says float32 \(3,\)"),
])
def test_a_forged_or_damaged_document_is_a_value_error(edit, match):
    buffer = io.BytesIO()
    mg.save(mg.zeros(2), buffer)
    forged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(forged, "w") as dst:
        document = json.loads(src.read("data.json"))
        edit(document)
        dst.writestr("data.json", json.dumps(document))
        dst.writestr("tensors/0.npy", src.read("tensors/0.npy"))
    forged.seek(0)
    with pytest.raises(ValueError, match=match):
        mg.load(forged)


def test_a_zip_that_is_not_a_save_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.txt", "hi")
    buffer.seek(0)
    with pytest.raises(ValueError, match="no data.json"):
        mg.load(buffer)


# ---- map_location -------------------------------------------------------------------------------

def saved_as_cuda(t):
    """A save file of ``t`` whose data.json says it was saved on the GPU."""
    buffer = io.BytesIO()
    mg.save({"w": t}, buffer)
    forged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(forged, "w") as dst:
        document = json.loads(src.read("data.json"))
        document["object"]["dict"][0][1]["tensor"]["device"] = "cuda"
        dst.writestr("data.json", json.dumps(document))
        dst.writestr("tensors/0.npy", src.read("tensors/0.npy"))
    return forged.getvalue()


@pytest.mark.parametrize("map_location", ["cpu", "CPU", {"cuda:0": "cpu"}, {"cuda": "cpu"},
                                          lambda storage, loc: storage])
def test_map_location_loads_a_gpu_tensor_onto_the_cpu(map_location):
    t = mg.randn(2, 3)
    loaded = mg.load(io.BytesIO(saved_as_cuda(t)), map_location=map_location)["w"]
    assert loaded.device == "cpu"
    assert_bits_equal(loaded, t)


@pytest.mark.skipif(cuda_unavailable_reason() is None, reason="a GPU is present")
def test_a_gpu_tensor_without_a_gpu_asks_for_map_location():
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        mg.load(io.BytesIO(saved_as_cuda(mg.zeros(1))))


def test_map_location_function_must_return_a_tensor():
    buffer = io.BytesIO()
    mg.save(mg.zeros(1), buffer)
    buffer.seek(0)
    with pytest.raises(TypeError, match="map_location returned a ndarray"):
        mg.load(buffer, map_location=lambda storage, loc: storage.numpy())


def test_device_round_trip(device):
    t = mg.randn(3, device=device, requires_grad=True)
    loaded = round_trip({"t": t})["t"]
    assert loaded.device == device and loaded.requires_grad
    assert_bits_equal(loaded.cpu(), t.detach().cpu())
    assert round_trip({"t": t}, map_location="cpu")["t"].device == "cpu"
