// Reduce-to-shape kernels: sum_rows, the broadcast gradient of a bias.
//
// Contract (minigrad/backend/reference.py): x is C-contiguous (rows, cols), `out` is (cols,),
// both float or both double. Self-contained (no #include): CuPy compiles it alone with NVRTC.

// out[c] = sum_r x[r, c]
//
// Block (tile_cols, lanes) with tile_cols, lanes <= 32: threadIdx.x picks a column, so a warp
// reads 32 neighbouring floats of a row (coalesced); the `lanes` threads of a column take
// every lanes-th row and then add their partial sums through shared memory. Each column is
// owned by one block: deterministic, no atomics, no zeroing of out. Partial sums are kept in
// double for both dtypes so float32 sums over many rows keep their precision (the kernel is
// memory-bound, so the double adds are free).
//
// A grid-stride loop over tiles of blockDim.x columns, so any grid covers any cols (as the
// elementwise kernels; the simulator's capped grids run it). The loop condition is the same
// for every thread of the block, so all of them meet both barriers.
template <typename T>
__device__ void sum_rows(const T* x, T* out, long long rows, long long cols) {
    __shared__ double partial[32][33];  // +1 column: no bank conflicts on the transposed read
    for (long long tile = blockIdx.x * (long long)blockDim.x; tile < cols;
         tile += (long long)gridDim.x * blockDim.x) {
        const long long c = tile + threadIdx.x;
        double acc = 0.0;
        if (c < cols)
            for (long long r = threadIdx.y; r < rows; r += blockDim.y)
                acc += (double)x[r * cols + c];
        partial[threadIdx.y][threadIdx.x] = acc;
        __syncthreads();
        if (threadIdx.y == 0 && c < cols) {
            for (unsigned lane = 1; lane < blockDim.y; ++lane) acc += partial[lane][threadIdx.x];
            out[c] = (T)acc;
        }
        __syncthreads();  // lane 0 has read this tile's partials before the next tile writes
    }
}

extern "C" __global__ void sum_rows_f32(const float* x, float* out, long long rows, long long cols) {
    sum_rows<float>(x, out, rows, cols);
}
extern "C" __global__ void sum_rows_f64(const double* x, double* out, long long rows,
                                        long long cols) {
    sum_rows<double>(x, out, rows, cols);
}
