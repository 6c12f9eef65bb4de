#pragma once
// One-to-one matching of a scene's ship detections with the AIS vessels that could be in it, after
// Global Fishing Watch (Paolo et al. 2024, Nature 625):
//   - each vessel with a fix within +/- window of the acquisition is placed at the acquisition
//     time (track_interpolation.hpp);
//   - a (detection, vessel) pair is admissible when their distance is within the gate
//       gateM = baseRadiusM + dtS x speed (SOG, or unknownSpeedKn when unknown),
//     dtS being the time from the nearest fix used, and, when both lengths are known, the shorter
//     is at least minLengthRatio of the longer;
//   - its score is (1 - w) (1 - distance / gate) + w x lengthAgreement, lengthAgreement =
//     min(L_ais, L_det) / max(L_ais, L_det), or 0.5 when either length is unknown (w =
//     lengthWeight);
//   - the assignment maximises the summed score over admissible pairs (Hungarian algorithm, dlib's
//     max_cost_assignment, per connected component of the admissible pairs).
// Statuses per detection: matched | dark (AIS covered the AOI in the window, no vessel matched) |
// no_ais_coverage (no fix of any vessel within the window) | no_time (the scene has a date only).
// A vessel placed inside the imaged, cloud-free footprint and matched to nothing is "unseen".
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vessels/ais_config.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/track_interpolation.hpp"

namespace cw::vessels {

// The interface of a ship detection used here: its position and length.
struct ShipObservation {
  double lon = 0.0;
  double lat = 0.0;
  double lengthM = 0.0;  // 0 = unknown
};

enum class AisStatus { Matched, Dark, NoAisCoverage, NoTime };
const char* statusName(AisStatus s);

struct DetectionMatch {
  AisStatus status = AisStatus::Dark;
  std::uint32_t mmsi = 0;  // matched only
  std::string imo;
  std::string vesselName;
  double distanceM = 0.0;  // detection to the vessel's position at acquisition
  std::int64_t dtS = 0;    // time from the nearest fix used
  double score = 0.0;
  int vessel = -1;  // index into SceneMatch::vessels
};

struct UnseenVessel {
  int vessel = -1;  // index into SceneMatch::vessels
  // "spoofing": the broadcast position lies more than MatchOptions::alongsideM inside land, or
  // the vessel is long enough to be seen and lies in open water; "missed": the detector could
  // not be expected to see it: its AIS length is below the detector's minimum, or it lies
  // alongside the shore (within alongsideM of the land/water edge, either side: a hull alongside
  // is often inside the land of the water model), where hulls merge with quays
  // (docs/accuracy.md: berthed recall is low); "unknown": no AIS length or no minimum length.
  std::string likely;
  std::string why;  // the facts behind `likely`, one sentence
};

struct SceneMatch {
  bool aisCoverage = false;
  std::vector<VesselPosition> vessels;     // every vessel placed at the acquisition time
  std::vector<DetectionMatch> detections;  // one per input detection, same order
  std::vector<UnseenVessel> unseen;
};

struct SceneMatchInput {
  std::optional<std::int64_t> timeS;  // nothing: the scene has a date only (no_time)
  const AoiFixes* ais = nullptr;      // fixes sorted by MMSI, then time
  AisConfig config;
  // True where the scene imaged the AOI cloud-free (for unseen vessels); empty = nowhere.
  std::function<bool(double lon, double lat)> inFootprint;
  // Distance from a position to land in metres, negative inside land (tiles::LandDistance),
  // nullopt where unknown (for unseen vessels); empty = unknown everywhere.
  std::function<std::optional<double>(double lon, double lat)> landDistanceM;
};

SceneMatch matchScene(const std::vector<ShipObservation>& detections, const SceneMatchInput& input);

}  // namespace cw::vessels
