#pragma once
// Band roles: the one list of spectral role names the config, the raster readers and the pipeline
// use, the role enum the units see, and the band needs a unit declares on its registry entry.
#include <optional>
#include <string>
#include <vector>

namespace cw::imaging {

// Grey is a band nothing names (a panchromatic or single-band export); Other is a named band no
// unit reads (swir1, swir2): it is carried, never mistaken for a grey band.
enum class BandRole { Blue, Green, Red, Nir, Swir1, Swir2, Vv, Vh, Grey, Other };

// The spectral role names ("blue", "green", "red", "nir", "swir1", "swir2", "vv", "vh"), in the
// order the pipeline stacks a job's bands.
const std::vector<std::string>& spectralRoleNames();

// The role of a role name as tiles::readBandLayout and the config give it: "" is Grey, a name
// outside spectralRoleNames() is Other.
BandRole bandRoleFromName(const std::string& name);
std::string bandRoleName(BandRole role);  // "grey" for Grey, "other" for Other

// What bands a change method or detector can work on, declared on its registry entry and checked
// before it runs (validate, run, count, change), so a scene it cannot read is a clear error rather
// than a silent zero.
struct BandNeeds {
  std::vector<BandRole> anyOf;  // at least one band with one of these roles; empty: any band

  // Nothing when `roles` satisfy the needs, else the error text ("needs a band with role blue,
  // green, ... or vh; the bands are swir1, swir2").
  std::optional<std::string> check(const std::vector<BandRole>& roles) const;
};

// The bands a detector that measures brightness can read: visible, NIR, SAR or grey.
BandNeeds brightnessBands();

}  // namespace cw::imaging
