"""One flat vector from many parameters and back, as torch.nn.utils (for second-order and
evolutionary methods, which see the model as one point θ ∈ ℝⁿ).

    parameters_to_vector(ps)      θ = cat(p₁.reshape(-1), …, p_k.reshape(-1))  (differentiable)
    vector_to_parameters(θ, ps)   writes the pieces of θ back into p₁ … p_k, in order

**Difference from torch:** ``vector_to_parameters`` copies the values into each parameter's
own array (torch makes each parameter a view of ``vec`` by rebinding ``param.array``). A
parameter's array stays its own contiguous buffer, which the fused optimizer kernels update in
place; as a view, an optimizer step would also write into the caller's vector. For the same
reason a dtype that differs from a parameter's is refused (torch would change the parameter's
dtype), and so is a vector whose length is not the parameters' total (torch ignores a tail).
"""
from ...ops import concatenate
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _same_device(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Tensor")
        if p.device != parameters[0].device:
            raise TypeError(f"Found two parameters on different devices: {parameters[0].device} "
                            f"(parameter 0) and {p.device} (parameter {i})")
    return parameters


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated in order, as one 1-D tensor (differentiable)."""
    parameters = _same_device(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector needs at least one parameter")
    return concatenate([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of the 1-D ``vec`` into the parameters, in order (no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    parameters = _same_device(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vec must be a 1-D tensor of {total} values (the parameters' total), "
                         f"got shape {vec.shape}")
    start = 0
    for i, p in enumerate(parameters):
        if vec.dtype != p.dtype or vec.device != p.device:
            raise TypeError(f"vec is {vec.dtype} on {vec.device} but parameter {i} is {p.dtype} "
                            f"on {p.device}; convert one of them first")
        p.array[...] = vec.array[start:start + p.numel()].reshape(p.shape)
        start += p.numel()
