# distutils: extra_compile_args = -fno-math-errno -ffp-contract=off
# (above: gcc's default -fmath-errno makes every sqrt branch into libm to set errno for a
# negative input, which stops the loops below from vectorising: AdamW on 10M floats took
# 17.7 ms instead of ~5. No kernel reads errno, and the flag changes no result: sqrt(−x) is
# still NaN and rounding is untouched. -ffp-contract=off: adam.h's AVX2/AVX-512 builds must
# not fuse a·b + c into an FMA (one rounding instead of two: not the readable path's bits).
# Cython merges this line into setup.py's flags.)
"""Fused optimizer updates: one pass over a parameter and its state per step.

Contract (minigrad/backend/reference.py, ``OPTIM_KERNELS``): ``param`` and the state buffers
are updated IN PLACE (they are the kernels' ``out``); arrays are 1-D, C-contiguous, all float32
or all double (``cython.floating``), of equal length. A buffer an update does not use (the
momentum buffer at momentum 0, ...) may be any array: it is never touched. The numbers and
flags of the step come in one spec (minigrad/backend/specs.py: ``AdamSpec`` ...), read here by
field name into typed locals before the loop.

The arithmetic is the readable path's (minigrad/optim/*.py) operation for operation, with the
scalars cast to the array's dtype exactly where numpy casts a Python float, so the fused and
readable paths agree to the last bit (no -ffast-math, no FMA contraction on baseline x86-64).

How the flags are handled, so that gcc vectorises every loop (a loop with a branch in it is
not vectorised: 17.7 ms for AdamW on 10M floats instead of ~5):
  * each optimizer's update of ONE element is written once, in a ``cdef inline`` function
    taking all its flags;
  * flags that decide which buffers are read or written (amsgrad, momentum, centered) select
    between a few prange loops that call that function with the flag as a literal constant,
    which gcc folds after inlining: one kernel per optimizer, not one per flag combination;
  * flags that only change arithmetic (maximize, weight_decay, decoupled decay, nesterov) are
    selects between two values both computed unconditionally (``_pick``): the same numbers as
    a branch, but no control flow.
"""
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

cdef extern from "adam.h" nogil:
    # Adam without amsgrad on a span, built per instruction set (AVX-512/AVX2/baseline): the
    # same arithmetic as _adam_element below, which stays the readable one (adam.h says why).
    void mg_adam_span_f(float*, const float*, float*, float*, Py_ssize_t, int, int, float, int,
                        float, float, float, float, float, float, float, float)
    void mg_adam_span_d(double*, const double*, double*, double*, Py_ssize_t, int, int, double,
                        int, double, double, double, double, double, double, double, double)

#: Elements per span of adam.h's kernel: threads take whole spans (64 KiB of float32 each).
cdef enum:
    SPAN = 16384


cdef inline floating _sqrt(floating v) noexcept nogil:
    if floating is float:
        return sqrtf(v)
    else:
        return sqrt(v)


cdef inline floating _pick(bint flag, floating if_true, floating if_false) noexcept nogil:
    # Both arguments are already computed: a select, not a branch around a computation.
    return if_true if flag else if_false


cdef inline Py_ssize_t _same_size(Py_ssize_t a, Py_ssize_t b) except -1:
    # Without boundscheck a size mismatch would read or write past the end of a buffer.
    if a != b:
        raise ValueError(f"size mismatch: param has {a} elements, an input has {b}")
    return a


cdef inline floating _signed_grad(const floating* grad, floating w, Py_ssize_t i,
                                  bint maximize, bint has_wd, floating wd) noexcept nogil:
    """g = ±grad (+ λw, coupled L2)."""
    cdef floating g = _pick(maximize, -grad[i], grad[i])
    return _pick(has_wd, g + wd * w, g)


# ---- SGD -------------------------------------------------------------------------------------

