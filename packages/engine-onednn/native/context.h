// The oneDNN state: one CPU engine and stream, primitives cached by shape (creating one costs 1-8 ms,
// running a cached one microseconds), and reusable scratch memory, so that a training step allocates
// nothing natively once its shapes have been seen. All of it is per thread (thread_local): Node worker
// threads that load the addon each get their own and never share a cache.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace trainyard {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

/** Base of everything kept in the primitive cache. */
struct Cached {
  virtual ~Cached() = default;
};

/** The cache key of an operation: its name and its integer parameters (shapes and attributes). */
std::string cache_key(const char* op, const int32_t* params, size_t count);

Cached* find_cached(const std::string& key);
Cached* store_cached(const std::string& key, std::unique_ptr<Cached> value);
/** Drops every cached primitive and scratch buffer (they are rebuilt on demand). */
void clear_caches();
size_t cached_count();

/** Looks a plan up by key, building it with make() the first time. */
template <typename Plan, typename Make>
Plan& plan_for(const char* op, const int32_t* params, size_t count, Make make) {
  std::string key = cache_key(op, params, count);
  if (Cached* found = find_cached(key)) return *static_cast<Plan*>(found);
  return *static_cast<Plan*>(store_cached(key, make()));
}

/**
 * Scratch memory, 64-byte aligned, that grows and is reused. Slots let one call hold several
 * temporaries at once; a slot's contents live until the next call that uses the same slot.
 */
enum ScratchSlot {
  kScratchpad = 0,
  kMaskedGradient,
  kTemporary,
  kTemporary2,
  kConvOutput,        // conv_pool.cc: the convolution's output, pooled straight away
  kConvPoolGradient,  // conv_pool.cc: the gradient at the convolution's output, kept for a second call
  kSlotCount
};
void* scratch(ScratchSlot slot, size_t bytes);
size_t scratch_bytes();

/** The primitive's scratchpad as a memory object backed by the shared scratchpad slot. */
memory scratchpad_memory(const memory::desc& desc);

/** Primitive attributes every plan uses: user-managed scratchpad (one shared buffer). */
dnnl::primitive_attr base_attr();

}  // namespace trainyard
