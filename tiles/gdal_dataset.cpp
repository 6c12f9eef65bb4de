#include "tiles/gdal_dataset.hpp"

#include <cpl_error.h>

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/temp_path.hpp"

namespace cw::tiles {
namespace {

void checkFile(const std::string& path) {
  // /vsi paths, VRT XML strings and subdataset names (DRIVER:file:...) are not plain files;
  // let GDAL judge them.
  if (path.rfind("/vsi", 0) == 0 || path.rfind("<", 0) == 0) return;
  if (const auto colon = path.find(':');
      colon != std::string::npos && colon > 1 && path.find('/') > colon) {
    return;
  }
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw Error(path + ": no such file");
  if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0) {
    throw Error(path + ": empty file (0 bytes)");
  }
}

GdalDataset open(const std::string& path, unsigned flags, const char* what) {
  checkFile(path);
  CPLErrorReset();
  GDALDataset* ds = GDALDataset::FromHandle(GDALOpenEx(
      path.c_str(), flags | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, nullptr, nullptr));
  if (!ds) {
    // GDAL's message alone can be obscure ("Couldn't determine X spacing" from the XYZ driver
    // for a CSV): say what was expected first.
    const std::string expected = std::string("not a ") + what + " GDAL can read";
    const std::string gdal = lastGdalError("");
    throw Error(path + ": " + expected + (gdal.empty() ? "" : " (" + gdal + ")"));
  }
  return GdalDataset(ds);
}

bool isIoErrno(int err) {
  return err == ENOSPC || err == EFBIG || err == EDQUOT || err == EIO || err == EROFS;
}

// The OS reason for a failed write of `path`. errno is the reason when the failure surfaced at
// the write() itself; when GDAL reports it later (a GeoTIFF with an internal mask reports a full
// disk at close, as "TIFFReadDirectory: Failed to read directory", after reads that reset
// errno), the file system's state says what went wrong.
std::string osWriteReason(const std::filesystem::path& path, int err) {
  if (isIoErrno(err)) return std::strerror(err);
  struct statvfs fs {};
  const std::string dir = path.parent_path().empty() ? "." : path.parent_path().string();
  if (::statvfs(dir.c_str(), &fs) == 0 && fs.f_bavail == 0) return std::strerror(ENOSPC);
  struct rlimit limit {};
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && ::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      size >= limit.rlim_cur) {
    return std::strerror(EFBIG);
  }
  return "";
}

}  // namespace

void requireCompleteJson(const std::filesystem::path& written,
                         const std::filesystem::path& finalPath) {
  // The failed write() left its errno; later successful calls do not clear it, but failing
  // probes (a stat of an absent sidecar) may replace it, so only I/O errors are quoted.
  const int err = errno;
  std::ifstream in(written, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || !nlohmann::json::accept(text)) {
    const bool io = isIoErrno(err);
    throw Error(finalPath.string() + ": write failed: " +
                (io ? std::string(std::strerror(err))
                    : std::string("the file came out incomplete (") + std::to_string(text.size()) +
                          " bytes, not valid JSON)"));
  }
}

// A user needs the file the write was for, not its temp name (".score.tmp-123-0.tif" ->
// "score.tif"), and the reason the OS gave: GDAL's message ("TIFFAppendToStrip:Write error")
// drops it.
std::string gdalWriteError(const std::filesystem::path& path, const std::string& what) {
  const int err = errno;
  std::string name = path.filename().string();
  if (const auto temp = parseTempName(name)) name = temp->finalName;
  std::string msg = (path.parent_path() / name).string() + ": " + what + ": " + lastGdalError();
  const std::string reason = osWriteReason(path, err);
  if (!reason.empty()) msg += " (" + reason + ")";
  return msg;
}

std::string lastGdalError(const std::string& fallback) {
  const char* msg = CPLGetLastErrorMsg();
  if (msg && *msg) return msg;
  return fallback;
}

GdalDataset openRaster(const std::string& path) {
  return open(path, GDAL_OF_RASTER, "raster");
}

GdalDataset openVector(const std::string& path) {
  return open(path, GDAL_OF_VECTOR, "vector");
}

DatasetPool::Lease DatasetPool::lease(const std::string& path) {
  {
    std::lock_guard lock(m_mutex);
    for (auto it = m_idle.begin(); it != m_idle.end(); ++it) {
      if (it->first == path) {
        GdalDataset ds = std::move(it->second);
        m_idle.erase(it);
        return Lease(*this, path, std::move(ds));
      }
    }
  }
  return Lease(*this, path, openRaster(path));  // opened outside the lock: it can be slow
}

void DatasetPool::giveBack(std::string path, GdalDataset ds) {
  std::list<std::pair<std::string, GdalDataset>> evicted;
  {
    std::lock_guard lock(m_mutex);
    m_idle.emplace_front(std::move(path), std::move(ds));
    while (m_idle.size() > m_maxIdle) {
      evicted.splice(evicted.begin(), m_idle, std::prev(m_idle.end()));
    }
  }
  // `evicted` closes its handles here, outside the lock.
}

std::size_t DatasetPool::idleCount() const {
  std::lock_guard lock(m_mutex);
  return m_idle.size();
}

}  // namespace cw::tiles
