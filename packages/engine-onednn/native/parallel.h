// Threading for the hand-written kernels: OpenMP, the runtime oneDNN itself uses (libgomp), so both
// share one thread pool. These loops are memory-bound: a second thread gains little on a few hundred
// kilobytes and every parallel region costs a wake-up (milliseconds when the machine is busy and the
// other thread is not scheduled), so only large arrays are split.
//
// Loops go through parallel_ranges() rather than `#pragma omp parallel for simd if(...)`: with GCC 12
// and libgomp, that construct runs ~80 times slower than a plain vectorised loop when its condition
// is false (measured: a ReLU over 221,184 floats, 1,378 us against 17 us).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace trainyard {

/** Below this many elements an element-wise loop runs on the calling thread only. */
constexpr int64_t kParallelThreshold = 1 << 18;

inline bool worth_splitting(int64_t elements) { return elements > kParallelThreshold; }

/** The threads parallel_ranges() may use (for sizing per-thread partial results). */
inline int max_threads() { return omp_get_max_threads(); }

/**
 * Makes oneDNN create and run a primitive on the calling thread only, while it lives, when `serial`:
 * small primitives (LeNet-5's pooling, a filter's reorder) take microseconds, less than waking the
 * other thread, which on a busy machine can take a scheduler time slice. oneDNN with OpenMP sizes its
 * work split by omp_get_max_threads() when a primitive is created and when it runs.
 */
class SerialIf {
 public:
  explicit SerialIf(bool serial) : restore_(serial ? omp_get_max_threads() : 0) {
    if (serial) omp_set_num_threads(1);
  }
  ~SerialIf() {
    if (restore_ > 0) omp_set_num_threads(restore_);
  }
  SerialIf(const SerialIf&) = delete;
  SerialIf& operator=(const SerialIf&) = delete;

 private:
  int restore_;
};

/** Multiply-adds below which a convolution or matrix product runs on one thread. */
constexpr int64_t kSerialMultiplyAdds = 1 << 21;

/**
 * Runs body(thread, begin, end) over [0, n): once on the calling thread when `parallel` is false,
 * else once per thread on contiguous ranges (multiples of 16 items, so that threads writing floats
 * never share a cache line).
 */
template <typename Body>
void parallel_ranges(int64_t n, bool parallel, Body body) {
  const int threads = parallel ? max_threads() : 1;
  if (threads <= 1 || n < 32) {
    body(0, int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    const int64_t count = omp_get_num_threads();
    const int64_t chunk = ((n + count - 1) / count + 15) / 16 * 16;
    const int64_t begin = std::min(n, thread * chunk);
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) body(thread, begin, end);
  }
}

// Masks in vectorised loops: load both operands into locals, then select (`v > 0 ? d : 0`). Written
// as `x[i] > 0 ? dy[i] : 0` (a conditional load) or `dy[i] * (x[i] > 0 ? 1 : 0)`, GCC 12 leaves the
// loop scalar and branchy: ~40 times slower on random signs (221,184 floats: 950 us against 25 us).

}  // namespace trainyard
