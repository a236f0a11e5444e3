// A convolution (bias, ReLU) and the max pooling after it as one kernel, and all of its gradients from
// the pooled output's: LeNet-style blocks. The convolution's output never leaves native scratch
// memory: the forward pass pools it at once and keeps only the pooled values and, for the gradient,
// which cell of each window held the maximum (oneDNN's pooling workspace, one byte per pooled value).
// Backward, the gradient reaches the convolution's output only at those cells, masked by
// the ReLU there (the pooled value > 0 exactly when the ReLU let that cell through); the bias gradient
// is summed from the pooled gradient directly.
//
// The pooling runs on oneDNN; its gradient is written here: with LeNet's channel counts (6, 16),
// below oneDNN's 16-channel vector blocks, oneDNN's max-pooling gradient took ~0.3 ms on 64x24x24x6.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "conv.h"
#include "ops.h"

namespace trainyard {
namespace {

/** poolParams: PH PW  KH KW  SH SW  PT PL (pooled size, window, strides, near padding) */
constexpr size_t kPoolParams = 8;

struct Pooling {
  int64_t ph, pw, kh, kw, sh, sw, pt, pl;
  explicit Pooling(const int32_t* p)
      : ph(p[0]), pw(p[1]), kh(p[2]), kw(p[3]), sh(p[4]), sw(p[5]), pt(p[6]), pl(p[7]) {
    if (kh < 1 || kw < 1 || kh * kw > 255 || sh < 1 || sw < 1 || ph < 1 || pw < 1) {
      throw std::invalid_argument("convPool: unsupported pooling window");
    }
  }
  /** Windows tile the input exactly (stride = window, no padding): every cell belongs to one window. */
  bool tiles(const ConvShape& s) const {
    return sh == kh && sw == kw && pt == 0 && pl == 0 && ph * kh == s.oh && pw * kw == s.ow;
  }
};

struct Block {
  ConvShape conv;
  Pooling pool;
  Block(const int32_t* conv_params, const int32_t* pool_params) : conv(conv_params), pool(pool_params) {}
  int64_t input_size() const { return conv.n * conv.h * conv.w * conv.c; }
  int64_t filter_size() const { return conv.kh * conv.kw * conv.c * conv.o; }
  int64_t pooled_size() const { return conv.n * pool.ph * pool.pw * conv.o; }
  bool relu() const { return conv.activation == kRelu; }
};

/**
 * Runs f(width, c) over the channels in chunks whose width is a compile-time constant (8, then the
 * 1-7 left): loops over a runtime count of 6 or 16 channels compile to branches and scalar code
 * (~0.4 ms for LeNet's first pooling, ten times oneDNN's); fixed widths compile to straight-line
 * selects.
 */
template <typename F>
inline void channel_chunks(int64_t channels, F f) {
  int64_t c = 0;
  for (; c + 8 <= channels; c += 8) f(std::integral_constant<int, 8>{}, c);
  switch (channels - c) {
    case 1: return f(std::integral_constant<int, 1>{}, c);
    case 2: return f(std::integral_constant<int, 2>{}, c);
    case 3: return f(std::integral_constant<int, 3>{}, c);
    case 4: return f(std::integral_constant<int, 4>{}, c);
    case 5: return f(std::integral_constant<int, 5>{}, c);
    case 6: return f(std::integral_constant<int, 6>{}, c);
    case 7: return f(std::integral_constant<int, 7>{}, c);
    default: return;
  }
}

/** All bits set when `condition` holds, else none: for selects the compiler cannot turn into branches. */
inline int32_t all_if(bool condition) { return -static_cast<int32_t>(condition); }

inline float keep_if(int32_t mask, float value) {
  int32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits &= mask;
  std::memcpy(&value, &bits, sizeof bits);
  return value;
}

/** The cells of one pooling window inside the convolution's output, in row-major window order. */
template <typename F>
inline void window_cells(const ConvShape& s, const Pooling& p, int64_t n, int64_t py, int64_t px, F f) {
  for (int64_t ky = 0; ky < p.kh; ky++) {
    const int64_t iy = py * p.sh - p.pt + ky;
    if (iy < 0 || iy >= s.oh) continue;
    for (int64_t kx = 0; kx < p.kw; kx++) {
      const int64_t ix = px * p.sw - p.pl + kx;
      if (ix < 0 || ix >= s.ow) continue;
      f(((n * s.oh + iy) * s.ow + ix) * s.o, static_cast<int32_t>(ky * p.kw + kx));
    }
  }
}

struct PoolPlan : Cached {
  dnnl::pooling_forward::primitive_desc pd;
  dnnl::pooling_forward primitive;
};

/**
 * Max pooling of y (the convolution's output) into pooled, through oneDNN (its JIT kernels take
 * 6 channels in one vector, where compiled loops handle them one by one, five times slower). With
 * indices (training) its workspace is kept: one byte per pooled value, the window cell of the maximum
 * in row-major window order (ky * KW + kx), the first one on ties, as tfjs picks.
 */
void pool_max(const Block& b, const int32_t* conv_params, const int32_t* pool_params, float* y, float* pooled,
              uint8_t* indices) {
  const ConvShape& s = b.conv;
  const Pooling& p = b.pool;
  SerialIf guard(!worth_splitting(s.dst_size()));
  const bool training = indices != nullptr;
  int32_t key[kConvParams + kPoolParams + 1];
  std::copy(conv_params, conv_params + kConvParams, key);
  std::copy(pool_params, pool_params + kPoolParams, key + kConvParams);
  key[kConvParams + kPoolParams] = training ? 1 : 0;
  const memory::desc src{{s.n, s.o, s.oh, s.ow}, dt::f32, tag::nhwc};
  const memory::desc dst{{s.n, s.o, p.ph, p.pw}, dt::f32, tag::nhwc};
  auto& plan = plan_for<PoolPlan>("conv_pool_max", key, kConvParams + kPoolParams + 1, [&] {
    auto made = std::make_unique<PoolPlan>();
    const int64_t pb = (p.ph - 1) * p.sh + p.kh - s.oh - p.pt;
    const int64_t pr = (p.pw - 1) * p.sw + p.kw - s.ow - p.pl;
    dnnl::pooling_forward::desc desc(training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::pooling_max, src, dst, {p.sh, p.sw}, {p.kh, p.kw}, {p.pt, p.pl},
                                     {std::max<int64_t>(pb, 0), std::max<int64_t>(pr, 0)});
    made->pd = dnnl::pooling_forward::primitive_desc(desc, base_attr(), cpu_engine());
    if (training && (made->pd.workspace_desc().get_size() != static_cast<size_t>(b.pooled_size()) ||
                     made->pd.workspace_desc().data_type() != dt::u8)) {
      throw std::invalid_argument("convPool: oneDNN's pooling workspace is not one byte per value");
    }
    made->primitive = dnnl::pooling_forward(made->pd);
    return made;
  });
  dnnl::engine& engine = cpu_engine();
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(src, engine, y)},
      {DNNL_ARG_DST, memory(dst, engine, pooled)},
      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(plan.pd.scratchpad_desc())},
  };
  if (training) args.emplace(DNNL_ARG_WORKSPACE, memory(plan.pd.workspace_desc(), engine, indices));
  plan.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

