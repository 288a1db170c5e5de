// cuda_sim.h: just enough of CUDA for csrc/cuda/*.cu to compile as host C++ with g++ and run on
// the CPU, one simulated thread per CUDA thread (minigrad/cudasim, issue 15).
//
// How a launch runs (mg_sim_run below): the blocks of the grid one after another; inside a
// block every CUDA thread is a fiber with its own stack, and a scheduler picks which fiber runs
// next. A fiber runs until it reaches a synchronisation point (__syncthreads, a warp shuffle or
// vote, __syncwarp) or returns; it then waits until the point completes:
//   * a barrier completes when every thread of the block waits at it (the same __syncthreads);
//   * a warp operation completes when every lane of its mask has arrived at it.
// (A fiber's stack is set up once with makecontext; switches are _setjmp/_longjmp, which save
// no signal mask and so make no system call; a fiber whose thread returned runs the same
// thread slot of the next block.)
// Which runnable fiber goes next is the schedule: round_robin (thread 0, 1, 2, ... each to its
// next synchronisation point), reverse (the same from the last thread down), run_ahead (one
// warp runs as far as it can before the next warp moves, then that one, ...: a missing
// __syncthreads then shows; the warp that leads is warp 0 in block 0, warp 1 in block 1, ...,
// so that both "read too early" and "overwritten too early" show), random (a seeded random
// runnable thread).
// Errors (a barrier some threads never reach, a full-mask shuffle in a partial warp, lanes of a
// shuffle missing, ...) stop the launch with a message naming the kernel, block and thread.
//
// __shared__ variables are static variables in the section "mg_sim_shared"; every byte of that
// section is set to 0xff at the start of each block (NaN for float and double, -1 for ints), so
// a value read before any thread wrote it in this block shows up as NaN in the result.
// Everything here is cooperative (one OS thread): atomics are plain read-modify-writes.
// Built-ins: threadIdx, blockIdx, blockDim, gridDim, warpSize.
#pragma once
// _longjmp between stacks is what fibers do; glibc's fortified longjmp refuses it
#undef _FORTIFY_SOURCE

#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)  // MINIGRAD_CUDA_SIM_ASAN=1: tell ASan about stack switches
#include <sanitizer/common_interface_defs.h>
#endif

#include <cmath>
#include <type_traits>
#include <utility>

// ---- qualifiers: host C++ has one kind of function and one kind of memory -------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __constant__ static
#define __shared__ static __attribute__((section("mg_sim_shared")))
// `extern __shared__ T name[];` (dynamic shared memory) is rewritten by minigrad/cudasim before
// compiling, into `T* const name = reinterpret_cast<T*>(mg_sim::dynamic_shared);`.

struct uint3 { unsigned int x, y, z; };
typedef uint3 dim3;

