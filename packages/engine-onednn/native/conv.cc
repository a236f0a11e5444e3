// 2-D convolution on NHWC activations (tfjs's layout, used in place) with HWIO filters reordered to
// the layout oneDNN picks (format_tag::any): forcing HWIO makes oneDNN fall back to a gemm path
// several times slower, reordering the small filter costs microseconds.
#include <algorithm>

#include "conv.h"
#include "ops.h"

namespace trainyard {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;

dnnl::convolution_forward::desc forward_desc(const ConvShape& s, bool with_bias) {
  if (with_bias) {
    return {prop_kind::forward_training, algorithm::convolution_direct, s.src(), s.any_weights(), s.bias_desc(),
            s.dst(), s.strides(), s.dilates(), s.pad_l(), s.pad_r()};
  }
  return {prop_kind::forward_training, algorithm::convolution_direct, s.src(), s.any_weights(), s.dst(), s.strides(),
          s.dilates(), s.pad_l(), s.pad_r()};
}

/** The user's HWIO filter and, when the primitive wants another layout, a reorder into its own copy. */
struct FilterLayout {
  memory::desc user;
  memory::desc wanted;
  bool reorder = false;
  memory internal;
  dnnl::reorder to_internal;    // user -> internal (forward, backward data)
  dnnl::reorder from_internal;  // internal -> user (backward weights)

  FilterLayout() = default;
  FilterLayout(const memory::desc& user_desc, const memory::desc& wanted_desc, bool into_internal)
      : user(user_desc), wanted(wanted_desc), reorder(user_desc != wanted_desc) {
    if (!reorder) return;
    SerialIf guard(small());
    internal = memory(wanted, cpu_engine());
    if (into_internal) {
      to_internal = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), user, cpu_engine(), wanted));
    } else {
      from_internal = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), wanted, cpu_engine(), user));
    }
  }

  /** Filters are mostly small: their reorders run on one thread (see SerialIf). */
  bool small() const { return static_cast<int64_t>(user.get_size() / sizeof(float)) < kParallelThreshold; }

  /** The filter as the primitive reads it. */
  memory read(float* user_data) {
    memory user_memory(user, cpu_engine(), user_data);
    if (!reorder) return user_memory;
    SerialIf guard(small());
    to_internal.execute(cpu_stream(), user_memory, internal);
    return internal;
  }

  /** Where the primitive writes the filter gradient. */
  memory target(float* user_data) { return reorder ? internal : memory(user, cpu_engine(), user_data); }

  void write_back(float* user_data) {
    if (!reorder) return;
    SerialIf guard(small());
    memory user_memory(user, cpu_engine(), user_data);
    from_internal.execute(cpu_stream(), internal, user_memory);
  }
};

struct ForwardPlan : Cached {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
  FilterLayout filter;
};

struct BackwardDataPlan : Cached {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data primitive;
  FilterLayout filter;
};

struct BackwardWeightsPlan : Cached {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights primitive;
  FilterLayout filter;
};

/** dy masked by the ReLU that followed the convolution: dy where y > 0, else 0. */
const float* relu_masked(const float* dy, const float* y, int64_t count) {
  auto* masked = static_cast<float*>(scratch(kMaskedGradient, count * sizeof(float)));
  parallel_ranges(count, worth_splitting(count), [&](int, int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) {
      const float gradient = dy[i];
      const float output = y[i];
      masked[i] = output > 0.f ? gradient : 0.f;
    }
  });
  return masked;
}

const float* gradient_before_activation(const ConvShape& s, const float* dy, const float* y) {
  if (s.activation == kLinear) return dy;
  if (y == nullptr) throw std::invalid_argument("the ReLU mask needs the forward output");
  return relu_masked(dy, y, s.dst_size());
}

}  // namespace

