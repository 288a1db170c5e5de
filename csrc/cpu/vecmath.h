/* exp / tanh for the Cython kernels, vectorisable without -ffast-math.
 *
 * Why: glibc's scalar expf costs ~5 ns and tanhf ~20 ns on this project's machines, while
 * numpy's SIMD exp costs ~0.5 ns per element, so fused kernels built on scalar libm calls lost
 * to the numpy reference they replace. glibc also ships SIMD versions of the same functions
 * (libmvec: _ZGVbN4v_expf, ...; at most 4 ulp, NaN/inf/overflow handled as in the scalar
 * ones), but gcc calls them only for functions declared `simd`, which math.h does only under
 * -ffast-math, and never for the exp builtin while -fmath-errno is on (the default).
 *
 * So mg_exp & co. are the libm symbols themselves (asm labels), declared
 *   simd  -- libmvec has vector variants under the vector-ABI names gcc derives from them;
 *   const -- no side effects (we never read errno), so calls may be reordered and vectorised.
 * No IEEE semantics change: NaN and inf behave as in libm, and the rest of each kernel keeps
 * strict IEEE arithmetic. The loops use SSE2 (x86-64 baseline, 4 floats / 2 doubles), so the
 * modules still run on any x86-64 CPU. -lm links libmvec (glibc's libm.so pulls it in).
 *
 * Elsewhere (clang, non-glibc, other CPUs, glibc without a variant) they are plain libm calls.
 */
#ifndef MINIGRAD_VECMATH_H
#define MINIGRAD_VECMATH_H

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER) && \
    defined(__x86_64__) && defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#  if __GLIBC_PREREQ(2, 22) /* libmvec exp/expf */
#    define MG_SIMD_EXP 1
#  endif
#  if __GLIBC_PREREQ(2, 35) /* libmvec tanh/tanhf */
#    define MG_SIMD_TANH 1
#  endif
#endif

#ifdef MG_SIMD_EXP
__attribute__((simd("notinbranch"), const)) float mg_expf(float) __asm__("expf");
__attribute__((simd("notinbranch"), const)) double mg_exp(double) __asm__("exp");
#else
#  define mg_expf expf
#  define mg_exp exp
#endif

#ifdef MG_SIMD_TANH
__attribute__((simd("notinbranch"), const)) float mg_tanhf(float) __asm__("tanhf");
__attribute__((simd("notinbranch"), const)) double mg_tanh(double) __asm__("tanh");
#else
#  define mg_tanhf tanhf
#  define mg_tanh tanh
#endif

#endif /* MINIGRAD_VECMATH_H */
