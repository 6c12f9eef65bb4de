#pragma once
// Deterministic parallel loops over the rows of a sample: fixed chunks that do not depend on the
// thread count, so a reduction that adds per-chunk partials in chunk order gives the same bits
// with 1 or N threads. Runs in the caller's TBB arena.
#include <algorithm>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

namespace cw::imaging {

inline constexpr int kRowChunk = 16384;

inline int chunkCount(int n) {
  return (n + kRowChunk - 1) / kRowChunk;
}

// Calls fn(chunk, firstRow, endRow) for fixed chunks of kRowChunk rows, in parallel (in the
// caller's TBB arena). The chunks do not depend on the thread count.
template <class F>
void forEachChunk(int n, const F& fn) {
  tbb::parallel_for(tbb::blocked_range<int>(0, chunkCount(n), 1),
                    [&](const tbb::blocked_range<int>& r) {
                      for (int c = r.begin(); c != r.end(); ++c) {
                        fn(c, c * kRowChunk, std::min(n, (c + 1) * kRowChunk));
                      }
                    });
}

}  // namespace cw::imaging
