// PLANTED BUG (tests/test_cudasim_planted.py): a copy of csrc/cuda/optim.cu with one bug:
//   GRID_STRIDE_LOOP steps by blockDim.x instead of gridDim.x * blockDim.x: the blocks overlap
//   and an in-place update runs several times on one element

// Fused optimizer updates: one pass over a parameter and its state per step.
//
// Contract (minigrad/backend/reference.py, OPTIM_KERNELS): param and the state buffers are
// updated IN PLACE; flat C-contiguous arrays of n elements, all float or all double. A buffer
// an update does not use may be any pointer: it is never touched. One template per optimizer
// taking its flags as arguments (not one kernel per flag combination); extern "C" wrappers
// give each dtype an unmangled name (<op>_f32, <op>_f64) for minigrad/backend/cuda.py.
// The scalar arguments after the arrays are the fields of the rule's spec
// (minigrad/backend/specs.py: SgdSpec, AdamSpec, RmspropSpec, AdagradSpec), with the same names
// in the same order: cuda.py passes the spec's fields in that order (bool -> int, float -> double).
// The arithmetic is the readable path's (minigrad/optim/*.py), operation for operation.
// Self-contained (no #include): CuPy compiles this file alone with NVRTC.

__device__ __forceinline__ float mg_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double mg_sqrt(double v) { return sqrt(v); }

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += blockDim.x)

// torch.optim.SGD:  g = ±grad (+ λw);  b = g (first step) or μb + (1−τ)g;
//                   d = g + μb (Nesterov) or b;  w ← w + (−lr)·d
template <typename T>
__device__ void sgd_step(T* param, const T* grad, T* buf, double lr, double coupled_weight_decay,
                         double momentum, double dampening, int nesterov, int maximize,
                         int first_step, long long n) {
    const T neg_lr = T(-lr), wd = T(coupled_weight_decay), mu = T(momentum);
    const T one_minus_tau = T(1.0 - dampening);
    GRID_STRIDE_LOOP(i, n) {
        const T w = param[i];
        T g = maximize ? -grad[i] : grad[i];
        if (coupled_weight_decay != 0) g = g + wd * w;
        if (momentum != 0) {
            const T b = first_step ? g : mu * buf[i] + one_minus_tau * g;
            buf[i] = b;
            g = nesterov ? g + mu * b : b;
        }
        param[i] = w + neg_lr * g;
    }
}

// torch.optim.Adam / AdamW (step_size = lr / (1 − β₁ᵗ)):
//   g = ±grad (+ λw, coupled);  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  v̂ = max(v̂, v)
//   w ← w + [(−step_size)·m / (√v̂ / √(1−β₂ᵗ) + ε) + (−decoupled_decay)·w]
template <typename T>
__device__ void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                          T* max_exp_avg_sq, double step_size, double bias_correction2_sqrt,
                          double beta1, double beta2, double eps, double coupled_weight_decay,
                          double decoupled_decay, int amsgrad, int maximize, long long n) {
    const T b1 = T(beta1), one_minus_b1 = T(1.0 - beta1);
    const T b2 = T(beta2), one_minus_b2 = T(1.0 - beta2);
    const T neg_step = T(-step_size), bc2 = T(bias_correction2_sqrt), e = T(eps);
    const T wd = T(coupled_weight_decay), neg_decay = T(-decoupled_decay);
    GRID_STRIDE_LOOP(i, n) {
        const T w = param[i];
        T g = maximize ? -grad[i] : grad[i];
        if (coupled_weight_decay != 0) g = g + wd * w;
        const T m = b1 * exp_avg[i] + one_minus_b1 * g;
        const T v = b2 * exp_avg_sq[i] + one_minus_b2 * (g * g);
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        T vhat = v;
        if (amsgrad) {
            vhat = max_exp_avg_sq[i];
            if (!(vhat >= v)) vhat = v;  // NaN propagates, as np.maximum
            max_exp_avg_sq[i] = vhat;
        }
        T update = neg_step * (m / (mg_sqrt(vhat) / bc2 + e));
        if (decoupled_decay != 0) update = update + neg_decay * w;
        param[i] = w + update;
    }
}

