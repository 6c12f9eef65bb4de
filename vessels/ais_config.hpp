#pragma once
// The `ais:` section of the run config, as typed values (parsed and validated by the pipeline's
// config loader; docs/ais.md describes every key).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cw::vessels {

namespace fs = std::filesystem;

// Column mapping of a generic CSV feed: field -> header name. Fields: mmsi, time, lat, lon
// (required) and sog, cog, heading, name, imo, call_sign, ship_type, length, width (optional).
struct GenericColumns {
  std::map<std::string, std::string> columns;
  std::string timeFormat = "iso";  // iso | dmy (dd/mm/YYYY HH:MM:SS) | epoch (seconds)
  bool empty() const { return columns.empty(); }
};

struct MatchOptions {
  double baseRadiusM = 500.0;      // geolocation error of detections and AIS, always allowed
  double unknownSpeedKn = 10.0;    // speed assumed for the gate when SOG is unknown
  double maxDeadReckonS = 1800.0;  // dead reckoning from one fix at most this long
  double lengthWeight = 0.3;       // share of length agreement in the match score
  // A pair whose lengths (both known) differ by more than this ratio is not the same object
  // (e.g. a wake or hull fragment next to a vessel whose own hull was missed).
  double minLengthRatio = 0.25;
  double minDetectableLengthM =
      0.0;  // the detector's minimum length (for unseen records); 0 = unknown
  // An unseen vessel this close to land is alongside a quay, where the ship detector misses most
  // hulls: "missed", not "spoofing" (a berthed hull's AIS antenna is within its beam of the quay,
  // about 50 m, plus the interpolation error).
  double alongsideM = 100.0;
};

// Ship-to-ship transfer rules (sts_rules.hpp, docs/ais.md); config `ais.sts.hull_pair`.
struct HullPairRule {
  double marginM = 20.0;              // centre distance <= (width1 + width2) / 2 + this
  double maxHeadingDiffDeg = 20.0;    // hull axes at most this far apart
  double minLengthM = 60.0;           // both hulls at least this long
  double minShoreDistanceM = 1000.0;  // both at least this far from land (when known)
};

// The Global Fishing Watch encounter rule; config `ais.sts.encounter`.
struct EncounterRule {
  double maxDistanceM = 500.0;
  std::int64_t minDurationS = 2 * 3600;
  double maxSpeedKn = 2.0;  // both slower than this
  double minShoreDistanceM = 10000.0;
  std::int64_t stepS = 600;  // tracks are sampled at this step
};

struct StsRules {
  HullPairRule hullPair;
  EncounterRule encounter;
};

struct AisConfig {
  std::vector<fs::path> files;  // explicit files (plain or .gz)
  fs::path folder;              // or a folder and a glob
  std::string glob = "*.csv*";
  GenericColumns generic;     // used when the header is neither MarineCadastre nor DMA
  double windowHours = 3.0;   // fixes kept within +/- this of each acquisition time
  double bufferM = 10000.0;   // AOI bounding boxes grown by this before filtering
  double maxBadShare = 0.10;  // a file with more malformed rows than this fails the run
  double maxSpeedKn = 50.0;   // implied speed above which a fix is marked as a position jump
  MatchOptions match;
  StsRules sts;

  bool enabled() const { return !files.empty() || !folder.empty(); }
  // The feed files: `files`, or the folder's entries matching `glob`, sorted by name.
  std::vector<fs::path> resolveFiles() const;
};

}  // namespace cw::vessels
