"""dtypes and devices spelled as torch spells them (issue 12): the names and aliases, ``dtype=``
everywhere, Tensor.to/.type/.float()/..., mg.device, the default device, mg.cuda /
mg.accelerator / mg.backends, and Module.to/.double()/... converting in place. torch is the
oracle wherever it can run here (its CPU build)."""
import copy
import inspect
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cuda_unavailable_reason, normalize_device

torch = pytest.importorskip("torch")

NO_GPU = cuda_unavailable_reason()
DTYPE_NAMES = ["float32", "float64", "float16", "half", "float", "double", "int8", "int16",
               "int32", "int", "int64", "long", "uint8", "bool"]
TENSOR_DTYPES = ["float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.fixture(autouse=True)
def _restore_default_device():
    yield
    mg.set_default_device(None)


def _torch_dtype_of(mg_dtype):
    return getattr(torch, "bool" if mg_dtype == mg.bool_ else mg_dtype.name)


# ---- dtype names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_are_torchs(name):
    ours, theirs = getattr(mg, name), getattr(torch, name)
    assert str(theirs) == "torch." + ours.name
    assert ours.itemsize == theirs.itemsize
    assert isinstance(ours, mg.dtype) and isinstance(ours, np.dtype)
    assert (ours.kind == "f") == theirs.is_floating_point


def test_dtypes_compare_as_numpy_and_torch_programs_expect():
    x = mg.zeros(2)
    assert x.dtype == mg.float32 == mg.float == np.float32 == np.dtype("float32") == "float32"
    assert mg.bool_ is mg.bool and mg.long is mg.int64 and mg.double is mg.float64
    assert {mg.float32: "a"}[x.dtype] == "a"
    # deliberate differences: numpy's dtypes print as numpy's and have no is_floating_point
    assert str(x.dtype) == "float32" and str(torch.float32) == "torch.float32"
    assert not hasattr(mg.float32, "is_floating_point") and x.dtype.kind == "f"


@pytest.mark.parametrize("name", TENSOR_DTYPES)
def test_dtype_keyword_everywhere(name):
    dt = getattr(mg, name)
    ref = torch.tensor([1, 0, 2], dtype=getattr(torch, name))
    made = [mg.tensor([1, 0, 2], dtype=dt), mg.Tensor([1, 0, 2], dtype=dt),
            mg.as_tensor([1, 0, 2], dtype=dt), mg.zeros(3, dtype=dt), mg.ones(3, dtype=dt),
            mg.full((3,), 1, dtype=dt), mg.arange(3, dtype=dt), mg.zeros(3).to(dt),
            mg.zeros(3).to(dtype=dt), mg.zeros(3).type(dt), mg.zeros_like(mg.zeros(3), dtype=dt)]
    for t in made:
        assert t.dtype == dt and t.type() == ref.type().replace("torch.", "minigrad.")
    assert mg.tensor([1, 0, 2], dtype=dt).tolist() == ref.tolist()


def test_python_types_as_dtypes_follow_torch():
    for py, name in [(float, "float64"), (int, "int64"), (bool, "bool")]:
        assert mg.zeros(2).to(py).dtype == getattr(mg, name)
        assert str(torch.zeros(2).to(py).dtype) == "torch." + name
        assert mg.tensor([1, 0], dtype=py).dtype == getattr(mg, name)


def test_float_dtypes_as_default_dtype():
    mg.set_default_dtype(mg.double)
    assert mg.get_default_dtype() == mg.float64 and mg.tensor([1.5]).dtype == mg.float64
    assert mg.zeros(2).dtype == mg.float64 and mg.finfo().eps == torch.finfo(torch.float64).eps
    mg.set_default_dtype(mg.float)
    assert mg.tensor([1.5]).dtype == mg.float32
    for bad in (mg.long, mg.half, mg.bool):
        with pytest.raises(TypeError, match="default dtype"):
            mg.set_default_dtype(bad)


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1.0], dtype=mg.half), lambda: mg.zeros(2, dtype=mg.float16),
    lambda: mg.ones(2).half(), lambda: mg.ones(2).to(mg.half), lambda: mg.ones(2).type(mg.half),
    lambda: mg.ones(2).type("torch.HalfTensor"), lambda: mg.nn.Linear(2, 2).half(),
    lambda: mg.nn.Linear(2, 2).to(mg.float16)], ids=[
    "tensor", "zeros", "Tensor.half", "to", "type", "type-name", "Module.half", "Module.to"])
