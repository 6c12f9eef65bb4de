#include "pipeline/config.hpp"

#include "imaging/error.hpp"

namespace cw::pipeline {
Config loadConfig(const fs::path& file) { throw UsageError(file.string() + ": not implemented yet"); }
}  // namespace cw::pipeline