namespace mg_sim {

enum State { RUNNABLE, AT_BARRIER, AT_WARP, EXITED };
enum Schedule { ROUND_ROBIN = 0, REVERSE = 1, RUN_AHEAD = 2, RANDOM = 3 };
enum WarpKind { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, BALLOT, ANY, ALL, SYNCWARP };
static const char* const WARP_NAMES[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
                                         "__shfl_xor_sync", "__ballot_sync", "__any_sync",
                                         "__all_sync", "__syncwarp"};

const size_t STACK_BYTES = 256 * 1024;          // per simulated thread (lazily committed)
const size_t MAX_DYNAMIC_SHARED = 227 * 1024;   // the largest opt-in amount of current GPUs

const int MAX_THREADS = 1024;

struct Thread {
    ucontext_t context;    // only to start the fiber on its stack
    jmp_buf jump;          // where the fiber continues when the scheduler resumes it
    char* stack = nullptr;
    void* asan_fake_stack = nullptr;
    bool idle = false;     // parked, ready to run a new thread body (false: boot it first)
    uint3 idx;             // threadIdx
    int linear;            // x + y*bx + z*bx*by: its warp is linear / 32, its lane linear % 32
    State state;
    int barrier_line;      // source line of the __syncthreads it waits at
    int barrier_site;      // which __syncthreads (two on one line are two barriers)
    uint64_t value;        // what it brought to a warp operation (bits of the value)
    int arg;               // its srcLane / delta / laneMask
    uint64_t result;       // what the warp operation gave back
};

struct Warp {
    int size;              // lanes that exist (32 but in the last warp of an odd-sized block)
    unsigned arrived;      // lanes waiting at the pending operation
    int kind, line, width;
    unsigned mask;
};

struct Simulator {
    Thread* current = nullptr;
    uint3 block_idx{}, block_dim{}, grid_dim{};
    Thread threads[MAX_THREADS];
    int n_threads = 0;
    Warp warps[MAX_THREADS / 32];
    jmp_buf scheduler;
    void* asan_fake_stack = nullptr;       // the scheduler's, while a fiber runs
    const void* scheduler_stack = nullptr; // the scheduler's stack as ASan saw it
    size_t scheduler_stack_size = 0;
    void (*entry)(void**) = nullptr;
    void** args = nullptr;
    const char* kernel = "";
    char* error = nullptr;
    size_t error_len = 0;
    bool failed = false;
    int schedule = ROUND_ROBIN;
    int cursor = 0;         // round_robin / reverse: the thread run last
    int leader = 0;         // run_ahead: the first thread of the warp that leads
    uint64_t rng = 0;       // splitmix64 state of the random schedule
    size_t dynamic_shared_bytes = 0;  // of this launch (its shared_mem)
    pthread_t os_thread;    // the one running the launch
    struct sigaction old_segv, old_bus;  // the handlers before the launch
};
inline Simulator sim;

alignas(16) inline char dynamic_shared[MAX_DYNAMIC_SHARED];

// ---- stopping a launch with a message ---------------------------------------------------------

inline void vreport(const Thread* t, const char* fmt, va_list ap) {
    if (sim.failed) return;  // the first error is the one reported
    sim.failed = true;
    int k = snprintf(sim.error, sim.error_len,
                     "kernel %s, block (%u, %u, %u), thread (%u, %u, %u): ", sim.kernel,
                     sim.block_idx.x, sim.block_idx.y, sim.block_idx.z, t->idx.x, t->idx.y,
                     t->idx.z);
    if (k >= 0 && (size_t)k < sim.error_len) vsnprintf(sim.error + k, sim.error_len - k, fmt, ap);
}

inline void report(const Thread* t, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(t, fmt, ap);
    va_end(ap);
}

inline void yield();

// Back to the scheduler, which stops the launch: this fiber is never resumed.
[[noreturn]] inline void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(sim.current, fmt, ap);
    va_end(ap);
    for (;;) yield();
}

// AddressSanitizer keeps shadow state per stack: each switch between stacks is announced
// (start) and confirmed (finish). Without ASan these are no-ops.
inline void leaving_scheduler_for(Thread* t) {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(&sim.asan_fake_stack, t->stack, STACK_BYTES);
#endif
}
inline void back_in_scheduler() {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(sim.asan_fake_stack, nullptr, nullptr);
#endif
}
inline void leaving_fiber(Thread* t) {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(&t->asan_fake_stack, sim.scheduler_stack,
                                   sim.scheduler_stack_size);
#endif
}
inline void back_in_fiber(Thread* t) {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(t->asan_fake_stack, &sim.scheduler_stack,
                                    &sim.scheduler_stack_size);
#endif
}

// From the running fiber back to the scheduler; returns when the scheduler resumes it.
inline void yield() {
    Thread* t = sim.current;
    leaving_fiber(t);
    if (!_setjmp(t->jump)) _longjmp(sim.scheduler, 1);
    back_in_fiber(sim.current);
}

// From the scheduler into fiber t; returns when t yields, returns or fails.
inline void resume(Thread* t) {
    sim.current = t;
    leaving_scheduler_for(t);
    if (!_setjmp(sim.scheduler)) _longjmp(t->jump, 1);
    back_in_scheduler();
}

