#include "fuzz/fuzz_support.hpp"

#include <cstdlib>
#include <fstream>

#include <unistd.h>

namespace cw::fuzz {

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir = base / ("cw-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

const fs::path& scratchDir() {
  static Scratch scratch;
  return scratch.dir;
}

void writeBytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace cw::fuzz
