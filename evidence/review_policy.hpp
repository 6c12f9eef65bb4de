#pragma once
// Which decisions of OUT/reviews.jsonl a merge applies, and how a verdict they changed says so.
//
//  - The log is read up to its first broken link (evidence/hash_chain.hpp); lines after a break
//    are not applied, and the merge warns.
//  - Only decisions of users who held the reviewer or admin role when they decided count
//    (a line records the role its session had). Decisions made without sign-in (role "local")
//    count only with reviews.trust_local.
//  - The last applicable decision on an item wins, as before, except that with four eyes on,
//    rejecting an item cited by a discrepancy (in the verdicts computed without any review) takes
//    two different reviewers whose latest decision on it is "rejected", one of them with a reason
//    (comment). Until then the item stays in ("pending": reported, not applied).
//  - A verdict that was a discrepancy without the reviews and is not with them gets the reason
//    "was discrepancy; N items rejected by U1, confirmed by U2 on DATE; now: <its reason>".
#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "evidence/corroboration.hpp"
#include "evidence/hash_chain.hpp"
#include "evidence/observations.hpp"

namespace cw::evidence {

struct ReviewRecord {
  std::size_t seq = 0;
  std::string evidenceId, decision, reviewer, role, comment, time, job;
  std::string status;  // after effectiveReviews: applied | pending (four eyes) | not applied: <why>
};

struct ReviewLog {
  std::vector<ReviewRecord> records;  // the lines before the first broken link
  ChainCheck chain;
};

ReviewLog readReviewLog(const std::filesystem::path& reviewsJsonl);

struct ReviewPolicy {
  bool fourEyes = true;
  bool trustLocal = false;
};

struct RejectionSignoff {
  std::string first, second, date;  // date (YYYY-MM-DD) of the confirming rejection
};

struct EffectiveReviews {
  ReviewDecisions decisions;                         // evidence id -> applied decision
  std::map<std::string, RejectionSignoff> signoffs;  // rejected ids and who signed them off
  std::set<std::string> pending;  // cited ids whose rejection awaits a 2nd reviewer
};

// The decisions to apply; sets each record's status in `log`.
EffectiveReviews effectiveReviews(ReviewLog& log, const std::set<std::string>& citedByDiscrepancy,
                                  const ReviewPolicy& policy);

// Evidence ids cited by the discrepancy verdicts of `rows`.
std::set<std::string> discrepancyEvidence(const std::vector<VerdictRow>& rows);

// Prefixes the reason of every verdict of `now` that was a discrepancy in `before` (same
// declarations, same order) and is not any more.
void explainReviewedVerdicts(std::vector<VerdictRow>& now, const std::vector<VerdictRow>& before,
                             const EffectiveReviews& reviews);

}  // namespace cw::evidence