// ---- __syncthreads -----------------------------------------------------------------------------

// Returns how many threads of the block passed a nonzero predicate (__syncthreads_count).
inline int syncthreads(int line, int site, int predicate = 0) {
    sim.current->state = AT_BARRIER;
    sim.current->barrier_line = line;
    sim.current->barrier_site = site;
    sim.current->value = predicate != 0;
    yield();  // the scheduler releases the barrier once every thread of the block waits at it
    return (int)sim.current->result;
}

// ---- warp operations ---------------------------------------------------------------------------

// The lane whose value lane `lane` receives (CUDA Programming Guide, "Warp Shuffle Functions"):
// within its segment of `width` lanes; reaching past the segment returns the caller's own value.
inline int source_lane(int kind, int lane, int arg, int width) {
    const int first = lane / width * width;
    switch (kind) {
        case SHFL_IDX: return first + ((arg % width) + width) % width;
        case SHFL_UP: return lane - arg < first ? lane : lane - arg;
        case SHFL_DOWN: return lane + arg >= first + width ? lane : lane + arg;
        default: {  // SHFL_XOR
            const int src = lane ^ arg;
            return src >= first + width ? lane : src;
        }
    }
}

// Every lane of the mask has arrived: compute each lane's result and let them all run again.
inline void complete(Warp& w, int warp) {
    Thread* lanes = &sim.threads[warp * 32];
    unsigned ballot = 0;
    for (int l = 0; l < w.size; ++l)
        if ((w.mask >> l & 1u) && lanes[l].value != 0) ballot |= 1u << l;
    for (int l = 0; l < w.size; ++l) {
        if (!(w.mask >> l & 1u)) continue;
        Thread& t = lanes[l];
        switch (w.kind) {
            case BALLOT: t.result = ballot; break;
            case ANY: t.result = ballot != 0; break;
            case ALL: t.result = ballot == w.mask; break;
            case SYNCWARP: t.result = 0; break;
            default: {
                const int src = source_lane(w.kind, l, t.arg, w.width);
                if (src >= w.size || !(w.mask >> src & 1u))
                    fail("%s at line %d: lane %d reads lane %d, which is not in mask 0x%08x "
                         "(its value is undefined on a GPU)", WARP_NAMES[w.kind], w.line, l, src,
                         w.mask);
                t.result = lanes[src].value;
            }
        }
        t.state = RUNNABLE;
    }
    w.arrived = 0;
}

inline uint64_t warp_collective(int kind, unsigned mask, uint64_t value, int arg, int width,
                                int line) {
    Thread* t = sim.current;
    const int lane = t->linear & 31, warp = t->linear >> 5;
    Warp& w = sim.warps[warp];
    const unsigned exists = w.size == 32 ? 0xffffffffu : (1u << w.size) - 1u;
    const char* name = WARP_NAMES[kind];
    if (mask & ~exists)
        fail("%s at line %d with mask 0x%08x in a partial warp: warp %d has only %d lanes "
             "(blockDim %u x %u x %u is not a multiple of 32)", name, line, mask, warp, w.size,
             sim.block_dim.x, sim.block_dim.y, sim.block_dim.z);
    if (!(mask >> lane & 1u))
        fail("%s at line %d: the calling lane %d is not in its mask 0x%08x", name, line, lane,
             mask);
    if (width < 1 || width > 32 || (width & (width - 1)))
        fail("%s at line %d: width %d is not a power of 2 in 1..32", name, line, width);
    if (w.arrived == 0) {
        w.kind = kind, w.mask = mask, w.line = line, w.width = width;
    } else if (w.kind != kind || w.mask != mask || w.line != line || w.width != width) {
        fail("lanes of warp %d meet at different warp operations: %s (mask 0x%08x) at line %d "
             "and %s (mask 0x%08x) at line %d", warp, WARP_NAMES[w.kind], w.mask, w.line, name,
             mask, line);
    }
    t->value = value, t->arg = arg, t->state = AT_WARP;
    w.arrived |= 1u << lane;
    if (w.arrived == mask) complete(w, warp);
    yield();
    return t->result;
}

