#include "evidence/review_policy.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

namespace cw::evidence {

using nlohmann::json;

ReviewLog readReviewLog(const std::filesystem::path& path) {
  ReviewLog log;
  log.chain = verifyChain(path);
  const std::size_t usable = log.chain.intact;
  std::ifstream in(path);
  std::string line;
  for (std::size_t n = 1; n <= usable && std::getline(in, line); ++n) {
    const json j = json::parse(line, nullptr, false);
    ReviewRecord r;
    r.seq = n;
    r.evidenceId = j.value("evidence_id", "");
    r.decision = j.value("decision", "");
    r.reviewer = j.value("reviewer", "");
    r.role = j.value("role", "");
    r.comment = j.value("comment", "");
    r.time = j.value("time", "");
    r.job = j.value("job", "");
    log.records.push_back(std::move(r));
  }
  return log;
}

namespace {

bool roleApplies(const std::string& role, const ReviewPolicy& p) {
  return role == "reviewer" || role == "admin" || (role == "local" && p.trustLocal);
}

// For a cited item whose latest applicable decision is "rejected": the two reviewers who sign it
// off (the earliest current rejection, with a reason, and the latest by someone else), if any.
std::optional<RejectionSignoff> fourEyes(const std::vector<const ReviewRecord*>& latestByUser) {
  std::vector<const ReviewRecord*> rejections;
  for (const auto* r : latestByUser)
    if (r->decision == "rejected") rejections.push_back(r);
  std::sort(rejections.begin(), rejections.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  if (rejections.size() < 2) return std::nullopt;
  const ReviewRecord* reasoned = nullptr;
  for (const auto* r : rejections) {
    if (r->comment.find_first_not_of(" \t\r\n") != std::string::npos) {
      reasoned = r;
      break;
    }
  }
  if (!reasoned) return std::nullopt;
  const ReviewRecord* other = nullptr;
  for (const auto* r : rejections)
    if (r->reviewer != reasoned->reviewer) other = r;  // latest
  if (!other) return std::nullopt;
  const auto* first = reasoned->seq < other->seq ? reasoned : other;
  const auto* second = first == reasoned ? other : reasoned;
  return RejectionSignoff{first->reviewer, second->reviewer, second->time.substr(0, 10)};
}

}  // namespace

EffectiveReviews effectiveReviews(ReviewLog& log, const std::set<std::string>& cited,
                                  const ReviewPolicy& policy) {
  EffectiveReviews eff;
  // id -> reviewer -> their latest applicable record; id -> latest applicable record.
  std::map<std::string, std::map<std::string, ReviewRecord*>> byUser;
  std::map<std::string, ReviewRecord*> latest;
  for (auto& r : log.records) {
    if (!roleApplies(r.role, policy)) {
      r.status = r.role == "local"
                     ? "not applied: made without sign-in (reviews.trust_local is off)"
                     : "not applied: role " + (r.role.empty() ? std::string("unknown") : r.role) +
                           " may not decide";
      continue;
    }
    r.status = "superseded";
    byUser[r.evidenceId][r.reviewer] = &r;
    latest[r.evidenceId] = &r;
  }
  for (auto& [id, r] : latest) {
    if (r->decision != "rejected" || !policy.fourEyes || !cited.count(id)) {
      eff.decisions[id] = r->decision;
      if (r->decision == "rejected") eff.signoffs[id] = {r->reviewer, "", r->time.substr(0, 10)};
      r->status = "applied";
      continue;
    }
    std::vector<const ReviewRecord*> current;
    for (const auto& [user, rec] : byUser[id]) current.push_back(rec);
    if (const auto s = fourEyes(current)) {
      eff.decisions[id] = "rejected";
      eff.signoffs[id] = *s;
      for (auto& [user, rec] : byUser[id]) {
        if (user == s->first || user == s->second) rec->status = "applied";
      }
    } else {
      eff.pending.insert(id);
      eff.decisions[id] = "rejection pending";
      r->status =
          "pending: rejecting evidence a discrepancy cites needs a reason and a second reviewer";
    }
  }
  return eff;
}

std::set<std::string> discrepancyEvidence(const std::vector<VerdictRow>& rows) {
  std::set<std::string> ids;
  for (const auto& r : rows) {
    if (r.verdict == Verdict::Discrepancy) ids.insert(r.evidenceIds.begin(), r.evidenceIds.end());
  }
  return ids;
}

void explainReviewedVerdicts(std::vector<VerdictRow>& now, const std::vector<VerdictRow>& before,
                             const EffectiveReviews& reviews) {
  for (std::size_t i = 0; i < now.size() && i < before.size(); ++i) {
    if (before[i].verdict != Verdict::Discrepancy || now[i].verdict == Verdict::Discrepancy)
      continue;
    // Group the rejected items of the old discrepancy by who signed them off.
    std::map<std::tuple<std::string, std::string, std::string>, int> groups;
    for (const auto& id : before[i].evidenceIds) {
      const auto it = reviews.signoffs.find(id);
      if (it == reviews.signoffs.end()) continue;
      ++groups[{it->second.first, it->second.second, it->second.date}];
    }
    std::string why;
    for (const auto& [who, n] : groups) {
      const auto& [first, second, date] = who;
      why += (why.empty() ? "" : "; ") + std::to_string(n) + (n == 1 ? " item" : " items") +
             " rejected by " + first + (second.empty() ? "" : ", confirmed by " + second) + " on " +
             date;
    }
    if (why.empty()) why = "its cited items were reviewed";
    now[i].reason = "was discrepancy; " + why + "; now: " + now[i].reason;
  }
}

}  // namespace cw::evidence
