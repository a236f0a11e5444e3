// Sum, mean, max and min over a block of adjacent axes: the input is viewed as [outer, reduced, inner]
// (the caller merges the axes). The per-channel sums of batch-norm-like code are [1, rows, channels],
// global average pooling is [batch, height*width, channels], a softmax row is [rows, classes, 1].
// oneDNN 2.6's reduction primitive is a slow reference implementation, hence these loops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

enum ReduceOp { kSum = 0, kMean, kMax, kMin };

struct Sum {
  static float identity() { return 0.f; }
  static float combine(float a, float b) { return a + b; }
};
struct Max {
  static float identity() { return -std::numeric_limits<float>::infinity(); }
  static float combine(float a, float b) { return std::isnan(a) || a > b ? a : b; }
};
struct Min {
  static float identity() { return std::numeric_limits<float>::infinity(); }
  static float combine(float a, float b) { return std::isnan(a) || a < b ? a : b; }
};

/** Reduces each contiguous row of `length` values (inner == 1). */
template <typename R>
float reduce_row(const float* x, int64_t length) {
  float acc = R::identity();
  if constexpr (std::is_same_v<R, Sum>) {
#pragma omp simd reduction(+ : acc)
    for (int64_t i = 0; i < length; i++) acc += x[i];
  } else {
    for (int64_t i = 0; i < length; i++) acc = R::combine(acc, x[i]);
  }
  return acc;
}

/** out[inner] = combine over `count` rows of `inner` values, starting at x. */
template <typename R>
void reduce_rows(const float* x, int64_t count, int64_t inner, float* out) {
  for (int64_t i = 0; i < inner; i++) out[i] = R::identity();
  for (int64_t r = 0; r < count; r++) {
    const float* values = x + r * inner;
#pragma omp simd
    for (int64_t i = 0; i < inner; i++) out[i] = R::combine(out[i], values[i]);
  }
}

template <typename R>
void run(const float* x, int64_t outer, int64_t reduced, int64_t inner, float* out) {
  const bool parallel = worth_splitting(outer * reduced * inner);
  if (outer >= 2 || !parallel) {
    parallel_ranges(outer, parallel, [&](int, int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; o++) {
        if (inner == 1) {
          out[o] = reduce_row<R>(x + o * reduced, reduced);
        } else {
          reduce_rows<R>(x + o * reduced * inner, reduced, inner, out + o * inner);
        }
      }
    });
    return;
  }
  // One large block: each thread reduces a range of its rows, then the partial results are combined.
  const int threads = max_threads();
  std::vector<float> partial(static_cast<size_t>(threads * inner), R::identity());
  parallel_ranges(reduced, true, [&](int thread, int64_t begin, int64_t end) {
    if (inner == 1) {
      partial[thread] = reduce_row<R>(x + begin, end - begin);
    } else {
      reduce_rows<R>(x + begin * inner, end - begin, inner, partial.data() + thread * inner);
    }
  });
  for (int64_t i = 0; i < inner; i++) {
    float acc = R::identity();
    for (int t = 0; t < threads; t++) acc = R::combine(acc, partial[t * inner + i]);
    out[i] = acc;
  }
}

}  // namespace

/** reduce(op, x, out, outer, reduced, inner) */
void reduce(Call& call) {
  int op = call.integer(0);
  const int64_t outer = call.integer(3), reduced = call.integer(4), inner = call.integer(5);
  const float* x = call.floats(1, outer * reduced * inner);
  float* out = call.floats(2, outer * inner);
  switch (op) {
    case kSum:
      return run<Sum>(x, outer, reduced, inner, out);
    case kMean: {
      run<Sum>(x, outer, reduced, inner, out);
      const float count = static_cast<float>(reduced);
      for (int64_t i = 0; i < outer * inner; i++) out[i] /= count;
      return;
    }
    case kMax:
      return run<Max>(x, outer, reduced, inner, out);
    case kMin:
      return run<Min>(x, outer, reduced, inner, out);
    default:
      throw std::invalid_argument("unknown reduce op");
  }
}

}  // namespace trainyard