template <typename T>
inline T shuffle(int kind, int line, unsigned mask, T var, int arg, int width = 32) {
    static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "shuffle of 1..8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &var, sizeof(T));
    const uint64_t r = warp_collective(kind, mask, bits, arg, width, line);
    T out;
    memcpy(&out, &r, sizeof(T));
    return out;
}

inline unsigned vote(int kind, int line, unsigned mask, int predicate) {
    return (unsigned)warp_collective(kind, mask, predicate != 0, 0, 32, line);
}

inline void syncwarp(int line, unsigned mask = 0xffffffffu) {
    warp_collective(SYNCWARP, mask, 0, 0, 32, line);
}

// ---- the scheduler -----------------------------------------------------------------------------

inline int pick_runnable() {
    const int n = sim.n_threads;
    switch (sim.schedule) {
        case RUN_AHEAD:  // the first runnable thread, counting from the leading warp's first
            for (int k = 0; k < n; ++k) {
                const int i = (sim.leader + k) % n;
                if (sim.threads[i].state == RUNNABLE) return i;
            }
            return -1;
        case RANDOM: {
            static int ready[MAX_THREADS];
            int count = 0;
            for (int i = 0; i < n; ++i)
                if (sim.threads[i].state == RUNNABLE) ready[count++] = i;
            if (count == 0) return -1;
            uint64_t z = (sim.rng += 0x9e3779b97f4a7c15ull);  // splitmix64
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            return ready[(z ^ (z >> 31)) % count];
        }
        default: {  // ROUND_ROBIN (upwards from the last one run) or REVERSE (downwards)
            const int step = sim.schedule == REVERSE ? n - 1 : 1;
            for (int k = 1, i = sim.cursor; k <= n; ++k) {
                i = (i + step) % n;
                if (sim.threads[i].state == RUNNABLE) return sim.cursor = i;
            }
            return -1;
        }
    }
}

// Nothing can run: the block has finished, a barrier releases, or the block is stuck (an error).
inline bool release_or_fail() {
    const int n = sim.n_threads;
    const Thread *waiting = nullptr, *other = nullptr, *exited = nullptr, *in_warp = nullptr;
    for (int i = 0; i < n; ++i) {
        const Thread& t = sim.threads[i];
        if (t.state == EXITED) { if (!exited) exited = &t; }
        else if (t.state == AT_WARP) { if (!in_warp) in_warp = &t; }
        else if (!waiting) waiting = &t;
        else if (t.barrier_site != waiting->barrier_site && !other) other = &t;
    }
    if (!waiting && !in_warp) return false;  // every thread returned: the block is done
    if (in_warp) {
        const int warp = in_warp->linear >> 5;
        const Warp& w = sim.warps[warp];
        for (int l = 0; l < w.size; ++l) {
            const Thread& lane = sim.threads[warp * 32 + l];
            if (!(w.mask >> l & 1u) || (w.arrived >> l & 1u)) continue;
            report(in_warp, "%s at line %d (mask 0x%08x) waits for lane %d, which %s",
                   WARP_NAMES[w.kind], w.line, w.mask, l,
                   lane.state == EXITED ? "has returned (lanes missing from a full-mask warp "
                                          "operation)" : "waits at a __syncthreads");
            if (lane.state == AT_BARRIER)
                snprintf(sim.error + strlen(sim.error), sim.error_len - strlen(sim.error),
                         " at line %d", lane.barrier_line);
            return true;
        }
        report(in_warp, "warp operation stuck");  // not reached: its lanes would have completed it
        return true;
    }
    if (other) {
        report(waiting, "divergent barrier: it waits at the __syncthreads at line %d while thread "
               "(%u, %u, %u) waits at the one at line %d", waiting->barrier_line, other->idx.x,
               other->idx.y, other->idx.z, other->barrier_line);
        return true;
    }
    if (exited) {
        report(waiting, "divergent barrier: it waits at the __syncthreads at line %d, which "
               "thread (%u, %u, %u) never reaches (it returned)", waiting->barrier_line,
               exited->idx.x, exited->idx.y, exited->idx.z);
        return true;
    }
    int count = 0;  // the barrier releases
    for (int i = 0; i < n; ++i) count += (int)sim.threads[i].value;
    for (int i = 0; i < n; ++i) sim.threads[i].state = RUNNABLE, sim.threads[i].result = count;
    return false;
}

