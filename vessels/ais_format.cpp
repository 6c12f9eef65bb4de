#include "vessels/ais_format.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>

#include "core/error.hpp"

namespace cw::vessels {
namespace {

constexpr const char* kMarineCadastreHeader =
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,"
    "Width,Draft,Cargo,TransceiverClass";
constexpr const char* kDanishHeader =
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,...";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimSlow(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The per-row helpers (trim, the number and time parsers, field) are forced inline: GCC keeps
// them out of line otherwise, and for fields of a few bytes the calls cost as much as the work.
[[gnu::always_inline]] inline std::string_view trim(std::string_view s) {
  // Nearly every field has nothing to trim: one test for both ends (space, tab and CR are all
  // <= ' '; bytes >= 0x80 are negative here and take the loops, which keep them).
  if (!s.empty() && s.front() > ' ' && s.back() > ' ') return s;
  return trimSlow(s);
}

int findColumn(const std::vector<std::string>& headers, std::string_view name) {
  const auto key = lower(name);
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i] == key) return static_cast<int>(i);
  }
  return -1;
}

bool hasAll(const std::vector<std::string>& headers, std::initializer_list<const char*> names) {
  return std::all_of(names.begin(), names.end(),
                     [&](const char* n) { return findColumn(headers, n) >= 0; });
}

void setColumns(AisLayout& layout, const std::vector<std::string>& headers,
                std::initializer_list<std::pair<Field, const char*>> fields) {
  layout.column.fill(-1);
  for (const auto& [field, name] : fields)
    layout.column[static_cast<int>(field)] = findColumn(headers, name);
}

const std::vector<std::pair<std::string, Field>>& genericFields() {
  static const std::vector<std::pair<std::string, Field>> kFields = {{"mmsi", Field::Mmsi},
                                                                     {"time", Field::Time},
                                                                     {"lat", Field::Lat},
                                                                     {"lon", Field::Lon},
                                                                     {"sog", Field::Sog},
                                                                     {"cog", Field::Cog},
                                                                     {"heading", Field::Heading},
                                                                     {"name", Field::Name},
                                                                     {"imo", Field::Imo},
                                                                     {"call_sign", Field::CallSign},
                                                                     {"ship_type", Field::ShipType},
                                                                     {"length", Field::Length},
                                                                     {"width", Field::Width}};
  return kFields;
}

// Powers of ten that doubles hold exactly.
constexpr double kExactPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Clinger's fast path for the plain decimals AIS feeds hold ("-118.25167"): with at most 15
// digits the digits are an exact double and so is the power of ten, and IEEE division rounds
// correctly, so the value is the one std::from_chars gives, at a fraction of its cost. Returns
// false, leaving the text to from_chars, for anything else (exponents, ".5", "12.", long digits).
[[gnu::always_inline]] inline bool parsePlainDecimal(std::string_view s, double& out) {
  const char* p = s.data();
  const char* end = p + s.size();
  const bool negative = p < end && *p == '-';
  p += negative;
  std::uint64_t digits = 0;
  int count = 0;
  int fraction = 0;
  const char* intStart = p;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++count) digits = digits * 10 + (*p - '0');
  if (p == intStart) return false;
  if (p < end && *p == '.') {
    const char* fracStart = ++p;
    for (; p < end && *p >= '0' && *p <= '9'; ++p, ++count) digits = digits * 10 + (*p - '0');
    fraction = static_cast<int>(p - fracStart);
    if (fraction == 0) return false;
  }
  if (p != end || count > 15) return false;
  const double v = static_cast<double>(digits) / kExactPow10[fraction];
  out = negative ? -v : v;
  return true;
}

