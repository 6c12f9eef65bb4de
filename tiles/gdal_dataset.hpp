#pragma once
// RAII ownership of GDAL datasets, and opening with errors that carry GDAL's own message.
// A GdalDataset is not thread-safe: GDAL handles are never shared between threads; each thread
// opens its own.
#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <gdal_priv.h>

namespace cw::tiles {

struct GdalDatasetCloser {
  void operator()(GDALDataset* ds) const {
    if (ds) GDALClose(GDALDataset::ToHandle(ds));
  }
};
using GdalDataset = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

// Opens a raster read-only. Throws cw::Error "<path>: <reason>" where reason is "no such file",
// "empty file (0 bytes)" or "not a raster GDAL can read (<GDAL's message>)".
GdalDataset openRaster(const std::string& path);

// Opens a vector dataset read-only, with the same error contract.
GdalDataset openVector(const std::string& path);

// GDAL's GeoJSON driver ignores a failed write(): a full disk or a file-size limit leaves a
// truncated file and no error. Call after closing the dataset written at `written`, before
// renaming it to `finalPath`: throws cw::Error "<finalPath>: write failed: <reason>" unless the
// file parses as whole JSON.
void requireCompleteJson(const std::filesystem::path& written,
                         const std::filesystem::path& finalPath);

// Read-only handles shared by many threads without ever being used by two at once: a thread
// leases a handle for one piece of work and gives it back. Handles are reused across threads, so
// the number open is the number in use plus at most `maxIdle` idle ones (least recently used
// closed first), whatever the number of paths × threads. Each open handle holds GDAL state
// outside the block cache (libtiff tile buffers, decoder contexts, a warped VRT's warper), so
// per-thread handle sets grow with threads × paths; this pool does not. Thread-safe.
class DatasetPool {
 public:
  explicit DatasetPool(std::size_t maxIdle) : m_maxIdle(maxIdle) {}
  DatasetPool(const DatasetPool&) = delete;
  DatasetPool& operator=(const DatasetPool&) = delete;

  class Lease {
   public:
    Lease(DatasetPool& pool, std::string path, GdalDataset ds)
        : m_pool(&pool), m_path(std::move(path)), m_ds(std::move(ds)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (m_ds) m_pool->giveBack(std::move(m_path), std::move(m_ds));
    }
    GDALDataset& operator*() const { return *m_ds; }
    GDALDataset* get() const { return m_ds.get(); }

   private:
    DatasetPool* m_pool;
    std::string m_path;
    GdalDataset m_ds;
  };

  // An idle handle on `path`, or a newly opened one (openRaster's errors).
  Lease lease(const std::string& path);
  std::size_t idleCount() const;

 private:
  void giveBack(std::string path, GdalDataset ds);

  const std::size_t m_maxIdle;
  mutable std::mutex m_mutex;
  std::list<std::pair<std::string, GdalDataset>> m_idle;  // most recently returned first
};

// "<path>: <what>: <GDAL's message> (<OS reason>)" for a failed GDAL write, called on the thread
// whose write failed, before anything else can change errno. The OS reason (no space, file too
// large, quota, I/O error, read-only file system) is quoted because GDAL's own message
// ("TIFFAppendToStrip:Write error") drops it. A temp name ".score.tmp-123-0.tif" is reported
// as the final name "score.tif".
std::string gdalWriteError(const std::filesystem::path& path, const std::string& what);

// GDAL's last error message for this thread, or `fallback` when there is none.
std::string lastGdalError(const std::string& fallback = "unknown GDAL error");

}  // namespace cw::tiles
