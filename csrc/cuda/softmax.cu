// Row kernels along the last axis of a (rows, cols) array: softmax, log_softmax, logsumexp.
//
// Contract (minigrad/backend/reference.py): C-contiguous (rows, cols) inputs, `out` of the same
// shape (logsumexp: (rows,)), all float or all double. One block per row (a grid-stride loop
// over rows when rows > gridDim.x); the block's threads stride along the row and combine
// their partial max / sum with warp shuffles, then across warps through shared memory.
// blockDim.x must be a multiple of 32 (minigrad/backend/cuda.py launches it so).
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.
//
// NaN: the max skips a NaN (comparisons with NaN are false), but that NaN then enters
// exp(x - max) and the row sum, so the whole row comes out NaN, as in the reference.

__device__ __forceinline__ float mg_exp(float v) { return expf(v); }
__device__ __forceinline__ double mg_exp(double v) { return exp(v); }

template <typename T> __device__ __forceinline__ T neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double neg_inf<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}

struct Sum {
    template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct Max {
    template <typename T> __device__ T operator()(T a, T b) const { return b > a ? b : a; }
};

// Every thread gets op over all threads' v.
template <typename T, typename Op>
__device__ T block_allreduce(T v, Op op) {
    __shared__ T warp_result[32];
    for (int offset = 16; offset > 0; offset >>= 1)
        v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    __syncthreads();  // a previous call's readers may still be reading warp_result
    if ((threadIdx.x & 31) == 0) warp_result[threadIdx.x >> 5] = v;
    __syncthreads();
    // <= 32 shared-memory broadcasts: cheaper than a second shuffle round plus another barrier.
    T r = warp_result[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); ++w) r = op(r, warp_result[w]);
    return r;
}

template <typename T>
__device__ T row_max(const T* x, long long cols) {
    T m = neg_inf<T>();
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = Max()(m, x[j]);
    return block_allreduce(m, Max());
}

// Row sums are accumulated in double, as the Cython kernels and reduce.cu do: a float sum over
// a long row loses digits the float result still shows (log_softmax_backward on (511, 257)).
template <typename T>
__device__ double row_sum_exp(const T* x, T m, long long cols) {
    double s = 0;
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mg_exp(x[j] - m);
    return block_allreduce(s, Sum());
}

#define ROW_LOOP(r, rows) for (long long r = blockIdx.x; r < (rows); r += gridDim.x)

// out[r] = exp(x[r] - max x[r]) / sum_j exp(x[r,j] - max x[r])
template <typename T>
__device__ void softmax_forward(const T* x, T* out, long long rows, long long cols) {
    ROW_LOOP(r, rows) {
        const T* xr = x + r * cols;
        T* yr = out + r * cols;
        const T m = row_max(xr, cols);
        double partial = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const T e = mg_exp(xr[j] - m);
            yr[j] = e;  // each thread rereads only the entries it wrote
            partial += e;
        }
        const T s = (T)block_allreduce(partial, Sum());
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = yr[j] / s;
    }
}

// out[r] = x[r] - max x[r] - log sum_j exp(x[r,j] - max x[r])
template <typename T>
__device__ void log_softmax_forward(const T* x, T* out, long long rows, long long cols) {
    ROW_LOOP(r, rows) {
        const T* xr = x + r * cols;
        const T m = row_max(xr, cols);
        const T log_s = (T)log(row_sum_exp(xr, m, cols));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = (xr[j] - m) - log_s;
    }
}

// out[r] = max x[r] + log sum_j exp(x[r,j] - max x[r]);  out is (rows,)
template <typename T>
__device__ void logsumexp_forward(const T* x, T* out, long long rows, long long cols) {
    ROW_LOOP(r, rows) {
        const T* xr = x + r * cols;
        const T m = row_max(xr, cols);
        const double s = row_sum_exp(xr, m, cols);
        // a +inf entry, or every entry -inf: the max itself, as torch (m + log s is NaN there)
        if (threadIdx.x == 0) out[r] = isinf(m) ? m : m + (T)log(s);
    }
}

// out[r] = y[r] * (grad[r] - sum_j grad[r,j] y[r,j]),  y = softmax(x)
template <typename T>
__device__ void softmax_backward(const T* y, const T* grad, T* out, long long rows,
                                 long long cols) {
    ROW_LOOP(r, rows) {
        const T* yr = y + r * cols;
        const T* gr = grad + r * cols;
        double partial = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) partial += (double)gr[j] * yr[j];
        const T dot = (T)block_allreduce(partial, Sum());
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = yr[j] * (gr[j] - dot);
    }
}

// out[r] = grad[r] - exp(y[r]) * sum_j grad[r,j],  y = log_softmax(x)
template <typename T>
__device__ void log_softmax_backward(const T* y, const T* grad, T* out, long long rows,
                                     long long cols) {
    ROW_LOOP(r, rows) {
        const T* yr = y + r * cols;
        const T* gr = grad + r * cols;
        double partial = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) partial += gr[j];
        const T gsum = (T)block_allreduce(partial, Sum());
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = gr[j] - mg_exp(yr[j]) * gsum;
    }
}

// ---- one unmangled entry point per operation and dtype ---------------------------------------

#define FORWARD_ENTRY(op, T, suffix)                                                          \
    extern "C" __global__ void op##_##suffix(const T* x, T* out, long long rows, long long cols) { \
        op<T>(x, out, rows, cols);                                                            \
    }
#define BACKWARD_ENTRY(op, T, suffix)                                                       \
    extern "C" __global__ void op##_##suffix(const T* y, const T* grad, T* out, long long rows, \
                                             long long cols) {                              \
        op<T>(y, grad, out, rows, cols);                                                    \
    }

FORWARD_ENTRY(softmax_forward, float, f32)
FORWARD_ENTRY(softmax_forward, double, f64)
FORWARD_ENTRY(log_softmax_forward, float, f32)
FORWARD_ENTRY(log_softmax_forward, double, f64)
FORWARD_ENTRY(logsumexp_forward, float, f32)
FORWARD_ENTRY(logsumexp_forward, double, f64)
BACKWARD_ENTRY(softmax_backward, float, f32)
BACKWARD_ENTRY(softmax_backward, double, f64)
BACKWARD_ENTRY(log_softmax_backward, float, f32)
BACKWARD_ENTRY(log_softmax_backward, double, f64)
