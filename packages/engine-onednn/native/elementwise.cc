// Element-wise arithmetic with NumPy broadcasting, unary functions, the ReLU gradient, sums of several
// arrays and per-column sums. All memory-bound: the point is one pass over the data on both cores
// instead of tfjs's JavaScript loops.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "context.h"
#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kSquaredDifference, kMaximum, kMinimum };
enum UnaryOp { kRelu = 0, kStep, kSqrt, kRsqrt, kSquare, kExp, kLog, kNeg, kAbs, kReciprocal, kRelu6, kSigmoid, kTanh };

constexpr int kMaxRank = 8;

/**
 * An output shape and the element strides of both inputs in it (0 along broadcast axes), with
 * adjacent axes merged wherever both inputs allow, so that most calls become one or two loops.
 */
struct Broadcast {
  int rank = 0;
  int64_t shape[kMaxRank];
  int64_t a[kMaxRank];
  int64_t b[kMaxRank];

  Broadcast(const int32_t* p, size_t length) {
    int in_rank = p[0];
    if (in_rank < 0 || in_rank > kMaxRank || length < static_cast<size_t>(1 + 3 * in_rank)) {
      throw std::invalid_argument("bad broadcast description");
    }
    for (int i = 0; i < in_rank; i++) {
      int64_t size = p[1 + i];
      if (size == 1) continue;  // size-1 axes contribute nothing
      if (rank > 0) {
        int last = rank - 1;
        bool a_merges = a[last] == a_stride(p, in_rank, i) * size;
        bool b_merges = b[last] == b_stride(p, in_rank, i) * size;
        if (a_merges && b_merges) {
          shape[last] *= size;
          a[last] = a_stride(p, in_rank, i);
          b[last] = b_stride(p, in_rank, i);
          continue;
        }
      }
      shape[rank] = size;
      a[rank] = a_stride(p, in_rank, i);
      b[rank] = b_stride(p, in_rank, i);
      rank++;
    }
    if (rank == 0) {
      rank = 1;
      shape[0] = 1;
      a[0] = 0;
      b[0] = 0;
    }
  }

  static int64_t a_stride(const int32_t* p, int in_rank, int i) { return p[1 + in_rank + i]; }
  static int64_t b_stride(const int32_t* p, int in_rank, int i) { return p[1 + 2 * in_rank + i]; }

  int64_t size() const {
    int64_t total = 1;
    for (int i = 0; i < rank; i++) total *= shape[i];
    return total;
  }
};

template <typename F>
inline void row(const float* a, int64_t as, const float* b, int64_t bs, float* out, int64_t n, F f) {
  if (as == 1 && bs == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = f(a[j], b[j]);
  } else if (as == 1) {
    const float bv = b[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = f(a[j], bv);
  } else if (bs == 1) {
    const float av = a[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) out[j] = f(av, b[j]);
  } else {
    const float v = f(a[0], b[0]);
    for (int64_t j = 0; j < n; j++) out[j] = v;
  }
}

template <typename F>
void run_binary(const Broadcast& s, const float* a, const float* b, float* out, F f) {
  const int last = s.rank - 1;
  const int64_t inner = s.shape[last];
  const int64_t rows = s.size() / inner;
  const int64_t as = s.a[last], bs = s.b[last];
  if (rows == 1) {
    // One long row: split it between the threads.
    parallel_ranges(inner, worth_splitting(inner), [&](int, int64_t begin, int64_t end) {
      row(a + begin * as, as, b + begin * bs, bs, out + begin, end - begin, f);
    });
    return;
  }
  parallel_ranges(rows, worth_splitting(rows * inner), [&](int, int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      int64_t rest = r, a_offset = 0, b_offset = 0;
      for (int axis = last - 1; axis >= 0; axis--) {
        int64_t index = rest % s.shape[axis];
        rest /= s.shape[axis];
        a_offset += index * s.a[axis];
        b_offset += index * s.b[axis];
      }
      row(a + a_offset, as, b + b_offset, bs, out + r * inner, inner, f);
    }
  });
}

template <typename F>
void run_unary(const float* x, float* out, int64_t n, F f) {
  parallel_ranges(n, worth_splitting(n), [&](int, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) out[i] = f(x[i]);
  });
}

}  // namespace

/**
 * binary(op, a, b, out, description): description = [rank, outShape..., aStrides..., bStrides...],
 * strides in elements, 0 along the axes an input is broadcast over.
 */
void binary(Call& call) {
  int op = call.integer(0);
  size_t length = 0;
  const int32_t* description = call.ints(4, 1, &length);
  Broadcast s(description, length);
  const float* a = call.floats(1);
  const float* b = call.floats(2);
  float* out = call.floats(3, s.size());
  switch (op) {
    case kAdd:
      return run_binary(s, a, b, out, [](float x, float y) { return x + y; });
    case kSub:
      return run_binary(s, a, b, out, [](float x, float y) { return x - y; });
    case kMul:
      return run_binary(s, a, b, out, [](float x, float y) { return x * y; });
    case kDiv:
      return run_binary(s, a, b, out, [](float x, float y) { return x / y; });
    case kSquaredDifference:
      return run_binary(s, a, b, out, [](float x, float y) { return (x - y) * (x - y); });
    case kMaximum:
      return run_binary(s, a, b, out, [](float x, float y) { return std::isnan(x) || x > y ? x : y; });
    case kMinimum:
      return run_binary(s, a, b, out, [](float x, float y) { return std::isnan(x) || x < y ? x : y; });
    default:
      throw std::invalid_argument("unknown binary op");
  }
}

