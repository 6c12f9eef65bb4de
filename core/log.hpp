#pragma once
// Minimal thread-safe logger to stderr. Levels: quiet < warn < info < debug.
#include <string>

namespace cw::log {

enum class Level { Quiet = 0, Warn = 1, Info = 2, Debug = 3 };

void setLevel(Level level);
Level level();
void warn(const std::string& message);
void info(const std::string& message);
void debug(const std::string& message);

}  // namespace cw::log
