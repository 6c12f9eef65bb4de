#pragma once
// Process-wide GDAL setup: drivers registered, CPL errors routed into cw::log, the block cache
// set deliberately (GDAL's default of 5 % of RAM costs memory and time when every block is read
// once; see ../shared/notes/measured-baselines.md).
#include <string>

namespace cw::pipeline {

// Idempotent. `cacheMb` is the GDAL block cache in MB (default 64 unless GDAL_CACHEMAX is set).
void initGdal(int cacheMb = 64);

}  // namespace cw::pipeline