// A fiber's life: park; when resumed, run the kernel as the thread of its slot; park again.
inline void fiber_main() {
    back_in_fiber(sim.current);
    for (;;) {
        sim.current->idle = true;
        yield();
        sim.current->idle = false;
        sim.entry(sim.args);
        sim.current->state = EXITED;
    }
}

// Start slot t's fiber on its own stack (its first use, or after a launch that failed left it
// in the middle of a kernel) and let it park.
inline bool boot(Thread& t) {
    if (!t.stack) {
        void* p = mmap(nullptr, STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return false;
        mprotect(p, 4096, PROT_NONE);  // a guard page: a stack overflow faults
        t.stack = (char*)p;
    }
    getcontext(&t.context);
    t.context.uc_stack.ss_sp = t.stack;
    t.context.uc_stack.ss_size = STACK_BYTES;
    t.context.uc_link = nullptr;
    makecontext(&t.context, fiber_main, 0);
    sim.current = &t;
    leaving_scheduler_for(&t);
    if (!_setjmp(sim.scheduler)) setcontext(&t.context);
    back_in_scheduler();
    return true;
}

// Poison what the block's shared memory holds, so reading it before writing it shows as NaN.
extern "C" char __start_mg_sim_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_mg_sim_shared[] __attribute__((weak, visibility("hidden")));

inline void poison_shared() {
    if (__start_mg_sim_shared != nullptr)
        memset(__start_mg_sim_shared, 0xff, __stop_mg_sim_shared - __start_mg_sim_shared);
    memset(dynamic_shared, 0xff, sim.dynamic_shared_bytes);
}

inline bool run_block() {
    const int n = sim.n_threads;
    poison_shared();
    for (int i = 0; i < n; ++i) sim.threads[i].state = RUNNABLE;
    for (int w = 0; w < (n + 31) / 32; ++w) sim.warps[w].arrived = 0;
    sim.cursor = sim.schedule == REVERSE ? 0 : n - 1;
    const unsigned block = sim.block_idx.x + sim.grid_dim.x * (sim.block_idx.y +
                                                                 sim.grid_dim.y * sim.block_idx.z);
    sim.leader = (int)(block % ((n + 31) / 32)) * 32;
    for (;;) {
        int next = pick_runnable();
        if (next < 0) {
            if (release_or_fail()) return false;
            next = pick_runnable();
            if (next < 0) return true;  // every thread returned
        }
        resume(&sim.threads[next]);
        if (sim.failed) return false;
    }
}

// A segmentation fault or bus error inside a kernel (a stray pointer, an index far out of
// bounds, a stack overflow into the guard page) stops the launch with an error naming the
// thread, instead of killing Python. Installed only while a launch runs, on a stack of its own.
// (A small overrun that stays inside mapped memory is not caught: see MINIGRAD_CUDA_SIM_ASAN.)
inline void on_fault(int sig, siginfo_t* info, void*) {
    if (!sim.current || sim.failed || !pthread_equal(pthread_self(), sim.os_thread)) {
        // not a kernel's fault (another OS thread, say): put the previous handler back and
        // return, so that the faulting instruction runs again and faults into that handler
        sigaction(sig, sig == SIGSEGV ? &sim.old_segv : &sim.old_bus, nullptr);
        return;
    }
    report(sim.current, "%s at address %p: a read or write out of bounds (or a stack overflow)",
           sig == SIGSEGV ? "segmentation fault" : "bus error", info->si_addr);
    leaving_fiber(sim.current);
    _longjmp(sim.scheduler, 1);  // the fiber is abandoned; it is booted afresh next launch
}

struct FaultGuard {
    stack_t old_stack;
    static char* altstack() {
        static char* stack = (char*)mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return stack;
    }
    FaultGuard() {
        stack_t ss{};
        ss.ss_sp = altstack();
        ss.ss_size = 1 << 16;
        sigaltstack(&ss, &old_stack);
        struct sigaction sa {};
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sim.os_thread = pthread_self();
        sigaction(SIGSEGV, &sa, &sim.old_segv);
        sigaction(SIGBUS, &sa, &sim.old_bus);
    }
    ~FaultGuard() {
        sigaction(SIGSEGV, &sim.old_segv, nullptr);
        sigaction(SIGBUS, &sim.old_bus, nullptr);
        sigaltstack(&old_stack, nullptr);
    }
};

// Calls kernel f with the arguments args[i] points at (as cuLaunchKernel's kernelParams).
template <typename... P, size_t... I>
inline void call_with(void (*f)(P...), void** args, std::index_sequence<I...>) {
    f(*static_cast<typename std::remove_cv<P>::type*>(args[I])...);
}
template <typename... P>
inline void call(void (*f)(P...), void** args) {
    call_with(f, args, std::index_sequence_for<P...>{});
}

}  // namespace mg_sim

