#include "tiles/tile_executor.hpp"

#include <oneapi/tbb/info.h>

namespace cw::tiles {

int resolveThreads(int requested) {
  if (requested > 0) return requested;
  return std::max(1, tbb::info::default_concurrency());
}

}  // namespace cw::tiles
