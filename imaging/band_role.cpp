#include "imaging/band_role.hpp"

#include <algorithm>

#include "core/name_suggestion.hpp"

namespace cw::imaging {

namespace {

// Name and role of each spectral role, in stacking order.
const std::vector<std::pair<std::string, BandRole>>& spectralRoles() {
  static const std::vector<std::pair<std::string, BandRole>> kRoles = {
      {"blue", BandRole::Blue}, {"green", BandRole::Green}, {"red", BandRole::Red},
      {"nir", BandRole::Nir},   {"swir1", BandRole::Swir1}, {"swir2", BandRole::Swir2},
      {"vv", BandRole::Vv},     {"vh", BandRole::Vh}};
  return kRoles;
}

}  // namespace

const std::vector<std::string>& spectralRoleNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& r : spectralRoles()) names.push_back(r.first);
    return names;
  }();
  return kNames;
}

BandRole bandRoleFromName(const std::string& name) {
  if (name.empty()) return BandRole::Grey;
  for (const auto& r : spectralRoles()) {
    if (r.first == name) return r.second;
  }
  return BandRole::Other;
}

std::string bandRoleName(BandRole role) {
  for (const auto& r : spectralRoles()) {
    if (r.second == role) return r.first;
  }
  return role == BandRole::Grey ? "grey" : "other";
}

std::optional<std::string> BandNeeds::check(const std::vector<BandRole>& roles) const {
  if (roles.empty()) return "needs at least one band; there is none";
  if (anyOf.empty()) return std::nullopt;
  const bool ok = std::any_of(roles.begin(), roles.end(), [&](BandRole r) {
    return std::find(anyOf.begin(), anyOf.end(), r) != anyOf.end();
  });
  if (ok) return std::nullopt;
  std::string wanted;
  for (size_t i = 0; i < anyOf.size(); ++i) {
    wanted += (i == 0 ? "" : i + 1 == anyOf.size() ? " or " : ", ") + bandRoleName(anyOf[i]);
  }
  std::vector<std::string> have;
  for (const BandRole r : roles) have.push_back(bandRoleName(r));
  return "needs a band with role " + wanted + "; the bands are " + joinNames(have);
}

BandNeeds brightnessBands() {
  return {{BandRole::Blue, BandRole::Green, BandRole::Red, BandRole::Nir, BandRole::Vv,
           BandRole::Vh, BandRole::Grey}};
}

}  // namespace cw::imaging
