// Max pooling: each window's maximum and where it was, and the two linear maps on (H, W)
// planes its derivatives use (read at the indices, add back at the indices).
//
// Contract (minigrad/backend/reference.py): x (N, C, H, W), pooled and index (N, C, OH, OW),
// C-contiguous, float or double, index int64 (r*W + q, the position in its plane).
//   max_pool2d_forward: one thread per output entry (grid-stride). Scanning the window's taps
//     inside x row by row it keeps a tap greater than the one kept, or NaN (torch's rule);
//     no tap inside: -inf and index -1.
//   gather_planes:      one thread per entry of the pooled shape, out = x[index] (0 off the plane)
//   scatter_add_planes: one thread per entry of x, summing the pooled entries whose index names
//     it among the <= kh*kw windows that hold it as a tap (no atomics, so the sum order is
//     fixed); an index that is not a tap of its own window is skipped, as on the CPU
// An index outside [0, H*W) is read as 0 and never written through.
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.

template <typename T>
__device__ T negative_infinity();
template <>
__device__ float negative_infinity<float>() { return -__int_as_float(0x7f800000); }
template <>
__device__ double negative_infinity<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}

template <typename T>
__device__ void max_pool2d_forward(const T* x, T* out, long long* index, long long N,
                                   long long C, long long H, long long W, long long OH,
                                   long long OW, int kh, int kw, int sh, int sw, int ph, int pw,
                                   int dh, int dw) {
    long long total = N * C * OH * OW;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        long long ow = k % OW, rest = k / OW;
        long long oh = rest % OH, plane = rest / OH;     // plane = n*C + c
        const T* xp = x + plane * H * W;
        T best = negative_infinity<T>();
        long long at = -1;
        for (int i = 0; i < kh; ++i) {
            long long r = oh * sh + (long long)i * dh - ph;
            if (r < 0 || r >= H) continue;
            for (int j = 0; j < kw; ++j) {
                long long q = ow * sw + (long long)j * dw - pw;
                if (q < 0 || q >= W) continue;
                T v = xp[r * W + q];
                if (at < 0 || v > best || v != v) {      // v != v: NaN, which always wins
                    best = v;
                    at = r * W + q;
                }
            }
        }
        out[k] = best;
        index[k] = at;
    }
}

template <typename T>
__device__ void gather_planes(const T* x, const long long* index, T* out, long long planes,
                              long long plane_size, long long K) {
    long long total = planes * K;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        long long at = index[k];
        out[k] = (at >= 0 && at < plane_size) ? x[(k / K) * plane_size + at] : T(0);
    }
}

template <typename T>
__device__ void scatter_add_planes(const T* src, const long long* index, T* out, long long N,
                                   long long C, long long H, long long W, long long OH,
                                   long long OW, int kh, int kw, int sh, int sw, int ph, int pw,
                                   int dh, int dw) {
    long long total = N * C * H * W;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        long long q = k % W, rest = k / W;
        long long r = rest % H, plane = rest / H;
        const long long* idx = index + plane * OH * OW;
        const T* s = src + plane * OH * OW;
        T sum = T(0);
        for (int i = 0; i < kh; ++i) {                  // the windows whose tap (i, j) is (r, q)
            long long a = r + ph - (long long)i * dh;   // = oh*sh
            if (a < 0 || a % sh != 0 || a / sh >= OH) continue;
            for (int j = 0; j < kw; ++j) {
                long long b = q + pw - (long long)j * dw;   // = ow*sw
                if (b < 0 || b % sw != 0 || b / sw >= OW) continue;
                long long m = (a / sh) * OW + b / sw;
                if (idx[m] == r * W + q) sum += s[m];
            }
        }
        out[k] = sum;
    }
}

#define MAX_POOL_ENTRY(T, suffix)                                                               \
    extern "C" __global__ void max_pool2d_forward_##suffix(const T* x, T* out,                  \
            long long* index, long long N, long long C, long long H, long long W, long long OH, \
            long long OW, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {     \
        max_pool2d_forward<T>(x, out, index, N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh,   \
                              dw);                                                              \
    }

#define GATHER_ENTRY(T, suffix)                                                                 \
    extern "C" __global__ void gather_planes_##suffix(const T* x, const long long* index, T* out, \
            long long planes, long long plane_size, long long K) {                              \
        gather_planes<T>(x, index, out, planes, plane_size, K);                                 \
    }

#define SCATTER_ENTRY(T, suffix)                                                                \
    extern "C" __global__ void scatter_add_planes_##suffix(const T* src,                       \
            const long long* index, T* out, long long N, long long C, long long H, long long W, \
            long long OH, long long OW, int kh, int kw, int sh, int sw, int ph, int pw, int dh, \
            int dw) {                                                                           \
        scatter_add_planes<T>(src, index, out, N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh,  \
                              dw);                                                              \
    }

MAX_POOL_ENTRY(float, f32)
MAX_POOL_ENTRY(double, f64)
GATHER_ENTRY(float, f32)
GATHER_ENTRY(double, f64)
SCATTER_ENTRY(float, f32)
SCATTER_ENTRY(double, f64)