cdef inline void _sgd_element(Py_ssize_t i, floating* param, const floating* grad,
                              floating* buf, bint has_momentum, bint first_step,
                              bint nesterov, bint maximize, bint has_wd, floating wd,
                              floating mu, floating one_minus_tau,
                              floating neg_lr) noexcept nogil:
    cdef floating w = param[i], b
    cdef floating g = _signed_grad(grad, w, i, maximize, has_wd, wd)
    if has_momentum:                # a literal at every call site: folded away
        if first_step:
            b = g
        else:
            b = mu * buf[i] + one_minus_tau * g
        buf[i] = b
        g = _pick(nesterov, g + mu * b, b)
    param[i] = w + neg_lr * g


def sgd_step(floating[::1] param, const floating[::1] grad, floating[::1] momentum_buffer,
             spec, int nthreads):
    """torch.optim.SGD on one parameter (spec: ``SgdSpec``):

        g = ±grad (+ λw);  b = g (first step) or μb + (1−τ)g;  d = g + μb (Nesterov) or b;
        w ← w + (−lr)·d
    """
    cdef double lr = spec.lr, weight_decay = spec.coupled_weight_decay
    cdef double momentum = spec.momentum, dampening = spec.dampening
    cdef bint nesterov = spec.nesterov, maximize = spec.maximize, first_step = spec.first_step
    cdef Py_ssize_t i, n = param.shape[0]
    _same_size(n, grad.shape[0])
    if momentum != 0:
        _same_size(n, momentum_buffer.shape[0])
    if n == 0:
        return
    cdef floating* P = &param[0]
    cdef const floating* G = &grad[0]
    cdef floating* B = &momentum_buffer[0]
    cdef floating neg_lr = <floating>(-lr), wd = <floating>weight_decay
    cdef floating mu = <floating>momentum, one_minus_tau = <floating>(1.0 - dampening)
    cdef bint has_wd = weight_decay != 0
    with nogil:
        if momentum == 0:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _sgd_element(i, P, G, B, False, False, nesterov, maximize, has_wd, wd, mu,
                             one_minus_tau, neg_lr)
        elif first_step:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _sgd_element(i, P, G, B, True, True, nesterov, maximize, has_wd, wd, mu,
                             one_minus_tau, neg_lr)
        else:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _sgd_element(i, P, G, B, True, False, nesterov, maximize, has_wd, wd, mu,
                             one_minus_tau, neg_lr)


# ---- Adam / AdamW ----------------------------------------------------------------------------

cdef inline void _adam_element(Py_ssize_t i, floating* param, const floating* grad,
                               floating* exp_avg, floating* exp_avg_sq,
                               floating* max_exp_avg_sq, bint amsgrad, bint maximize,
                               bint has_wd, floating wd, bint has_decoupled,
                               floating neg_decay, floating b1, floating one_minus_b1,
                               floating b2, floating one_minus_b2, floating neg_step,
                               floating bc2, floating e) noexcept nogil:
    cdef floating w = param[i], vhat, vmax, update
    cdef floating g = _signed_grad(grad, w, i, maximize, has_wd, wd)
    cdef floating m = b1 * exp_avg[i] + one_minus_b1 * g
    cdef floating v = b2 * exp_avg_sq[i] + one_minus_b2 * (g * g)
    exp_avg[i] = m
    exp_avg_sq[i] = v
    vhat = v
    if amsgrad:                     # a literal at every call site: folded away
        vmax = max_exp_avg_sq[i]
        vhat = _pick(vmax >= v, vmax, v)       # NaN in v propagates, as np.maximum
        max_exp_avg_sq[i] = vhat
    update = neg_step * (m / (_sqrt(vhat) / bc2 + e))
    update = _pick(has_decoupled, update + neg_decay * w, update)
    param[i] = w + update


cdef inline void _adam_span(floating* P, const floating* G, floating* M, floating* V,
                            Py_ssize_t lo, Py_ssize_t hi, bint maximize, bint has_wd,
                            floating wd, bint has_decoupled, floating neg_decay, floating b1,
                            floating one_minus_b1, floating b2, floating one_minus_b2,
                            floating neg_step, floating bc2, floating e) noexcept nogil:
    if floating is float:
        mg_adam_span_f(P + lo, G + lo, M + lo, V + lo, hi - lo, maximize, has_wd, wd,
                       has_decoupled, neg_decay, b1, one_minus_b1, b2, one_minus_b2, neg_step,
                       bc2, e)
    else:
        mg_adam_span_d(P + lo, G + lo, M + lo, V + lo, hi - lo, maximize, has_wd, wd,
                       has_decoupled, neg_decay, b1, one_minus_b1, b2, one_minus_b2, neg_step,
                       bc2, e)


