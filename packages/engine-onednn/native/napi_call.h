// The arguments of one call from JavaScript, read through the plain C N-API. Every accessor throws
// std::invalid_argument on a wrong type, which entry() turns into a JavaScript TypeError, so a bad call
// from JavaScript never crashes the process.
#pragma once

#define NAPI_VERSION 8
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace trainyard {

class Call {
 public:
  Call(napi_env env, napi_callback_info info) : env_(env) {
    argc_ = kMaxArgs;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) {
      throw std::runtime_error("napi_get_cb_info failed");
    }
  }

  napi_env env() const { return env_; }
  size_t count() const { return argc_; }

  bool is_null(size_t i) const {
    if (i >= argc_) return true;
    napi_valuetype type;
    napi_typeof(env_, argv_[i], &type);
    return type == napi_null || type == napi_undefined;
  }

  /** A Float32Array argument; `expected` elements unless it is SIZE_MAX. */
  float* floats(size_t i, size_t expected = SIZE_MAX) const {
    size_t length = 0;
    float* data = static_cast<float*>(typed(i, napi_float32_array, "Float32Array", &length));
    if (expected != SIZE_MAX && length != expected) {
      throw std::invalid_argument("argument " + std::to_string(i) + ": expected " + std::to_string(expected) +
                                  " floats, got " + std::to_string(length));
    }
    return data;
  }

  /** A Float32Array or null. */
  float* optional_floats(size_t i, size_t expected = SIZE_MAX) const {
    return is_null(i) ? nullptr : floats(i, expected);
  }

  size_t float_count(size_t i) const {
    size_t length = 0;
    typed(i, napi_float32_array, "Float32Array", &length);
    return length;
  }

  /** An Int32Array of at least `minimum` elements. */
  const int32_t* ints(size_t i, size_t minimum, size_t* length_out = nullptr) const {
    size_t length = 0;
    auto* data = static_cast<const int32_t*>(typed(i, napi_int32_array, "Int32Array", &length));
    if (length < minimum) {
      throw std::invalid_argument("argument " + std::to_string(i) + ": expected at least " + std::to_string(minimum) +
                                  " ints, got " + std::to_string(length));
    }
    if (length_out != nullptr) *length_out = length;
    return data;
  }

  /** Any typed array's bytes (workspaces). */
  void* bytes(size_t i, size_t* byte_length) const {
    if (i >= argc_) throw std::invalid_argument("missing argument " + std::to_string(i));
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    size_t offset = 0;
    if (napi_get_typedarray_info(env_, argv_[i], &type, &length, &data, &buffer, &offset) != napi_ok) {
      throw std::invalid_argument("argument " + std::to_string(i) + " must be a typed array");
    }
    size_t element = type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4 : 1;
    *byte_length = length * element;
    return data;
  }

  double number(size_t i) const {
    if (i >= argc_) throw std::invalid_argument("missing argument " + std::to_string(i));
    double value;
    if (napi_get_value_double(env_, argv_[i], &value) != napi_ok) {
      throw std::invalid_argument("argument " + std::to_string(i) + " must be a number");
    }
    return value;
  }

  int32_t integer(size_t i) const { return static_cast<int32_t>(number(i)); }

  napi_value arg(size_t i) const {
    if (i >= argc_) throw std::invalid_argument("missing argument " + std::to_string(i));
    return argv_[i];
  }

  /** The JavaScript array at argument i, element by element (for lists of buffers). */
  uint32_t array_length(size_t i) const {
    uint32_t length = 0;
    if (napi_get_array_length(env_, arg(i), &length) != napi_ok) {
      throw std::invalid_argument("argument " + std::to_string(i) + " must be an array");
    }
    return length;
  }

  float* array_floats(size_t i, uint32_t index, size_t* length) const {
    napi_value element;
    napi_get_element(env_, arg(i), index, &element);
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value buffer;
    size_t offset = 0;
    if (napi_get_typedarray_info(env_, element, &type, length, &data, &buffer, &offset) != napi_ok ||
        type != napi_float32_array) {
      throw std::invalid_argument("argument " + std::to_string(i) + "[" + std::to_string(index) +
                                  "] must be a Float32Array");
    }
    return static_cast<float*>(data);
  }

  napi_value result = nullptr;

 private:
  void* typed(size_t i, napi_typedarray_type want, const char* name, size_t* length) const {
    if (i >= argc_) throw std::invalid_argument("missing argument " + std::to_string(i));
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value buffer;
    size_t offset = 0;
    if (napi_get_typedarray_info(env_, argv_[i], &type, length, &data, &buffer, &offset) != napi_ok || type != want) {
      throw std::invalid_argument("argument " + std::to_string(i) + " must be a " + name);
    }
    return data;
  }

  static constexpr size_t kMaxArgs = 16;
  napi_env env_;
  size_t argc_;
  napi_value argv_[kMaxArgs];
};

}  // namespace trainyard
