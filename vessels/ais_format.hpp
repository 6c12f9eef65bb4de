#pragma once
// AIS CSV dialects, recognised from the header line, and the parsing of one row.
//   MarineCadastre (NOAA): MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,
//                          VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass (ISO UTC)
//   Danish Maritime Authority: # Timestamp,Type of mobile,MMSI,Latitude,Longitude,...
//                          (dd/mm/YYYY HH:MM:SS UTC; only Class A and Class B are kept)
//   Generic: the columns named in the config's ais.columns mapping.
// Parsing is pure (no I/O) and thread-safe.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vessels/ais_config.hpp"
#include "vessels/ais_fix.hpp"

namespace cw::vessels {

enum class AisFormat { MarineCadastre, DanishMaritime, Generic };
enum class TimeFormat { Iso, DayMonthYear, Epoch };

enum class Field : int {
  Mmsi,
  Time,
  Lat,
  Lon,
  Sog,
  Cog,
  Heading,
  Name,
  Imo,
  CallSign,
  ShipType,
  Length,
  Width,
  TransceiverClass,
  MobileType,
  Count
};
inline constexpr int kFieldCount = static_cast<int>(Field::Count);

struct AisLayout {
  AisFormat format = AisFormat::MarineCadastre;
  std::string formatName;  // "MarineCadastre", "Danish Maritime Authority", "generic"
  int columnCount = 0;
  std::array<int, kFieldCount> column{};  // 0-based column of each field, -1 if absent
  TimeFormat timeFormat = TimeFormat::Iso;
  int coreColumns = 0;  // fields up to the last one parseCore reads (MMSI, time, position, type)
  int col(Field f) const { return column[static_cast<int>(f)]; }
};

// Recognises the dialect from the header line. Throws cw::Error naming `fileName` and the
// headers expected when the header is none of them.
AisLayout detectLayout(std::string_view header, const GenericColumns& generic,
                       const std::string& fileName);

// What the MMSI says the sender is (ITU-R M.585): a ship station (MID 2xx-7xx, nine digits), a
// coast/base station (00MIDxxxx), an aid to navigation (99MIDxxxx), or anything else.
enum class MmsiKind { Vessel, BaseStation, AidToNavigation, Invalid };
MmsiKind classifyMmsi(std::uint64_t mmsi);

// One row, parsed. `problem` is empty for a well-formed row; otherwise it says what is wrong
// ("17 columns expected, found 12", "time '2023-13-01' does not parse", ...).
enum class RowClass {
  Kept,
  Malformed,
  InvalidMmsi,
  BaseStation,
  AidToNavigation,
  NotClassAB,
  OutOfRange,
  ZeroPosition
};
// The last calendar day an ISO time held: feeds hold long runs of rows of one day, whose date is
// then checked and counted once.
struct DayCache {
  std::array<char, 10> date{};  // "YYYY-MM-DD"; empty until a date was parsed
  std::int64_t dayStartS = 0;
};
struct ParsedRow {
  RowClass rowClass = RowClass::Kept;
  std::string problem;
  std::uint64_t mmsi = 0;
  std::int64_t timeS = 0;
  double lat = 0.0;
  double lon = 0.0;
  DayCache day;  // kept from row to row when the ParsedRow is reused
};

// Splits one CSV line into fields (double-quoted fields may hold commas; quotes are stripped).
void splitCsv(std::string_view line, std::vector<std::string_view>& fields);

// The fast path for a line without quotes: its column count (a vectorised count of commas) and
// only its first `need` fields. Returns false, doing nothing, when the line holds a quote.
bool splitPrefix(std::string_view line, int need, std::vector<std::string_view>& fields,
                 int& columns);

// Parses and classifies the mandatory fields (MMSI, time, position) of a row whose first
// layout.coreColumns fields are split and which has `columns` columns in all.
void parseCore(const AisLayout& layout, const std::vector<std::string_view>& fields, int columns,
               ParsedRow& row);

// Sentinel counts of one fix's optional fields.
struct SentinelHits {
  bool sog = false;
  bool cog = false;
  bool heading = false;
};
// Fills the optional numeric fields of `fix` (unknown when empty or a "not available" sentinel:
// SOG 102.3, COG 360, heading 511) and `info` with the static fields. Returns a problem text when
// a non-empty number does not parse.
std::optional<std::string> parseDetails(const AisLayout& layout,
                                        const std::vector<std::string_view>& fields, AisFix& fix,
                                        VesselStatic& info, SentinelHits& hits);

// UTC seconds of a civil date and time (proleptic Gregorian).
std::int64_t utcSeconds(int year, int month, int day, int hour, int minute, int second);
std::optional<std::int64_t> parseAisTime(std::string_view text, TimeFormat format,
                                         DayCache* cache = nullptr);

}  // namespace cw::vessels