def test_float16_is_refused_with_a_clear_type_error(make):
    with pytest.raises(TypeError, match=r"float16 \(half\) tensors are not supported"):
        make()


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = mg.finfo(getattr(mg, name)), torch.finfo(getattr(torch, name))
    for attr in ("eps", "max", "min", "tiny", "smallest_normal", "resolution", "bits"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert mg.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "int64", "uint8"])
def test_iinfo_matches_torch(name):
    ours, theirs = mg.iinfo(getattr(mg, name)), torch.iinfo(getattr(torch, name))
    assert (ours.min, ours.max, ours.bits) == (theirs.min, theirs.max, theirs.bits)


def test_finfo_and_iinfo_refuse_the_other_kind():
    with pytest.raises(TypeError, match="int64"):
        mg.finfo(mg.long)
    with pytest.raises(TypeError, match="float32"):
        mg.iinfo(mg.float32)


@pytest.mark.parametrize("name", TENSOR_DTYPES)
def test_attributes_match_torch(name):
    ours = mg.tensor([[1, 0, 2]], dtype=getattr(mg, name))
    theirs = torch.tensor([[1, 0, 2]], dtype=getattr(torch, name))
    assert ours.is_floating_point() == theirs.is_floating_point() == mg.is_floating_point(ours)
    assert ours.element_size() == theirs.element_size()
    assert ours.nbytes == theirs.nbytes
    assert ours.is_cuda is False and ours.type() == theirs.type().replace("torch.", "minigrad.")


def test_is_floating_point_takes_a_tensor():
    with pytest.raises(TypeError, match="ndarray"):
        mg.is_floating_point(np.zeros(2))


# ---- Tensor.to and the casts ------------------------------------------------------------------

def _both(values, name):
    return (mg.tensor(values, dtype=getattr(mg, name)),
            torch.tensor(values, dtype=getattr(torch, name)))


@pytest.mark.parametrize("call", [
    lambda lib, x: x.to(lib.float64), lambda lib, x: x.to("cpu"),
    lambda lib, x: x.to("cpu", lib.float64), lambda lib, x: x.to(device="cpu", dtype=lib.long),
    lambda lib, x: x.to(lib.device("cpu"), lib.int32), lambda lib, x: x.to(lib.float32),
    lambda lib, x: x.to(lib.float32, copy=True), lambda lib, x: x.to(lib.float32, False, True),
    lambda lib, x: x.to(lib.float64, non_blocking=True), lambda lib, x: x.to(x),
    lambda lib, x: x.to(lib.zeros(1, dtype=lib.float64)), lambda lib, x: x.to(x, copy=True),
    lambda lib, x: x.to(dtype=lib.bool), lambda lib, x: x.to(lib.uint8),
    lambda lib, x: x.float(), lambda lib, x: x.double(), lambda lib, x: x.long(),
    lambda lib, x: x.int(), lambda lib, x: x.bool(), lambda lib, x: x.cpu(),
    lambda lib, x: x.type(lib.float64), lambda lib, x: x.type(lib.int64),
    lambda lib, x: x.type("torch.DoubleTensor"), lambda lib, x: x.type("torch.LongTensor"),
    lambda lib, x: x.type(lib.float32)])