// One launch: returns 0, or 1 with the message in error.
extern "C" __attribute__((visibility("default"))) int mg_sim_run(
    const char* kernel, void (*entry)(void**), void** args, const unsigned* grid,
    const unsigned* block, unsigned long long dynamic_shared_bytes, int schedule,
    unsigned long long seed, char* error, size_t error_len) {
    using namespace mg_sim;
    sim.kernel = kernel, sim.entry = entry, sim.args = args;
    sim.error = error, sim.error_len = error_len, sim.failed = false;
    sim.schedule = schedule;
    sim.rng = seed;
    sim.dynamic_shared_bytes = dynamic_shared_bytes < MAX_DYNAMIC_SHARED ? dynamic_shared_bytes
                                                                         : MAX_DYNAMIC_SHARED;
    sim.block_dim = {block[0], block[1], block[2]};
    sim.grid_dim = {grid[0], grid[1], grid[2]};
    const int n = (int)(block[0] * block[1] * block[2]);
    if (n > MAX_THREADS) {
        snprintf(error, error_len, "kernel %s: %d threads in a block (at most %d)", kernel, n,
                 MAX_THREADS);
        return 1;
    }
    sim.n_threads = n;
    for (int i = 0; i < n; ++i) {
        Thread& t = sim.threads[i];
        if (!t.idle && !boot(t)) {
            snprintf(error, error_len, "kernel %s: cannot map a fiber stack", kernel);
            return 1;
        }
        t.linear = i;
        t.idx = {(unsigned)i % block[0], (unsigned)i / block[0] % block[1],
                 (unsigned)i / (block[0] * block[1])};
    }
    for (int w = 0; w < (n + 31) / 32; ++w) sim.warps[w].size = n - 32 * w < 32 ? n - 32 * w : 32;
    int status = 0;
#if !defined(__SANITIZE_ADDRESS__)  // ASan has its own fault handler, which reports more
    FaultGuard guard;
#endif
    for (unsigned z = 0; z < grid[2] && !status; ++z)
        for (unsigned y = 0; y < grid[1] && !status; ++y)
            for (unsigned x = 0; x < grid[0] && !status; ++x) {
                sim.block_idx = {x, y, z};
                if (!run_block()) status = 1;
            }
    sim.current = nullptr;
    fflush(stdout);  // a kernel's printf shows before Python prints anything after the launch
    return status;
}