/**
 * The pooled gradient, masked by the ReLU (pooled > 0), placed at each window's maximum in the
 * convolution's output gradient (zeros elsewhere). Windows that tile the output write every cell once;
 * otherwise the output is zeroed and overlapping windows add up, on one thread.
 */
void scatter_gradient(const Block& b, const float* dpooled, const float* pooled, const uint8_t* indices, float* dconv) {
  const ConvShape& s = b.conv;
  const Pooling& p = b.pool;
  const bool relu = b.relu();
  const bool tiles = p.tiles(s);
  if (!tiles) std::memset(dconv, 0, s.dst_size() * sizeof(float));
  const int64_t rows = s.n * p.ph;
  parallel_ranges(rows, tiles && worth_splitting(s.dst_size()), [&](int, int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t n = r / p.ph, py = r % p.ph;
      for (int64_t px = 0; px < p.pw; px++) {
        const int64_t out = ((n * p.ph + py) * p.pw + px) * s.o;
        channel_chunks(s.o, [&](auto width, int64_t c0) {
          constexpr int W = decltype(width)::value;
          float masked[W];
          int32_t at[W];
          for (int c = 0; c < W; c++) {
            const float gradient = dpooled[out + c0 + c];
            const float value = pooled[out + c0 + c];
            masked[c] = relu ? keep_if(all_if(value > 0.f), gradient) : gradient;
            at[c] = indices[out + c0 + c];
          }
          window_cells(s, p, n, py, px, [&](int64_t cell, int32_t k) {
            float* target = dconv + cell + c0;
            if (tiles) {
              for (int c = 0; c < W; c++) target[c] = keep_if(all_if(at[c] == k), masked[c]);
            } else {
              for (int c = 0; c < W; c++) target[c] += keep_if(all_if(at[c] == k), masked[c]);
            }
          });
        });
      }
    }
  });
}

