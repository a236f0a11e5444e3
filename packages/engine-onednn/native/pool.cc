// Max and average pooling on NHWC activations. Max pooling in training keeps oneDNN's workspace (the
// position of each window's maximum) so that its gradient needs no second pass over the input.
#include "context.h"
#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;

/** params: N H W C  OH OW  KH KW  SH SW  PT PL PB PR  kind */
constexpr size_t kPoolParams = 15;
enum PoolKind { kMax = 0, kAverageExcludingPadding = 1, kAverageIncludingPadding = 2 };

struct PoolShape {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr;
  int kind;

  explicit PoolShape(const int32_t* p)
      : n(p[0]), h(p[1]), w(p[2]), c(p[3]), oh(p[4]), ow(p[5]), kh(p[6]), kw(p[7]), sh(p[8]), sw(p[9]), pt(p[10]),
        pl(p[11]), pb(p[12]), pr(p[13]), kind(p[14]) {
    if (kind < kMax || kind > kAverageIncludingPadding) throw std::invalid_argument("unknown pooling kind");
    pb = far_padding(h, kh, sh, pt, pb, oh);
    pr = far_padding(w, kw, sw, pl, pr, ow);
  }

  static int64_t far_padding(int64_t in, int64_t k, int64_t s, int64_t near, int64_t far, int64_t out) {
    auto fits = [&](int64_t p) { return in + near + p - k >= 0 && (in + near + p - k) / s + 1 == out; };
    if (fits(far)) return far;
    int64_t needed = (out - 1) * s + k - in - near;
    if (needed >= 0 && fits(needed)) return needed;
    throw std::invalid_argument("pooling padding does not produce the output size");
  }

  algorithm alg() const {
    switch (kind) {
      case kMax:
        return algorithm::pooling_max;
      case kAverageExcludingPadding:
        return algorithm::pooling_avg_exclude_padding;
      default:
        return algorithm::pooling_avg_include_padding;
    }
  }
  memory::desc src() const { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{n, c, oh, ow}, dt::f32, tag::nhwc}; }
  int64_t src_size() const { return n * h * w * c; }
  int64_t dst_size() const { return n * oh * ow * c; }
  bool serial() const { return !worth_splitting(src_size()); }

  dnnl::pooling_forward::desc forward_desc(prop_kind prop) const {
    return {prop, alg(), src(), dst(), {sh, sw}, {kh, kw}, {pt, pl}, {pb, pr}};
  }
};

struct ForwardPlan : Cached {
  dnnl::pooling_forward::primitive_desc pd;
  dnnl::pooling_forward primitive;
};

struct BackwardPlan : Cached {
  dnnl::pooling_forward::primitive_desc forward_pd;
  dnnl::pooling_forward forward;  // rebuilds the workspace when the caller has none
  dnnl::pooling_backward::primitive_desc pd;
  dnnl::pooling_backward primitive;
};

/** Call with a SerialIf for the shape in scope (creation and execution must agree). */
ForwardPlan& forward_plan(const int32_t* params, bool training) {
  PoolShape s(params);
  return plan_for<ForwardPlan>(training ? "pool_fwd_train" : "pool_fwd_infer", params, kPoolParams, [&] {
    auto made = std::make_unique<ForwardPlan>();
    made->pd = dnnl::pooling_forward::primitive_desc(
        s.forward_desc(training ? prop_kind::forward_training : prop_kind::forward_inference), base_attr(),
        cpu_engine());
    made->primitive = dnnl::pooling_forward(made->pd);
    return made;
  });
}

}  // namespace

/** poolWorkspaceBytes(params): the bytes max pooling keeps for its gradient (0 for average pooling). */
void pool_workspace_bytes(Call& call) {
  const int32_t* params = call.ints(0, kPoolParams);
  PoolShape s(params);
  SerialIf guard(s.serial());
  size_t bytes = s.kind == kMax ? forward_plan(params, true).pd.workspace_desc().get_size() : 0;
  napi_create_double(call.env(), static_cast<double>(bytes), &call.result);
}

/** poolForward(params, x, y, workspace | null): a workspace (max pooling) means training. */
void pool_forward(Call& call) {
  const int32_t* params = call.ints(0, kPoolParams);
  PoolShape s(params);
  SerialIf guard(s.serial());
  float* x = call.floats(1, s.src_size());
  float* y = call.floats(2, s.dst_size());
  bool training = s.kind == kMax && !call.is_null(3);
  ForwardPlan& plan = forward_plan(params, training);
  dnnl::engine& engine = cpu_engine();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(s.src(), engine, x)},
      {DNNL_ARG_DST, memory(s.dst(), engine, y)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
  };
  if (training) {
    size_t bytes = 0;
    void* workspace = call.bytes(3, &bytes);
    if (bytes < plan.pd.workspace_desc().get_size()) throw std::invalid_argument("pooling workspace too small");
    args.emplace(DNNL_ARG_WORKSPACE, memory(plan.pd.workspace_desc(), engine, workspace));
  }
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

/** poolBackward(params, dy, dx, workspace | null, x | null): max pooling needs the workspace or x. */
void pool_backward(Call& call) {
  const int32_t* params = call.ints(0, kPoolParams);
  PoolShape s(params);
  SerialIf guard(s.serial());
  float* dy = call.floats(1, s.dst_size());
  float* dx = call.floats(2, s.src_size());

  auto& plan = plan_for<BackwardPlan>("pool_bwd", params, kPoolParams, [&] {
    auto made = std::make_unique<BackwardPlan>();
    made->forward_pd =
        dnnl::pooling_forward::primitive_desc(s.forward_desc(prop_kind::forward_training), base_attr(), cpu_engine());
    made->forward = dnnl::pooling_forward(made->forward_pd);
    dnnl::pooling_backward::desc desc(s.alg(), s.src(), s.dst(), {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl},
                                      {s.pb, s.pr});
    made->pd = dnnl::pooling_backward::primitive_desc(desc, base_attr(), cpu_engine(), made->forward_pd);
    made->primitive = dnnl::pooling_backward(made->pd);
    return made;
  });

  dnnl::engine& engine = cpu_engine();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_DIFF_DST, memory(s.dst(), engine, dy)},
      {DNNL_ARG_DIFF_SRC, memory(s.src(), engine, dx)},
  };
  if (s.kind == kMax) {
    memory::desc workspace_desc = plan.forward_pd.workspace_desc();
    void* workspace = nullptr;
    if (!call.is_null(3)) {
      size_t bytes = 0;
      workspace = call.bytes(3, &bytes);
      if (bytes < workspace_desc.get_size()) throw std::invalid_argument("pooling workspace too small");
    } else {
      // No workspace kept: run the forward pass again to find each window's maximum.
      float* x = call.floats(4, s.src_size());
      workspace = scratch(kTemporary, workspace_desc.get_size());
      void* y = scratch(kTemporary2, s.dst_size() * sizeof(float));
      plan.forward.execute(cpu_stream(), {
                                             {DNNL_ARG_SRC, memory(s.src(), engine, x)},
                                             {DNNL_ARG_DST, memory(s.dst(), engine, y)},
                                             {DNNL_ARG_WORKSPACE, memory(workspace_desc, engine, workspace)},
                                             {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.forward_pd.scratchpad_desc())},
                                         });
    }
    args.emplace(DNNL_ARG_WORKSPACE, memory(workspace_desc, engine, workspace));
  }
  // After the forward pass above, which may have grown the shared scratchpad.
  args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc()));
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

}  // namespace trainyard
