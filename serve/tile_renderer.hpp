#pragma once
// XYZ map tiles (Web Mercator, EPSG:3857, 256 px PNG) rendered on request from the rasters of a
// job folder, for the reviewer viewer (`changewatch serve`).
//
// Layers:
//   before, after  the scenes warped onto the job grid (pipeline/job_layers.hpp names the rasters
//                  and their bands), RGB with a 2-98 % percentile stretch per band of each
//                  scene (one shared stretch saturated scenes whose gain differs, e.g. the
//                  simulator's); pixels outside the imaged area are transparent.
//   score          score.tif through the inferno colour ramp from the lowest valid score to its
//                  99th percentile; the lowest score (no change) is transparent.
//   mask           mask.tif: change (1) is opaque red, everything else transparent.
//
// Why render on request rather than pre-generate in `merge`: one tile is a GDALWarp of a 256x256
// window that reads the overview level matching the zoom (-ovr AUTO). Measured with
// bench/bench_serve.sh on the 1024 px simulator run (4 jobs, 1896 tiles at z13-17, 4 layers, on
// the shared 2-core machine): cold (rendered) p50 10.8 ms, p95 51 ms; warm (cached) p50 0.3-0.45
// ms, p95 1.3-1.7 ms at 10-12k tiles/s with wrk 2x8, RSS flat over 117k warm requests. That is fast
// enough that pre-generating every zoom of every layer into each run folder (PNG files nobody may
// ever look at, and a merge that gets slower with every zoom level) does not pay.
//
// A tile outside the data is a fully transparent PNG, not an error.
//
// Thread-safety: render() may be called from many threads at once. A GDAL handle is used by one
// thread at a time: renders lease them from a pool shared by the server threads (at most
// maxIdleHandles kept open while idle, so memory does not grow with threads × layers), the
// per-layer statistics are computed once under a lock, and the cache is guarded by a mutex.
#include <cstddef>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "tiles/gdal_dataset.hpp"

namespace cw::serve {

namespace fs = std::filesystem;

enum class TileLayer { Before, After, Score, Mask };

// "before" | "after" | "score" | "mask"; nullopt for anything else.
std::optional<TileLayer> parseTileLayer(const std::string& name);
const char* toString(TileLayer layer);

// Web Mercator bounds (metres, EPSG:3857) of XYZ tile z/x/y: {minX, minY, maxX, maxY}.
struct MercatorBounds {
  double minX = 0, minY = 0, maxX = 0, maxY = 0;
};
MercatorBounds xyzTileBounds(int z, int x, int y);

struct TileCacheStats {
  std::size_t entries = 0;
  std::size_t bytes = 0;
  std::size_t capacityBytes = 0;
  std::size_t hits = 0;
  std::size_t misses = 0;
};

class TileRenderer {
 public:
  static constexpr int kTileSizePx = 256;
  static constexpr int kMaxZoom = 24;

  // cacheBytes bounds the PNG bytes (plus keys) the LRU cache holds; maxIdleHandles the GDAL
  // handles kept open between renders.
  explicit TileRenderer(std::size_t cacheBytes = 64u << 20, std::size_t maxIdleHandles = 8);

  // Registers the folder of job `jobId` ("<aoi>/<pair>"). Nothing is opened until a tile is asked.
  void addJob(const std::string& jobId, const fs::path& jobDir);
  bool hasJob(const std::string& jobId) const;

  // PNG bytes of one tile. Throws cw::UsageError for an unknown job or z/x/y outside the XYZ
  // pyramid (z in 0..kMaxZoom, x and y in 0..2^z-1), cw::Error when a raster cannot be read.
  // A layer whose raster is missing, or a tile that misses the data, gives transparentPng().
  std::shared_ptr<const std::string> render(const std::string& jobId, TileLayer layer, int z, int x,
                                            int y);

  TileCacheStats cacheStats() const;

  // A 256x256 fully transparent PNG.
  static std::shared_ptr<const std::string> transparentPng();

 private:
  struct LayerInfo;
  std::shared_ptr<const LayerInfo> layerInfo(const std::string& jobId, TileLayer layer);
  std::shared_ptr<const std::string> renderUncached(const LayerInfo& info, int z, int x, int y);

  tiles::DatasetPool m_handles;
  std::map<std::string, fs::path> m_jobs;
  mutable std::mutex m_infoMutex;
  std::map<std::string, std::shared_ptr<const LayerInfo>> m_infos;

  using CacheEntry = std::pair<std::string, std::shared_ptr<const std::string>>;
  mutable std::mutex m_cacheMutex;
  std::list<CacheEntry> m_lru;  // most recent first
  std::unordered_map<std::string, std::list<CacheEntry>::iterator> m_index;
  std::size_t m_capacityBytes;
  std::size_t m_bytes = 0;
  std::size_t m_hits = 0;
  std::size_t m_misses = 0;
};

}  // namespace cw::serve
