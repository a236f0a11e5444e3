// Batch normalisation over the last axis of an NHWC (or [rows, channels]) tensor. Training computes the
// batch mean and (biased) variance in the same pass that normalises, and the backward pass returns the
// input, scale and shift gradients together: what tfjs composes from about forty kernels.
#include <algorithm>
#include <cstring>
#include <vector>

#include "context.h"
#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

using dnnl::normalization_flags;
using dnnl::prop_kind;

/** params: N H W C (a [rows, channels] tensor is N=rows, H=W=1) */
constexpr size_t kBatchNormParams = 4;

struct NormShape {
  int64_t n, h, w, c;
  explicit NormShape(const int32_t* p) : n(p[0]), h(p[1]), w(p[2]), c(p[3]) {}
  memory::desc data() const { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
  memory::desc vector() const { return {{c}, dt::f32, tag::a}; }
  int64_t size() const { return n * h * w * c; }
  bool serial() const { return !worth_splitting(size()); }
};

const normalization_flags kScaleShift = normalization_flags::use_scale | normalization_flags::use_shift;

struct ForwardPlan : Cached {
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::batch_normalization_forward primitive;
};

struct BackwardPlan : Cached {
  dnnl::batch_normalization_backward::primitive_desc pd;
  dnnl::batch_normalization_backward primitive;
};

/** Ones and zeros standing in for an absent scale or shift. */
float* constant_vector(std::vector<float>& storage, int64_t length, float value) {
  if (static_cast<int64_t>(storage.size()) < length) storage.assign(length, value);
  return storage.data();
}

float* scale_or_ones(float* scale, int64_t c) {
  thread_local std::vector<float> ones;
  return scale != nullptr ? scale : constant_vector(ones, c, 1.f);
}

float* shift_or_zeros(float* shift, int64_t c) {
  thread_local std::vector<float> zeros;
  return shift != nullptr ? shift : constant_vector(zeros, c, 0.f);
}

ForwardPlan& forward_plan(const int32_t* params, float epsilon, bool training) {
  NormShape s(params);
  int32_t keyed[kBatchNormParams + 1];
  std::copy(params, params + kBatchNormParams, keyed);
  std::memcpy(&keyed[kBatchNormParams], &epsilon, sizeof(float));
  return plan_for<ForwardPlan>(training ? "bn_fwd_train" : "bn_fwd_infer", keyed, kBatchNormParams + 1, [&] {
    auto made = std::make_unique<ForwardPlan>();
    auto flags = training ? kScaleShift : kScaleShift | normalization_flags::use_global_stats;
    dnnl::batch_normalization_forward::desc desc(
        training ? prop_kind::forward_training : prop_kind::forward_inference, s.data(), epsilon, flags);
    made->pd = dnnl::batch_normalization_forward::primitive_desc(desc, base_attr(), cpu_engine());
    made->primitive = dnnl::batch_normalization_forward(made->pd);
    return made;
  });
}

}  // namespace

/** batchNormInference(params, epsilon, x, mean, variance, scale | null, shift | null, y) */
void batch_norm_inference(Call& call) {
  const int32_t* params = call.ints(0, kBatchNormParams);
  NormShape s(params);
  SerialIf guard(s.serial());
  float epsilon = static_cast<float>(call.number(1));
  float* x = call.floats(2, s.size());
  float* mean = call.floats(3, s.c);
  float* variance = call.floats(4, s.c);
  float* scale = scale_or_ones(call.optional_floats(5, s.c), s.c);
  float* shift = shift_or_zeros(call.optional_floats(6, s.c), s.c);
  float* y = call.floats(7, s.size());
  ForwardPlan& plan = forward_plan(params, epsilon, false);
  dnnl::engine& engine = cpu_engine();
  plan.primitive.execute(cpu_stream(), {
                                           {DNNL_ARG_SRC, memory(s.data(), engine, x)},
                                           {DNNL_ARG_MEAN, memory(s.vector(), engine, mean)},
                                           {DNNL_ARG_VARIANCE, memory(s.vector(), engine, variance)},
                                           {DNNL_ARG_SCALE, memory(s.vector(), engine, scale)},
                                           {DNNL_ARG_SHIFT, memory(s.vector(), engine, shift)},
                                           {DNNL_ARG_DST, memory(s.data(), engine, y)},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
                                       });
  cpu_stream().wait();
}

