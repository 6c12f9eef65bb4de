#include "vessels/track_interpolation.hpp"

#include <algorithm>
#include <cmath>

#include "vessels/ais_ingest.hpp"

namespace cw::vessels {
namespace {

constexpr double kEarthRadiusM = 6371008.8;
constexpr double kKnotMps = 1852.0 / 3600.0;
constexpr double kRad = M_PI / 180.0;

// SOG below this is drift at anchor or GPS noise: the position is held, not extrapolated.
constexpr double kMinDeadReckonKn = 0.5;

VesselPosition deadReckon(const AisFix& fix, std::int64_t timeS, const InterpolationOptions& o) {
  VesselPosition p;
  p.mmsi = fix.mmsi;
  p.lon = fix.lon;
  p.lat = fix.lat;
  p.dtS = std::abs(timeS - fix.timeS);
  p.speedKn = fix.sogKn;
  p.method = VesselPosition::Method::Held;
  if (known(fix.sogKn) && known(fix.cogDeg) && fix.sogKn >= kMinDeadReckonKn) {
    const double seconds = std::min(static_cast<double>(p.dtS), o.maxDeadReckonS);
    // Backwards from a fix after the instant.
    const double bearing = timeS >= fix.timeS ? fix.cogDeg : fix.cogDeg + 180.0;
    destination(fix.lon, fix.lat, bearing, fix.sogKn * kKnotMps * seconds, p.lon, p.lat);
    p.method = VesselPosition::Method::DeadReckoned;
  }
  return p;
}

}  // namespace

void destination(double lon, double lat, double bearingDeg, double distanceM, double& outLon,
                 double& outLat) {
  const double d = distanceM / kEarthRadiusM;
  const double b = bearingDeg * kRad;
  const double lat1 = lat * kRad;
  const double lat2 =
      std::asin(std::sin(lat1) * std::cos(d) + std::cos(lat1) * std::sin(d) * std::cos(b));
  const double lon2 = lon * kRad + std::atan2(std::sin(b) * std::sin(d) * std::cos(lat1),
                                              std::cos(d) - std::sin(lat1) * std::sin(lat2));
  outLat = lat2 / kRad;
  outLon = std::remainder(lon2 / kRad, 360.0);
}

std::optional<VesselPosition> positionAt(std::span<const AisFix> track, std::int64_t timeS,
                                         const InterpolationOptions& o) {
  const auto after = std::lower_bound(track.begin(), track.end(), timeS,
                                      [](const AisFix& f, std::int64_t t) { return f.timeS < t; });
  const AisFix* next = nullptr;
  for (auto it = after; it != track.end() && it->timeS - timeS <= o.windowS; ++it) {
    if (!it->positionJump) {
      next = &*it;
      break;
    }
  }
  const AisFix* prev = nullptr;
  for (auto it = after; it != track.begin();) {
    --it;
    if (timeS - it->timeS > o.windowS) break;
    if (!it->positionJump) {
      prev = &*it;
      break;
    }
  }
  if (prev && next) {
    VesselPosition p;
    p.mmsi = prev->mmsi;
    const double span = static_cast<double>(next->timeS - prev->timeS);
    const double f = span > 0 ? static_cast<double>(timeS - prev->timeS) / span : 0.0;
    double dLon = next->lon - prev->lon;
    if (dLon > 180.0) dLon -= 360.0;
    if (dLon < -180.0) dLon += 360.0;
    p.lon = std::remainder(prev->lon + f * dLon, 360.0);
    p.lat = prev->lat + f * (next->lat - prev->lat);
    p.dtS = std::min(timeS - prev->timeS, next->timeS - timeS);
    if (known(prev->sogKn) && known(next->sogKn)) {
      p.speedKn = std::max(prev->sogKn, next->sogKn);
    } else if (span > 0) {
      p.speedKn = static_cast<float>(distanceM(prev->lon, prev->lat, next->lon, next->lat) / span /
                                     kKnotMps);
    }
    p.method = VesselPosition::Method::Interpolated;
    return p;
  }
  if (prev) return deadReckon(*prev, timeS, o);
  if (next) return deadReckon(*next, timeS, o);
  return std::nullopt;
}

const char* methodName(VesselPosition::Method m) {
  switch (m) {
    case VesselPosition::Method::Interpolated:
      return "interpolated";
    case VesselPosition::Method::DeadReckoned:
      return "dead_reckoned";
    case VesselPosition::Method::Held:
      return "held";
  }
  return "?";
}

}  // namespace cw::vessels
