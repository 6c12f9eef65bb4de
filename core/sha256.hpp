#pragma once
// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface. Thread-safe: no shared state.
#include <filesystem>
#include <string>
#include <string_view>

namespace cw {

// Streams the file in 1 MiB reads, so memory does not grow with file size. Lowercase hex.
// Throws cw::Error "<path>: cannot read: <reason>".
std::string sha256File(const std::filesystem::path& path);

// Lowercase hex SHA-256 of the bytes of `data`.
std::string sha256Hex(std::string_view data);

}  // namespace cw
