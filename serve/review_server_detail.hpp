#pragma once
// Helpers shared by the two halves of the review server (review_server.cpp: plan, reviews, API and
// file routes; review_auth.cpp: login, sessions, authorization, audit). Not a public interface.
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace cw::serve::detail {

inline void sendJson(httplib::Response& res, const nlohmann::json& j, int status = 200) {
  res.status = status;
  // Error messages echo request text, which need not be UTF-8: bad bytes become U+FFFD instead of
  // dump() throwing (found by fuzz/fuzz_serve_router: /api/evidence?job=ao%E9 answered 500).
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

inline void sendError(httplib::Response& res, int status, const std::string& message) {
  sendJson(res, {{"error", message}}, status);
}

std::string nowIso();

}  // namespace cw::serve::detail
