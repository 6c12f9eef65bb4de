#pragma once
// The one temp-file naming of every atomic write (core/atomic_file, and the COG and warped-scene
// writers of tiles/): content goes to "<dir>/.<stem>.tmp-<pid>-<n><ext>" and is renamed over the
// final name when complete. The pid lets a later run remove what a killed writer left
// (cw::removeStaleTempFiles); the kept extension lets GDAL pick its driver; the leading dot
// keeps the file out of listings and manifests.
#include <filesystem>
#include <optional>
#include <string>

namespace cw {

namespace fs = std::filesystem;

// A new temp path beside `path`: "<dir>/.<stem>.tmp-<pid>-<n><ext>", n counting up per process.
// Thread-safe.
fs::path tempPathBeside(const fs::path& path);

struct TempName {
  std::string finalName;  // the file the write is for: ".score.tmp-123-0.tif" -> "score.tif"
  long writerPid = 0;     // 0 when the digits after ".tmp-" are missing
};

// The parts of a temp file name made by tempPathBeside(), or nothing when `fileName` (a file name,
// not a path) is not one: it starts with '.' and contains ".tmp-".
std::optional<TempName> parseTempName(const std::string& fileName);

}  // namespace cw
