// Proximal-operator kernels of the penalties (minigrad/penalties.py): soft-thresholding and
// group soft-thresholding.
//
// Contract (minigrad/backend/reference.py, section "proximal operators"): C-contiguous inputs,
// `out` of the same shape, all float or all double; the scalar arguments arrive already rounded
// to the array's dtype (minigrad/backend/cuda.py passes them as numpy scalars of that dtype).
// One template per operation; the extern "C" wrappers give each dtype an unmangled name
// (<op>_f32, <op>_f64). Self-contained (no #include): CuPy compiles this file alone with NVRTC.

__device__ __forceinline__ float mg_abs(float v) { return fabsf(v); }
__device__ __forceinline__ double mg_abs(double v) { return fabs(v); }
__device__ __forceinline__ float mg_copysign(float m, float s) { return copysignf(m, s); }
__device__ __forceinline__ double mg_copysign(double m, double s) { return copysign(m, s); }

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)gridDim.x * blockDim.x)
#define ROW_LOOP(r, rows) for (long long r = blockIdx.x; r < (rows); r += gridDim.x)

// out[i] = sign(v[i]) * max(|v[i]| - threshold, 0) / divisor: the prox of L1 (divisor 1) and
// of the elastic net (divisor 1 + step*l2). NaN passes through (it fails `a <= 0`).
template <typename T>
__device__ void soft_threshold(const T* v, T threshold, T divisor, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        const T x = v[i];
        const T a = mg_abs(x) - threshold;
        out[i] = mg_copysign(a <= T(0) ? T(0) : a, x) / divisor;
    }
}

// Every thread gets the block's sum of v (blockDim.x a multiple of 32).
__device__ double block_allsum(double v) {
    __shared__ double warp_result[32];
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    __syncthreads();  // the previous row's readers may still be reading warp_result
    if ((threadIdx.x & 31) == 0) warp_result[threadIdx.x >> 5] = v;
    __syncthreads();
    double r = warp_result[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); ++w) r += warp_result[w];
    return r;
}

// out[r] = v[r] * max(1 - threshold / ||v[r]||_2, 0), one group per row, one block per row.
// The norm is accumulated in double for both dtypes. ||v[r]|| <= threshold (a zero row
// included) gives factor 0; a NaN norm fails `norm > t` and gives v*0, so NaN entries stay NaN.
template <typename T>
__device__ void group_soft_threshold(const T* v, T threshold, T* out, long long rows,
                                     long long cols) {
    ROW_LOOP(r, rows) {
        const T* vr = v + r * cols;
        T* yr = out + r * cols;
        double s = 0.0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += (double)vr[j] * (double)vr[j];
        const double norm = sqrt(block_allsum(s));
        const double t = (double)threshold;
        const double factor = norm > t ? 1.0 - t / norm : 0.0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = (T)(vr[j] * factor);
    }
}

// ---- one unmangled entry point per operation and dtype ---------------------------------------

#define SOFT_THRESHOLD_ENTRY(T, suffix)                                                        \
    extern "C" __global__ void soft_threshold_##suffix(const T* v, T threshold, T divisor,     \
                                                       T* out, long long n) {                  \
        soft_threshold<T>(v, threshold, divisor, out, n);                                      \
    }
#define GROUP_SOFT_THRESHOLD_ENTRY(T, suffix)                                                  \
    extern "C" __global__ void group_soft_threshold_##suffix(const T* v, T threshold, T* out,  \
                                                             long long rows, long long cols) { \
        group_soft_threshold<T>(v, threshold, out, rows, cols);                                \
    }

SOFT_THRESHOLD_ENTRY(float, f32)
SOFT_THRESHOLD_ENTRY(double, f64)
GROUP_SOFT_THRESHOLD_ENTRY(float, f32)
GROUP_SOFT_THRESHOLD_ENTRY(double, f64)
