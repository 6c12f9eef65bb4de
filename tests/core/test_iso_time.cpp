// The one ISO 8601 grammar (core/iso_time.hpp) that config windows, scene times and
// declarations share.
#include <catch2/catch.hpp>

#include <cstdint>
#include <ctime>
#include <regex>
#include <string>

#include "core/iso_time.hpp"

using cw::formatIsoTime;
using cw::isIsoDateOnly;
using cw::parseIsoTime;

TEST_CASE("ISO time: dates, times, fractions and offsets", "[unit]") {
  CHECK(parseIsoTime("1970-01-02") == 86400);
  CHECK(parseIsoTime("2025-03-01T10:20:30Z") == 1740824430);
  CHECK(parseIsoTime("2025-03-01 10:20:30") == 1740824430);
  CHECK(parseIsoTime("2025-03-01T10:20Z") == 1740824400);
  CHECK(parseIsoTime("2025-03-01T10:20:30.999Z") == 1740824430);  // fractions truncated
  CHECK(parseIsoTime("2025-03-01T12:20:30+02:00") == 1740824430);
  CHECK(parseIsoTime("2025-03-01T12:20:30+0200") == 1740824430);
  CHECK(parseIsoTime("2025-03-01T08:20:30-02:00") == 1740824430);
  CHECK(parseIsoTime("2024-02-29") == 1709164800);
  CHECK(formatIsoTime(1740824430) == "2025-03-01T10:20:30Z");
  CHECK(isIsoDateOnly("2025-03-01"));
  CHECK_FALSE(isIsoDateOnly("2025-03-01T00:00:00Z"));
}

TEST_CASE("ISO time: malformed, impossible and out-of-range times are refused", "[unit]") {
  for (const char* bad : {"", "01/03/2025", "2025-3-1", "2025-02-30", "2023-02-29", "2025-13-01",
                          "2025-03-01T24:00", "2025-03-01T10:60", "2025-03-01T10", "2025-03-01T",
                          "2025-03-01T10:20:30.", "2025-03-01T10:20:30+2", "2025-03-01t10:20z",
                          " 2025-03-01", "2025-03-01 ", "1899-12-31", "2201-01-01"}) {
    INFO(bad);
    CHECK_FALSE(parseIsoTime(bad));
  }
}

TEST_CASE("ISO time: now, in seconds for job records and with milliseconds for reviews", "[unit]") {
  const auto before = static_cast<std::int64_t>(std::time(nullptr));
  const std::string s = cw::nowIso();
  const std::string ms = cw::nowIsoMillis();
  const auto after = static_cast<std::int64_t>(std::time(nullptr));
  CHECK(std::regex_match(s, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")));
  CHECK(std::regex_match(ms, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
  for (const std::string& t : {s, ms}) {
    INFO(t);
    const auto parsed = parseIsoTime(t);
    REQUIRE(parsed);
    CHECK(*parsed >= before);
    CHECK(*parsed <= after);
  }
}
