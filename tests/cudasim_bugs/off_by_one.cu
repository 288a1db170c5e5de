// PLANTED BUG (tests/test_cudasim_planted.py): a copy of csrc/cuda/activation.cu with one bug:
//   GRID_STRIDE_LOOP runs to i <= n: one element past the end is read and written

// Fused activation kernels: y = f(x) and dx = dy * f'(x), one pass each.
//
// Contract (minigrad/backend/reference.py): flat C-contiguous arrays of n elements, all float
// or all double, writing into the caller's `out`. Each operation is one template; the
// extern "C" wrappers below give each dtype an unmangled name (<op>_f32, <op>_f64) that
// minigrad/backend/cuda.py looks up. Grid-stride loops, so any grid size covers any n.
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.

__device__ __forceinline__ float mg_exp(float v) { return expf(v); }
__device__ __forceinline__ double mg_exp(double v) { return exp(v); }
__device__ __forceinline__ float mg_abs(float v) { return fabsf(v); }
__device__ __forceinline__ double mg_abs(double v) { return fabs(v); }
__device__ __forceinline__ float mg_tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double mg_tanh(double v) { return tanh(v); }

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i <= (n); \
         i += (long long)gridDim.x * blockDim.x)

// out[i] = max(x[i], 0);  relu(NaN) = NaN, as torch: NaN fails `v <= 0` and passes through.
template <typename T>
__device__ void relu_forward(const T* x, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        const T v = x[i];
        out[i] = (v <= T(0)) ? T(0) : v;
    }
}

// out[i] = grad[i] * [x[i] > 0]  (0 at x = 0, as torch). A product, as in the reference, so
// grad = ±inf where x <= 0 gives NaN there too.
template <typename T>
__device__ void relu_backward(const T* x, const T* grad, T* out, long long n) {
    // x <= 0, not !(x > 0): a NaN x passes the gradient on, as torch's threshold_backward
    GRID_STRIDE_LOOP(i, n) { out[i] = grad[i] * (x[i] <= T(0) ? T(0) : T(1)); }
}

// out[i] = 1 / (1 + exp(-x[i])), via e = exp(-|x|) in (0, 1] so exp never overflows:
// x >= 0 -> 1 / (1 + e),  x < 0 -> e / (1 + e).
template <typename T>
__device__ void sigmoid_forward(const T* x, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        const T v = x[i];
        const T e = mg_exp(-mg_abs(v));
        out[i] = (v >= T(0) ? T(1) : e) / (T(1) + e);
    }
}

// out[i] = grad[i] * y[i] * (1 - y[i]),  y = sigmoid(x)
template <typename T>
__device__ void sigmoid_backward(const T* y, const T* grad, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        const T v = y[i];
        out[i] = grad[i] * (v * (T(1) - v));
    }
}

// out[i] = tanh(x[i])
template <typename T>
__device__ void tanh_forward(const T* x, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) { out[i] = mg_tanh(x[i]); }
}

// out[i] = grad[i] * (1 - y[i]^2),  y = tanh(x)
template <typename T>
__device__ void tanh_backward(const T* y, const T* grad, T* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        const T v = y[i];
        out[i] = grad[i] * (T(1) - v * v);
    }
}

// ---- one unmangled entry point per operation and dtype ---------------------------------------

#define UNARY_ENTRY(op, T, suffix) \
    extern "C" __global__ void op##_##suffix(const T* x, T* out, long long n) { op<T>(x, out, n); }
#define BINARY_ENTRY(op, T, suffix)                                                   \
    extern "C" __global__ void op##_##suffix(const T* a, const T* grad, T* out, long long n) { \
        op<T>(a, grad, out, n);                                                       \
    }

UNARY_ENTRY(relu_forward, float, f32)
UNARY_ENTRY(relu_forward, double, f64)
BINARY_ENTRY(relu_backward, float, f32)
BINARY_ENTRY(relu_backward, double, f64)
UNARY_ENTRY(sigmoid_forward, float, f32)
UNARY_ENTRY(sigmoid_forward, double, f64)
BINARY_ENTRY(sigmoid_backward, float, f32)
BINARY_ENTRY(sigmoid_backward, double, f64)
UNARY_ENTRY(tanh_forward, float, f32)
UNARY_ENTRY(tanh_forward, double, f64)
BINARY_ENTRY(tanh_backward, float, f32)
BINARY_ENTRY(tanh_backward, double, f64)
