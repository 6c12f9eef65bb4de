#include "serve/auth.hpp"

#include <algorithm>

#include <sodium.h>

#include "core/sha256.hpp"

namespace cw::serve {

std::string randomHex(std::size_t bytes) {
  initSodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), buf.data(), buf.size());
  hex.pop_back();
  return hex;
}

bool equalConstantTime(const std::string& a, const std::string& b) {
  initSodium();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool SessionStore::expired(const Session& s, Clock::time_point now) const {
  return now - s.created >= m_ttl || now - s.lastSeen >= m_idle;
}

void SessionStore::dropExpiredLocked(Clock::time_point now) {
  std::erase_if(m_sessions, [&](const auto& kv) { return expired(kv.second, now); });
}

std::string SessionStore::create(const User& user, Session* out) {
  const std::string token = randomHex(32);
  Session s;
  s.user = user.name;
  s.role = user.role;
  s.aois = user.aois;
  s.csrf = randomHex(32);
  s.created = s.lastSeen = Clock::now();
  std::lock_guard lock(m_mutex);
  dropExpiredLocked(s.created);
  if (m_sessions.size() >= kMaxSessions) {
    const auto oldest =
        std::min_element(m_sessions.begin(), m_sessions.end(),
                         [](auto& a, auto& b) { return a.second.created < b.second.created; });
    m_sessions.erase(oldest);
  }
  m_sessions[cw::sha256Hex(token)] = s;
  if (out) *out = s;
  return token;
}

std::optional<Session> SessionStore::find(const std::string& token) {
  if (token.size() != 64) return std::nullopt;
  const std::string key = cw::sha256Hex(token);
  const auto now = Clock::now();
  std::lock_guard lock(m_mutex);
  const auto it = m_sessions.find(key);
  if (it == m_sessions.end()) return std::nullopt;
  if (expired(it->second, now)) {
    m_sessions.erase(it);
    return std::nullopt;
  }
  it->second.lastSeen = now;
  return it->second;
}

void SessionStore::erase(const std::string& token) {
  if (token.size() != 64) return;
  std::lock_guard lock(m_mutex);
  m_sessions.erase(cw::sha256Hex(token));
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(m_mutex);
  return m_sessions.size();
}

void LoginLimiter::pruneLocked(Clock::time_point now) {
  for (auto it = m_failures.begin(); it != m_failures.end();) {
    auto& v = it->second;
    std::erase_if(v, [&](Clock::time_point t) { return now - t >= m_window; });
    it = v.empty() ? m_failures.erase(it) : std::next(it);
  }
}

long LoginLimiter::retryAfterLocked(const std::string& key, Clock::time_point now) {
  const auto it = m_failures.find(key);
  if (it == m_failures.end() || int(it->second.size()) < m_max) return 0;
  // Blocked until the oldest failure that still counts leaves the window.
  const auto& v = it->second;
  const auto until = v[v.size() - std::size_t(m_max)] + m_window;
  return std::max<long>(1, long(std::chrono::ceil<std::chrono::seconds>(until - now).count()));
}

long LoginLimiter::retryAfter(const std::string& user, const std::string& address) {
  const auto now = Clock::now();
  std::lock_guard lock(m_mutex);
  pruneLocked(now);
  return std::max(retryAfterLocked("u:" + user.substr(0, 128), now),
                  retryAfterLocked("a:" + address, now));
}

void LoginLimiter::recordFailure(const std::string& user, const std::string& address) {
  const auto now = Clock::now();
  std::lock_guard lock(m_mutex);
  // Bounded: a flood of made-up user names cannot grow this without limit (the address key
  // of the flood is blocked after m_max of them anyway).
  if (m_failures.size() > 100000) pruneLocked(now);
  if (m_failures.size() > 100000) m_failures.clear();
  for (const std::string& key : {"u:" + user.substr(0, 128), "a:" + address}) {
    auto& v = m_failures[key];
    v.push_back(now);
    if (v.size() > std::size_t(m_max) * 2) v.erase(v.begin());
  }
}

void LoginLimiter::recordSuccess(const std::string& user) {
  std::lock_guard lock(m_mutex);
  m_failures.erase("u:" + user.substr(0, 128));
}

}  // namespace cw::serve
