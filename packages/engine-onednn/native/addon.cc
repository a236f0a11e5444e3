// The addon's entry point: the table of exported functions. Each runs inside entry(), which turns any
// C++ exception (bad arguments, a oneDNN error such as an unsupported shape) into a JavaScript Error,
// so the JavaScript side can fall back to the cpu backend's kernel instead of crashing.
#include <omp.h>

#include <string>

#include "context.h"
#include "ops.h"

namespace trainyard {
namespace {

using Impl = void (*)(Call&);

template <Impl F>
napi_value entry(napi_env env, napi_callback_info info) {
  try {
    Call call(env, info);
    F(call);
    return call.result;
  } catch (const dnnl::error& error) {
    std::string message = std::string("oneDNN: ") + error.what() + " (status " + std::to_string(error.status) + ")";
    napi_throw_error(env, "ONEDNN_ERROR", message.c_str());
  } catch (const std::invalid_argument& error) {
    napi_throw_type_error(env, "ONEDNN_BAD_ARGUMENT", error.what());
  } catch (const std::bad_alloc&) {
    napi_throw_range_error(env, "ONEDNN_OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& error) {
    napi_throw_error(env, "ONEDNN_ERROR", error.what());
  }
  return nullptr;
}

void set_property(napi_env env, napi_value object, const char* name, napi_value value) {
  napi_set_named_property(env, object, name, value);
}

/** info(): the oneDNN version, the threads it computes with, cached primitives and scratch bytes. */
void info(Call& call) {
  napi_env env = call.env();
  const dnnl_version_t* version = dnnl_version();
  std::string text = std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                     std::to_string(version->patch);
  napi_value object, value;
  napi_create_object(env, &object);
  napi_create_string_utf8(env, text.c_str(), text.size(), &value);
  set_property(env, object, "onednnVersion", value);
  napi_create_int32(env, omp_get_max_threads(), &value);
  set_property(env, object, "threads", value);
  napi_create_double(env, static_cast<double>(cached_count()), &value);
  set_property(env, object, "cachedPrimitives", value);
  napi_create_double(env, static_cast<double>(scratch_bytes()), &value);
  set_property(env, object, "scratchBytes", value);
  call.result = object;
}

void clear(Call&) { clear_caches(); }

/** setThreads(n): the OpenMP threads of later calls (oneDNN's and ours). */
void set_threads(Call& call) {
  int threads = call.integer(0);
  if (threads < 1) throw std::invalid_argument("threads must be at least 1");
  omp_set_num_threads(threads);
}

struct Export {
  const char* name;
  napi_callback callback;
};

const Export kExports[] = {
    {"info", entry<info>},
    {"clearCaches", entry<clear>},
    {"setThreads", entry<set_threads>},
    {"conv2dForward", entry<conv2d_forward>},
    {"conv2dBackwardData", entry<conv2d_backward_data>},
    {"conv2dBackwardWeights", entry<conv2d_backward_weights>},
    {"convPoolForward", entry<conv_pool_forward>},
    {"convPoolBackward", entry<conv_pool_backward>},
    {"poolWorkspaceBytes", entry<pool_workspace_bytes>},
    {"poolForward", entry<pool_forward>},
    {"poolBackward", entry<pool_backward>},
    {"batchNormInference", entry<batch_norm_inference>},
    {"batchNormTraining", entry<batch_norm_training>},
    {"batchNormBackward", entry<batch_norm_backward>},
    {"matMul", entry<mat_mul>},
    {"denseBackward", entry<dense_backward>},
    {"binary", entry<binary>},
    {"unary", entry<unary>},
    {"reluBackward", entry<relu_backward>},
    {"addN", entry<add_n>},
    {"columnSums", entry<column_sums>},
    {"reduce", entry<reduce>},
    {"concat", entry<concat>},
    {"split", entry<split>},
    {"slice", entry<slice>},
    {"pad", entry<pad>},
    {"transpose", entry<transpose>},
    {"adamUpdate", entry<adam_update>},
    {"momentumUpdate", entry<momentum_update>},
    {"softmaxCrossEntropy", entry<softmax_cross_entropy>},
    {"softmaxCrossEntropyBackward", entry<softmax_cross_entropy_backward>},
};

napi_value init(napi_env env, napi_value exports) {
  for (const Export& item : kExports) {
    napi_value function;
    napi_create_function(env, item.name, NAPI_AUTO_LENGTH, item.callback, nullptr, &function);
    napi_set_named_property(env, exports, item.name, function);
  }
  return exports;
}

}  // namespace
}  // namespace trainyard

NAPI_MODULE(NODE_GYP_MODULE_NAME, trainyard::init)
