// Batched matrix products with either operand transposed (by strides, not copies), an optional bias
// row and a fused ReLU: dense layers forward, and their gradients (dA = dY B^T, dB = A^T dY).
#include <algorithm>

#include "context.h"
#include "ops.h"
#include "parallel.h"

namespace trainyard {
namespace {

using dnnl::algorithm;

/** params: batchA batchB M K N transposeA transposeB hasBias activation(0 linear, 1 relu) */
constexpr size_t kMatMulParams = 9;

struct MatMulShape {
  int64_t batch_a, batch_b, m, k, n;
  bool transpose_a, transpose_b, bias, relu;

  explicit MatMulShape(const int32_t* p)
      : batch_a(p[0]), batch_b(p[1]), m(p[2]), k(p[3]), n(p[4]), transpose_a(p[5] != 0), transpose_b(p[6] != 0),
        bias(p[7] != 0), relu(p[8] != 0) {
    if (batch_a != batch_b && batch_a != 1 && batch_b != 1) throw std::invalid_argument("batch sizes do not broadcast");
  }
  int64_t batch() const { return std::max(batch_a, batch_b); }
  memory::desc a() const {
    return {{batch_a, m, k}, dt::f32, transpose_a ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1}};
  }
  memory::desc b() const {
    return {{batch_b, k, n}, dt::f32, transpose_b ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1}};
  }
  memory::desc bias_desc() const { return {{1, 1, n}, dt::f32, tag::abc}; }
  memory::desc c() const { return {{batch(), m, n}, dt::f32, tag::abc}; }
  bool serial() const { return batch() * m * n * k < kSerialMultiplyAdds; }
};

struct MatMulPlan : Cached {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
};

}  // namespace

/** matMul(params, a, b, bias | null, c) */
void mat_mul(Call& call) {
  const int32_t* params = call.ints(0, kMatMulParams);
  MatMulShape s(params);
  SerialIf guard(s.serial());
  float* a = call.floats(1, s.batch_a * s.m * s.k);
  float* b = call.floats(2, s.batch_b * s.k * s.n);
  float* bias = call.optional_floats(3, s.n);
  float* c = call.floats(4, s.batch() * s.m * s.n);
  if (s.bias != (bias != nullptr)) throw std::invalid_argument("bias flag and bias argument disagree");

  auto& plan = plan_for<MatMulPlan>("matmul", params, kMatMulParams, [&] {
    auto made = std::make_unique<MatMulPlan>();
    dnnl::primitive_attr attr = base_attr();
    if (s.relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    auto desc = s.bias ? dnnl::matmul::desc(s.a(), s.b(), s.bias_desc(), s.c()) : dnnl::matmul::desc(s.a(), s.b(), s.c());
    made->pd = dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
    made->primitive = dnnl::matmul(made->pd);
    return made;
  });

  dnnl::engine& engine = cpu_engine();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(s.a(), engine, a)},
      {DNNL_ARG_WEIGHTS, memory(s.b(), engine, b)},
      {DNNL_ARG_DST, memory(s.c(), engine, c)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
  };
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, memory(s.bias_desc(), engine, bias));
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

}  // namespace trainyard
