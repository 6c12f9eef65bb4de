#pragma once
// Shared by the libFuzzer targets: a private scratch folder (in /dev/shm when there is one, so the
// file-based entry points cost no disk I/O) and the exceptions a target's contract allows.
#include <filesystem>
#include <string>
#include <string_view>

namespace cw::fuzz {

namespace fs = std::filesystem;

// A fresh folder for this process, removed at exit.
const fs::path& scratchDir();

// Writes bytes to a file, replacing it.
void writeBytes(const fs::path& path, std::string_view bytes);

}  // namespace cw::fuzz
