"""The fused update kernels (csrc/cpu/optim.pyx, csrc/cuda/optim.cu) against

  * the readable path of the optimizers (``fused=False`` / tracing): the same trajectory over
    several steps for every flag combination, float64 and float32, to the last bit (the
    kernels do the readable code's operations in its order; no -ffast-math, no FMA);
  * the numpy reference kernels (``reference.OPTIM_KERNELS``), on every device present, on a
    size above the threading threshold too.
"""
import itertools
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.backend import cpu, get_backend, reference
from minigrad.backend.specs import AdagradSpec, AdamSpec, RmspropSpec, SgdSpec


def _grid(**axes):
    return [dict(zip(axes, v)) for v in itertools.product(*axes.values())]


FUSED_CASES = (
    [(optim.SGD, dict(lr=0.05, **c)) for c in _grid(
        momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True], weight_decay=[0, 0.1],
        maximize=[False, True]) if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"]))]
    + [(optim.Adam, dict(lr=0.05, **c)) for c in _grid(
        weight_decay=[0, 0.1], amsgrad=[False, True], maximize=[False, True],
        decoupled_weight_decay=[False, True])]
    + [(optim.AdamW, dict(lr=0.05, **c)) for c in _grid(
        amsgrad=[False, True], decay_scaling=["lr", "schedule"])]
    + [(optim.RMSprop, dict(lr=0.01, **c)) for c in _grid(
        weight_decay=[0, 0.1], momentum=[0, 0.5], centered=[False, True], maximize=[False, True])]
    + [(optim.Adagrad, dict(lr=0.1, **c)) for c in _grid(
        weight_decay=[0, 0.1], lr_decay=[0, 0.05], maximize=[False, True])]
)


def _trajectory(cls, kwargs, dtype, fused, device="cpu", steps=5, n=300):
    rng = np.random.default_rng(7)
    w = mg.tensor(rng.standard_normal(n).astype(dtype), device=device, requires_grad=True)
    opt = cls([w], fused=fused, **kwargs)
    out = []
    for _ in range(steps):
        w.grad = mg.tensor(rng.standard_normal(n).astype(dtype), device=device)
        opt.step()
        out.append(w.numpy().copy())
    return out, opt


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, kwargs", FUSED_CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(FUSED_CASES)])
def test_fused_and_readable_paths_give_the_same_trajectory(cls, kwargs, dtype):
    fused, opt_f = _trajectory(cls, kwargs, dtype, fused=None)
    readable, opt_r = _trajectory(cls, kwargs, dtype, fused=False)
    for k, (a, b) in enumerate(zip(fused, readable)):
        assert a.dtype == b.dtype == dtype
        # bitwise on the CPU; allow 4 ulp in case a compiler contracts a*b+c into an FMA
        np.testing.assert_array_max_ulp(a, b, maxulp=4)  # step k + 1
    # and the state the two paths keep is the same too
    sf, sr = opt_f.state_dict()["state"][0], opt_r.state_dict()["state"][0]
    assert sf.keys() == sr.keys()
    for key in sf:
        if isinstance(sf[key], np.ndarray):
            np.testing.assert_array_max_ulp(sf[key], sr[key], maxulp=4)
        else:
            assert sf[key] == sr[key]
    assert np.abs(fused[-1] - fused[0]).max() > 0     # the parameter did move


def test_fused_runs_by_default_and_readable_when_asked(monkeypatch):
    calls = []
    backend = get_backend("cpu")
    real = backend.adam_step
    monkeypatch.setattr(backend, "adam_step", lambda *a: (calls.append(1), real(*a)))
    w = mg.tensor(np.ones(4), requires_grad=True)
    w.grad = mg.tensor(np.ones(4))
    optim.AdamW([w]).step()
    assert calls == [1]
    optim.AdamW([w], fused=False).step()
    with optim.trace(opt := optim.AdamW([w])):
        opt.step()
    assert calls == [1]          # neither fused=False nor tracing touched the kernel


# ---- kernels against the reference, on every device ---------------------------------------------

def _kernel_args(name, n, dtype, rng, flags):
    """The kernel's arrays and its spec (minigrad/backend/specs.py) for one flag combination."""
    a = lambda: rng.standard_normal(n).astype(dtype)  # noqa: E731
    pos = lambda: (rng.random(n) + 0.1).astype(dtype)  # noqa: E731
    if name == "sgd_step":
        return [a(), a(), a()], SgdSpec(
            lr=0.1, coupled_weight_decay=flags["wd"], momentum=flags["mu"], dampening=0.2,
            nesterov=flags["flag"], maximize=flags["maximize"], first_step=flags["first"])
    if name == "adam_step":
        return [a(), a(), a(), pos(), pos()], AdamSpec(
            step_size=0.1, bias_correction2_sqrt=0.3, beta1=0.9, beta2=0.999, eps=1e-8,
            coupled_weight_decay=flags["wd"], decoupled_decay=0.01 if flags["first"] else 0.0,
            amsgrad=flags["flag"], maximize=flags["maximize"])
    if name == "rmsprop_step":
        sq = pos() + 1
        return [a(), a(), sq, (0.1 * a()).astype(dtype), a()], RmspropSpec(
            lr=0.01, alpha=0.99, eps=1e-8, coupled_weight_decay=flags["wd"],
            momentum=flags["mu"], centered=flags["flag"], maximize=flags["maximize"])
    return [a(), a(), pos()], AdagradSpec(clr=0.1, eps=1e-10, coupled_weight_decay=flags["wd"],
                                          maximize=flags["maximize"])


