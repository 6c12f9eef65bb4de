#pragma once
// vessels.geojson of a job: the AIS tracks over the matching windows (LineString per MMSI, fixes
// that are not position jumps) and each vessel's position at each scene's acquisition time (Point,
// with how it was placed and its status: matched | unseen | placed), and the ship-to-ship
// transfer candidates (Point: from imagery or from AIS encounters). Written with OGR's GeoJSON
// driver (RFC 7946), atomically.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vessels/ais_ingest.hpp"
#include "vessels/vessel_matching.hpp"

namespace cw::vessels {

struct SceneVessels {
  std::string sceneId;
  std::int64_t timeS = 0;
  SceneMatch match;
};

// A ship-to-ship transfer candidate (sts_rules.hpp).
struct StsEvent {
  std::string source;   // "imagery" (hull pair) | "ais" (encounter)
  std::string sceneId;  // imagery only
  double lon = 0.0;
  double lat = 0.0;
  std::uint32_t mmsi1 = 0;  // 0 = no AIS identity (a dark or unmatched hull)
  std::uint32_t mmsi2 = 0;
  bool firstDark = false;  // imagery: the hull's ais_status is dark
  bool secondDark = false;
  std::int64_t startS = 0;  // ais: the encounter's time span
  std::int64_t endS = 0;
  double distanceM = 0.0;  // centre distance, or the encounter's median distance
  bool shoreChecked = false;
};

// `ais`: the AOI's store; tracks are cut to +/- windowS around the scenes' times.
void writeVesselsGeoJson(const std::filesystem::path& path, const AoiFixes& ais,
                         const std::vector<SceneVessels>& scenes, std::int64_t windowS,
                         const std::vector<StsEvent>& sts = {});

}  // namespace cw::vessels
