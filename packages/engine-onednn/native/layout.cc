// Copies that move data between layouts: concatenation and splitting along one axis (DenseNet and
// Inception join feature maps along channels), slicing, constant padding and transposition. tfjs's
// cpu backend does the general cases element by element through index arithmetic.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

constexpr int kMaxRank = 8;

struct Parts {
  std::vector<float*> data;
  std::vector<int64_t> inner;
  int64_t row = 0;  // sum of the inner sizes
};

Parts read_parts(Call& call, size_t list, size_t sizes, int64_t outer) {
  Parts parts;
  uint32_t count = call.array_length(list);
  size_t given = 0;
  const int32_t* inner = call.ints(sizes, count, &given);
  for (uint32_t i = 0; i < count; i++) {
    size_t length = 0;
    parts.data.push_back(call.array_floats(list, i, &length));
    parts.inner.push_back(inner[i]);
    if (static_cast<int64_t>(length) != outer * inner[i]) throw std::invalid_argument("part size mismatch");
    parts.row += inner[i];
  }
  return parts;
}

void read_shape(const int32_t* p, size_t length, int sections, int* rank) {
  *rank = p[0];
  if (*rank < 1 || *rank > kMaxRank || length < static_cast<size_t>(1 + sections * *rank)) {
    throw std::invalid_argument("bad layout description");
  }
}

}  // namespace

/** concat([parts...], innerSizes, outer, out): each output row is the parts' rows side by side. */
void concat(Call& call) {
  const int64_t outer = call.integer(2);
  Parts parts = read_parts(call, 0, 1, outer);
  float* out = call.floats(3, outer * parts.row);
  parallel_ranges(outer, worth_splitting(outer * parts.row), [&](int, int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; o++) {
      float* target = out + o * parts.row;
      for (size_t i = 0; i < parts.data.size(); i++) {
        std::memcpy(target, parts.data[i] + o * parts.inner[i], parts.inner[i] * sizeof(float));
        target += parts.inner[i];
      }
    }
  });
}

/** split(x, innerSizes, outer, [parts...]): concat's inverse. */
void split(Call& call) {
  const int64_t outer = call.integer(2);
  Parts parts = read_parts(call, 3, 1, outer);
  const float* x = call.floats(0, outer * parts.row);
  parallel_ranges(outer, worth_splitting(outer * parts.row), [&](int, int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; o++) {
      const float* source = x + o * parts.row;
      for (size_t i = 0; i < parts.data.size(); i++) {
        std::memcpy(parts.data[i] + o * parts.inner[i], source, parts.inner[i] * sizeof(float));
        source += parts.inner[i];
      }
    }
  });
}

/** slice(x, out, [rank, inShape..., begin..., size...]) */
void slice(Call& call) {
  size_t length = 0;
  const int32_t* p = call.ints(2, 1, &length);
  int rank = 0;
  read_shape(p, length, 3, &rank);
  const int32_t* in_shape = p + 1;
  const int32_t* begin = p + 1 + rank;
  const int32_t* size = p + 1 + 2 * rank;
  int64_t in_strides[kMaxRank];
  int64_t in_total = 1, out_total = 1;
  for (int i = rank - 1; i >= 0; i--) {
    in_strides[i] = in_total;
    in_total *= in_shape[i];
    out_total *= size[i];
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > in_shape[i]) throw std::invalid_argument("slice out of range");
  }
  const float* x = call.floats(0, in_total);
  float* out = call.floats(1, out_total);
  if (out_total == 0) return;
  // Axes after `k` are whole: each output row is one contiguous run of the input.
  int k = rank - 1;
  int64_t inner = 1;
  while (k > 0 && begin[k] == 0 && size[k] == in_shape[k]) inner *= in_shape[k--];
  const int64_t run = size[k] * inner;
  const int64_t rows = out_total / run;
  parallel_ranges(rows, worth_splitting(out_total), [&](int, int64_t first, int64_t last) {
    for (int64_t r = first; r < last; r++) {
      int64_t rest = r, offset = begin[k] * in_strides[k];
      for (int axis = k - 1; axis >= 0; axis--) {
        int64_t index = rest % size[axis];
        rest /= size[axis];
        offset += (begin[axis] + index) * in_strides[axis];
      }
      std::memcpy(out + r * run, x + offset, run * sizeof(float));
    }
  });
}