/** unary(op, x, out, alpha): alpha is Step's value for x <= 0. */
void unary(Call& call) {
  int op = call.integer(0);
  size_t n = call.float_count(1);
  const float* x = call.floats(1);
  float* out = call.floats(2, n);
  const float alpha = static_cast<float>(call.number(3));
  const int64_t count = static_cast<int64_t>(n);
  switch (op) {
    case kRelu:
      return run_unary(x, out, count, [](float v) { return v < 0.f ? 0.f : v; });
    case kStep:
      return run_unary(x, out, count, [alpha](float v) { return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); });
    case kSqrt:
      return run_unary(x, out, count, [](float v) { return std::sqrt(v); });
    case kRsqrt:
      return run_unary(x, out, count, [](float v) { return 1.f / std::sqrt(v); });
    case kSquare:
      return run_unary(x, out, count, [](float v) { return v * v; });
    case kExp:
      return run_unary(x, out, count, [](float v) { return std::exp(v); });
    case kLog:
      return run_unary(x, out, count, [](float v) { return std::log(v); });
    case kNeg:
      return run_unary(x, out, count, [](float v) { return -v; });
    case kAbs:
      return run_unary(x, out, count, [](float v) { return std::fabs(v); });
    case kReciprocal:
      return run_unary(x, out, count, [](float v) { return 1.f / v; });
    case kRelu6:
      return run_unary(x, out, count, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); });
    case kSigmoid:
      return run_unary(x, out, count, [](float v) { return 1.f / (1.f + std::exp(-v)); });
    case kTanh:
      return run_unary(x, out, count, [](float v) { return std::tanh(v); });
    default:
      throw std::invalid_argument("unknown unary op");
  }
}

/** reluBackward(dy, x, dx): dy where x > 0, else 0 (tfjs: dy * step(x)). */
void relu_backward(Call& call) {
  size_t n = call.float_count(0);
  const float* dy = call.floats(0);
  const float* x = call.floats(1, n);
  float* dx = call.floats(2, n);
  const int64_t count = static_cast<int64_t>(n);
  parallel_ranges(count, worth_splitting(count), [&](int, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) {
      const float gradient = dy[i];
      const float input = x[i];
      dx[i] = input > 0.f ? gradient : 0.f;
    }
  });
}

/** addN([a, b, ...], out) */
void add_n(Call& call) {
  uint32_t inputs = call.array_length(0);
  size_t n = call.float_count(1);
  float* out = call.floats(1);
  std::vector<const float*> sources(inputs);
  for (uint32_t i = 0; i < inputs; i++) {
    size_t length = 0;
    sources[i] = call.array_floats(0, i, &length);
    if (length != n) throw std::invalid_argument("addN inputs differ in size");
  }
  const int64_t count = static_cast<int64_t>(n);
  parallel_ranges(count, worth_splitting(count * inputs), [&](int, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) out[i] = sources[0][i];
    for (uint32_t k = 1; k < inputs; k++) {
      const float* source = sources[k];
#pragma omp simd
      for (int64_t i = begin; i < end; i++) out[i] += source[i];
    }
  });
}

/**
 * columnSums(x, columns, out, reluOutput | null): out[c] = sum over rows of x[r, c], counting only
 * the entries where reluOutput > 0 when given (the bias gradient under a fused ReLU).
 *
 * Rows are few columns wide (6 for LeNet's first layer), too narrow to vectorise one row at a time, so
 * the data is summed in flat blocks of a whole number of rows (at least 64 values) and the block's
 * columns folded at the end. Each thread sums its own rows into its own block.
 */
void column_sums(Call& call) {
  size_t n = call.float_count(0);
  const float* x = call.floats(0);
  const int64_t columns = call.integer(1);
  float* out = call.floats(2, columns);
  const float* mask = call.optional_floats(3, n);
  if (columns <= 0 || n % columns != 0) throw std::invalid_argument("columnSums: size is not a multiple of columns");
  const int64_t rows = static_cast<int64_t>(n) / columns;
  const int64_t rows_per_block = std::max<int64_t>(1, (64 + columns - 1) / columns);
  const int64_t block = rows_per_block * columns;
  const int64_t blocks = rows / rows_per_block;
  const int threads = max_threads();
  // Per thread, rounded up to whole cache lines so that threads never share one.
  const int64_t stride = (block + 15) / 16 * 16;
  std::vector<float> partial(static_cast<size_t>(threads * stride), 0.f);
  parallel_ranges(blocks, worth_splitting(static_cast<int64_t>(n)), [&](int thread, int64_t begin, int64_t end) {
    float* sums = partial.data() + thread * stride;
    for (int64_t b = begin; b < end; b++) {
      const float* values = x + b * block;
      if (mask == nullptr) {
#pragma omp simd
        for (int64_t j = 0; j < block; j++) sums[j] += values[j];
      } else {
        const float* m = mask + b * block;
#pragma omp simd
        for (int64_t j = 0; j < block; j++) {
          const float value = values[j];
          const float output = m[j];
          sums[j] += output > 0.f ? value : 0.f;
        }
      }
    }
  });
  for (int64_t c = 0; c < columns; c++) {
    float total = 0.f;
    for (int t = 0; t < threads; t++) {
      for (int64_t r = 0; r < rows_per_block; r++) total += partial[t * stride + r * columns + c];
    }
    for (int64_t r = blocks * rows_per_block; r < rows; r++) {
      if (mask == nullptr || mask[r * columns + c] > 0.f) total += x[r * columns + c];
    }
    out[c] = total;
  }
}

}  // namespace trainyard
