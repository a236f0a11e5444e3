// Threading for the hand-written kernels: OpenMP, the runtime oneDNN itself uses (libgomp), so both
// share one thread pool. Small arrays stay on one thread: waking the other core costs more than it saves.
#pragma once

#include <cstdint>

namespace trainyard {

/** Below this many elements an element-wise loop runs on the calling thread only. */
constexpr int64_t kParallelThreshold = 1 << 15;

}  // namespace trainyard
