"""``Tensor.data`` is torch's (a tensor sharing the array, cut from the graph, writes not
counted) and ``Tensor.array`` is the backing ndarray; checked against torch's behaviour."""
import numpy as np
import pytest

import minigrad as mg


def test_data_is_a_detached_tensor_sharing_the_array():
    p = mg.nn.Parameter(mg.tensor([1.0, 2.0, 3.0]))
    d = p.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.grad_fn is None
    assert d.array is p.array
    d[0] = 10.0
    assert p.tolist() == [10.0, 2.0, 3.0]


def test_manual_sgd_through_data_add_matches_torch():
    torch = pytest.importorskip("torch")
    w0, g0 = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, -0.3])
    results = []
    for lib in (mg, torch):
        p = lib.nn.Parameter(lib.tensor(w0))
        (p * lib.tensor(g0)).sum().backward()
        p.data.add_(-0.1 * p.grad)
        p.data.mul_(2.0)
        results.append((p.detach().numpy().copy(), p.requires_grad, p._version))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] is results[1][1] is True
    assert results[0][2] == results[1][2] == 0   # writes through .data are not counted


def test_writes_through_data_do_not_trip_the_saved_tensor_check():
    # torch's escape hatch: changing a saved tensor through .data is not detected (the graph
    # then uses the new values); minigrad does the same
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.data.mul_(3.0)
    y.backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_setting_data_swaps_the_array():
    p = mg.nn.Parameter(mg.zeros(3))
    p.data = mg.ones(2, 2)
    assert p.shape == (2, 2) and p.requires_grad and p.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    p.data = np.full(2, 5.0, np.float32)      # an array of the right module is accepted too
    assert p.tolist() == [5.0, 5.0]


def test_setting_data_to_something_else_is_refused():
    p = mg.zeros(3)
    with pytest.raises(TypeError, match="list"):
        p.data = [1.0, 2.0]


def test_array_is_the_backing_ndarray():
    x = mg.tensor([1.0, 2.0])
    assert isinstance(x.array, np.ndarray)
    x.array[1] = 7.0
    assert x.tolist() == [1.0, 7.0]
