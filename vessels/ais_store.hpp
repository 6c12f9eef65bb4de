#pragma once
// The per-AOI AIS store: OUT/<aoi>/ais.gpkg, a GeoPackage written with OGR (R-tree spatial index
// on every geometry layer) that QGIS opens and that matching, merge, report and viewer read instead
// of the raw feed. Layers:
//   ais_fixes   Point (EPSG:4326): mmsi, time (UTC), sog_kn, cog_deg, heading_deg (null when
//               unknown), position_jump
//   ais_tracks  LineString per MMSI through its fixes that are not jumps: mmsi, start, end, fixes
//   ais_vessels no geometry: mmsi, imo, name, call_sign, ship_type, class, length_m, width_m
#include <filesystem>

#include "vessels/ais_ingest.hpp"

namespace cw::vessels {

// Writes atomically (temp file + rename). Throws cw::Error naming the path and OGR's message.
void writeAisGeoPackage(const std::filesystem::path& path, const AoiFixes& aoi);

// Reads the fixes (sorted by MMSI, then time) and vessels back. Throws cw::Error naming the path.
AoiFixes readAisGeoPackage(const std::filesystem::path& path);

}  // namespace cw::vessels