void run_conv_forward(const int32_t* params, const float* x, const float* filter, const float* bias, float* y) {
  ConvShape s(params);
  SerialIf guard(s.serial());
  if (s.bias != (bias != nullptr)) throw std::invalid_argument("bias flag and bias argument disagree");
  auto& plan = plan_for<ForwardPlan>("conv_fwd", params, kConvParams, [&] {
    auto made = std::make_unique<ForwardPlan>();
    dnnl::primitive_attr attr = base_attr();
    if (s.activation == kRelu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    made->pd = dnnl::convolution_forward::primitive_desc(forward_desc(s, s.bias), attr, cpu_engine());
    made->primitive = dnnl::convolution_forward(made->pd);
    made->filter = FilterLayout(s.user_weights(), made->pd.weights_desc(), true);
    return made;
  });

  dnnl::engine& engine = cpu_engine();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(s.src(), engine, const_cast<float*>(x))},
      {DNNL_ARG_WEIGHTS, plan.filter.read(const_cast<float*>(filter))},
      {DNNL_ARG_DST, memory(s.dst(), engine, y)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
  };
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, memory(s.bias_desc(), engine, const_cast<float*>(bias)));
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void run_conv_backward_data(const int32_t* params, const float* gradient, const float* filter, float* dx) {
  ConvShape s(params);
  SerialIf guard(s.serial());
  auto& plan = plan_for<BackwardDataPlan>("conv_bwd_data", params, kConvParams, [&] {
    auto made = std::make_unique<BackwardDataPlan>();
    auto hint = dnnl::convolution_forward::primitive_desc(forward_desc(s, false), cpu_engine());
    dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, s.src(), s.any_weights(), s.dst(),
                                               s.strides(), s.dilates(), s.pad_l(), s.pad_r());
    made->pd = dnnl::convolution_backward_data::primitive_desc(desc, base_attr(), cpu_engine(), hint);
    made->primitive = dnnl::convolution_backward_data(made->pd);
    made->filter = FilterLayout(s.user_weights(), made->pd.weights_desc(), true);
    return made;
  });

  dnnl::engine& engine = cpu_engine();
  plan.primitive.execute(cpu_stream(), {
                                           {DNNL_ARG_DIFF_DST, memory(s.dst(), engine, const_cast<float*>(gradient))},
                                           {DNNL_ARG_WEIGHTS, plan.filter.read(const_cast<float*>(filter))},
                                           {DNNL_ARG_DIFF_SRC, memory(s.src(), engine, dx)},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
                                       });
  cpu_stream().wait();
}

void run_conv_backward_weights(const int32_t* params, const float* x, const float* gradient, float* dfilter) {
  ConvShape s(params);
  SerialIf guard(s.serial());
  auto& plan = plan_for<BackwardWeightsPlan>("conv_bwd_weights", params, kConvParams, [&] {
    auto made = std::make_unique<BackwardWeightsPlan>();
    auto hint = dnnl::convolution_forward::primitive_desc(forward_desc(s, false), cpu_engine());
    dnnl::convolution_backward_weights::desc desc(algorithm::convolution_direct, s.src(), s.any_weights(), s.dst(),
                                                  s.strides(), s.dilates(), s.pad_l(), s.pad_r());
    made->pd = dnnl::convolution_backward_weights::primitive_desc(desc, base_attr(), cpu_engine(), hint);
    made->primitive = dnnl::convolution_backward_weights(made->pd);
    made->filter = FilterLayout(s.user_weights(), made->pd.diff_weights_desc(), false);
    return made;
  });

  dnnl::engine& engine = cpu_engine();
  plan.primitive.execute(cpu_stream(), {
                                           {DNNL_ARG_SRC, memory(s.src(), engine, const_cast<float*>(x))},
                                           {DNNL_ARG_DIFF_DST, memory(s.dst(), engine, const_cast<float*>(gradient))},
                                           {DNNL_ARG_DIFF_WEIGHTS, plan.filter.target(dfilter)},
                                           {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
                                       });
  plan.filter.write_back(dfilter);
  cpu_stream().wait();
}

/** conv2dForward(params, x, filter, bias | null, y) */
void conv2d_forward(Call& call) {
  const int32_t* params = call.ints(0, kConvParams);
  ConvShape s(params);
  float* x = call.floats(1, s.n * s.h * s.w * s.c);
  float* filter = call.floats(2, s.kh * s.kw * s.c * s.o);
  float* bias = call.optional_floats(3, s.o);
  float* y = call.floats(4, s.dst_size());
  run_conv_forward(params, x, filter, bias, y);
}

/** conv2dBackwardData(params, dy, filter, dx, y | null): y is the forward output, for a fused ReLU. */
void conv2d_backward_data(Call& call) {
  const int32_t* params = call.ints(0, kConvParams);
  ConvShape s(params);
  float* dy = call.floats(1, s.dst_size());
  float* filter = call.floats(2, s.kh * s.kw * s.c * s.o);
  float* dx = call.floats(3, s.n * s.h * s.w * s.c);
  float* y = call.optional_floats(4, s.dst_size());
  run_conv_backward_data(params, gradient_before_activation(s, dy, y), filter, dx);
}

/** conv2dBackwardWeights(params, x, dy, dFilter, y | null) */
void conv2d_backward_weights(Call& call) {
  const int32_t* params = call.ints(0, kConvParams);
  ConvShape s(params);
  float* x = call.floats(1, s.n * s.h * s.w * s.c);
  float* dy = call.floats(2, s.dst_size());
  float* dfilter = call.floats(3, s.kh * s.kw * s.c * s.o);
  float* y = call.optional_floats(4, s.dst_size());
  run_conv_backward_weights(params, x, gradient_before_activation(s, dy, y), dfilter);
}

}  // namespace trainyard
