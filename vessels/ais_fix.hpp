#pragma once
// AIS position reports (fixes) and the static data of the vessels that sent them, as the vessels
// layer holds them after ingest and cleaning. Times are UTC seconds since the Unix epoch,
// positions WGS84 degrees, speeds knots, angles degrees clockwise from true north. An unknown
// value (empty in the feed, or a "not available" sentinel) is NaN.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace cw::vessels {

inline constexpr float kUnknown = std::numeric_limits<float>::quiet_NaN();

struct AisFix {
  std::uint32_t mmsi = 0;
  std::int64_t timeS = 0;
  double lon = 0.0;
  double lat = 0.0;
  float sogKn = kUnknown;
  float cogDeg = kUnknown;
  float headingDeg = kUnknown;
  // The fix implies more than the configured speed (default 50 kn) from the previous good fix of
  // the same MMSI: kept for review, never used for interpolation or matching.
  bool positionJump = false;
};

// What a vessel says about itself (the latest non-empty value of each field among its fixes).
struct VesselStatic {
  std::uint32_t mmsi = 0;
  std::string name;
  std::string imo;  // digits only ("9307839"), empty if unknown
  std::string callSign;
  std::string shipType;          // as in the feed: a numeric AIS type code or the DMA type text
  std::string transceiverClass;  // "A" | "B" | empty
  float lengthM = kUnknown;
  float widthM = kUnknown;
};

inline bool known(float v) {
  return !std::isnan(v);
}

}  // namespace cw::vessels
