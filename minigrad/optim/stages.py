"""The update stages the optimizers share, each written once.

An update is a chain of stages, as in optax (``adamw = chain(scale_by_adam,
add_decayed_weights, scale_by_learning_rate)``). Each stage below takes the running gradient
or step, adds its one named term, records that term in ``terms`` (the dict ``mg.optim.trace``
reports) and hands the result on:

    signed_grad       grad = ∇f, or −∇f with ``maximize=True`` (ascent on f = descent on −f)
    l2                coupled weight decay: g ← g + λ·w, BEFORE any moment or momentum buffer
    decoupled_decay   decoupled weight decay: step ← step − s·λ·w, AFTER them
    update            the finished step; the optimizer then does w ← w + update

Between them each optimizer writes its own stages (moments, momentum, preconditioner), in its
own file. Where the decay sits in the chain is the whole difference between Adam's coupled
``weight_decay`` and AdamW::

    Adam:   signed_grad → l2 → moments → preconditioner → update
    AdamW:  signed_grad → moments → preconditioner → decoupled_decay → update

The fused kernels run the same stages in one pass over memory; the spec of each kernel
(minigrad/backend/specs.py) carries the same quantities by name: ``maximize``,
``coupled_weight_decay`` (λ of ``l2``), ``decoupled_decay`` (s·λ of ``decoupled_decay``).
"""


def decoupled_decay_factor(group):
    """The factor s in the decoupled decay term ``−s·λ·w``.

    ``decay_scaling="lr"`` (torch, optax, Keras): s = lr.
    ``decay_scaling="schedule"`` (the AdamW paper, Loshchilov & Hutter, and Chainer's Adam):
    s = η_t = lr / initial_lr, the schedule multiplier alone (1 without a scheduler, whose
    constructor is what sets ``initial_lr``, as torch's schedulers do).
    """
    if group["decay_scaling"] == "lr":
        return group["lr"]
    return group["lr"] / group.get("initial_lr", group["lr"])


def signed_grad(grad, group, terms):
    """grad = ∇f, or −∇f when ``group["maximize"]``: the gradient every later stage descends."""
    g = terms["grad"] = -grad if group["maximize"] else grad
    return g


def l2(g, w, group, terms):
    """Coupled weight decay, the gradient of (λ/2)‖w‖² added to the gradient:

        l2 = λ·w,   g ← g + l2          (λ = ``weight_decay``; skipped when λ = 0)

    Every later stage (moments, momentum, preconditioner) sees it: torch's ``weight_decay``.
    """
    lam = group["weight_decay"]
    if lam == 0:
        return g
    terms["l2"] = lam * w
    return g + terms["l2"]


def decoupled_decay(step, w, group, terms):
    """Decoupled weight decay, added to the finished step outside every buffer:

        decoupled_decay = −s·λ·w,   step ← step + decoupled_decay    (skipped when λ = 0)

    s = ``decoupled_decay_factor(group)``: lr, or the schedule multiplier alone.
    """
    lam = group["weight_decay"]
    if lam == 0:
        return step
    terms["decoupled_decay"] = -(decoupled_decay_factor(group) * lam) * w
    return step + terms["decoupled_decay"]


def update(step, terms):
    """update = the finished step (the base class applies w ← w + update); returns ``terms``."""
    terms["update"] = step
    return terms
