#include "tiles/tile_splitter.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace cw::tiles {

std::vector<Tile> splitGrid(int width, int height, int tileSizePx, int haloPx) {
  if (width < 1 || height < 1) {
    throw Error("cannot split an empty grid (" + std::to_string(width) + "x" +
                std::to_string(height) + ")");
  }
  if (tileSizePx < 1) throw Error("tile size must be at least 1 px");
  if (haloPx < 0) throw Error("halo must not be negative");
  const cv::Rect grid(0, 0, width, height);
  std::vector<Tile> tiles;
  const int nx = (width + tileSizePx - 1) / tileSizePx;
  const int ny = (height + tileSizePx - 1) / tileSizePx;
  tiles.reserve(std::size_t(nx) * ny);
  for (int ty = 0; ty < ny; ++ty) {
    for (int tx = 0; tx < nx; ++tx) {
      Tile t;
      t.index = static_cast<int>(tiles.size());
      t.core = cv::Rect(tx * tileSizePx, ty * tileSizePx, tileSizePx, tileSizePx) & grid;
      t.padded = cv::Rect(t.core.x - haloPx, t.core.y - haloPx, t.core.width + 2 * haloPx,
                          t.core.height + 2 * haloPx) &
                 grid;
      tiles.push_back(t);
    }
  }
  return tiles;
}

int alignTileSize(int requestedPx, cv::Size blockSize) {
  const int bw = blockSize.width;
  if (bw <= 1 || blockSize.height <= 1 || bw >= requestedPx) {
    // Strips, unknown blocks, or blocks at least as big as the tile: keep the request (the
    // budget chose it).
    return requestedPx;
  }
  return std::max(bw, requestedPx / bw * bw);
}

std::string TilePlan::describe() const {
  std::ostringstream s;
  s << tileCount << " tiles of " << tileSizePx << "x" << tileSizePx << ", " << tilesInFlight
    << " in flight, est. " << (estimatedBytes >> 20) << " MB of " << (budgetBytes >> 20) << " MB";
  return s.str();
}

TilePlan planTiles(const TilePlanRequest& r) {
  TilePlan plan;
  plan.budgetBytes = r.budgetBytes;
  int inFlight = std::max(2, 2 * std::max(1, r.threads));
  auto bytesPerTile = [&](int tile) {
    const std::size_t side = std::size_t(tile) + 2 * std::size_t(r.haloPx);
    return side * side * r.bytesPerPixel;
  };
  int tile = r.requestedTilePx > 0 ? r.requestedTilePx : 512;
  if (r.requestedTilePx <= 0) {
    while (tile > 64 && bytesPerTile(tile) * inFlight > r.budgetBytes) tile /= 2;
    tile = alignTileSize(tile, r.blockSize);
  }
  // Never larger than the grid needs.
  tile = std::max(1, std::min(tile, std::max(r.width, r.height)));
  // A tile size the caller fixed keeps its size; fewer tiles in flight (less parallelism) come
  // before refusing.
  while (inFlight > 1 && bytesPerTile(tile) * inFlight > r.budgetBytes) --inFlight;
  plan.tileSizePx = tile;
  plan.tileCount = ((r.width + tile - 1) / tile) * ((r.height + tile - 1) / tile);
  plan.tilesInFlight = std::min(inFlight, std::max(1, plan.tileCount));
  plan.estimatedBytes = bytesPerTile(tile) * std::size_t(plan.tilesInFlight);
  if (plan.estimatedBytes > r.budgetBytes) {
    std::ostringstream s;
    s << "one tile of " << tile << "x" << tile << " px with a " << r.haloPx
      << " px halo needs est. " << ((plan.estimatedBytes + (1 << 20) - 1) >> 20)
      << " MB, above the memory budget of " << (r.budgetBytes >> 20)
      << " MB; use a smaller tile size (tiling.tile_px) or a larger "
      << "budget (tiling.memory_mb)";
    throw Error(s.str());
  }
  return plan;
}

}  // namespace cw::tiles