[[gnu::always_inline]] inline bool parseDouble(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  if (parsePlainDecimal(s, out)) return true;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Eight ASCII digits as a number, all checked and converted at once (SWAR, as in fast_float);
// false if one is not a digit. Little-endian byte order.
[[gnu::always_inline]] inline bool eightDigits(const char* p, std::uint64_t& value) {
  std::uint64_t x = 0;
  std::memcpy(&x, p, sizeof x);
  if (((x & 0xF0F0F0F0F0F0F0F0) | (((x + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) !=
      0x3333333333333333) {
    return false;
  }
  x -= 0x3030303030303030;
  x = x * 10 + (x >> 8);
  constexpr std::uint64_t kMask = 0x000000FF000000FF;
  constexpr std::uint64_t kMul1 = 100 + (1000000ULL << 32);
  constexpr std::uint64_t kMul2 = 1 + (10000ULL << 32);
  value = (((x & kMask) * kMul1) + (((x >> 16) & kMask) * kMul2)) >> 32;
  return true;
}

template <typename T>
[[gnu::always_inline]] inline bool parseInt(std::string_view s, T& out) {
  s = trim(s);
  if (s.empty()) return false;
  // Up to 18 digits cannot overflow: summed without from_chars' per-digit overflow checks, eight
  // at a time where the byte order allows.
  if (s.size() <= 18) {
    std::uint64_t v = 0;
    bool allDigits = true;
    size_t i = 0;
    if constexpr (std::endian::native == std::endian::little) {
      for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t eight = 0;
        allDigits &= eightDigits(s.data() + i, eight);
        v = v * 100000000 + eight;
      }
    }
    for (; i < s.size(); ++i) {
      const char c = s[i];
      allDigits &= c >= '0' && c <= '9';
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (allDigits) {
      out = static_cast<T>(v);
      return true;
    }
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

[[gnu::always_inline]] inline int digits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

[[gnu::always_inline]] inline bool validClock(int y, int mo, int d, int h, int mi, int s) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60)
    return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[mo - 1] && !(mo == 2 && d == 29 && !leap);
}

// "YYYY-MM-DDTHH:MM:SS" or with a space, then optional fraction and "Z" / "+00:00". A date equal
// to the cache's is not checked and counted again.
[[gnu::always_inline]] inline std::optional<std::int64_t> parseIso(std::string_view s,
                                                                   DayCache* cache) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  std::int64_t dayStartS = 0;
  if (cache && std::equal(cache->date.begin(), cache->date.end(), s.data())) {
    if (!validClock(1970, 1, 1, h, mi, sec)) return std::nullopt;
    dayStartS = cache->dayStartS;
  } else {
    const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (!validClock(y, mo, d, h, mi, sec)) return std::nullopt;
    dayStartS = utcSeconds(y, mo, d, 0, 0, 0);
    if (cache) {
      std::memcpy(cache->date.data(), s.data(), cache->date.size());
      cache->dayStartS = dayStartS;
    }
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  std::int64_t offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  }
  if (i != s.size()) return std::nullopt;
  return dayStartS + h * 3600 + mi * 60 + sec - offset;
}

// "dd/mm/YYYY HH:MM:SS" (Danish Maritime Authority).
std::optional<std::int64_t> parseDmy(std::string_view s) {
  if (s.size() != 19 || s[2] != '/' || s[5] != '/' || s[10] != ' ' || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  const int d = digits(s, 0, 2), mo = digits(s, 3, 2), y = digits(s, 6, 4);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!validClock(y, mo, d, h, mi, sec)) return std::nullopt;
  return utcSeconds(y, mo, d, h, mi, sec);
}

float optionalNumber(std::string_view s, bool& bad) {
  s = trim(s);
  if (s.empty()) return kUnknown;
  double v = 0;
  if (!parseDouble(s, v)) {
    bad = true;
    return kUnknown;
  }
  return static_cast<float>(v);
}

[[gnu::always_inline]] inline std::string_view field(const AisLayout& layout,
                                                     const std::vector<std::string_view>& fields,
                                                     Field f) {
  const int c = layout.col(f);
  return c >= 0 && c < static_cast<int>(fields.size()) ? trim(fields[c]) : std::string_view();
}

// The DMA writes "Unknown", "Undefined" or "Unknown value" where a text field is empty.
std::string text(std::string_view s) {
  if (s == "Unknown" || s == "Undefined" || s == "Unknown value") return {};
  return std::string(s);
}

}  // namespace

AisLayout detectColumns(std::string_view header, const GenericColumns& generic,
                        const std::string& fileName);

std::int64_t utcSeconds(int y, int m, int d, int hh, int mm, int ss) {
  // Days from civil (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days =
      static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}

std::optional<std::int64_t> parseAisTime(std::string_view s, TimeFormat format, DayCache* cache) {
  s = trim(s);
  switch (format) {
    case TimeFormat::Iso:
      return parseIso(s, cache);
    case TimeFormat::DayMonthYear:
      return parseDmy(s);
    case TimeFormat::Epoch: {
      std::int64_t v = 0;
      double d = 0;
      if (parseInt(s, v)) return v;
      if (parseDouble(s, d) && d > -1e11 && d < 1e11) return static_cast<std::int64_t>(d);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void splitCsv(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const char* p = line.data();
  const char* end = p + line.size();
  if (!std::memchr(p, '"', line.size())) {
    for (;;) {
      const char* comma =
          static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
      if (!comma) {
        out.emplace_back(p, static_cast<size_t>(end - p));
        return;
      }
      out.emplace_back(p, static_cast<size_t>(comma - p));
      p = comma + 1;
    }
  }
  for (;;) {
    if (p < end && *p == '"') {
      const char* start = ++p;
      while (p < end && !(*p == '"' && (p + 1 == end || p[1] != '"'))) p += (*p == '"') ? 2 : 1;
      out.emplace_back(start, static_cast<size_t>(std::min(p, end) - start));
      if (p < end) ++p;  // closing quote
      while (p < end && *p != ',') ++p;
    } else {
      const char* start = p;
      while (p < end && *p != ',') ++p;
      out.emplace_back(start, static_cast<size_t>(p - start));
    }
    if (p >= end) return;
    ++p;  // comma
  }
}

namespace {

#if defined(__SSE2__)
// The bytes [16 - len, 16) of a 16-byte load are those at kLast[len .. len + 15] == 0xFF.
alignas(16) constexpr unsigned char kLast[32] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

// The commas and double quotes of one 16-byte chunk, as byte masks (0xFF where found).
struct Chunk {
  __m128i commas;
  __m128i quotes;
};
inline Chunk scanChunk(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return {_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))};
}

// The last `len` (1 to 15) bytes of a line of `n` bytes: loaded as the line's last 16 bytes (never
// outside the line, which may end the buffer), or copied when the line is shorter than that.
inline Chunk scanTail(const char* line, size_t n, size_t len) {
  alignas(16) char shortLine[16] = {};
  const char* at = line + n - 16;
  if (n < 16) {
    std::memcpy(shortLine + 16 - n, line, n);
    at = shortLine;
  }
  Chunk c = scanChunk(at);
  const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLast + len));
  c.commas = _mm_and_si128(c.commas, keep);
  c.quotes = _mm_and_si128(c.quotes, keep);
  return c;
}

// Stores the fields that end at the commas of `mask` (bit i: byte `offset` + i) while fewer than
// `wanted` are split.
inline void splitAt(unsigned mask, size_t offset, const char* base, size_t wanted,
                    size_t& fieldStart, std::string_view* fields, size_t& count) {
  for (; mask != 0 && count < wanted; mask &= mask - 1) {
    const size_t at = offset + static_cast<size_t>(std::countr_zero(mask));
    fields[count++] = std::string_view(base + fieldStart, at - fieldStart);
    fieldStart = at + 1;
  }
}
#endif

// Lines longer than this take splitCsv (the per-byte comma counters of the fast path hold 255).
constexpr size_t kMaxFastLine = 255 * 16;

}  // namespace

bool splitPrefix(std::string_view line, int need, std::vector<std::string_view>& out,
                 int& columns) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
#if defined(__SSE2__)
  // One pass over the line, 16 bytes at a time: the commas give the boundaries of the first
  // `need` fields and, summed per byte lane, the column count; any quote sends the line to
  // splitCsv (x86-64's baseline has no popcount instruction, hence the lane sums).
  const char* base = line.data();
  const size_t n = line.size();
  if (n > kMaxFastLine) return false;
  // The fields go to a plain array (no growth checks, nothing spilled around them in the loop).
  const auto wanted = static_cast<size_t>(std::max(need, 0));
  out.resize(wanted);
  std::string_view* fields = out.data();
  size_t count = 0;
  size_t fieldStart = 0;
  __m128i commaCounts = _mm_setzero_si128();
  __m128i quotes = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const Chunk c = scanChunk(base + i);
    commaCounts = _mm_sub_epi8(commaCounts, c.commas);
    quotes = _mm_or_si128(quotes, c.quotes);
    if (count < wanted) {
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(c.commas));
      splitAt(mask, i, base, wanted, fieldStart, fields, count);
    }
  }
  if (i < n) {
    const Chunk c = scanTail(base, n, n - i);
    commaCounts = _mm_sub_epi8(commaCounts, c.commas);
    quotes = _mm_or_si128(quotes, c.quotes);
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(c.commas)) >> (16 - (n - i));
    splitAt(mask, i, base, wanted, fieldStart, fields, count);
  }
  if (_mm_movemask_epi8(quotes) != 0) return false;
  if (count < wanted) fields[count++] = std::string_view(base + fieldStart, n - fieldStart);
  out.resize(count);
  const __m128i sums = _mm_sad_epu8(commaCounts, _mm_setzero_si128());
  columns = _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4) + 1;
  return true;