def test_to_and_casts_match_torch(call):
    ours, theirs = _both([-1.5, 0.0, 2.7, -0.2], "float32")
    got, want = call(mg, ours), call(torch, theirs)
    assert str(want.dtype) == "torch." + ("bool" if got.dtype == mg.bool else got.dtype.name)
    assert (got is ours) == (want is theirs)
    assert got.device == "cpu" and str(got.device) == str(want.device)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_integer_tensors_cast_as_torch():
    ours, theirs = _both([-3, 0, 7], "int64")
    for call in (lambda x: x.float(), lambda x: x.double(), lambda x: x.bool(),
                 lambda x: x.int(), lambda x: x.to(mg.uint8 if x is ours else torch.uint8)):
        np.testing.assert_array_equal(call(ours).numpy(), call(theirs).numpy())


def test_type_with_no_argument_names_the_type_as_torch():
    assert mg.zeros(2).type() == "minigrad.FloatTensor"   # torch: torch.FloatTensor
    assert mg.zeros(2, dtype=mg.float64).type() == "minigrad.DoubleTensor"
    assert mg.tensor([True]).type() == "minigrad.BoolTensor"


def test_type_accepts_minigrad_names_torch_names_and_classes_so_named():
    x = mg.zeros(2)
    assert x.type("minigrad.LongTensor").dtype == mg.long
    assert x.type("torch.IntTensor").dtype == mg.int32

    class DoubleTensor:   # e.g. a LongTensor/DoubleTensor alias class
        pass

    assert x.type(DoubleTensor).dtype == mg.float64
    for bad in ("float64", "torch.FooTensor", "numpy.FloatTensor"):
        with pytest.raises(ValueError, match="invalid type"):
            x.type(bad)
    with pytest.raises(ValueError, match="invalid type"):
        torch.zeros(2).type("float64")   # torch refuses a dtype name too


def test_to_is_differentiable_and_grads_come_back_in_the_source_dtype():
    ours = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    for x, lib in ((ours, mg), (theirs, torch)):
        y = x.to(lib.float64) * x.double() + x.to(lib.float32, copy=True).double() ** 2
        y.sum().backward()
    assert ours.grad.dtype == mg.float32
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)
    assert ours.long().requires_grad is False and ours.float() is ours


def test_copying_to_passes_gradcheck_and_gradgradcheck():
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    for f in (lambda a: a.to(mg.float64, copy=True) * a,
              lambda a: a.to("cpu", copy=True).exp(),
              lambda a: a.type(mg.float64) * a.double()):
        assert mg.gradcheck(f, (x,))
        assert mg.gradgradcheck(f, (x,))


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.to("float32"), ValueError, "unknown device 'float32'"),
    (lambda x: x.to("cuda:1"), ValueError, "one cuda device"),
    (lambda x: x.to(3.5), TypeError, "neither a device nor a dtype"),
    (lambda x: x.to("cpu", "cpu"), TypeError, "neither a device nor a dtype"),
    (lambda x: x.to(mg.float64, mg.float32), TypeError, "to\\(\\) takes"),
    (lambda x: x.to(mg.float64, True, False, True), TypeError, "to\\(\\) takes"),
    (lambda x: x.to("cpu", device="cpu"), TypeError, "device twice"),
    (lambda x: x.to(mg.float64, dtype=mg.float64), TypeError, "dtype twice"),
    (lambda x: x.to(memory_format=None), TypeError, "memory_format"),
    (lambda x: x.to(np.complex128), TypeError, "unsupported dtype complex128"),
    (lambda x: x.cuda("cpu"), ValueError, "cuda device"),
])
def test_to_refuses_what_it_cannot_read(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.zeros(2))


# ---- devices ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs", [
    (("cpu",), {}), (("cuda",), {}), (("cuda:0",), {}), (("cuda", 0), {}), (("cpu:0",), {}),
    ((), {"type": "cuda", "index": 0}), (("CUDA",), {}), ((" cpu ",), {})], ids=str)
