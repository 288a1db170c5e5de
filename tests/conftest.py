import os
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cuda_unavailable_reason

#: Blocks per launch under the simulator (grid-stride loops cover the rest): keeps the suite's
#: simulated cuda tests within the CI budget and exercises the grid-stride paths.
SIM_MAX_BLOCKS = 3


#: Under the simulator a cuda test whose parameters hold an array of this many elements or more
#: skips: the 2**20-element cases (there to cross the CPU kernels' threading threshold) take
#: minutes as fibers, and the small shapes run the same kernel code.
SIM_MAX_ELEMENTS = 1 << 18
_SIMULATED = False


def _simulate_without_gpu():
    """device="cuda" runs on minigrad's CUDA simulator when no real GPU is usable (as Numba's
    NUMBA_ENABLE_CUDASIM=1 does), so every cuda test runs on every machine; MINIGRAD_CUDA_SIM=0
    turns that off (the cuda tests then skip), =1 forces it even with a GPU."""
    flag = os.environ.get("MINIGRAD_CUDA_SIM", "")
    if flag == "0" or (flag == "" and cuda_unavailable_reason() is None):
        return
    if flag == "" and shutil.which(os.environ.get("CXX") or "g++") is None:
        return   # no C++ compiler to build the simulated kernels: the cuda tests skip
    global _SIMULATED
    mg.cuda.simulate()
    _SIMULATED = True
    from minigrad import cudasim
    if "MINIGRAD_CUDA_SIM_MAX_BLOCKS" not in os.environ:
        cudasim.configure(max_blocks=SIM_MAX_BLOCKS)


_simulate_without_gpu()

# cuda tests that fail for reasons outside the simulator: device bugs it found in the catalogue
# and tests, to be fixed where named (strict: once fixed, the test passes and its mark must go)
_KNOWN_CUDA_FAILURES = {
}


def _elements(value):
    """The element count a test parameter stands for (an int size or a shape), else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return int(np.prod(value))
    return 0


def _too_big_to_simulate(item):
    params = getattr(getattr(item, "callspec", None), "params", {})
    return max((_elements(v) for v in params.values()), default=0) >= SIM_MAX_ELEMENTS


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _SIMULATED and "cuda" in item.nodeid and _too_big_to_simulate(item):
            item.add_marker(pytest.mark.skip(
                reason=f"CUDA simulator: over {SIM_MAX_ELEMENTS} elements take minutes as "
                       f"fibers; the small shapes run the same kernel code"))
        for part, reason in _KNOWN_CUDA_FAILURES.items():
            if part in item.nodeid and "[cuda-" in item.nodeid:
                item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def _device_params():
    params = [pytest.param("cpu", id="cpu")]
    reason = cuda_unavailable_reason()
    params.append(pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(
        reason is not None, reason=f"no GPU: {reason}")))
    return params


DEVICES = _device_params()


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype or the seed; put both back."""
    dtype = mg.get_default_dtype()
    mg.manual_seed(0)
    yield
    mg.set_default_dtype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
