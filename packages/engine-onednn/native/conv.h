// The convolution's parameter block and shape, shared by conv.cc (the convolution kernels) and
// conv_pool.cc (a convolution and the max pooling after it as one kernel), and the three passes of a
// cached convolution on raw arrays.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "context.h"
#include "parallel.h"

namespace trainyard {

enum Activation { kLinear = 0, kRelu = 1 };

/** params: N H W C  OH OW O  KH KW  SH SW  DH DW  PT PL PB PR  activation hasBias */
constexpr size_t kConvParams = 19;

struct ConvShape {
  int64_t n, h, w, c, oh, ow, o, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int activation;
  bool bias;

  explicit ConvShape(const int32_t* p)
      : n(p[0]), h(p[1]), w(p[2]), c(p[3]), oh(p[4]), ow(p[5]), o(p[6]), kh(p[7]), kw(p[8]), sh(p[9]), sw(p[10]),
        dh(p[11]), dw(p[12]), pt(p[13]), pl(p[14]), pb(p[15]), pr(p[16]), activation(p[17]), bias(p[18] != 0) {
    pb = far_padding(h, kh, dh, sh, pt, pb, oh, "height");
    pr = far_padding(w, kw, dw, sw, pl, pr, ow, "width");
  }

  memory::desc src() const { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{n, o, oh, ow}, dt::f32, tag::nhwc}; }
  memory::desc user_weights() const { return {{o, c, kh, kw}, dt::f32, tag::hwio}; }
  memory::desc any_weights() const { return {{o, c, kh, kw}, dt::f32, tag::any}; }
  memory::desc bias_desc() const { return {{o}, dt::f32, tag::a}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilates() const { return {dh - 1, dw - 1}; }
  memory::dims pad_l() const { return {pt, pl}; }
  memory::dims pad_r() const { return {pb, pr}; }
  int64_t dst_size() const { return n * oh * ow * o; }
  /** Forward, backward-data and backward-weights passes all take this many multiply-adds. */
  int64_t multiply_adds() const { return n * oh * ow * o * kh * kw * c; }
  bool serial() const { return multiply_adds() < kSerialMultiplyAdds; }

  /**
   * oneDNN wants (in + near + far - extent) / stride + 1 == out exactly; tfjs's 'valid' leaves the far
   * side's leftover rows unused instead, which is the same windows with a smaller far padding.
   */
  static int64_t far_padding(int64_t in, int64_t k, int64_t d, int64_t s, int64_t near, int64_t far, int64_t out,
                             const char* axis) {
    int64_t extent = (k - 1) * d + 1;
    auto fits = [&](int64_t p) { return in + near + p - extent >= 0 && (in + near + p - extent) / s + 1 == out; };
    if (fits(far)) return far;
    int64_t needed = (out - 1) * s + extent - in - near;
    if (needed >= 0 && fits(needed)) return needed;
    throw std::invalid_argument(std::string("convolution ") + axis + " padding does not produce the output size");
  }
};

/** y = conv(x, filter) + bias, then the ReLU when params say so (bias may be null). */
void run_conv_forward(const int32_t* params, const float* x, const float* filter, const float* bias, float* y);
/** dx from the gradient at the convolution's output (already masked by any activation). */
void run_conv_backward_data(const int32_t* params, const float* gradient, const float* filter, float* dx);
/** dFilter from the input and the gradient at the convolution's output (already masked). */
void run_conv_backward_weights(const int32_t* params, const float* x, const float* gradient, float* dfilter);

}  // namespace trainyard
