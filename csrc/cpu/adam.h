/* The Adam / AdamW update of a span of elements (no amsgrad), for optim.pyx's adam_step.
 *
 * The same arithmetic as optim.pyx's _adam_element, operation for operation, but compiled for
 * AVX-512, AVX2 and baseline x86-64 (target_clones; the loader picks the widest the CPU has):
 * the update's sqrt and two divisions made the 4-wide SSE2 loop compute-bound, at 0.94 ns per
 * element in cache against 0.74 for AVX2 (1.41 vs 1.20 ns on 10M elements, one thread), so
 * two threads could not reach the memory's bandwidth. optim.pyx is built with
 * -ffp-contract=off: a clone with FMA must not fuse b1*m + (1-b1)*g into one rounding, or the
 * fused step would differ from the readable one (minigrad/optim/adam.py) in the last bit.
 *
 *   g = ±grad (+ wd·w);  m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g²;
 *   w ← w + [neg_step·(m / (√v / bc2 + eps)) (+ neg_decay·w)]
 *
 * The flags are loop-invariant selects (both values computed), so every clone vectorises.
 */
#ifndef MINIGRAD_ADAM_H
#define MINIGRAD_ADAM_H

#include <math.h>
#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) \
    && __GNUC__ >= 8
#  define MG_ADAM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#  define MG_ADAM_CLONES
#endif

#define MG_ADAM_SPAN(T, SUF, SQRT)                                                           \
static MG_ADAM_CLONES void mg_adam_span_##SUF(                                               \
    T *param, const T *grad, T *exp_avg, T *exp_avg_sq, ptrdiff_t n, int maximize,           \
    int has_wd, T wd, int has_decoupled, T neg_decay, T b1, T one_minus_b1, T b2,             \
    T one_minus_b2, T neg_step, T bc2, T eps)                                                \
{                                                                                            \
    _Pragma("omp simd")                                                                      \
    for (ptrdiff_t i = 0; i < n; i++) {                                                      \
        T w = param[i];                                                                      \
        T g = maximize ? -grad[i] : grad[i];                                                 \
        g = has_wd ? g + wd * w : g;                                                         \
        T m = b1 * exp_avg[i] + one_minus_b1 * g;                                            \
        T v = b2 * exp_avg_sq[i] + one_minus_b2 * (g * g);                                   \
        exp_avg[i] = m;                                                                      \
        exp_avg_sq[i] = v;                                                                   \
        T update = neg_step * (m / (SQRT(v) / bc2 + eps));                                   \
        update = has_decoupled ? update + neg_decay * w : update;                            \
        param[i] = w + update;                                                               \
    }                                                                                        \
}

MG_ADAM_SPAN(float, f, sqrtf)
MG_ADAM_SPAN(double, d, sqrt)

#endif /* MINIGRAD_ADAM_H */
