// im2col / col2im: the patches of a 2-D convolution, and their adjoint.
//
// Contract (minigrad/backend/reference.py): x (N, C, H, W), cols (C, KH, KW, N, OH, OW),
// C-contiguous, float or double.
//   cols[c, i, j, n, oh, ow] = x[n, c, oh*sh + i*dh - ph, ow*sw + j*dw - pw]   (0 outside x)
// im2col: one thread per entry of cols (grid-stride). col2im: one thread per entry of x,
// gathering the cols entries that read it (no atomics, so the sum order is fixed).
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.

template <typename T>
__device__ void im2col(const T* x, T* cols, long long N, long long C, long long H, long long W,
                       long long KH, long long KW, long long OH, long long OW, int sh, int sw,
                       int ph, int pw, int dh, int dw) {
    long long total = N * C * KH * KW * OH * OW;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        long long ow = k % OW, rest = k / OW;
        long long oh = rest % OH; rest /= OH;
        long long n = rest % N; rest /= N;
        long long j = rest % KW; rest /= KW;
        long long i = rest % KH;
        long long c = rest / KH;
        long long r = oh * sh + i * dh - ph, q = ow * sw + j * dw - pw;
        cols[k] = (r >= 0 && r < H && q >= 0 && q < W) ? x[((n * C + c) * H + r) * W + q] : T(0);
    }
}

template <typename T>
__device__ void col2im(const T* cols, T* x, long long N, long long C, long long H, long long W,
                       long long KH, long long KW, long long OH, long long OW, int sh, int sw,
                       int ph, int pw, int dh, int dw) {
    long long total = N * C * H * W;
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        long long q = k % W, rest = k / W;
        long long r = rest % H; rest /= H;
        long long c = rest % C, n = rest / C;
        T s = T(0);
        for (long long i = 0; i < KH; ++i) {
            long long a = r + ph - i * dh;             // = oh*sh
            if (a < 0 || a % sh != 0 || a / sh >= OH) continue;
            for (long long j = 0; j < KW; ++j) {
                long long b = q + pw - j * dw;         // = ow*sw
                if (b < 0 || b % sw != 0 || b / sw >= OW) continue;
                s += cols[(((((c * KH + i) * KW + j) * N + n) * OH + a / sh) * OW) + b / sw];
            }
        }
        x[k] = s;
    }
}

#define CONV_ENTRY(op, T, suffix, A, B)                                                         \
    extern "C" __global__ void op##_##suffix(const T* A, T* B, long long N, long long C,        \
            long long H, long long W, long long KH, long long KW, long long OH, long long OW,   \
            int sh, int sw, int ph, int pw, int dh, int dw) {                                   \
        op<T>(A, B, N, C, H, W, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw);                        \
    }

CONV_ENTRY(im2col, float, f32, x, cols)
CONV_ENTRY(im2col, double, f64, x, cols)
CONV_ENTRY(col2im, float, f32, cols, x)
CONV_ENTRY(col2im, double, f64, cols, x)