#else
  if (std::memchr(line.data(), '"', line.size())) return false;
  splitCsv(line, out);
  columns = static_cast<int>(out.size());
  return true;
#endif
}

namespace {
AisLayout withCore(AisLayout layout) {
  layout.coreColumns = 0;
  for (const Field f : {Field::Mmsi, Field::Time, Field::Lat, Field::Lon, Field::MobileType}) {
    layout.coreColumns = std::max(layout.coreColumns, layout.col(f) + 1);
  }
  return layout;
}
}  // namespace

AisLayout detectLayout(std::string_view header, const GenericColumns& generic,
                       const std::string& fileName) {
  return withCore(detectColumns(header, generic, fileName));
}

AisLayout detectColumns(std::string_view header, const GenericColumns& generic,
                        const std::string& fileName) {
  std::vector<std::string_view> raw;
  splitCsv(header, raw);
  std::vector<std::string> headers;
  for (auto h : raw) {
    h = trim(h);
    if (!h.empty() && h.front() == '\xEF' && h.size() >= 3) h.remove_prefix(3);  // UTF-8 BOM
    headers.push_back(lower(h));
  }
  AisLayout layout;
  layout.columnCount = static_cast<int>(headers.size());
  if (hasAll(headers, {"MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading"})) {
    layout.format = AisFormat::MarineCadastre;
    layout.formatName = "MarineCadastre";
    layout.timeFormat = TimeFormat::Iso;
    setColumns(layout, headers,
               {{Field::Mmsi, "MMSI"},
                {Field::Time, "BaseDateTime"},
                {Field::Lat, "LAT"},
                {Field::Lon, "LON"},
                {Field::Sog, "SOG"},
                {Field::Cog, "COG"},
                {Field::Heading, "Heading"},
                {Field::Name, "VesselName"},
                {Field::Imo, "IMO"},
                {Field::CallSign, "CallSign"},
                {Field::ShipType, "VesselType"},
                {Field::Length, "Length"},
                {Field::Width, "Width"},
                {Field::TransceiverClass, "TransceiverClass"}});
    return layout;
  }
  if (hasAll(headers, {"# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude"})) {
    layout.format = AisFormat::DanishMaritime;
    layout.formatName = "Danish Maritime Authority";
    layout.timeFormat = TimeFormat::DayMonthYear;
    setColumns(layout, headers,
               {{Field::Time, "# Timestamp"},
                {Field::MobileType, "Type of mobile"},
                {Field::Mmsi, "MMSI"},
                {Field::Lat, "Latitude"},
                {Field::Lon, "Longitude"},
                {Field::Sog, "SOG"},
                {Field::Cog, "COG"},
                {Field::Heading, "Heading"},
                {Field::Imo, "IMO"},
                {Field::CallSign, "Callsign"},
                {Field::Name, "Name"},
                {Field::ShipType, "Ship type"},
                {Field::Length, "Length"},
                {Field::Width, "Width"}});
    return layout;
  }
  std::string mapped;
  if (!generic.empty()) {
    layout.format = AisFormat::Generic;
    layout.formatName = "generic";
    layout.column.fill(-1);
    bool all = true;
    for (const auto& [key, f] : genericFields()) {
      const auto it = generic.columns.find(key);
      if (it == generic.columns.end()) continue;
      mapped += (mapped.empty() ? "" : ",") + it->second;
      layout.column[static_cast<int>(f)] = findColumn(headers, it->second);
      if (layout.column[static_cast<int>(f)] < 0) all = false;
    }
    layout.timeFormat = generic.timeFormat == "dmy"     ? TimeFormat::DayMonthYear
                        : generic.timeFormat == "epoch" ? TimeFormat::Epoch
                                                        : TimeFormat::Iso;
    if (all) return layout;
  }
  std::string got(header.substr(0, 200));
  while (!got.empty() && (got.back() == '\r' || got.back() == '\n')) got.pop_back();
  throw Error(fileName + ": unknown AIS header '" + got + "'; expected a MarineCadastre header (" +
              kMarineCadastreHeader + "), a Danish Maritime Authority header (" + kDanishHeader +
              ") or " +
              (mapped.empty() ? std::string("a column mapping in ais.columns")
                              : "the columns of ais.columns (" + mapped + ")"));
}

