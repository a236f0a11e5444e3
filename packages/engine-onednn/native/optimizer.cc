// Optimizer updates for every variable of a model in one call, in place. Each element goes through
// the same float32 operations in the same order as tfjs's AdamOptimizer and MomentumOptimizer (no
// fused multiply-add: the build passes -ffp-contract=off), so the results match tfjs's cpu backend.
#include <cmath>
#include <vector>

#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

struct Lists {
  std::vector<float*> arrays;
  std::vector<size_t> sizes;
};

Lists read_list(Call& call, size_t index) {
  Lists lists;
  uint32_t count = call.array_length(index);
  for (uint32_t i = 0; i < count; i++) {
    size_t length = 0;
    lists.arrays.push_back(call.array_floats(index, i, &length));
    lists.sizes.push_back(length);
  }
  return lists;
}

void check_same(const Lists& a, const Lists& b, const char* what) {
  if (a.arrays.size() != b.arrays.size()) throw std::invalid_argument(std::string(what) + ": list lengths differ");
  for (size_t i = 0; i < a.sizes.size(); i++) {
    if (a.sizes[i] != b.sizes[i]) throw std::invalid_argument(std::string(what) + ": array sizes differ");
  }
}

}  // namespace

/**
 * adamUpdate(values, gradients, firstMoments, secondMoments, learningRate, beta1, beta2, epsilon,
 * accBeta1, accBeta2): accBeta are beta^t for this step (tfjs's accBeta1/accBeta2 before their update).
 */
void adam_update(Call& call) {
  Lists values = read_list(call, 0), gradients = read_list(call, 1), m = read_list(call, 2), v = read_list(call, 3);
  check_same(values, gradients, "adamUpdate");
  check_same(values, m, "adamUpdate");
  check_same(values, v, "adamUpdate");
  const float learning_rate = static_cast<float>(call.number(4));
  const float beta1 = static_cast<float>(call.number(5));
  const float beta2 = static_cast<float>(call.number(6));
  const float epsilon = static_cast<float>(call.number(7));
  const float acc_beta1 = static_cast<float>(call.number(8));
  const float acc_beta2 = static_cast<float>(call.number(9));
  // As tfjs computes them: scalars from JavaScript numbers, then float32 tensor arithmetic.
  const float one_minus_beta1 = static_cast<float>(1.0 - call.number(5));
  const float one_minus_beta2 = static_cast<float>(1.0 - call.number(6));
  const float one_minus_acc_beta1 = 1.f - acc_beta1;
  const float one_minus_acc_beta2 = 1.f - acc_beta2;
  const float negative_rate = -learning_rate;
  for (size_t k = 0; k < values.arrays.size(); k++) {
    float* value = values.arrays[k];
    const float* g = gradients.arrays[k];
    float* first = m.arrays[k];
    float* second = v.arrays[k];
    const int64_t n = static_cast<int64_t>(values.sizes[k]);
    parallel_ranges(n, worth_splitting(n), [&](int, int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; i++) {
        const float new_first = first[i] * beta1 + g[i] * one_minus_beta1;
        const float new_second = second[i] * beta2 + (g[i] * g[i]) * one_minus_beta2;
        const float corrected_first = new_first / one_minus_acc_beta1;
        const float corrected_second = new_second / one_minus_acc_beta2;
        first[i] = new_first;
        second[i] = new_second;
        value[i] = (corrected_first / (std::sqrt(corrected_second) + epsilon)) * negative_rate + value[i];
      }
    });
  }
}

/**
 * momentumUpdate(values, gradients, accumulations, learningRate, momentum, nesterov): with an empty
 * accumulations list it is plain SGD (value - learningRate * gradient).
 */
void momentum_update(Call& call) {
  Lists values = read_list(call, 0), gradients = read_list(call, 1), accumulations = read_list(call, 2);
  check_same(values, gradients, "momentumUpdate");
  const bool sgd = accumulations.arrays.empty();
  if (!sgd) check_same(values, accumulations, "momentumUpdate");
  const float c = static_cast<float>(-call.number(3));
  const float momentum = static_cast<float>(call.number(4));
  const bool nesterov = call.number(5) != 0;
  for (size_t k = 0; k < values.arrays.size(); k++) {
    float* value = values.arrays[k];
    const float* g = gradients.arrays[k];
    const int64_t n = static_cast<int64_t>(values.sizes[k]);
    float* accumulation = sgd ? nullptr : accumulations.arrays[k];
    parallel_ranges(n, worth_splitting(n), [&](int, int64_t begin, int64_t end) {
      if (sgd) {
#pragma omp simd
        for (int64_t i = begin; i < end; i++) value[i] = c * g[i] + value[i];
      } else if (nesterov) {
#pragma omp simd
        for (int64_t i = begin; i < end; i++) {
          const float next = momentum * accumulation[i] + g[i];
          accumulation[i] = next;
          value[i] = c * (g[i] + next * momentum) + value[i];
        }
      } else {
#pragma omp simd
        for (int64_t i = begin; i < end; i++) {
          const float next = momentum * accumulation[i] + g[i];
          accumulation[i] = next;
          value[i] = c * next + value[i];
        }
      }
    });
  }
}

}  // namespace trainyard
