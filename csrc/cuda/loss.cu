// Fused log-softmax + NLL (cross-entropy) per row, forward and backward.
//
// Contract (minigrad/backend/reference.py): logits x (N, C) C-contiguous, target int64 (N,),
// class weights w (C,), probs (N, C), loss (N,), float or double.
//   forward:  probs[r] = softmax(x[r]);  -log p[r, c] = lse(x[r]) - x[r, c]
//             loss[r] = (1 - eps) w[t] (-log p[r, t]) + (eps / C) sum_c w[c] (-log p[r, c])
//   backward: out[r] = grad[r] ((1 - eps) w[t] (p[r] - onehot(t)) + (eps / C)(W p[r] - w))
// Rows with t == ignore_index give 0. One thread per row (class counts are small in practice;
// sums in double). Self-contained (no #include): CuPy compiles this file alone with NVRTC.

template <typename T>
__device__ void cross_entropy_forward(const T* x, const long long* target, const T* w,
                                      double eps, long long ignore_index, T* probs, T* loss,
                                      long long N, long long C) {
    for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < N;
         r += (long long)gridDim.x * blockDim.x) {
        const T* xr = x + r * C;
        T* pr = probs + r * C;
        double m = xr[0], s = 0;
        for (long long c = 1; c < C; ++c) m = xr[c] > m ? xr[c] : m;
        for (long long c = 0; c < C; ++c) s += exp((double)xr[c] - m);
        for (long long c = 0; c < C; ++c) pr[c] = (T)(exp((double)xr[c] - m) / s);
        long long t = target[r];
        if (t == ignore_index) { loss[r] = T(0); continue; }
        // -log p_c = (m - x_c) + log s, in that order (m + log s rounds log s away at |m| >> 1)
        double log_s = log(s), smooth = 0;
        // only with smoothing: a masked (-inf) logit makes its term +inf, and 0 * inf is NaN
        if (eps != 0)
            for (long long c = 0; c < C; ++c) smooth += (double)w[c] * ((m - xr[c]) + log_s);
        loss[r] = (T)((1 - eps) * w[t] * ((m - xr[t]) + log_s) + eps / C * smooth);
    }
}

template <typename T>
__device__ void cross_entropy_backward(const T* probs, const long long* target, const T* w,
                                       double eps, long long ignore_index, const T* grad, T* out,
                                       long long N, long long C) {
    for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < N;
         r += (long long)gridDim.x * blockDim.x) {
        long long t = target[r];
        T* o = out + r * C;
        const T* pr = probs + r * C;
        if (t == ignore_index) { for (long long c = 0; c < C; ++c) o[c] = T(0); continue; }
        double wsum = 0;
        for (long long c = 0; c < C; ++c) wsum += w[c];
        double a = grad[r] * (1 - eps) * w[t], b = grad[r] * eps / C;
        for (long long c = 0; c < C; ++c) o[c] = (T)(a * pr[c] + b * (wsum * pr[c] - w[c]));
        o[t] = (T)(o[t] - a);
    }
}

#define CE_ENTRIES(T, suffix)                                                                   \
    extern "C" __global__ void cross_entropy_forward_##suffix(const T* x, const long long* t,   \
            const T* w, double eps, long long ignore, T* probs, T* loss, long long N,           \
            long long C) { cross_entropy_forward<T>(x, t, w, eps, ignore, probs, loss, N, C); } \
    extern "C" __global__ void cross_entropy_backward_##suffix(const T* p, const long long* t,  \
            const T* w, double eps, long long ignore, const T* g, T* out, long long N,          \
            long long C) { cross_entropy_backward<T>(p, t, w, eps, ignore, g, out, N, C); }

CE_ENTRIES(float, f32)
CE_ENTRIES(double, f64)

// erf (for nn's exact GELU, 0.5 x (1 + erf(x / sqrt 2))): elementwise, grid-stride.
template <typename T>
__device__ void erf_forward(const T* x, T* out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x)
        out[i] = erf(x[i]);
}
extern "C" __global__ void erf_forward_f32(const float* x, float* out, long long n) {
    erf_forward<float>(x, out, n);
}
extern "C" __global__ void erf_forward_f64(const double* x, double* out, long long n) {
    erf_forward<double>(x, out, n);
}
