#pragma once
// Splits a grid into tiles, in the manner of OTB's square tile splitter: each tile has a *core*
// window (the tiles' cores cover the grid exactly once, row-major) and a *padded* window (the
// core grown by a halo, cropped at the grid edge), so a neighbourhood operation computed on the
// padded window is exact on the core. Tiles are numbered in row-major order; that order is the
// order results are merged and written in, which is what makes runs deterministic.
//
// TilePlanner picks the tile size and the number of tiles in flight from a RAM budget, in the
// manner of OTB's streaming manager. Pure functions; thread-safe.
#include <cstddef>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace cw::tiles {

struct Tile {
  int index = 0;    // row-major position, 0..count-1
  cv::Rect core;    // grid pixels this tile owns
  cv::Rect padded;  // core + halo, cropped to the grid
  // The core in padded-window coordinates (what a per-tile function must write back).
  cv::Rect coreInPadded() const { return core - padded.tl(); }
};

// Tiles of `tileSizePx` (square; the last row/column is smaller) over a width×height grid.
// Throws cw::Error when the grid is empty or tileSizePx < 1 or haloPx < 0.
std::vector<Tile> splitGrid(int width, int height, int tileSizePx, int haloPx);

// A tile size aligned to the source blocks: rounded to a multiple of the block width when the
// blocks are square-ish tiles (block height > 1) and smaller than the requested size; strip
// layouts (height-1 blocks, BMP, ENVI) are left as requested.
int alignTileSize(int requestedPx, cv::Size blockSize);

struct TilePlan {
  int tileSizePx = 512;
  int tilesInFlight = 4;  // bounded-pipeline tokens
  int tileCount = 0;
  std::size_t estimatedBytes = 0;  // pixel buffers in flight (excludes GDAL's block cache)
  std::size_t budgetBytes = 0;
  // "64 tiles of 512x512 (halo 2), 4 in flight, est. 180 MB of 1024 MB"
  std::string describe() const;
};

struct TilePlanRequest {
  int width = 0;
  int height = 0;
  int haloPx = 0;
  // Bytes per pixel held per tile while it is in flight (e.g. two p-band float images, their
  // valid masks, the score and the mask: (2p+1)*4 + 2).
  std::size_t bytesPerPixel = 0;
  int threads = 1;
  std::size_t budgetBytes = std::size_t(256) << 20;
  int requestedTilePx = 0;   // 0 = choose (default 512, shrunk to fit the budget)
  cv::Size blockSize{0, 0};  // source block size, for alignment (0 = unknown)
};

// Tiles in flight = 2 × threads (one reading/writing while the others compute), then the largest
// tile size ≤ the requested one whose in-flight buffers fit the budget (never below 64 px). A
// fixed tile size (requestedTilePx > 0) is kept and the tiles in flight drop (down to 1) to fit.
// Throws cw::Error, saying what to change, when even one tile does not fit the budget.
TilePlan planTiles(const TilePlanRequest& request);

}  // namespace cw::tiles