// torch.optim.RMSprop:  g = ±grad (+ λw);  s = αs + (1−α)g²;  ḡ = αḡ + (1−α)g (centered);
//   a = √(s − ḡ²) + ε or √s + ε;  w ← w + (−lr)·b, b = μb + g/a (momentum > 0), else (−lr)·g/a
template <typename T>
__device__ void rmsprop_step(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf,
                             double lr, double alpha, double eps, double coupled_weight_decay,
                             double momentum, int centered, int maximize, long long n) {
    const T a = T(alpha), one_minus_a = T(1.0 - alpha), neg_lr = T(-lr), e = T(eps);
    const T wd = T(coupled_weight_decay), mu = T(momentum);
    GRID_STRIDE_LOOP(i, n) {
        const T w = param[i];
        T g = maximize ? -grad[i] : grad[i];
        if (coupled_weight_decay != 0) g = g + wd * w;
        const T s = a * square_avg[i] + one_minus_a * (g * g);
        square_avg[i] = s;
        T avg;
        if (centered) {
            const T ga = a * grad_avg[i] + one_minus_a * g;
            grad_avg[i] = ga;
            avg = mg_sqrt(s - ga * ga) + e;
        } else {
            avg = mg_sqrt(s) + e;
        }
        if (momentum > 0) {
            const T b = mu * buf[i] + g / avg;
            buf[i] = b;
            param[i] = w + neg_lr * b;
        } else {
            param[i] = w + neg_lr * (g / avg);
        }
    }
}

// torch.optim.Adagrad (clr = lr / (1 + (t−1)·lr_decay)):
//   g = ±grad (+ λw);  G = G + g²;  w ← w + (−clr)·(g / (√G + ε))
template <typename T>
__device__ void adagrad_step(T* param, const T* grad, T* state_sum, double clr, double eps,
                             double coupled_weight_decay, int maximize, long long n) {
    const T neg_clr = T(-clr), e = T(eps), wd = T(coupled_weight_decay);
    GRID_STRIDE_LOOP(i, n) {
        const T w = param[i];
        T g = maximize ? -grad[i] : grad[i];
        if (coupled_weight_decay != 0) g = g + wd * w;
        const T s = state_sum[i] + g * g;
        state_sum[i] = s;
        param[i] = w + neg_clr * (g / (mg_sqrt(s) + e));
    }
}

// ---- one unmangled entry point per optimizer and dtype ---------------------------------------

#define SGD_ENTRY(T, suffix)                                                                   \
    extern "C" __global__ void sgd_step_##suffix(                                              \
        T* param, const T* grad, T* buf, double lr, double coupled_weight_decay,               \
        double momentum, double dampening, int nesterov, int maximize, int first_step,         \
        long long n) {                                                                         \
        sgd_step<T>(param, grad, buf, lr, coupled_weight_decay, momentum, dampening,           \
                    nesterov, maximize, first_step, n);                                        \
    }
#define ADAM_ENTRY(T, suffix)                                                                  \
    extern "C" __global__ void adam_step_##suffix(                                             \
        T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,                 \
        double step_size, double bias_correction2_sqrt, double beta1, double beta2,            \
        double eps, double coupled_weight_decay, double decoupled_decay, int amsgrad,          \
        int maximize, long long n) {                                                           \
        adam_step<T>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size,              \
                     bias_correction2_sqrt, beta1, beta2, eps, coupled_weight_decay,           \
                     decoupled_decay, amsgrad, maximize, n);                                   \
    }
#define RMSPROP_ENTRY(T, suffix)                                                               \
    extern "C" __global__ void rmsprop_step_##suffix(                                          \
        T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, double lr, double alpha,  \
        double eps, double coupled_weight_decay, double momentum, int centered,                \
        int maximize, long long n) {                                                           \
        rmsprop_step<T>(param, grad, square_avg, grad_avg, buf, lr, alpha, eps,                \
                        coupled_weight_decay, momentum, centered, maximize, n);                \
    }
#define ADAGRAD_ENTRY(T, suffix)                                                               \
    extern "C" __global__ void adagrad_step_##suffix(                                          \
        T* param, const T* grad, T* state_sum, double clr, double eps,                         \
        double coupled_weight_decay, int maximize, long long n) {                              \
        adagrad_step<T>(param, grad, state_sum, clr, eps, coupled_weight_decay, maximize, n);  \
    }

SGD_ENTRY(float, f32)
SGD_ENTRY(double, f64)
ADAM_ENTRY(float, f32)
ADAM_ENTRY(double, f64)
RMSPROP_ENTRY(float, f32)
RMSPROP_ENTRY(double, f64)
ADAGRAD_ENTRY(float, f32)
ADAGRAD_ENTRY(double, f64)
