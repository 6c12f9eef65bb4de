#include "tiles/band_roles.hpp"

#include <gdal_priv.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

#include "imaging/band_role.hpp"

namespace cw::tiles {

std::string roleFromText(std::string t) {
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& r : imaging::spectralRoleNames()) {
    if (t == r) return r;
  }
  if (t == "cloud" || t == "alpha") return t;
  if (t == "scl" || t == "qa_pixel") return "cloud";
  // Sentinel-2 band names, alone or inside a product file name (..._B04_10m, B8A).
  static const std::regex s2("(^|[^a-z0-9])b(0?2|0?3|0?4|0?8|8a)($|[^a-z0-9])");
  std::smatch m;
  if (std::regex_search(t, m, s2)) {
    const std::string b = m[2].str();
    if (b == "2" || b == "02") return "blue";
    if (b == "3" || b == "03") return "green";
    if (b == "4" || b == "04") return "red";
    return "nir";
  }
  return "";
}

namespace {

// The file behind pixel (0, 0) of a VRT band, from GDAL's LocationInfo metadata; "" otherwise.
std::string sourceFileStem(GDALRasterBand& band) {
  const char* info = band.GetMetadataItem("Pixel_0_0", "LocationInfo");
  if (!info) return "";
  static const std::regex file("<File>([^<]*)</File>");
  std::cmatch m;
  if (!std::regex_search(info, m, file)) return "";
  return std::filesystem::path(m[1].str()).stem().string();
}

// The role a band's description names, or in a VRT stack its file's name; "" when neither does.
std::string namedRole(GDALRasterBand& band) {
  if (std::string r = roleFromText(band.GetDescription()); !r.empty()) return r;
  if (band.GetDataset() && band.GetDataset()->GetDriver() &&
      std::string(band.GetDataset()->GetDriver()->GetDescription()) == "VRT") {
    return roleFromText(sourceFileStem(band));
  }
  return "";
}

}  // namespace

std::string BandLayout::roleOf(int b) const {
  for (const auto& [role, band] : roles) {
    if (band == b) return role;
  }
  return "";
}

BandLayout readBandLayout(GDALDataset& ds) {
  BandLayout out;
  const int n = ds.GetRasterCount();
  for (int b = 1; b <= n; ++b) {
    GDALRasterBand& band = *ds.GetRasterBand(b);
    if (band.GetColorInterpretation() == GCI_AlphaBand) {
      out.alphaBands.push_back(b);
      continue;
    }
    ++out.spectralCount;
    const std::string role = namedRole(band);
    if (role == "cloud") {
      out.cloudBand = b;
    } else if (!role.empty() && role != "alpha") {
      out.roles[role] = b;
    }
  }
  if (!out.roles.empty()) return out;
  for (int b = 1; b <= n; ++b) {
    switch (ds.GetRasterBand(b)->GetColorInterpretation()) {
      case GCI_RedBand:
        out.roles["red"] = b;
        break;
      case GCI_GreenBand:
        out.roles["green"] = b;
        break;
      case GCI_BlueBand:
        out.roles["blue"] = b;
        break;
      default:
        break;
    }
  }
  if (out.roles.size() != 3) out.roles.clear();  // a lone "red" is not a true-colour export
  return out;
}

}  // namespace cw::tiles
