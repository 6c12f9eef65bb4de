#pragma once
// Declared trade per AOI and period, read from CSV (RFC 4180: quoted fields with commas, quotes
// and newlines, optional UTF-8 BOM, LF or CRLF) or YAML (a list of maps), with the columns/keys
//   aoi,start,end,metric,value,reference
// Metrics and their values:
//   vessel_calls      whole number >= 0   declared vessel visits in the period
//   max_vessels       whole number >= 0   most vessels present at once
//   activity          idle | active
//   new_construction  none | some
//   vessel_call       imo:NNNNNNN | mmsi:NNNNNNNNN (or IMO1234567, or a bare 7-digit IMO /
//                     9-digit MMSI)   the vessel calls at the AOI in the period
//   dark_vessels      whole number >= 0   most ships seen at once without AIS (usually 0)
//   complete          true | false   the period's vessel_call rows are the full list of calls
//   sts_transfers     none | some   ship-to-ship transfers in the AOI in the period
// Dates are ISO 8601 ("2024-03-01" or a full time); a date-only end includes that whole day.
// Every problem is reported as "<file>:<line>: <message>" and all of them are thrown together
// as one cw::UsageError (exit 2). Thread-safe (no shared state).
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cw::evidence {

enum class Metric {
  VesselCalls,
  MaxVessels,
  Activity,
  NewConstruction,
  VesselCall,
  DarkVessels,
  Complete,
  StsTransfers
};

std::string metricName(Metric m);

struct Declaration {
  std::string aoiId;
  std::string start;        // as written
  std::string end;          // as written
  std::int64_t startS = 0;  // period start, seconds since epoch (inclusive)
  std::int64_t endS = 0;    // period end, seconds since epoch (inclusive)
  Metric metric = Metric::Activity;
  std::string
      value;  // canonical text: "12", "idle", "none", "imo:9321483", "mmsi:366100001", "true"
  long long count = 0;  // the number for vessel_calls and max_vessels
  std::string reference;
  std::string source;  // "<file>:<line>"
};

// Reads a CSV or YAML (by extension .yaml/.yml) declarations file. `knownAois` is the set of AOI
// ids of the config; a row naming another AOI is an error.
std::vector<Declaration> loadDeclarations(const std::filesystem::path& path,
                                          const std::set<std::string>& knownAois);

// The same from text; `fileName` is used in messages only.
std::vector<Declaration> parseDeclarationsCsv(std::string_view text, const std::string& fileName,
                                              const std::set<std::string>& knownAois);
std::vector<Declaration> parseDeclarationsYaml(const std::string& text, const std::string& fileName,
                                               const std::set<std::string>& knownAois);

}  // namespace cw::evidence