MmsiKind classifyMmsi(std::uint64_t v) {
  if (v >= 200'000'000 && v < 800'000'000) return MmsiKind::Vessel;
  if (v >= 990'000'000 && v < 1'000'000'000) return MmsiKind::AidToNavigation;
  if (v >= 2'000'000 && v < 8'000'000) return MmsiKind::BaseStation;  // 00MIDxxxx
  return MmsiKind::Invalid;
}

void parseCore(const AisLayout& layout, const std::vector<std::string_view>& fields, int columns,
               ParsedRow& row) {
  row.problem.clear();
  if (columns != layout.columnCount) {
    row.rowClass = RowClass::Malformed;
    row.problem =
        std::to_string(layout.columnCount) + " columns expected, found " + std::to_string(columns);
    return;
  }
  const auto bad = [&row](const char* what, std::string_view value) {
    row.rowClass = RowClass::Malformed;
    row.problem = std::string(what) + " '" + std::string(value.substr(0, 40)) + "' does not parse";
  };
  const auto mmsiText = field(layout, fields, Field::Mmsi);
  if (!parseInt(mmsiText, row.mmsi)) return bad("MMSI", mmsiText);
  const auto timeText = field(layout, fields, Field::Time);
  const auto t = layout.timeFormat == TimeFormat::Iso
                     ? parseIso(timeText, &row.day)  // timeText is trimmed
                     : parseAisTime(timeText, layout.timeFormat, &row.day);
  if (!t) return bad("time", timeText);
  row.timeS = *t;
  const auto latText = field(layout, fields, Field::Lat);
  if (!parseDouble(latText, row.lat)) return bad("latitude", latText);
  const auto lonText = field(layout, fields, Field::Lon);
  if (!parseDouble(lonText, row.lon)) return bad("longitude", lonText);

  if (layout.col(Field::MobileType) >= 0) {
    const auto type = field(layout, fields, Field::MobileType);
    if (type == "Base Station") {
      row.rowClass = RowClass::BaseStation;
      return;
    }
    if (type == "AtoN") {
      row.rowClass = RowClass::AidToNavigation;
      return;
    }
    if (type != "Class A" && type != "Class B") {
      row.rowClass = RowClass::NotClassAB;
      return;
    }
  }
  switch (classifyMmsi(row.mmsi)) {
    case MmsiKind::Vessel:
      break;
    case MmsiKind::BaseStation:
      row.rowClass = RowClass::BaseStation;
      return;
    case MmsiKind::AidToNavigation:
      row.rowClass = RowClass::AidToNavigation;
      return;
    case MmsiKind::Invalid:
      row.rowClass = RowClass::InvalidMmsi;
      return;
  }
  if (!(row.lat >= -90.0 && row.lat <= 90.0 && row.lon >= -180.0 && row.lon <= 180.0)) {
    row.rowClass = RowClass::OutOfRange;
    return;
  }
  if (row.lat == 0.0 && row.lon == 0.0) {
    row.rowClass = RowClass::ZeroPosition;
    return;
  }
  row.rowClass = RowClass::Kept;
}

std::optional<std::string> parseDetails(const AisLayout& layout,
                                        const std::vector<std::string_view>& fields, AisFix& fix,
                                        VesselStatic& info, SentinelHits& hits) {
  bool bad = false;
  fix.sogKn = optionalNumber(field(layout, fields, Field::Sog), bad);
  fix.cogDeg = optionalNumber(field(layout, fields, Field::Cog), bad);
  fix.headingDeg = optionalNumber(field(layout, fields, Field::Heading), bad);
  info.lengthM = optionalNumber(field(layout, fields, Field::Length), bad);
  info.widthM = optionalNumber(field(layout, fields, Field::Width), bad);
  if (bad) return std::string("SOG, COG, heading, length or width does not parse");
  // Sentinels (ITU-R M.1371): SOG 102.3 kn, COG 360, heading 511 mean "not available".
  hits = {};
  if (known(fix.sogKn) && (fix.sogKn >= 102.25f || fix.sogKn < 0))
    hits.sog = true, fix.sogKn = kUnknown;
  if (known(fix.cogDeg) && (fix.cogDeg >= 360.0f || fix.cogDeg < 0))
    hits.cog = true, fix.cogDeg = kUnknown;
  if (known(fix.headingDeg) && (fix.headingDeg >= 360.0f || fix.headingDeg < 0)) {
    hits.heading = true;
    fix.headingDeg = kUnknown;
  }
  // MarineCadastre writes 0 for an unknown length or width.
  if (known(info.lengthM) && info.lengthM <= 0) info.lengthM = kUnknown;
  if (known(info.widthM) && info.widthM <= 0) info.widthM = kUnknown;
  info.mmsi = fix.mmsi;
  info.name = text(field(layout, fields, Field::Name));
  auto imo = text(field(layout, fields, Field::Imo));
  if (imo.rfind("IMO", 0) == 0) imo.erase(0, 3);
  if (imo == "0") imo.clear();
  info.imo = imo;
  info.callSign = text(field(layout, fields, Field::CallSign));
  info.shipType = text(field(layout, fields, Field::ShipType));
  if (layout.col(Field::TransceiverClass) >= 0) {
    info.transceiverClass = std::string(field(layout, fields, Field::TransceiverClass));
  } else if (layout.col(Field::MobileType) >= 0) {
    const auto type = field(layout, fields, Field::MobileType);
    info.transceiverClass = type == "Class A" ? "A" : type == "Class B" ? "B" : "";
  }
  return std::nullopt;
}

}  // namespace cw::vessels