/** pad(x, out, [rank, inShape..., before..., after...], value) */
void pad(Call& call) {
  size_t length = 0;
  const int32_t* p = call.ints(2, 1, &length);
  int rank = 0;
  read_shape(p, length, 3, &rank);
  const int32_t* in_shape = p + 1;
  const int32_t* before = p + 1 + rank;
  const int32_t* after = p + 1 + 2 * rank;
  const float value = static_cast<float>(call.number(3));
  int64_t out_shape[kMaxRank];
  int64_t in_total = 1, out_total = 1;
  for (int i = 0; i < rank; i++) {
    if (before[i] < 0 || after[i] < 0) throw std::invalid_argument("negative padding");
    out_shape[i] = in_shape[i] + before[i] + after[i];
    in_total *= in_shape[i];
    out_total *= out_shape[i];
  }
  const float* x = call.floats(0, in_total);
  float* out = call.floats(1, out_total);
  if (out_total == 0) return;
  // The last padded axis k: below it rows are copied whole.
  int k = rank - 1;
  int64_t inner = 1;
  while (k > 0 && before[k] == 0 && after[k] == 0) inner *= in_shape[k--];
  const int64_t out_row = out_shape[k] * inner, in_row = in_shape[k] * inner;
  const int64_t lead = before[k] * inner;
  const int64_t rows = out_total / out_row;
  parallel_ranges(rows, worth_splitting(out_total), [&](int, int64_t first, int64_t last) {
    for (int64_t r = first; r < last; r++) {
      float* target = out + r * out_row;
      int64_t rest = r, source_row = 0, scale = 1;
      bool inside = true;
      for (int axis = k - 1; axis >= 0; axis--) {
        int64_t index = rest % out_shape[axis] - before[axis];
        rest /= out_shape[axis];
        if (index < 0 || index >= in_shape[axis]) inside = false;
        source_row += index * scale;
        scale *= in_shape[axis];
      }
      if (!inside) {
        std::fill(target, target + out_row, value);
        continue;
      }
      std::fill(target, target + lead, value);
      std::memcpy(target + lead, x + source_row * in_row, in_row * sizeof(float));
      std::fill(target + lead + in_row, target + out_row, value);
    }
  });
}

/** transpose(x, out, [rank, inShape..., perm...]): out axis i is input axis perm[i]. */
void transpose(Call& call) {
  size_t length = 0;
  const int32_t* p = call.ints(2, 1, &length);
  int rank = 0;
  read_shape(p, length, 2, &rank);
  const int32_t* in_shape = p + 1;
  const int32_t* perm = p + 1 + rank;
  int64_t in_strides[kMaxRank], out_shape[kMaxRank], source_strides[kMaxRank];
  int64_t total = 1;
  for (int i = rank - 1; i >= 0; i--) {
    in_strides[i] = total;
    total *= in_shape[i];
  }
  for (int i = 0; i < rank; i++) {
    if (perm[i] < 0 || perm[i] >= rank) throw std::invalid_argument("bad permutation");
    out_shape[i] = in_shape[perm[i]];
    source_strides[i] = in_strides[perm[i]];
  }
  const float* x = call.floats(0, total);
  float* out = call.floats(1, total);
  if (total == 0) return;
  const int64_t inner = out_shape[rank - 1], inner_stride = source_strides[rank - 1];
  const int64_t rows = total / inner;
  parallel_ranges(rows, worth_splitting(total), [&](int, int64_t first, int64_t last) {
    for (int64_t r = first; r < last; r++) {
      int64_t rest = r, offset = 0;
      for (int axis = rank - 2; axis >= 0; axis--) {
        offset += (rest % out_shape[axis]) * source_strides[axis];
        rest /= out_shape[axis];
      }
      float* target = out + r * inner;
      const float* source = x + offset;
      for (int64_t j = 0; j < inner; j++) target[j] = source[j * inner_stride];
    }
  });
}

}  // namespace trainyard
