"""mg.autograd.draw: the text tree (always) and the graphviz Digraph (when the package is here)."""
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def _mlp_loss():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = mg.randn(5, 4), mg.tensor([0, 1, 2, 0, 1])
    return model, F.cross_entropy(model(x), y)


def test_text_tree_names_every_node_parameter_and_saved_tensor():
    model, loss = _mlp_loss()
    text = mg.autograd.draw(loss, params=model, format="text")
    lines = text.splitlines()
    assert lines[0] == "output () float32"
    assert type(loss.grad_fn).__name__ in lines[1]
    # one line per Function node, numbered in forward order; the leaves by parameter name
    for k in range(6):
        assert sum(f"#{k} " in line and "Backward" in line for line in lines) == 1
    for name, p in model.named_parameters():
        assert f"{name} {tuple(p.shape)} float32" in text
    assert "#2 ReluBackward  in: (5, 8) float32  out: (5, 8) float32" in text
    assert "saved: 0.weight (8, 4) float32" in text
    assert "saved: output of #1 (5, 8) float32" in text  # relu saved its input
    assert mg.autograd.draw(loss, params=dict(model.named_parameters()), format="text") == text
    assert "saved" not in mg.autograd.draw(loss, params=model, show_saved=False, format="text")


def test_shared_node_is_drawn_once_then_referenced():
    x = mg.randn(3, requires_grad=True)
    h = x.exp()
    text = mg.autograd.draw((h * h).sum(), params={"x": x}, format="text")
    assert text.count("ExpBackward") == 2 and "(see #0 ExpBackward)" in text
    assert text.count("x (3,) float32") == 1


def test_after_backward_the_freed_saved_tensors_are_said():
    _, loss = _mlp_loss()
    loss.backward()
    assert "freed by backward" in mg.autograd.draw(loss, format="text")


def test_bad_arguments():
    with pytest.raises(TypeError, match="Tensor"):
        mg.autograd.draw([1, 2])
    with pytest.raises(ValueError, match="'svg'"):
        mg.autograd.draw(mg.ones(2, requires_grad=True).sum(), format="svg")
    with pytest.raises(TypeError, match="params"):
        mg.autograd.draw(mg.ones(2, requires_grad=True).sum(), params=[1])
    assert "no graph" in mg.autograd.draw(mg.ones(2), format="text")


def test_graphviz_digraph():
    graphviz = pytest.importorskip("graphviz")
    model, loss = _mlp_loss()
    dot = mg.autograd.draw(loss, params=model)
    assert isinstance(dot, graphviz.Digraph)
    src = dot.source
    assert src.count("Backward") == 6 and "0.weight (8, 4) float32" in src
    assert src.count("->") == 5 + 5 + 1  # node→node, leaf→node (x and 4 parameters), root
