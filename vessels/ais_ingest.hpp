#pragma once
// Streaming AIS ingest: each feed file (plain or gzip) is read once, in blocks, through a bounded
// TBB pipeline (serial read -> parallel parse and filter -> serial in-order merge), so memory
// depends on the block size and the fixes kept, not on the file size. Rows are classified
// (malformed, bad MMSI, bad position, outside the AOI windows, kept); the kept fixes of each AOI
// are then cleaned (exact duplicates dropped, position jumps marked).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vessels/ais_config.hpp"
#include "vessels/ais_fix.hpp"

namespace cw::vessels {

// Row and fix counts per cleaning category. Row categories are exclusive, checked in this order:
// malformed, invalid MMSI / base station / aid to navigation / not class A or B, out-of-range or
// (0, 0) position, outside every AOI window, kept; duplicates are then removed from the kept
// fixes. Sentinel and jump counts are over the fixes kept.
struct AisCounts {
  std::int64_t rows = 0;  // data rows read (blank lines excluded)
  std::int64_t malformed = 0;
  std::int64_t invalidMmsi = 0;
  std::int64_t baseStation = 0;
  std::int64_t aidToNavigation = 0;
  std::int64_t notClassAB = 0;
  std::int64_t outOfRange = 0;
  std::int64_t zeroPosition = 0;
  std::int64_t outsideWindows = 0;
  std::int64_t duplicate = 0;
  std::int64_t kept = 0;  // after duplicates are removed
  std::int64_t positionJump = 0;
  std::int64_t sogUnavailable = 0;
  std::int64_t cogUnavailable = 0;
  std::int64_t headingUnavailable = 0;
  std::vector<std::string> firstBadRows;  // "file:line: problem", at most kMaxBadRowsListed

  static constexpr size_t kMaxBadRowsListed = 5;
  void add(const AisCounts& other);
  nlohmann::json toJson() const;
  std::string summary() const;  // one line for the run log
};

// Where and when fixes are wanted for one AOI: its bounding box grown by the buffer, and the
// acquisition times +/- the window. A box with minLon > maxLon crosses the antimeridian.
struct AoiWindow {
  std::string aoiId;
  double minLon = -180.0, minLat = -90.0, maxLon = 180.0, maxLat = 90.0;
  std::vector<std::pair<std::int64_t, std::int64_t>> times;  // closed intervals, UTC seconds
  bool contains(double lon, double lat, std::int64_t t) const;
};

// An AOI window from a lon/lat ring, `bufferM` around it, and acquisition times +/- `windowS`.
AoiWindow makeAoiWindow(const std::string& aoiId,
                        const std::vector<std::pair<double, double>>& ring,
                        bool crossesAntimeridian, double bufferM,
                        const std::vector<std::int64_t>& acquisitionTimes, std::int64_t windowS);

struct AoiFixes {
  std::string aoiId;
  std::vector<AisFix> fixes;  // sorted by MMSI, then time
  std::map<std::uint32_t, VesselStatic> vessels;
  AisCounts counts;  // duplicate, kept, positionJump and sentinel counts of this AOI
};

struct FileCounts {
  std::string file;
  std::string format;
  AisCounts counts;  // row categories of this file
};

struct AisIngestResult {
  std::vector<AoiFixes> aois;  // one per window, in the order given
  std::vector<FileCounts> files;
  AisCounts total;  // files' row categories plus the AOIs' cleaning counts
};

struct IngestOptions {
  int threads = 0;                    // 0 = all cores
  std::size_t blockBytes = 4u << 20;  // read block; memory in flight is about 2 x threads blocks
};

// Reads every file once. With no windows, every well-formed fix is kept under aoiId "". Throws
// cw::Error naming the file for an unknown header, a truncated gzip, an unreadable file, or more
// malformed rows than config.maxBadShare (naming file:line of the first ones).
AisIngestResult ingestAis(const std::vector<std::filesystem::path>& files, const AisConfig& config,
                          const std::vector<AoiWindow>& windows, const IngestOptions& options = {});

// Sorts by (MMSI, time), drops exact duplicates (same MMSI, time and position) and marks fixes that
// imply more than maxSpeedKn from the previous unmarked fix of the same MMSI.
void cleanFixes(std::vector<AisFix>& fixes, double maxSpeedKn, AisCounts& counts);

// Great-circle distance in metres (haversine, mean Earth radius).
double distanceM(double lon1, double lat1, double lon2, double lat2);

}  // namespace cw::vessels
