#include "context.h"

#include <cstdlib>
#include <new>

namespace trainyard {

dnnl::engine& cpu_engine() {
  thread_local dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

namespace {

std::unordered_map<std::string, std::unique_ptr<Cached>>& cache() {
  thread_local std::unordered_map<std::string, std::unique_ptr<Cached>> plans;
  return plans;
}

struct ScratchBuffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~ScratchBuffer() { std::free(data); }
};

ScratchBuffer& slot_buffer(ScratchSlot slot) {
  thread_local ScratchBuffer buffers[kSlotCount];
  return buffers[slot];
}

}  // namespace

std::string cache_key(const char* op, const int32_t* params, size_t count) {
  std::string key(op);
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(params), count * sizeof(int32_t));
  return key;
}

Cached* find_cached(const std::string& key) {
  auto found = cache().find(key);
  return found == cache().end() ? nullptr : found->second.get();
}

Cached* store_cached(const std::string& key, std::unique_ptr<Cached> value) {
  Cached* raw = value.get();
  cache()[key] = std::move(value);
  return raw;
}

void clear_caches() {
  cache().clear();
  for (int slot = 0; slot < kSlotCount; slot++) {
    ScratchBuffer& buffer = slot_buffer(static_cast<ScratchSlot>(slot));
    std::free(buffer.data);
    buffer.data = nullptr;
    buffer.bytes = 0;
  }
}

size_t cached_count() { return cache().size(); }

void* scratch(ScratchSlot slot, size_t bytes) {
  ScratchBuffer& buffer = slot_buffer(slot);
  if (bytes == 0) bytes = 64;
  if (buffer.bytes < bytes) {
    std::free(buffer.data);
    size_t rounded = (bytes + 63) / 64 * 64;
    buffer.data = std::aligned_alloc(64, rounded);
    if (buffer.data == nullptr) {
      buffer.bytes = 0;
      throw std::bad_alloc();
    }
    buffer.bytes = rounded;
  }
  return buffer.data;
}

size_t scratch_bytes() {
  size_t total = 0;
  for (int slot = 0; slot < kSlotCount; slot++) total += slot_buffer(static_cast<ScratchSlot>(slot)).bytes;
  return total;
}

memory scratchpad_memory(const memory::desc& desc) {
  return memory(desc, cpu_engine(), scratch(kScratchpad, desc.get_size()));
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

}  // namespace trainyard
