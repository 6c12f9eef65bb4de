#include "core/name_suggestion.hpp"

#include <algorithm>

namespace cw {

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestName(const std::string& name, const std::vector<std::string>& known,
                        std::size_t maxDistancePlusOne) {
  std::string best;
  std::size_t bestD = maxDistancePlusOne;
  for (const auto& k : known) {
    const std::size_t d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  return all;
}

std::string unknownNameMessage(const std::string& what, const std::string& name,
                               const std::vector<std::string>& known) {
  const std::string msg = "unknown " + what + " '" + name + "'";
  if (known.empty()) return msg + " (none is registered)";
  const std::string best = closestName(name, known);
  if (!best.empty()) return msg + " (did you mean '" + best + "'?)";
  return msg + " (registered: " + joinNames(known) + ")";
}

}  // namespace cw
