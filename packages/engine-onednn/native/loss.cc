// Softmax cross-entropy on [rows, classes] logits with (optionally smoothed) one-hot labels, averaged
// over the rows: tfjs's losses.softmaxCrossEntropy with its default reduction, in one pass instead of
// about twenty kernels, and its gradient in one more.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

/** log(sum(exp(row))) computed as tfjs's logSumExp does: max + log(sum(exp(x - max))). */
float log_sum_exp(const float* row, int64_t classes) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < classes; j++) max = std::max(max, row[j]);
  if (!std::isfinite(max)) max = 0.f;
  float sum = 0.f;
  for (int64_t j = 0; j < classes; j++) sum += std::exp(row[j] - max);
  return std::log(sum) + max;
}

inline float smoothed(float label, float smoothing, int64_t classes) {
  return smoothing > 0.f ? label * (1.f - smoothing) + smoothing / static_cast<float>(classes) : label;
}

}  // namespace

/** softmaxCrossEntropy(labels, logits, classes, smoothing, lossOut[1]) */
void softmax_cross_entropy(Call& call) {
  size_t n = call.float_count(1);
  const float* labels = call.floats(0, n);
  const float* logits = call.floats(1, n);
  const int64_t classes = call.integer(2);
  const float smoothing = static_cast<float>(call.number(3));
  float* loss = call.floats(4, 1);
  if (classes <= 0 || n % classes != 0) throw std::invalid_argument("softmaxCrossEntropy: bad class count");
  const int64_t rows = static_cast<int64_t>(n) / classes;
  double total = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* row = logits + r * classes;
    const float* label = labels + r * classes;
    const float lse = log_sum_exp(row, classes);
    float cost = 0.f;
    for (int64_t j = 0; j < classes; j++) cost += -((row[j] - lse) * smoothed(label[j], smoothing, classes));
    total += cost;
  }
  loss[0] = rows > 0 ? static_cast<float>(total / static_cast<double>(rows)) : std::nanf("");
}

/**
 * softmaxCrossEntropyBackward(labels, logits, classes, smoothing, dLoss, dLogits, dLabels | null):
 * dLogits = dLoss / rows * (softmax - labels). For the labels, tfjs's gradient is
 * dLoss / rows * (labels - softmax) (not the derivative, -logSoftmax); it is reproduced so that both
 * engines agree, times (1 - smoothing) for the smoothing applied to the labels before.
 */
void softmax_cross_entropy_backward(Call& call) {
  size_t n = call.float_count(1);
  const float* labels = call.floats(0, n);
  const float* logits = call.floats(1, n);
  const int64_t classes = call.integer(2);
  const float smoothing = static_cast<float>(call.number(3));
  const float dloss = static_cast<float>(call.number(4));
  float* dlogits = call.optional_floats(5, n);
  float* dlabels = call.optional_floats(6, n);
  if (classes <= 0 || n % classes != 0) throw std::invalid_argument("softmaxCrossEntropy: bad class count");
  const int64_t rows = static_cast<int64_t>(n) / classes;
  const float scale = dloss / static_cast<float>(rows);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = logits + r * classes;
    const float* label = labels + r * classes;
    const float lse = log_sum_exp(row, classes);
    for (int64_t j = 0; j < classes; j++) {
      const float log_softmax = row[j] - lse;
      if (dlogits != nullptr) {
        dlogits[r * classes + j] = scale * (std::exp(log_softmax) - smoothed(label[j], smoothing, classes));
      }
      if (dlabels != nullptr) {
        dlabels[r * classes + j] = scale * (smoothed(label[j], smoothing, classes) - std::exp(log_softmax)) * (1.f - smoothing);
      }
    }
  }
}

}  // namespace trainyard
