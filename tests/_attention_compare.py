"""What test_nn_attention.py and test_nn_transformer.py share: run a torch module and its
minigrad twin (torch's state_dict copied in) on the same inputs and masks, and compare the
outputs, the gradient of every input and of every parameter."""
import numpy as np

import minigrad as mg

TOL = {"float64": 1e-10, "float32": 1e-5}


def twin(torch, torch_module, mg_module, dtype):
    """Both modules in dtype and eval mode (dropout off), torch's weights in minigrad's."""
    torch_module = torch_module.double() if dtype == "float64" else torch_module.float()
    mg_module = mg_module.double() if dtype == "float64" else mg_module.float()
    mg_module.load_state_dict({k: v.detach().numpy() for k, v in
                               torch_module.state_dict().items()})
    return torch_module.eval(), mg_module.eval()


def _mask(lib, value, dtype):
    if value is None:
        return None
    value = np.asarray(value)
    if value.dtype != np.bool_:
        value = value.astype(dtype)
    return lib.tensor(value)


def compare(torch, torch_module, mg_module, call, arrays, masks=None, dtype="float64",
            seed=1):
    """call(module, inputs, masks) -> a tensor or a tuple (None entries allowed), run for both
    libraries; inputs are tensors requiring gradients made from arrays, masks (bool arrays or
    float ones, cast to dtype) carry none. Asserts outputs and all gradients to TOL[dtype]."""
    tol = TOL[dtype]
    tdt, ndt = getattr(torch, dtype), np.dtype(dtype)
    masks = masks or {}
    tx = [torch.tensor(a.astype(ndt), requires_grad=True) for a in arrays]
    mx = [mg.tensor(a.astype(ndt), requires_grad=True) for a in arrays]
    tm = {k: _mask(torch, v, ndt) for k, v in masks.items()}
    mm = {k: _mask(mg, v, ndt) for k, v in masks.items()}
    tout, mout = call(torch_module, tx, tm), call(mg_module, mx, mm)
    single = not isinstance(tout, tuple)
    if single:
        tout, mout = (tout,), (mout,)
    rng = np.random.default_rng(seed)
    tloss = mloss = 0
    for i, (a, b) in enumerate(zip(tout, mout)):
        if a is None:
            assert b is None, f"output {i}: torch gives None, minigrad {b}"
            continue
        assert tuple(b.shape) == tuple(a.shape), f"output {i}: {b.shape} vs {tuple(a.shape)}"
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=tol, atol=tol,
                                   err_msg=f"output {i}")
        g = rng.standard_normal(tuple(a.shape)).astype(ndt)
        tloss = tloss + (a * torch.tensor(g)).sum()
        mloss = mloss + (b * mg.tensor(g)).sum()
    tloss.backward()
    mloss.backward()
    for i, (a, b) in enumerate(zip(tx, mx)):
        expected = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        got = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=f"input {i}")
    result = mout[0] if single else mout
    if torch_module is None:
        return result
    tparams = dict(torch_module.named_parameters())
    mparams = dict(mg_module.named_parameters())
    assert sorted(mparams) == sorted(tparams)
    for name, p in mparams.items():
        expected = tparams[name].grad
        expected = np.zeros(p.shape) if expected is None else expected.numpy()
        got = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=name)
    return result