def test_device_prints_and_reads_as_torch(args, kwargs):
    ours, theirs = mg.device(*args, **kwargs), torch.device(*[a.strip().lower() if isinstance(
        a, str) else a for a in args], **kwargs)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert f"{ours}" == f"{theirs}" and "%s" % ours == "%s" % theirs
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert mg.device(ours) == ours and mg.device(ours).index == ours.index
    assert mg.device(theirs) == ours   # another library's device object (it has .type)


def test_devices_are_equal_hashable_and_equal_to_their_type_string():
    cpu = mg.device("cpu")
    assert cpu == mg.device("cpu") and cpu != mg.device("cuda") and hash(cpu) == hash("cpu")
    assert len({cpu, mg.device("cpu"), "cpu"}) == 1 and {cpu: 1}["cpu"] == 1
    # deliberate differences from torch: a device equals its type string (torch: never equal to
    # a string), and device('cuda') equals device('cuda:0') (minigrad drives one GPU)
    assert cpu == "cpu" and torch.device("cpu") != "cpu"
    assert mg.device("cuda") == mg.device("cuda:0") and mg.device("cuda").index is None
    assert torch.device("cuda") != torch.device("cuda:0")


def test_devices_survive_pickle_and_copy():
    for d in (mg.device("cpu"), mg.device("cuda", 0), mg.device("cuda")):
        for twin in (pickle.loads(pickle.dumps(d)), copy.copy(d), copy.deepcopy(d)):
            assert type(twin) is mg.device and repr(twin) == repr(d)


def test_tensor_device_is_a_device_as_torch_reports_it():
    x = mg.zeros(2)
    assert repr(x.device) == repr(torch.zeros(2).device) == "device(type='cpu')"
    assert x.device.type == "cpu" and x.device.index is None and isinstance(x.device, mg.device)
    assert x.device == "cpu" and x.device == mg.device("cpu") and x.to(x.device) is x
    y = x + 1
    assert repr(y.device) == "device(type='cpu')"   # ops keep the device object
    assert mg.tensor([1.0], device=mg.device("cpu")).device == "cpu"
    assert mg.zeros(2, device=x.device).device == "cpu"


@pytest.mark.parametrize("spec, error, match", [
    ("tpu", ValueError, "unknown device 'tpu'"), ("cuda:1", ValueError, "one cuda device"),
    ("cuda:x", ValueError, "invalid device string 'cuda:x'"), (3.5, TypeError, "float"),
    (("cuda:0", 0), ValueError, "already names its index"), (("cuda", -1), ValueError, "-1"),
    ((mg.device("cuda"), 0), ValueError, "already has its index"), (1, ValueError, "index 0"),
])
def test_device_refuses_what_torch_refuses(spec, error, match):
    with pytest.raises(error, match=match):
        mg.device(*(spec if isinstance(spec, tuple) else (spec,)))


def test_normalize_device_reads_every_spelling():
    for spec in ("cpu", "CPU", "cpu:0", mg.device("cpu"), mg.zeros(1).device):
        assert normalize_device(spec) == "cpu" and type(normalize_device(spec)) is str
    for spec in ("cuda", "cuda:0", "gpu", 0, mg.device("cuda", 0)):
        assert normalize_device(spec) == "cuda"
    assert normalize_device(None) == "cpu"


def test_default_device():
    assert repr(mg.get_default_device()) == repr(torch.get_default_device())
    mg.set_default_device("cuda")
    assert normalize_device(None) == "cuda"
    assert repr(mg.get_default_device()) == "device(type='cuda', index=0)"
    if NO_GPU:
        with pytest.raises(RuntimeError):
            mg.Tensor([1.0])   # made on the default device, which is not here
    else:
        assert mg.Tensor([1.0]).device == "cuda"
    mg.set_default_device(mg.device("cpu"))
    assert mg.Tensor([1.0]).device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.set_default_device("tpu")
    assert mg.get_default_device() == "cpu"


