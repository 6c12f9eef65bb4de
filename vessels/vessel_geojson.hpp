#pragma once
// vessels.geojson of a job: the AIS tracks over the matching windows (LineString per MMSI, fixes
// that are not position jumps) and each vessel's position at each scene's acquisition time (Point,
// with how it was placed and its status: matched | unseen | placed), and the ship-to-ship
// transfer candidates (Point: from imagery or from AIS encounters, with their evidence id, which
// evidence.geojson holds too). Written with OGR's GeoJSON driver (RFC 7946), atomically.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "evidence/evidence_types.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/vessel_matching.hpp"

namespace cw::vessels {

struct SceneVessels {
  std::string sceneId;
  std::int64_t timeS = 0;
  SceneMatch match;
};

// `ais`: the AOI's store; tracks are cut to +/- windowS around the scenes' times.
void writeVesselsGeoJson(const std::filesystem::path& path, const AoiFixes& ais,
                         const std::vector<SceneVessels>& scenes, std::int64_t windowS,
                         const std::vector<evidence::StsRecord>& sts = {});

}  // namespace cw::vessels
