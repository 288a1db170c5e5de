"""einsum: products summed over named axes (torch.einsum / numpy.einsum), differentiable.

    out[o] = Σ over the letters not in o of  Π_k operand_k[s_k]

The derivative with respect to one operand is another einsum: the output gradient times the
other operands, with the operand's own subscripts as the output,

    d/d operand_i:   G ↦ einsum("o, s_j (j ≠ i) -> s_i", G, other operands)

two details aside, each handled by a constant operand so that it stays one einsum:

* a letter repeated in s_i ("ii", a diagonal or a trace) reads only the diagonal, so the
  gradient lives on the diagonal: the second copy is renamed and an identity matrix joins
  the two (the gradient of trace(A) is I);
* a letter of s_i that no other operand and not the output has was summed over: the gradient
  is constant along it, a vector of ones supplies the axis.

The backward calls ``einsum`` itself, so second derivatives come for free.

Equations: letters a–z and A–Z, "..." for the leading (broadcast) axes, an optional "->"
(without it the output is the "..." axes, then the letters that appear once, in ASCII order,
as torch). Axes of size 1 broadcast, as in torch.
"""
import string

from ..autograd import Function
from ..tensor import Tensor
from ._tangents import tangent_sum
from .shape import broadcast_to

__all__ = ["einsum"]


class Einsum(Function):
    """out = einsum(equation, *operands), the equation explicit ("ij,jk->ik"), the operands of
    consistent sizes (``einsum`` below resolves ellipses and broadcasting first).

    Linear in each operand, so the jvp is the product rule: Σᵢ einsum(equation, operands with
    the i-th replaced by its tangent tᵢ), over the operands that have one.
    """

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        xp = operands[0].backend.xp
        return xp.einsum(equation, *[t.array for t in operands], optimize=len(operands) > 1)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.equation.split("->")
        subscripts = inputs.split(",")
        grads = [None]
        for i, (op, subs) in enumerate(zip(operands, subscripts)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            terms, tensors = [output], [grad]
            terms += [s for j, s in enumerate(subscripts) if j != i]
            tensors += [t for j, t in enumerate(operands) if j != i]
            target, extra_terms, extra = _gradient_target(op, subs, terms, ctx.equation)
            grads.append(Einsum.apply(",".join(terms + extra_terms) + "->" + target,
                                      *tensors, *extra))
        return tuple(grads)

    @staticmethod
    def jvp(ctx, _, *tangents):
        operands = ctx.saved_tensors
        return tangent_sum(*[
            None if t is None else Einsum.apply(ctx.equation, *operands[:i], t, *operands[i + 1:])
            for i, t in enumerate(tangents)])


def _gradient_target(op, subs, terms, equation):
    """The output subscripts of operand ``op``'s gradient (its own, repeats renamed) and the
    constant operands (identities for repeats, ones for letters summed only here)."""
    xp = op.backend.xp
    unused = iter(c for c in string.ascii_letters if c not in equation)
    target, extra_terms, extra = "", [], []
    for axis, letter in enumerate(subs):
        n = op.shape[axis]
        if letter in target:                  # a repeat: the diagonal of (letter, renamed)
            renamed = next(unused, None)
            if renamed is None:
                raise ValueError(f"einsum: too many letters in {equation!r} to differentiate")
            extra_terms.append(letter + renamed)
            extra.append(Tensor._wrap(xp.eye(n, dtype=op.dtype), op.device))
            target += renamed
            continue
        target += letter
        if subs.count(letter) == 1 and not any(letter in t for t in terms):
            extra_terms.append(letter)        # summed over in this operand only
            extra.append(Tensor._wrap(xp.ones(n, dtype=op.dtype), op.device))
    return target, extra_terms, extra


def einsum(equation, *operands):
    """Sums of products over the named axes of ``equation`` (see the module docstring):
    ``einsum("ij,jk->ik", a, b)`` is a @ b, ``einsum("ii->", a)`` the trace,
    ``einsum("bij,bjk->bik", a, b)`` a batched product. The operands may also come as one list.
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum needs at least one operand")
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: operand {k} is a {type(t).__name__}, not a Tensor")
        if t.dtype != operands[0].dtype or t.device != operands[0].device:
            raise TypeError(f"einsum: operand {k} is {t.dtype} on {t.device}, operand 0 "
                            f"{operands[0].dtype} on {operands[0].device}; convert one first")
    subscripts, output = _parse(equation, [t.shape for t in operands])
    sizes = _letter_sizes(equation, subscripts, [t.shape for t in operands])
    operands = [broadcast_to(t, tuple(sizes[c] for c in s)) for t, s in zip(operands, subscripts)]
    return Einsum.apply(",".join(subscripts) + "->" + output, *operands)


def _parse(equation, shapes):
    """(the subscripts of each operand, the output's), with "..." written out as letters
    unused by the equation (right-aligned, as broadcasting aligns) and the implicit output
    made explicit."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"einsum: {equation!r} has more than one '->'")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {equation!r} names {len(terms)} operands, "
                         f"{len(shapes)} were given")
    for part in terms + ([out] if arrow else []):
        rest = part.replace("...", "", 1)
        if any(c not in string.ascii_letters for c in rest):
            raise ValueError(f"einsum: {equation!r}: subscripts are letters and one '...' "
                             f"per operand, got {part!r}")
    ellipsis_dims = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term and named <= len(shape):
            ellipsis_dims.append(len(shape) - named)
        elif named != len(shape):
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand of shape "
                             f"{shape}")
        else:
            ellipsis_dims.append(0)
    free = [c for c in string.ascii_letters if c not in eq]
    if max(ellipsis_dims) > len(free):
        raise ValueError(f"einsum: too many axes under '...' in {equation!r}")
    broadcast = "".join(free[:max(ellipsis_dims)])
    subscripts = [t.replace("...", broadcast[len(broadcast) - k:] if k else "")
                  for t, k in zip(terms, ellipsis_dims)]
    if arrow:
        output = out.replace("...", broadcast)   # without "...", those axes are summed over
    else:
        letters = lhs.replace("...", "").replace(",", "")
        output = broadcast + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for c in output:
        if output.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears more than once in "
                             f"{equation!r}")
        if not any(c in s for s in subscripts):
            raise ValueError(f"einsum: output subscript {c!r} of {equation!r} is in no operand")
    return subscripts, output


def _letter_sizes(equation, subscripts, shapes):
    """Each letter's size; a size of 1 broadcasts to the others' (ValueError if they differ)."""
    sizes = {}
    for s, shape in zip(subscripts, shapes):
        for c, n in zip(s, shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n != 1 and n != sizes[c]:
                raise ValueError(f"einsum: {equation!r}: a subscript has sizes {sizes[c]} and "
                                 f"{n} in different operands (shapes {shapes})")
    return sizes
