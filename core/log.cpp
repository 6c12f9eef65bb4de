#include "core/log.hpp"

#include <atomic>
#include <iostream>
#include <mutex>

namespace cw::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;

void emit(Level at, const char* prefix, const std::string& message) {
  if (static_cast<int>(g_level.load()) < static_cast<int>(at)) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::cerr << prefix << message << '\n';
}
}  // namespace

void setLevel(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}
void warn(const std::string& message) {
  emit(Level::Warn, "warning: ", message);
}
void info(const std::string& message) {
  emit(Level::Info, "", message);
}
void debug(const std::string& message) {
  emit(Level::Debug, "debug: ", message);
}

}  // namespace cw::log