// ---- built-ins ---------------------------------------------------------------------------------
// (plain expressions, so that gdb can evaluate them too when the library is built with -g3)
#define threadIdx (mg_sim::sim.current->idx)
#define blockIdx (mg_sim::sim.block_idx)
#define blockDim (mg_sim::sim.block_dim)
#define gridDim (mg_sim::sim.grid_dim)
#define warpSize 32

#define __syncthreads() ((void)::mg_sim::syncthreads(__LINE__, __COUNTER__))
#define __syncthreads_count(p) ::mg_sim::syncthreads(__LINE__, __COUNTER__, (p))
#define __syncthreads_and(p) \
    (::mg_sim::syncthreads(__LINE__, __COUNTER__, (p)) == ::mg_sim::sim.n_threads)
#define __syncthreads_or(p) (::mg_sim::syncthreads(__LINE__, __COUNTER__, (p)) > 0)
#define __syncwarp(...) ::mg_sim::syncwarp(__LINE__, ##__VA_ARGS__)
#define __shfl_sync(...) ::mg_sim::shuffle(::mg_sim::SHFL_IDX, __LINE__, __VA_ARGS__)
#define __shfl_up_sync(...) ::mg_sim::shuffle(::mg_sim::SHFL_UP, __LINE__, __VA_ARGS__)
#define __shfl_down_sync(...) ::mg_sim::shuffle(::mg_sim::SHFL_DOWN, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) ::mg_sim::shuffle(::mg_sim::SHFL_XOR, __LINE__, __VA_ARGS__)
#define __ballot_sync(mask, p) ::mg_sim::vote(::mg_sim::BALLOT, __LINE__, (mask), (p))
#define __any_sync(mask, p) ((int)::mg_sim::vote(::mg_sim::ANY, __LINE__, (mask), (p)))
#define __all_sync(mask, p) ((int)::mg_sim::vote(::mg_sim::ALL, __LINE__, (mask), (p)))

// ---- atomics (one OS thread runs every fiber, and a fiber is never interrupted) ----------------
template <typename T> inline T atomicAdd(T* a, T v) { T old = *a; *a = old + v; return old; }
template <typename T> inline T atomicSub(T* a, T v) { T old = *a; *a = old - v; return old; }
template <typename T> inline T atomicExch(T* a, T v) { T old = *a; *a = v; return old; }
template <typename T> inline T atomicMax(T* a, T v) {
    T old = *a;
    *a = v > old ? v : old;
    return old;
}
template <typename T> inline T atomicMin(T* a, T v) {
    T old = *a;
    *a = v < old ? v : old;
    return old;
}
template <typename T> inline T atomicCAS(T* a, T compare, T v) {
    T old = *a;
    *a = old == compare ? v : old;
    return old;
}

// ---- device functions and intrinsics beyond <math.h> (expf, exp, erf, isinf, ... come from it) -
inline float __int_as_float(int v) { float f; memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float v) { int i; memcpy(&i, &v, 4); return i; }
inline float __uint_as_float(unsigned v) { float f; memcpy(&f, &v, 4); return f; }
inline unsigned __float_as_uint(float v) { unsigned i; memcpy(&i, &v, 4); return i; }
inline double __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
inline long long __double_as_longlong(double v) { long long i; memcpy(&i, &v, 8); return i; }
inline float __expf(float v) { return expf(v); }
inline float __logf(float v) { return logf(v); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float v) { return 1.0f / sqrtf(v); }
inline double rsqrt(double v) { return 1.0 / sqrt(v); }
inline float __saturatef(float v) { return v < 0.f ? 0.f : (v > 1.f ? 1.f : v); }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz((unsigned)v); }
template <typename A, typename B>
inline typename std::common_type<A, B>::type max(A a, B b) { return b > a ? b : a; }
template <typename A, typename B>
inline typename std::common_type<A, B>::type min(A a, B b) { return b < a ? b : a; }