/** The bias gradient: per-channel sums of the masked pooled gradient. */
void bias_gradient(const Block& b, const float* dpooled, const float* pooled, float* dbias) {
  const int64_t channels = b.conv.o;
  const int64_t rows = b.pooled_size() / channels;
  const bool relu = b.relu();
  std::vector<float> sums_buffer(static_cast<size_t>(channels), 0.f);
  float* __restrict sums = sums_buffer.data();
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict g = dpooled + r * channels;
    const float* __restrict v = pooled + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; c++) {
      const float value = g[c];
      const float output = v[c];
      sums[c] += relu ? (output > 0.f ? value : 0.f) : value;
    }
  }
  std::copy(sums, sums + channels, dbias);
}

}  // namespace

/** convPoolForward(convParams, poolParams, x, filter, bias | null, pooled, indices | null) */
void conv_pool_forward(Call& call) {
  const int32_t* conv_params = call.ints(0, kConvParams);
  const int32_t* pool_params = call.ints(1, kPoolParams);
  Block b(conv_params, pool_params);
  const float* x = call.floats(2, b.input_size());
  const float* filter = call.floats(3, b.filter_size());
  const float* bias = call.optional_floats(4, b.conv.o);
  float* pooled = call.floats(5, b.pooled_size());
  uint8_t* indices = nullptr;
  if (!call.is_null(6)) {
    size_t bytes = 0;
    indices = static_cast<uint8_t*>(call.bytes(6, &bytes));
    if (bytes < static_cast<size_t>(b.pooled_size())) throw std::invalid_argument("convPool: indices too small");
  }
  auto* y = static_cast<float*>(scratch(kConvOutput, b.conv.dst_size() * sizeof(float)));
  run_conv_forward(conv_params, x, filter, bias, y);
  pool_max(b, conv_params, pool_params, y, pooled, indices);
}

/**
 * convPoolBackward(convParams, poolParams, x, filter, dPooled, pooled, indices, dFilter | null,
 * dBias | null, dx | null, reuse): reuse = 1 takes the gradient at the convolution's output that the
 * previous call left in scratch memory (the caller knows that no other call came in between).
 */
void conv_pool_backward(Call& call) {
  const int32_t* conv_params = call.ints(0, kConvParams);
  const int32_t* pool_params = call.ints(1, kPoolParams);
  Block b(conv_params, pool_params);
  const float* x = call.floats(2, b.input_size());
  const float* filter = call.floats(3, b.filter_size());
  const float* dpooled = call.floats(4, b.pooled_size());
  const float* pooled = call.floats(5, b.pooled_size());
  size_t index_bytes = 0;
  const auto* indices = static_cast<const uint8_t*>(call.bytes(6, &index_bytes));
  if (index_bytes < static_cast<size_t>(b.pooled_size())) throw std::invalid_argument("convPool: indices too small");
  float* dfilter = call.optional_floats(7, b.filter_size());
  float* dbias = call.optional_floats(8, b.conv.o);
  float* dx = call.optional_floats(9, b.input_size());
  const bool reuse = call.integer(10) != 0;

  auto* dconv = static_cast<float*>(scratch(kConvPoolGradient, b.conv.dst_size() * sizeof(float)));
  if (!reuse) scatter_gradient(b, dpooled, pooled, indices, dconv);
  if (dbias != nullptr) bias_gradient(b, dpooled, pooled, dbias);
  if (dfilter != nullptr) run_conv_backward_weights(conv_params, x, dconv, dfilter);
  if (dx != nullptr) run_conv_backward_data(conv_params, dconv, filter, dx);
}

}  // namespace trainyard
