#pragma once
// Sessions and login throttling of `serve --users` (serve/review_server.hpp).
//
// A session is 256 random bits (libsodium randombytes), sent once as the cookie value; the server
// keeps only its SHA-256, so a memory dump or a timing side channel on the map lookup does not give
// out a usable cookie. Each session has its own CSRF token (another 256 bits) that every
// state-changing request must echo in X-CSRF-Token. Sessions end at logout, after `ttl` from login,
// or after `idle` without a request; the store holds at most kMaxSessions (the oldest is dropped).
//
// Failed logins are counted per user name and per client address in a sliding window; once either
// reaches the limit, logins for it are refused until the window has passed, with the same answer
// whether the user exists or not.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "serve/users.hpp"

namespace cw::serve {

using Clock = std::chrono::steady_clock;

// `bytes` random bytes from libsodium, lowercase hex.
std::string randomHex(std::size_t bytes);
// Constant-time comparison of two strings (length leaks, content does not).
bool equalConstantTime(const std::string& a, const std::string& b);

struct Session {
  std::string user;
  Role role = Role::Viewer;
  std::set<std::string> aois;
  std::string csrf;
  Clock::time_point created;
  Clock::time_point lastSeen;
};

class SessionStore {
 public:
  static constexpr std::size_t kMaxSessions = 10000;
  SessionStore(std::chrono::seconds ttl, std::chrono::seconds idle) : m_ttl(ttl), m_idle(idle) {}

  // A new session for `user`; returns the cookie token (64 hex characters).
  std::string create(const User& user, Session* out = nullptr);
  // The live session of `token` (its idle timer restarted), or nullopt when it is unknown, expired
  // or malformed; expired ones are dropped.
  std::optional<Session> find(const std::string& token);
  void erase(const std::string& token);
  std::size_t size() const;

 private:
  void dropExpiredLocked(Clock::time_point now);
  bool expired(const Session& s, Clock::time_point now) const;

  std::chrono::seconds m_ttl, m_idle;
  mutable std::mutex m_mutex;
  std::map<std::string, Session> m_sessions;  // SHA-256 of the token -> session
};

class LoginLimiter {
 public:
  LoginLimiter(int maxFailures, std::chrono::seconds window)
      : m_max(maxFailures), m_window(window) {}
  // Seconds until `user` and `address` may try again; 0 when both may try now.
  long retryAfter(const std::string& user, const std::string& address);
  void recordFailure(const std::string& user, const std::string& address);
  // A success clears the user's count (not the address's: one address guessing many users keeps
  // its count).
  void recordSuccess(const std::string& user);

 private:
  long retryAfterLocked(const std::string& key, Clock::time_point now);
  void pruneLocked(Clock::time_point now);

  int m_max;
  std::chrono::seconds m_window;
  std::mutex m_mutex;
  std::map<std::string, std::vector<Clock::time_point>> m_failures;  // "u:<name>" / "a:<addr>"
};

}  // namespace cw::serve
