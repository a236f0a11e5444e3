// Every function the addon exports. Each reads its arguments from a Call and writes its results into
// output arrays that JavaScript allocated (tensor storage of the tfjs backend), so no data is copied
// on the way in or out.
#pragma once

#include "napi_call.h"

namespace trainyard {

// conv.cc
void conv2d_forward(Call& call);
void conv2d_backward_data(Call& call);
void conv2d_backward_weights(Call& call);
// conv_pool.cc
void conv_pool_forward(Call& call);
void conv_pool_backward(Call& call);
// pool.cc
void pool_workspace_bytes(Call& call);
void pool_forward(Call& call);
void pool_backward(Call& call);
// batch_norm.cc
void batch_norm_inference(Call& call);
void batch_norm_training(Call& call);
void batch_norm_backward(Call& call);
// mat_mul.cc
void mat_mul(Call& call);
void dense_backward(Call& call);
// elementwise.cc
void binary(Call& call);
void unary(Call& call);
void relu_backward(Call& call);
void add_n(Call& call);
void column_sums(Call& call);
// reduce.cc
void reduce(Call& call);
// layout.cc
void concat(Call& call);
void split(Call& call);
void slice(Call& call);
void pad(Call& call);
void transpose(Call& call);
// optimizer.cc
void adam_update(Call& call);
void momentum_update(Call& call);
// loss.cc
void softmax_cross_entropy(Call& call);
void softmax_cross_entropy_backward(Call& call);

}  // namespace trainyard
