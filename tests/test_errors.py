"""Bad input gets a clear error naming the offending values or shapes."""
import os

import numpy as np
import pytest

import minigrad as mg


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        mg.zeros(3, 4) + mg.zeros(5)
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5,\)"):
        mg.zeros(3, 4) * mg.zeros(5)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\).*4 != 5"):
        mg.zeros(3, 4) @ mg.zeros(5, 2)


def test_float_precision_mix_is_a_type_error():
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.zeros(2) + mg.zeros(2, dtype=mg.float64)
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.zeros(2, 2) @ mg.zeros(2, 2, dtype=mg.float64)
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.zeros(2) * np.zeros(2)   # a float64 numpy array is not cast silently


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.tensor([1.0], device="tpu")
    with pytest.raises(ValueError, match="unknown device"):
        mg.zeros(2).to("mps")


def test_cuda_without_a_gpu_says_why():
    """In a fresh process without the simulator (the test session may run cuda on it)."""
    import subprocess
    import sys
    code = ("import minigrad as mg\n"
            "reason = mg.backend.cuda_unavailable_reason()\n"
            "try:\n    mg.tensor([1.0], device='cuda')\n"
            "except RuntimeError as exc:\n    print(str(exc) == reason, exc)\n"
            "else:\n    print('GPU')\n")
    env = {k: v for k, v in os.environ.items() if k != "MINIGRAD_CUDA_SIM"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120).stdout
    if out.startswith("GPU"):
        pytest.skip("a GPU is present")
    assert out.startswith("True ") and ("CuPy" in out or "GPU" in out), out


def test_reshape_and_broadcast_errors():
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(4,\)"):
        mg.zeros(2, 3).reshape(4)
    with pytest.raises(ValueError, match=r"\(2, 3\) to shape \(4, 3\)"):
        mg.zeros(2, 3).broadcast_to((4, 3))


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2 is out of range for a tensor with 2 dimensions"):
        mg.zeros(2, 3).sum(axis=2)
    with pytest.raises(ValueError, match="axis 5"):
        mg.zeros(2, 3).softmax(5)


def test_bad_index():
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        mg.zeros(3)[5]


def test_concatenate_and_stack_errors():
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(3, 3\)"):
        mg.concatenate([mg.zeros(2, 2), mg.zeros(3, 3)], axis=1)
    with pytest.raises(ValueError, match="one shape"):
        mg.stack([mg.zeros(2), mg.zeros(3)])
    with pytest.raises(TypeError, match="element 1 is a list"):
        mg.concatenate([mg.zeros(2), [1.0]])


def test_clip_and_float_only_ops():
    with pytest.raises(ValueError, match="min 1 is larger than max 0"):
        mg.zeros(2).clip(1, 0)
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2]).exp()


def test_unsupported_operand():
    with pytest.raises(TypeError, match="unsupported operand of type str"):
        mg.zeros(2) + "a"


def test_setitem_on_a_tensor_requiring_grad():
    x = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 1.0
    with mg.no_grad():
        x[0] = 1.0
    assert x.numpy()[0] == 1.0


def test_bad_seed_and_shapes():
    with pytest.raises(ValueError, match="seed"):
        mg.manual_seed(-1)
    with pytest.raises(ValueError, match="non-negative"):
        mg.zeros(2, -1)
