#include "core/process_heap.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <malloc.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define CW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CW_ASAN 1
#endif
#endif

namespace cw {
namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t(2) << 20;

// Grows the main heap by `bytes` with one malloc served by brk (mmap is off), advises the
// 2 MiB-aligned part of it for transparent huge pages, and frees it: the block joins the top
// of the heap, which the trim threshold keeps, so later allocations are carved from advised
// address space. malloc writes only the block's header, so nothing else becomes resident.
void reserveAdvisedHeap(std::size_t bytes) {
  void* p = std::malloc(bytes);
  if (!p) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  std::free(p);
}

}  // namespace

void applyHeapPolicy(HeapPolicy policy) {
#ifndef CW_ASAN
  if (policy == HeapPolicy::Serve) {
    // Two arenas for the server's pool; large buffers in mmap, returned on free (a fixed
    // threshold: glibc's dynamic one sent a warp's multi-MiB buffers to the heap once the first
    // were freed, where they fragment; the soak held ~330 MiB RSS for ~100 MiB of heap).
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    return;
  }
  // One arena: the tile and compression buffers are few and large, so its lock is not
  // contended; the fault saving needs every thread in the advised heap (with two arenas the
  // worker threads' arena stayed in 4 KiB pages: 26k faults, 2.6-3.0 s).
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kBatchHeapReserveBytes));
  const char* reserve = std::getenv("CW_HEAP_RESERVE");
  if (!reserve || std::string_view(reserve) != "0") {
    reserveAdvisedHeap(static_cast<std::size_t>(kBatchHeapReserveBytes));
  }
#else
  (void)policy;
#endif
}

HeapPolicy heapPolicyFor(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a(argv[i]);
    if (a.empty() || a[0] == '-') continue;
    return a == "serve" ? HeapPolicy::Serve : HeapPolicy::Batch;
  }
  return HeapPolicy::Batch;
}

}  // namespace cw