@pytest.mark.skipif(inspect.signature(mg.zeros).parameters["device"].default is not None,
                    reason="creation functions take device=None once the data part's "
                           "creation.py change is merged")
def test_creation_functions_honour_the_default_device():
    mg.set_default_device("cuda")
    for make in (lambda: mg.tensor([1.0]), lambda: mg.zeros(2), lambda: mg.randn(2),
                 lambda: mg.arange(3)):
        if NO_GPU:
            with pytest.raises(RuntimeError):
                make()
        else:
            assert make().device == "cuda"


# ---- mg.cuda, mg.accelerator, mg.backends ------------------------------------------------------

def test_the_tutorials_device_lines_run():
    device = ("cuda" if mg.cuda.is_available() else "mps" if mg.backends.mps.is_available()
              else "cpu")
    assert device == ("cpu" if NO_GPU else "cuda")
    x = mg.ones(2, device=device)
    assert x.device == device and x.to(device) is x
    acc = mg.accelerator.current_accelerator()
    device = acc.type if mg.accelerator.is_available() else "cpu"
    assert device == ("cpu" if NO_GPU else "cuda") and (acc is None) == bool(NO_GPU)
    assert mg.tensor([1.0], device=mg.device(device)).device == device


def test_cuda_namespace():
    assert mg.cuda.is_available() == (NO_GPU is None) == mg.accelerator.is_available()
    assert mg.cuda.device_count() == (0 if NO_GPU else 1) == mg.accelerator.device_count()
    if NO_GPU:
        for call in (mg.cuda.current_device, mg.cuda.synchronize, mg.accelerator.synchronize,
                     mg.accelerator.current_device_index, lambda: mg.zeros(1).cuda()):
            with pytest.raises(RuntimeError):
                call()
    else:
        mg.cuda.synchronize()
        assert mg.cuda.current_device() == 0 == mg.accelerator.current_device_index()


def test_cuda_manual_seed_seeds_the_one_generator():
    mg.cuda.manual_seed(7)
    a = mg.randn(3).numpy()
    mg.manual_seed(7)
    assert np.array_equal(a, mg.randn(3).numpy())
    mg.cuda.manual_seed_all(7)
    assert np.array_equal(a, mg.randn(3).numpy())


def test_backends_flags_can_be_set_and_read_back():
    assert mg.backends.mps.is_available() is False and mg.backends.cudnn.is_available() is False
    mg.backends.cudnn.deterministic, mg.backends.cudnn.benchmark = True, False
    mg.backends.cuda.matmul.allow_tf32 = True
    assert mg.backends.cudnn.deterministic and mg.backends.cuda.matmul.allow_tf32
    mg.backends.cudnn.deterministic = False
    mg.backends.cuda.matmul.allow_tf32 = False


# ---- Module conversions -----------------------------------------------------------------------

def _twin_models(seed=0):
    ours = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.BatchNorm1d(4), mg.nn.ReLU(),
                            mg.nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for name, t in theirs.state_dict().items():
            t.copy_(torch.from_numpy(ours.state_dict()[name].numpy()))
    return ours, theirs


def _dtypes(state):
    return {k: ("bool" if v.dtype == mg.bool else v.dtype.name) if isinstance(v, mg.Tensor)
            else str(v.dtype).replace("torch.", "") for k, v in state.items()}


@pytest.mark.parametrize("call", [
    lambda lib, m: m.double(), lambda lib, m: m.to(lib.float64), lambda lib, m: m.float(),
    lambda lib, m: m.to("cpu", lib.float64), lambda lib, m: m.to(lib.device("cpu")),
    lambda lib, m: m.to(device="cpu", dtype=lib.double), lambda lib, m: m.cpu(),
    lambda lib, m: m.to(lib.zeros(1, dtype=lib.float64)), lambda lib, m: m.type(lib.float64),
    lambda lib, m: m.double().float(), lambda lib, m: m.to(lib.float64, non_blocking=True)])
