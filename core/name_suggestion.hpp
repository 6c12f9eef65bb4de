#pragma once
// "Did you mean" for mistyped names: the config's unknown keys and unit names, and the unknown
// options of a change method or detector (config and `--set` alike) all suggest through here, so
// they agree on what counts as close.
#include <cstddef>
#include <string>
#include <vector>

namespace cw {

// Levenshtein distance (insertions, deletions and substitutions each cost 1).
std::size_t editDistance(const std::string& a, const std::string& b);

// The first of `known` closest to `name` within fewer than `maxDistancePlusOne` edits, or "" when
// none is that close (3 by default: one or two typos, not a different word).
std::string closestName(const std::string& name, const std::vector<std::string>& known,
                        std::size_t maxDistancePlusOne = 3);

// "a, b, c".
std::string joinNames(const std::vector<std::string>& names);

// "unknown WHAT 'name'" and then "(did you mean 'x'?)" when one of `known` is close, else
// "(registered: a, b, c)", or "(none is registered)": the one text for every unknown unit name
// (config, --method, --detector, `changewatch options`).
std::string unknownNameMessage(const std::string& what, const std::string& name,
                               const std::vector<std::string>& known);

}  // namespace cw
