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

inline int32_t s32(int64_t value) { return static_cast<int32_t>(value); }

struct MatMulPlan : Cached {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
};

/** c = a x b (+ bias, then ReLU, as params say), on raw arrays. */
void run_matmul(const int32_t* params, const float* a, const float* b, const float* bias, float* c) {
  MatMulShape s(params);
  SerialIf guard(s.serial());
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
      {DNNL_ARG_SRC, memory(s.a(), engine, const_cast<float*>(a))},
      {DNNL_ARG_WEIGHTS, memory(s.b(), engine, const_cast<float*>(b))},
      {DNNL_ARG_DST, memory(s.c(), engine, c)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
  };
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, memory(s.bias_desc(), engine, const_cast<float*>(bias)));
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

}  // namespace

/** matMul(params, a, b, bias | null, c) */
void mat_mul(Call& call) {
  const int32_t* params = call.ints(0, kMatMulParams);
  MatMulShape s(params);
  float* a = call.floats(1, s.batch_a * s.m * s.k);
  float* b = call.floats(2, s.batch_b * s.k * s.n);
  float* bias = call.optional_floats(3, s.n);
  float* c = call.floats(4, s.batch() * s.m * s.n);
  run_matmul(params, a, b, bias, c);
}

/**
 * denseBackward(params, a, b, dy, y | null, dA | null, dB | null, dBias | null): the gradients of
 * y = act(a x b + bias) for one [M, K] x [K, N] product without transposes (params as matMul's, batch
 * 1): dA = g x b^T, dB = a^T x g, dBias = column sums of g, where g is dy masked by the ReLU (y > 0)
 * when params say ReLU. Any subset of the three in one call.
 */
void dense_backward(Call& call) {
  const int32_t* params = call.ints(0, kMatMulParams);
  MatMulShape s(params);
  if (s.batch() != 1 || s.transpose_a || s.transpose_b) {
    throw std::invalid_argument("denseBackward: plain [M,K] x [K,N] only");
  }
  const int64_t m = s.m, k = s.k, n = s.n;
  const float* a = call.floats(1, m * k);
  const float* b = call.floats(2, k * n);
  const float* dy = call.floats(3, m * n);
  const float* y = call.optional_floats(4, m * n);
  float* da = call.optional_floats(5, m * k);
  float* db = call.optional_floats(6, k * n);
  float* dbias = call.optional_floats(7, n);
  const float* g = dy;
  if (s.relu) {
    if (y == nullptr) throw std::invalid_argument("denseBackward: the ReLU mask needs the forward output");
    auto* masked = static_cast<float*>(scratch(kMaskedGradient, m * n * sizeof(float)));
#pragma omp simd
    for (int64_t i = 0; i < m * n; i++) {
      const float gradient = dy[i];
      const float output = y[i];
      masked[i] = output > 0.f ? gradient : 0.f;
    }
    g = masked;
  }
  if (da != nullptr) {
    // [M, N] x [N, K]: b read transposed through its strides.
    const int32_t product[kMatMulParams] = {1, 1, s32(m), s32(n), s32(k), 0, 1, 0, 0};
    run_matmul(product, g, b, nullptr, da);
  }
  if (db != nullptr) {
    // [K, M] x [M, N]: a read transposed.
    const int32_t product[kMatMulParams] = {1, 1, s32(k), s32(m), s32(n), 1, 0, 0, 0};
    run_matmul(product, a, g, nullptr, db);
  }
  if (dbias != nullptr) {
    std::fill(dbias, dbias + n, 0.f);
    for (int64_t r = 0; r < m; r++) {
      const float* row = g + r * n;
#pragma omp simd
      for (int64_t j = 0; j < n; j++) dbias[j] += row[j];
    }
  }
}

}  // namespace trainyard
