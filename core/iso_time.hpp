#pragma once
// ISO 8601 UTC times, the one grammar of every time changewatch reads (config windows, scene
// metadata and STAC datetimes, declarations): "YYYY-MM-DD", or "YYYY-MM-DD" "T" or " "
// "HH:MM[:SS[.fff]]" with an optional "Z" or "+HH:MM" / "+HHMM" / "-…" offset (no offset means
// UTC). Years 1900 to 2200: anything else is a typo in this domain. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>

namespace cw {

// Seconds since 1970-01-01T00:00:00Z, or nullopt when `text` is not such a time or names an
// impossible date (2024-02-30) or a year outside 1900..2200. Fractional seconds are truncated.
std::optional<std::int64_t> parseIsoTime(const std::string& text);

// True when `text` is a date only ("YYYY-MM-DD"), i.e. a whole day.
bool isIsoDateOnly(const std::string& text);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string formatIsoTime(std::int64_t secondsSinceEpoch);

// The current time as formatIsoTime() writes it, for job records ("started", "finished").
std::string nowIso();

// The current time with milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ", for review decisions, several
// of which can fall in one second.
std::string nowIsoMillis();

}  // namespace cw