def test_module_conversions_match_torch_and_keep_the_parameter_objects(call):
    ours, theirs = _twin_models()
    params, buffers = list(ours.parameters()), list(ours.buffers())
    assert call(mg, ours) is ours and call(torch, theirs) is theirs
    assert _dtypes(ours.state_dict()) == _dtypes(theirs.state_dict())
    assert all(a is b for a, b in zip(params, ours.parameters()))
    # buffers too are converted in place (torch gives a converted buffer a new tensor object)
    assert all(a is b for a, b in zip(buffers, ours.buffers()))
    assert all(p.requires_grad for p in ours.parameters())


def test_module_double_after_the_optimizer_trains_as_torch():
    """The optimizer is built before .double() and still holds the converted parameters; the
    .grad a parameter had is converted in place too, as torch."""
    ours, theirs = _twin_models()
    x = np.random.default_rng(1).standard_normal((5, 3))
    losses = []
    for lib, model in ((mg, ours), (torch, theirs)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        inputs = lib.tensor(x, dtype=lib.float32)
        model(inputs).sum().backward()
        grad = model[0].weight.grad
        model.double()
        assert model[0].weight.grad is grad and str(grad.dtype).endswith("float64")
        opt.step()
        opt.zero_grad()
        for _ in range(3):
            loss = (model(inputs.double()) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    # the first gradient was taken in float32: equal to float32 round-off
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for name, t in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), t.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_module_type_casts_integer_buffers_too_as_torch():
    for lib in (mg, torch):
        bn = lib.nn.BatchNorm1d(2)
        bn.double()
        assert str(bn.num_batches_tracked.dtype).endswith("int64")
        bn.type(lib.float32)
        assert str(bn.num_batches_tracked.dtype).endswith("float32")


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.to(mg.long), TypeError, "floating-point dtype"),
    (lambda m: m.to(mg.zeros(1, dtype=mg.long)), TypeError, "floating-point dtype"),
    (lambda m: m.to(mg.float64, copy=True), TypeError, "no copy="),
    (lambda m: m.type(mg.int64), RuntimeError, "requires grad"),
    (lambda m: m.to("tpu"), ValueError, "unknown device"),
])
def test_module_conversions_refuse_what_torch_refuses(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.nn.Linear(2, 2))


@pytest.mark.skipif(NO_GPU is not None, reason=f"no GPU: {NO_GPU}")
def test_gpu_round_trip():
    ours, theirs = _twin_models()
    params = list(ours.parameters())
    ours.cuda()
    assert all(p.device == "cuda" and repr(p.device) == "device(type='cuda', index=0)"
               for p in ours.parameters())
    assert all(a is b for a, b in zip(params, ours.parameters()))
    x = mg.tensor(np.ones((5, 3)), dtype=mg.float32)
    y = ours(x.to("cuda:0"))
    assert y.is_cuda and y.type() == "minigrad.cuda.FloatTensor" and str(y.device) == "cuda:0"
    assert f"{y.device}" == "cuda:0" and "device='cuda:0'" in repr(y)
    assert x.type("torch.cuda.DoubleTensor").device == "cuda"
    assert x.cuda(0).device == "cuda" and x.cuda().cpu().device == "cpu"
    z = mg.tensor([1.0, 2.0], requires_grad=True)
    (z.cuda() * 3).sum().backward()
    assert z.grad.device == "cpu" and z.grad.tolist() == [3.0, 3.0]
    ours.to("cpu", mg.float64)
    assert all(p.device == "cpu" and p.dtype == mg.float64 for p in ours.parameters())
    np.testing.assert_allclose(ours(x.double()).numpy(), theirs.double()(
        torch.ones(5, 3, dtype=torch.float64)).detach().numpy(), rtol=1e-6)
