#pragma once
// glibc malloc policy for the whole process, chosen once by main() before any thread starts
// (glibc fixes the arena limit the first time a second thread allocates).
//
//   Batch (every command but serve): one arena whose heap is pre-grown by kBatchHeapReserveBytes
//     of address space advised for transparent huge pages, no mmap for large blocks, no trim.
//     On this project's VMs a 4 KiB page fault costs ~11 µs: `change` cva at 8192² took ~90k
//     of them (one per page of its ~350 MiB peak), ~1 CPU s of its ~5. With the policy: ~3.5k
//     faults, 2.9 -> 2.5 s wall at the same peak RSS (bench/PROFILE.md, round 5). Only pages
//     that are touched become resident; the reserve is address space.
//   Serve: glibc's default trim, large blocks in mmap, two arenas: a server runs for hours, and
//     its resident memory should follow the heap in use (docs/reliability.md, Soak).
namespace cw {

enum class HeapPolicy { Batch, Serve };

// Address space reserved (not committed) for the batch heap: above the largest measured peak of
// one process (a 16384² job, ~650 MiB). Beyond it the heap grows in ordinary pages.
constexpr unsigned long long kBatchHeapReserveBytes = 768ull << 20;

// Applies `policy`; call first thing in main(). A reserve that cannot be had (a strict
// overcommit setting, an address-space limit) is skipped: the process then runs with ordinary
// pages. CW_HEAP_RESERVE=0 in the environment skips the reserve (for heaptrack, which would
// otherwise report the reserve itself as the peak). No-op under AddressSanitizer, which brings
// its own allocator.
void applyHeapPolicy(HeapPolicy policy);

// The policy for a command line: Serve when the subcommand (the first argument that is not an
// option) is "serve", else Batch.
HeapPolicy heapPolicyFor(int argc, char** argv);

}  // namespace cw
