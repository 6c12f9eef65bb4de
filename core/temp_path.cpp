#include "core/temp_path.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace cw {

fs::path tempPathBeside(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  const unsigned n = counter.fetch_add(1);
  return path.parent_path() / ("." + path.stem().string() + ".tmp-" + std::to_string(::getpid()) +
                               "-" + std::to_string(n) + path.extension().string());
}

std::optional<TempName> parseTempName(const std::string& fileName) {
  const auto at = fileName.find(".tmp-");
  if (fileName.empty() || fileName[0] != '.' || at == std::string::npos) return std::nullopt;
  TempName t;
  t.finalName = fileName.substr(1, at - 1) + fs::path(fileName).extension().string();
  t.writerPid = std::strtol(fileName.c_str() + at + 5, nullptr, 10);
  return t;
}

}  // namespace cw
