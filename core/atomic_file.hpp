#pragma once
// Atomic file replacement: content goes to a temp file in the destination folder
// (cw::tempPathBeside), is fsync'd, and is renamed over the final name, so no file under a
// final name is ever partial.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace cw {

namespace fs = std::filesystem;

// Writes `content` to `path` atomically. Throws cw::Error naming the path and errno text.
void writeFileAtomic(const fs::path& path, std::string_view content);

// For writers that need a path of their own (GDAL, HDF5): `produce` writes the temp path it is
// given; on success the temp file is fsync'd and renamed to `path`, on any exception it is removed.
void produceFileAtomic(const fs::path& path,
                       const std::function<void(const fs::path& tmp)>& produce);

// fsync a file or directory by path (best effort for directories).
void syncPath(const fs::path& path);

// Removes the temp files (cw::tempPathBeside names) in `dir`, not recursively, whose writing
// process is gone: what a killed writer left behind. Returns how many it removed. Temp files of
// live processes (another cluster task writing beside this one) stay.
std::size_t removeStaleTempFiles(const fs::path& dir);

}  // namespace cw
