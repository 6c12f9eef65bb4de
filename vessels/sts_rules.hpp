#pragma once
// Ship-to-ship (STS) transfer candidates, two rules (docs/ais.md):
//   - from imagery: two hulls side by side: centre distance <= (width1 + width2) / 2 + marginM,
//     hull axes within maxHeadingDiffDeg, both at least minLengthM long, and at least
//     minShoreDistanceM from the water edge;
//   - from AIS, the Global Fishing Watch encounter rule (Kroodsma et al. 2018, Science 359;
//     Miller et al. 2018, Front. Mar. Sci. 5): two vessels within maxDistanceM of each other for at
//     least minDurationS, both slower than maxSpeedKn, at least minShoreDistanceM from shore.
// The shore distance comes from the caller (tiles::LandDistance on the job's water mask); where
// it is unknown (no water model, off the grid, nearest land possibly beyond the grid edge or under
// nodata) that condition is not checked and the event says so (shoreChecked false). The rules'
// thresholds are AisConfig::sts (config `ais.sts`).
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "vessels/ais_config.hpp"
#include "vessels/ais_ingest.hpp"

namespace cw::vessels {

struct HullObservation {
  double lon = 0.0;
  double lat = 0.0;
  double lengthM = 0.0;
  double widthM = 0.0;
  double headingDeg = 0.0;  // hull axis, [0, 180)
};

struct HullPair {
  int first = 0;  // indices into the hulls, first < second
  int second = 0;
  double centreDistanceM = 0.0;
  double headingDiffDeg = 0.0;
  bool shoreChecked = false;    // both hulls' distance to shore known
  double shoreDistanceM = 0.0;  // when checked: the nearer hull's
};

using ShoreDistance = std::function<std::optional<double>(double lon, double lat)>;

// Each hull is in at most one pair (its closest qualifying neighbour, pairs taken closest first).
std::vector<HullPair> findHullPairs(const std::vector<HullObservation>& hulls,
                                    const HullPairRule& rule,
                                    const ShoreDistance& shoreDistance = {});

struct Encounter {
  std::uint32_t mmsi1 = 0;  // mmsi1 < mmsi2
  std::uint32_t mmsi2 = 0;
  std::int64_t startS = 0;
  std::int64_t endS = 0;
  double lon = 0.0;  // mean position of the pair over the encounter
  double lat = 0.0;
  double medianDistanceM = 0.0;
  bool shoreChecked = false;    // the mean position's distance to shore known
  double shoreDistanceM = 0.0;  // when checked
};

// The windows [t - halfWidthS, t + halfWidthS] around acquisition times, sorted, with overlapping
// ones merged: scenes closer than two windows (two passes on one day) share one, so an encounter
// spanning both is found once.
std::vector<std::pair<std::int64_t, std::int64_t>> mergedWindows(std::vector<std::int64_t> times,
                                                                 std::int64_t halfWidthS);

// Encounters among the fixes (sorted by MMSI, then time) between fromS and toS.
std::vector<Encounter> findEncounters(const AoiFixes& ais, std::int64_t fromS, std::int64_t toS,
                                      const EncounterRule& rule,
                                      const ShoreDistance& shoreDistance = {});

}  // namespace cw::vessels
