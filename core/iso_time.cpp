#include "core/iso_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace cw {

std::optional<std::int64_t> parseIsoTime(const std::string& text) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{std::stoi(m[1])}, month{static_cast<unsigned>(std::stoi(m[2]))},
                           day{static_cast<unsigned>(std::stoi(m[3]))}};
  if (!ymd.ok() || ymd.year() < year{1900} || ymd.year() > year{2200}) return std::nullopt;
  std::int64_t s = sys_days(ymd).time_since_epoch().count() * 86400LL;
  if (m[4].matched) {
    const int hh = std::stoi(m[4]), mm = std::stoi(m[5]), ss = m[6].matched ? std::stoi(m[6]) : 0;
    if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    s += hh * 3600 + mm * 60 + ss;
    if (m[7].matched && m[7].str() != "Z") {
      const std::string z = m[7].str();
      const int sign = z[0] == '-' ? -1 : 1;
      const int oh = std::stoi(z.substr(1, 2));
      const int om = std::stoi(z.substr(z.size() - 2));
      s -= sign * (oh * 3600 + om * 60);
    }
  }
  return s;
}

bool isIsoDateOnly(const std::string& text) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}$)");
  return std::regex_match(text, re);
}

std::string formatIsoTime(std::int64_t t) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{t}};
  const auto dp = floor<days>(tp);
  const year_month_day ymd{dp};
  const hh_mm_ss hms{tp - dp};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string nowIso() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return formatIsoTime(static_cast<std::int64_t>(t));
}

std::string nowIsoMillis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  return buf;
}

}  // namespace cw
