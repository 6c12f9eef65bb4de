// The access half of the review server (review_server.hpp): sign-in, sessions, who a request
// acts for, and the audit log of evidence requests.
#include <semaphore>

#include <httplib.h>

#include "core/log.hpp"
#include "evidence/hash_chain.hpp"
#include "serve/review_server.hpp"
#include "serve/review_server_detail.hpp"

namespace cw::serve {

using detail::sendError;
using detail::sendJson;
using nlohmann::json;

namespace {

constexpr const char* kCookie = "cw_session";
// The same words for an unknown user and a wrong password, so the answer does not tell which.
constexpr const char* kLoginFailed = "sign-in failed: wrong user name or password";

// The value of cookie `name` in the request's Cookie headers; empty when absent.
std::string cookieValue(const httplib::Request& req, const std::string& name) {
  const size_t n = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < n; ++i) {
    const std::string h = req.get_header_value("Cookie", i);
    size_t pos = 0;
    while (pos < h.size()) {
      const size_t end = std::min(h.find(';', pos), h.size());
      std::string part = h.substr(pos, end - pos);
      const size_t b = part.find_first_not_of(' ');
      part = b == std::string::npos ? "" : part.substr(b);
      if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 &&
          part[name.size()] == '=') {
        return part.substr(name.size() + 1);
      }
      pos = end + 1;
    }
  }
  return {};
}

// A hash to check unknown users against, so that their failed sign-in costs the same Argon2id
// time as a wrong password (no timing answer to "does this user exist?").
const std::string& dummyHash() {
  static const std::string h = hashPassword("not a password of anyone " + randomHex(16));
  return h;
}

// Argon2id takes 64 MiB and ~0.1 s per check: at most two at once, so a burst of sign-ins cannot
// take the server's memory.
std::counting_semaphore<2> g_hashSlots(2);

}  // namespace

bool ReviewServer::publicPath(const std::string& p) const {
  return p == "/" || p == "/app.js" || p == "/auth.js" || p == "/style.css" || p == "/api/login" ||
         p == "/api/session" || p.rfind("/vendor/leaflet/", 0) == 0;
}

std::optional<ReviewServer::Principal> ReviewServer::principalOf(
    const httplib::Request& req) const {
  if (!m_users) return Principal{"", "local", {}, "", false};
  const auto s = m_sessions->find(cookieValue(req, kCookie));
  if (!s) return std::nullopt;
  return Principal{s->user, roleName(s->role), s->aois, s->csrf, true};
}

std::optional<ReviewServer::Principal> ReviewServer::sessionWriter(const httplib::Request& req,
                                                                   httplib::Response& res) const {
  auto who = principalOf(req);
  if (!who) {
    sendError(res, 401, "not signed in (no session, or it expired): sign in at /");
  } else if (m_users && !equalConstantTime(req.get_header_value("X-CSRF-Token"), who->csrf)) {
    sendError(res, 403, "missing or wrong X-CSRF-Token for this session");
    who.reset();
  }
  return who;
}

void ReviewServer::setupAuthRoutes() {
  auto& s = *m_server;
  const bool tls = !m_options.tlsCert.empty();
  s.Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    if (!who) return sendError(res, 401, "not signed in (no session, or it expired): sign in at /");
    json aois = json::array();
    if (who->allAois())
      aois.push_back("*");
    else
      for (const auto& a : who->aois) aois.push_back(a);
    sendJson(res, {{"auth", who->authenticated},
                   {"user", who->user},
                   {"role", who->role},
                   {"aois", aois},
                   {"csrf", who->csrf},
                   {"can_decide", who->mayDecide()}});
  });
  s.Post("/api/login", [this, tls](const httplib::Request& req, httplib::Response& res) {
    if (!m_users) return sendError(res, 404, "this server has no users (started without --users)");
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("user") || !body["user"].is_string() ||
        !body.contains("password") || !body["password"].is_string()) {
      return sendError(res, 400, "body must be {\"user\": ..., \"password\": ...}");
    }
    const std::string name = body["user"], password = body["password"];
    if (const long wait = m_limiter->retryAfter(name, req.remote_addr)) {
      res.set_header("Retry-After", std::to_string(wait));
      return sendError(res, 429,
                       "too many failed sign-ins; try again in " + std::to_string(wait) + " s");
    }
    const User* user = m_users->find(name);
    bool ok = false;
    {
      g_hashSlots.acquire();
      ok = checkPassword(user ? user->passwordHash : dummyHash(), password) && user;
      g_hashSlots.release();
    }
    if (!ok) {
      m_limiter->recordFailure(name, req.remote_addr);
      log::info("serve: failed sign-in for '" + name.substr(0, 64) + "' from " + req.remote_addr);
      return sendError(res, 401, kLoginFailed);
    }
    m_limiter->recordSuccess(name);
    Session session;
    const std::string token = m_sessions->create(*user, &session);
    std::string cookie =
        std::string(kCookie) + "=" + token +
        "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(m_options.sessionSeconds);
    if (tls) cookie += "; Secure";
    res.set_header("Set-Cookie", cookie);
    res.set_header("Cache-Control", "no-store");
    sendJson(res, {{"user", user->name},
                   {"role", roleName(user->role)},
                   {"csrf", session.csrf},
                   {"can_decide", canDecide(user->role)}});
  });
  s.Post("/api/logout", [this, tls](const httplib::Request& req, httplib::Response& res) {
    if (!m_users) return sendError(res, 404, "this server has no users (started without --users)");
    if (!sessionWriter(req, res)) return;
    m_sessions->erase(cookieValue(req, kCookie));
    res.set_header("Set-Cookie", std::string(kCookie) +
                                     "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                     (tls ? "; Secure" : ""));
    sendJson(res, {{"signed_out", true}});
  });
}

void ReviewServer::audit(const httplib::Request& req, int status) {
  const auto who = m_users ? principalOf(req) : std::nullopt;
  std::string target = req.path;
  if (!req.params.empty()) {
    std::string q;
    for (const auto& [k, v] : req.params) q += (q.empty() ? "?" : "&") + k + "=" + v;
    target += q;
  }
  json record = {
      {"time", detail::nowIso()},         {"user", who ? json(who->user) : json(nullptr)},
      {"address", req.remote_addr},       {"method", req.method},
      {"target", target.substr(0, 1024)}, {"status", status}};
  try {
    std::lock_guard lock(m_auditMutex);
    evidence::appendChainedLine(m_options.outDir / "audit.jsonl", record);
  } catch (const std::exception& e) {
    // The response is already on its way; say loudly that the trail has a gap.
    log::warn(std::string("audit.jsonl: not written: ") + e.what());
  }
}

}  // namespace cw::serve
