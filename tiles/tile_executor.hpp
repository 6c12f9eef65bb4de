#pragma once
// Runs a function over tiles with TBB, deterministically.
//
//   mapTiles    (fit pass)   parallel over tiles; each result is stored at its tile's index, so
//                            the caller merges them in tile order whatever the scheduling.
//   streamTiles (apply pass) tbb::parallel_pipeline with a bounded number of tokens:
//                            serial in-order "next tile" -> parallel compute -> serial in-order
//                            write. Memory in flight is O(tile × tokens). The compute stage
//                            reads its own inputs through per-thread GDAL handles, so decoding
//                            (e.g. DEFLATE) runs on every thread rather than in one reader.
//
// Both run in a task_arena of `threads` threads (0 = all cores), so a caller's thread setting
// holds even when it runs inside another TBB parallel region. Exceptions thrown by compute or
// write cancel the pass and are rethrown to the caller.
#include <functional>
#include <memory>
#include <vector>

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include "tiles/tile_splitter.hpp"

namespace cw::tiles {

// Threads to use: `requested` if > 0, else every core TBB sees.
int resolveThreads(int requested);

template <class R>
std::vector<R> mapTiles(const std::vector<Tile>& tiles, int threads,
                        const std::function<R(const Tile&)>& fn) {
  std::vector<R> results(tiles.size());
  tbb::task_arena arena(resolveThreads(threads));
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tiles.size(), 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t i = r.begin(); i != r.end(); ++i) {
                          results[i] = fn(tiles[i]);
                        }
                      });
  });
  return results;
}

// `write` is called exactly once per tile, in tile order, never concurrently with itself.
template <class R>
void streamTiles(const std::vector<Tile>& tiles, int threads, int tokens,
                 const std::function<R(const Tile&)>& compute,
                 const std::function<void(const Tile&, R&)>& write) {
  const int n = resolveThreads(threads);
  tbb::task_arena arena(n);
  std::size_t next = 0;
  arena.execute([&] {
    tbb::parallel_pipeline(
        static_cast<std::size_t>(std::max(1, tokens)),
        tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                            [&](tbb::flow_control& fc) -> std::size_t {
                                              if (next >= tiles.size()) {
                                                fc.stop();
                                                return 0;
                                              }
                                              return next++;
                                            }) &
            tbb::make_filter<std::size_t, std::pair<std::size_t, std::shared_ptr<R>>>(
                tbb::filter_mode::parallel,
                [&](std::size_t i) {
                  return std::make_pair(i, std::make_shared<R>(compute(tiles[i])));
                }) &
            tbb::make_filter<std::pair<std::size_t, std::shared_ptr<R>>, void>(
                tbb::filter_mode::serial_in_order,
                [&](std::pair<std::size_t, std::shared_ptr<R>> item) {
                  write(tiles[item.first], *item.second);
                }));
  });
}

}  // namespace cw::tiles