def adam_step(floating[::1] param, const floating[::1] grad, floating[::1] exp_avg,
              floating[::1] exp_avg_sq, floating[::1] max_exp_avg_sq, spec, int nthreads):
    """torch.optim.Adam / AdamW on one parameter (spec: ``AdamSpec``; step_size = lr/(1 − β₁ᵗ)):

        g = ±grad (+ λw, coupled);  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  v̂ = max(v̂, v)
        w ← w + [(−step_size)·m / (√v̂ / √(1−β₂ᵗ) + ε)  +  (−decoupled_decay)·w]
    """
    cdef double step_size = spec.step_size, bias_correction2_sqrt = spec.bias_correction2_sqrt
    cdef double beta1 = spec.beta1, beta2 = spec.beta2, eps = spec.eps
    cdef double weight_decay = spec.coupled_weight_decay, decoupled_decay = spec.decoupled_decay
    cdef bint amsgrad = spec.amsgrad, maximize = spec.maximize
    cdef Py_ssize_t i, s, n = param.shape[0]
    _same_size(n, grad.shape[0])
    _same_size(n, exp_avg.shape[0])
    _same_size(n, exp_avg_sq.shape[0])
    if amsgrad:
        _same_size(n, max_exp_avg_sq.shape[0])
    if n == 0:
        return
    cdef floating* P = &param[0]
    cdef const floating* G = &grad[0]
    cdef floating* M = &exp_avg[0]
    cdef floating* V = &exp_avg_sq[0]
    cdef floating* VMAX = &max_exp_avg_sq[0]
    cdef floating b1 = <floating>beta1, one_minus_b1 = <floating>(1.0 - beta1)
    cdef floating b2 = <floating>beta2, one_minus_b2 = <floating>(1.0 - beta2)
    cdef floating neg_step = <floating>(-step_size), bc2 = <floating>bias_correction2_sqrt
    cdef floating e = <floating>eps, wd = <floating>weight_decay
    cdef floating neg_decay = <floating>(-decoupled_decay)
    cdef bint has_wd = weight_decay != 0, has_decoupled = decoupled_decay != 0
    with nogil:
        if amsgrad:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _adam_element(i, P, G, M, V, VMAX, True, maximize, has_wd, wd, has_decoupled,
                              neg_decay, b1, one_minus_b1, b2, one_minus_b2, neg_step, bc2, e)
        else:
            # _adam_element(i, ..., amsgrad=False, ...) for every i, one span per call
            for s in prange((n + SPAN - 1) // SPAN, schedule='static', num_threads=nthreads):
                _adam_span(P, G, M, V, s * SPAN, min(n, s * SPAN + SPAN), maximize, has_wd, wd,
                           has_decoupled, neg_decay, b1, one_minus_b1, b2, one_minus_b2,
                           neg_step, bc2, e)


# ---- RMSprop ---------------------------------------------------------------------------------

cdef inline void _rmsprop_element(Py_ssize_t i, floating* param, const floating* grad,
                                  floating* square_avg, floating* grad_avg, floating* buf,
                                  bint centered, bint has_momentum, bint maximize,
                                  bint has_wd, floating wd, floating a, floating one_minus_a,
                                  floating e, floating mu, floating neg_lr) noexcept nogil:
    cdef floating w = param[i], ga, avg, b
    cdef floating g = _signed_grad(grad, w, i, maximize, has_wd, wd)
    cdef floating s = a * square_avg[i] + one_minus_a * (g * g)
    square_avg[i] = s
    if centered:                    # literals at every call site: folded away
        ga = a * grad_avg[i] + one_minus_a * g
        grad_avg[i] = ga
        avg = _sqrt(s - ga * ga) + e
    else:
        avg = _sqrt(s) + e
    if has_momentum:
        b = mu * buf[i] + g / avg
        buf[i] = b
        param[i] = w + neg_lr * b
    else:
        param[i] = w + neg_lr * (g / avg)


def rmsprop_step(floating[::1] param, const floating[::1] grad, floating[::1] square_avg,
                 floating[::1] grad_avg, floating[::1] momentum_buffer, spec, int nthreads):
    """torch.optim.RMSprop on one parameter (spec: ``RmspropSpec``):

        g = ±grad (+ λw);  s = αs + (1−α)g²;  ḡ = αḡ + (1−α)g (centered);
        a = √(s − ḡ²) + ε (centered) or √s + ε;
        w ← w + (−lr)·b with b = μb + g/a (momentum > 0), else w ← w + (−lr)·(g/a)
    """
    cdef double lr = spec.lr, alpha = spec.alpha, eps = spec.eps
    cdef double weight_decay = spec.coupled_weight_decay, momentum = spec.momentum
    cdef bint centered = spec.centered, maximize = spec.maximize
    cdef Py_ssize_t i, n = param.shape[0]
    _same_size(n, grad.shape[0])
    _same_size(n, square_avg.shape[0])
    if centered:
        _same_size(n, grad_avg.shape[0])
    if momentum > 0:
        _same_size(n, momentum_buffer.shape[0])
    if n == 0:
        return
    cdef floating* P = &param[0]
    cdef const floating* G = &grad[0]
    cdef floating* S = &square_avg[0]
    cdef floating* GA = &grad_avg[0]
    cdef floating* B = &momentum_buffer[0]
    cdef floating a = <floating>alpha, one_minus_a = <floating>(1.0 - alpha)
    cdef floating neg_lr = <floating>(-lr), e = <floating>eps, wd = <floating>weight_decay
    cdef floating mu = <floating>momentum
    cdef bint has_wd = weight_decay != 0
    with nogil:
        if centered and momentum > 0:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _rmsprop_element(i, P, G, S, GA, B, True, True, maximize, has_wd, wd, a,
                                 one_minus_a, e, mu, neg_lr)
        elif centered:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _rmsprop_element(i, P, G, S, GA, B, True, False, maximize, has_wd, wd, a,
                                 one_minus_a, e, mu, neg_lr)
        elif momentum > 0:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _rmsprop_element(i, P, G, S, GA, B, False, True, maximize, has_wd, wd, a,
                                 one_minus_a, e, mu, neg_lr)
        else:
            for i in prange(n, schedule='static', num_threads=nthreads):
                _rmsprop_element(i, P, G, S, GA, B, False, False, maximize, has_wd, wd, a,
                                 one_minus_a, e, mu, neg_lr)


# ---- Adagrad ---------------------------------------------------------------------------------

def adagrad_step(floating[::1] param, const floating[::1] grad, floating[::1] state_sum,
                 spec, int nthreads):
    """torch.optim.Adagrad on one parameter (spec: ``AdagradSpec``;
    clr = lr / (1 + (t−1)·lr_decay)):

        g = ±grad (+ λw);  G = G + g²;  w ← w + (−clr)·(g / (√G + ε))
    """
    cdef double clr = spec.clr, eps = spec.eps, weight_decay = spec.coupled_weight_decay
    cdef bint maximize = spec.maximize
    cdef Py_ssize_t i, n = param.shape[0]
    _same_size(n, grad.shape[0])
    _same_size(n, state_sum.shape[0])
    if n == 0:
        return
    cdef floating* P = &param[0]
    cdef const floating* G = &grad[0]
    cdef floating neg_clr = <floating>(-clr), e = <floating>eps, wd = <floating>weight_decay
    cdef bint has_wd = weight_decay != 0
    cdef floating g, w, s
    with nogil:
        for i in prange(n, schedule='static', num_threads=nthreads):
            w = P[i]
            g = _signed_grad(G, w, i, maximize, has_wd, wd)
            s = state_sum[i] + g * g
            state_sum[i] = s
            P[i] = w + neg_clr * (g / (_sqrt(s) + e))