/** batchNormTraining(params, epsilon, x, scale | null, shift | null, y, meanOut, varianceOut) */
void batch_norm_training(Call& call) {
  const int32_t* params = call.ints(0, kBatchNormParams);
  NormShape s(params);
  SerialIf guard(s.serial());
  float epsilon = static_cast<float>(call.number(1));
  float* x = call.floats(2, s.size());
  float* scale = scale_or_ones(call.optional_floats(3, s.c), s.c);
  float* shift = shift_or_zeros(call.optional_floats(4, s.c), s.c);
  float* y = call.floats(5, s.size());
  float* mean = call.floats(6, s.c);
  float* variance = call.floats(7, s.c);
  ForwardPlan& plan = forward_plan(params, epsilon, true);
  dnnl::engine& engine = cpu_engine();
  plan.primitive.execute(cpu_stream(), {
                                           {DNNL_ARG_SRC, memory(s.data(), engine, x)},
                                           {DNNL_ARG_SCALE, memory(s.vector(), engine, scale)},
                                           {DNNL_ARG_SHIFT, memory(s.vector(), engine, shift)},
                                           {DNNL_ARG_DST, memory(s.data(), engine, y)},
                                           {DNNL_ARG_MEAN, memory(s.vector(), engine, mean)},
                                           {DNNL_ARG_VARIANCE, memory(s.vector(), engine, variance)},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
                                       });
  cpu_stream().wait();
}

/**
 * batchNormBackward(params, epsilon, x, dy, mean, variance, scale | null, dx, dScaleOut, dShiftOut):
 * the gradient through the batch statistics too (they were computed from x).
 */
void batch_norm_backward(Call& call) {
  const int32_t* params = call.ints(0, kBatchNormParams);
  NormShape s(params);
  SerialIf guard(s.serial());
  float epsilon = static_cast<float>(call.number(1));
  float* x = call.floats(2, s.size());
  float* dy = call.floats(3, s.size());
  float* mean = call.floats(4, s.c);
  float* variance = call.floats(5, s.c);
  float* scale = scale_or_ones(call.optional_floats(6, s.c), s.c);
  float* dx = call.floats(7, s.size());
  float* dscale = call.floats(8, s.c);
  float* dshift = call.floats(9, s.c);

  ForwardPlan& hint = forward_plan(params, epsilon, true);
  int32_t keyed[kBatchNormParams + 1];
  std::copy(params, params + kBatchNormParams, keyed);
  std::memcpy(&keyed[kBatchNormParams], &epsilon, sizeof(float));
  auto& plan = plan_for<BackwardPlan>("bn_bwd", keyed, kBatchNormParams + 1, [&] {
    auto made = std::make_unique<BackwardPlan>();
    dnnl::batch_normalization_backward::desc desc(prop_kind::backward, s.data(), s.data(), epsilon, kScaleShift);
    made->pd = dnnl::batch_normalization_backward::primitive_desc(desc, base_attr(), cpu_engine(), hint.pd);
    made->primitive = dnnl::batch_normalization_backward(made->pd);
    return made;
  });
  dnnl::engine& engine = cpu_engine();
  // oneDNN 2.6 rejects the backward pass without the shift, though it does not read it.
  float* shift = shift_or_zeros(nullptr, s.c);
  plan.primitive.execute(cpu_stream(), {
                                           {DNNL_ARG_SRC, memory(s.data(), engine, x)},
                                           {DNNL_ARG_DIFF_DST, memory(s.data(), engine, dy)},
                                           {DNNL_ARG_MEAN, memory(s.vector(), engine, mean)},
                                           {DNNL_ARG_VARIANCE, memory(s.vector(), engine, variance)},
                                           {DNNL_ARG_SCALE, memory(s.vector(), engine, scale)},
                                           {DNNL_ARG_SHIFT, memory(s.vector(), engine, shift)},
                                           {DNNL_ARG_DIFF_SRC, memory(s.data(), engine, dx)},
                                           {DNNL_ARG_DIFF_SCALE, memory(s.vector(), engine, dscale)},
                                           {DNNL_ARG_DIFF_SHIFT, memory(s.vector(), engine, dshift)},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
                                       });
  cpu_stream().wait();
}

}  // namespace trainyard
