#pragma once
// Where an AIS vessel was at a given instant (the acquisition time of a scene), after the
// Global Fishing Watch matching pipeline (Paolo et al. 2024, Nature 625): the last fix before and
// the first fix after the instant are interpolated linearly; with only one side inside the window,
// the position is dead-reckoned from that fix's SOG and COG for at most maxDeadReckonS, then held.
// Fixes marked as position jumps are ignored. Validated on the real Boston Harbor tracks
// (tests/vessels/test_vessel_matching.cpp: interpolation between and at real fixes).
#include <cstdint>
#include <optional>
#include <span>

#include "vessels/ais_fix.hpp"

namespace cw::vessels {

struct InterpolationOptions {
  std::int64_t windowS = 3 * 3600;  // fixes further than this from the instant are not used
  double maxDeadReckonS = 1800.0;
};

struct VesselPosition {
  enum class Method { Interpolated, DeadReckoned, Held };
  std::uint32_t mmsi = 0;
  double lon = 0.0;
  double lat = 0.0;
  std::int64_t dtS = 0;       // |instant - nearest fix used|, seconds
  double speedKn = kUnknown;  // from SOG, or implied by the bracketing fixes; NaN if unknown
  Method method = Method::Interpolated;
};

// `track`: the fixes of one MMSI sorted by time. Nothing when no usable fix is within windowS.
std::optional<VesselPosition> positionAt(std::span<const AisFix> track, std::int64_t timeS,
                                         const InterpolationOptions& options);

// The point `distanceM` from (lon, lat) along `bearingDeg` (spherical Earth).
void destination(double lon, double lat, double bearingDeg, double distanceM, double& outLon,
                 double& outLat);

const char* methodName(VesselPosition::Method m);

}  // namespace cw::vessels
