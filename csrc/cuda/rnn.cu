// The LSTM cell's pointwise gate math in one pass (used when no backward graph is recorded).
//
// Contract (minigrad/backend/reference.py, lstm_pointwise_forward): gates (B, 4H) =
// [i | f | g | o] pre-activations in torch's order, c, h_out, c_out (B, H); C-contiguous, all
// float or all double:
//     c_out = sigmoid(f) * c + sigmoid(i) * tanh(g)        h_out = sigmoid(o) * tanh(c_out)
// One thread per (b, j) element, grid-stride. The readable twin is lstm_pointwise_ops in
// minigrad/nn/_rnn_cells.py; the Cython twin csrc/cpu/rnn.pyx.
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.

__device__ __forceinline__ float mg_exp(float v) { return expf(v); }
__device__ __forceinline__ double mg_exp(double v) { return exp(v); }
__device__ __forceinline__ float mg_abs(float v) { return fabsf(v); }
__device__ __forceinline__ double mg_abs(double v) { return fabs(v); }
__device__ __forceinline__ float mg_tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double mg_tanh(double v) { return tanh(v); }

// sigmoid via e = exp(-|v|) in (0, 1]: exp never overflows; sigmoid(NaN) = NaN.
template <typename T>
__device__ __forceinline__ T mg_sigmoid(T v) {
    const T e = mg_exp(-mg_abs(v));
    return (v >= T(0) ? T(1) : e) / (T(1) + e);
}

template <typename T>
__device__ void lstm_pointwise_forward(const T* gates, const T* c, T* h_out, T* c_out,
                                       long long rows, long long hidden) {
    const long long n = rows * hidden;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < n;
         k += (long long)gridDim.x * blockDim.x) {
        const long long b = k / hidden, j = k - b * hidden;
        const T* g = gates + b * 4 * hidden;
        const T c_new = mg_sigmoid(g[hidden + j]) * c[k]
                        + mg_sigmoid(g[j]) * mg_tanh(g[2 * hidden + j]);
        c_out[k] = c_new;
        h_out[k] = mg_sigmoid(g[3 * hidden + j]) * mg_tanh(c_new);
    }
}

extern "C" __global__ void lstm_pointwise_forward_f32(const float* gates, const float* c,
                                                      float* h_out, float* c_out,
                                                      long long rows, long long hidden) {
    lstm_pointwise_forward(gates, c, h_out, c_out, rows, hidden);
}

extern "C" __global__ void lstm_pointwise_forward_f64(const double* gates, const double* c,
                                                      double* h_out, double* c_out,
                                                      long long rows, long long hidden) {
    lstm_pointwise_forward(gates, c, h_out, c_out, rows, hidden);
}