FLAGS = _grid(wd=[0.0, 0.1], mu=[0.0, 0.9], flag=[False, True], maximize=[False, True],
              first=[False, True])


@pytest.mark.parametrize("n", [1, 33, cpu.PARALLEL_MIN_SIZE + 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", reference.OPTIM_KERNELS)
def test_kernel_matches_the_reference(name, dtype, n, device):
    backend = get_backend(device)
    rng = np.random.default_rng(3)
    flag_sets = FLAGS if n < 1000 else FLAGS[::7]
    for flags in flag_sets:
        arrays, spec = _kernel_args(name, n, dtype, rng, flags)
        expected = [x.copy() for x in arrays]
        getattr(reference, name)(*expected, spec)
        got = [backend.asarray(x.copy(), dtype) for x in arrays]
        getattr(backend, name)(*got, spec)
        for i, (e, g) in enumerate(zip(expected, got)):
            g = backend.to_numpy(g)
            if i == 1:
                np.testing.assert_array_equal(g, arrays[1])    # grad is read-only
            elif device == "cpu":
                np.testing.assert_array_max_ulp(g, e, maxulp=4)
            else:   # CUDA may contract into FMA and uses its own sqrt rounding mode defaults
                tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else \
                    dict(rtol=1e-12, atol=1e-13)
                np.testing.assert_allclose(g, e, **tol, err_msg=f"{name} array {i} {flags}")


ADAGRAD = AdagradSpec(clr=0.1, eps=1e-10, coupled_weight_decay=0.0, maximize=False)


def test_kernel_rejects_a_size_mismatch(device):
    be = get_backend(device)
    p = be.xp.zeros(5)
    with pytest.raises(ValueError, match="size mismatch"):
        be.adagrad_step(p, be.xp.zeros(4), be.xp.zeros(5), ADAGRAD)


def test_kernel_rejects_non_contiguous_param(device):
    be = get_backend(device)
    p = be.xp.zeros((4, 4))[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        be.adagrad_step(p, be.xp.zeros(8), be.xp.zeros(8), ADAGRAD)


def test_kernel_rejects_a_missing_buffer_its_flags_use(device):
    be = get_backend(device)
    p = be.xp.zeros(3)
    spec = AdamSpec(step_size=0.1, bias_correction2_sqrt=0.3, beta1=0.9, beta2=0.999, eps=1e-8,
                    coupled_weight_decay=0.0, decoupled_decay=0.0, amsgrad=True, maximize=False)
    with pytest.raises(ValueError, match="is None"):
        be.adam_step(p, be.xp.zeros(3), be.xp.zeros(3), be.xp.zeros(3), None, spec)
    be.adam_step(p, be.xp.zeros(3), be.xp.zeros(3), be.xp.zeros(3), None,
                 spec._replace(amsgrad=False))          # unused without amsgrad: fine


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop,
                                 optim.Adagrad])
def test_fused_step_takes_a_non_contiguous_grad(cls, device):
    """The kernels reject non-contiguous arrays; the optimizer passes a contiguous copy of a
    non-contiguous .grad, so the fused step equals the readable one."""
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((4, 3))
    g = rng.standard_normal((3, 4))
    out = []
    for fused in (None, False):
        w = mg.tensor(w0.copy(), device=device, requires_grad=True)
        w.grad = mg.tensor(g, device=device).T          # a transposed, non-contiguous view
        assert not w.grad.array.flags.c_contiguous
        cls([w], lr=0.1, weight_decay=0.1, fused=fused).step()
        out.append(w.numpy())
    np.testing.assert_array_max_ulp(out[0], out[1], maxulp=4)


NVCC = shutil.which("nvcc")
SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "csrc", "cuda", "optim.cu")


@pytest.mark.skipif(NVCC is None, reason="nvcc is not on PATH")
def test_cuda_optim_kernels_compile_with_both_dtypes(tmp_path):
    ptx = tmp_path / "optim.ptx"
    r = subprocess.run([NVCC, "-ptx", "-arch=sm_75", SRC, "-o", str(ptx)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    entries = set(re.findall(r"^\.visible \.entry (\w+)\(", ptx.read_text(), re.M))
    missing = [f"{k}_{s}" for k in reference.OPTIM_KERNELS for s in ("f32", "f64")
               if f"{k}_{s}" not in entries]
    assert not missing
