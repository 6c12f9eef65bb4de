#include "vessels/vessel_geojson.hpp"

#include <memory>

#include <ogrsf_frmts.h>

#include "core/iso_time.hpp"
#include "evidence/geojson_writer.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::vessels {
namespace {

bool nearAnyScene(std::int64_t t, const std::vector<SceneVessels>& scenes, std::int64_t windowS) {
  for (const auto& s : scenes) {
    if (std::abs(t - s.timeS) <= windowS) return true;
  }
  return false;
}

// The "vessels" layer (7 decimals) with every field any feature uses.
tiles::GeoJsonLayout vesselsLayout() {
  return {.layerName = "vessels",
          .geometryType = wkbUnknown,
          .fields = {{"feature_type", OFTString},
                     {"mmsi", OFTInteger64},
                     {"imo", OFTString},
                     {"vessel_name", OFTString},
                     {"length_m", OFTReal},
                     {"scene_id", OFTString},
                     {"scene_time", OFTString},
                     {"status", OFTString},
                     {"placed_by", OFTString},
                     {"dt_s", OFTInteger64},
                     {"likely", OFTString},
                     {"likely_why", OFTString},
                     {"start", OFTString},
                     {"end", OFTString},
                     {"sts_source", OFTString},
                     {"mmsi2", OFTInteger64},
                     {"first_dark", OFTInteger},
                     {"second_dark", OFTInteger},
                     {"distance_m", OFTReal},
                     {"shore_checked", OFTInteger},
                     {"shore_distance_m", OFTReal},
                     {"evidence_id", OFTString},
                     {"first_id", OFTString},
                     {"second_id", OFTString}},
          .coordinatePrecision = 7};
}

// Sets the MMSI of `f` and, when the AIS store knows the vessel, its IMO, name and length.
void describeVessel(OGRFeature& f, const AoiFixes& ais, std::uint32_t mmsi) {
  f.SetField("mmsi", static_cast<GIntBig>(mmsi));
  if (const auto it = ais.vessels.find(mmsi); it != ais.vessels.end()) {
    f.SetField("imo", it->second.imo.c_str());
    f.SetField("vessel_name", it->second.name.c_str());
    if (known(it->second.lengthM)) f.SetField("length_m", static_cast<double>(it->second.lengthM));
  }
}

// Writes one "track" LineString per MMSI from its fixes within windowS of a scene (jumps left out).
void writeTracks(tiles::GeoJsonLayer& layer, const AoiFixes& ais,
                 const std::vector<SceneVessels>& scenes, std::int64_t windowS) {
  const auto& fx = ais.fixes;
  for (size_t i = 0; i < fx.size();) {
    size_t j = i;
    OGRLineString line;
    std::int64_t first = 0, last = 0;
    for (; j < fx.size() && fx[j].mmsi == fx[i].mmsi; ++j) {
      if (fx[j].positionJump || !nearAnyScene(fx[j].timeS, scenes, windowS)) continue;
      if (line.getNumPoints() == 0) first = fx[j].timeS;
      last = fx[j].timeS;
      line.addPoint(fx[j].lon, fx[j].lat);
    }
    if (line.getNumPoints() >= 2) {
      OGRFeature f(layer.definition());
      f.SetField("feature_type", "track");
      describeVessel(f, ais, fx[i].mmsi);
      f.SetField("start", formatIsoTime(first).c_str());
      f.SetField("end", formatIsoTime(last).c_str());
      f.SetGeometry(&line);
      layer.add(f);
    }
    i = j;
  }
}

// Writes one "vessel_position" Point per vessel placed at each scene, with its match status.
void writeVesselPositions(tiles::GeoJsonLayer& layer, const AoiFixes& ais,
                          const std::vector<SceneVessels>& scenes) {
  for (const auto& s : scenes) {
    std::vector<std::string> status(s.match.vessels.size(), "placed");
    std::vector<std::string> likely(s.match.vessels.size()), why(s.match.vessels.size());
    for (const auto& d : s.match.detections) {
      if (d.vessel >= 0) status[static_cast<size_t>(d.vessel)] = "matched";
    }
    for (const auto& u : s.match.unseen) {
      status[static_cast<size_t>(u.vessel)] = "unseen";
      likely[static_cast<size_t>(u.vessel)] = u.likely;
      why[static_cast<size_t>(u.vessel)] = u.why;
    }
    for (size_t v = 0; v < s.match.vessels.size(); ++v) {
      const auto& p = s.match.vessels[v];
      OGRFeature f(layer.definition());
      f.SetField("feature_type", "vessel_position");
      describeVessel(f, ais, p.mmsi);
      f.SetField("scene_id", s.sceneId.c_str());
      f.SetField("scene_time", formatIsoTime(s.timeS).c_str());
      f.SetField("status", status[v].c_str());
      f.SetField("placed_by", methodName(p.method));
      f.SetField("dt_s", static_cast<GIntBig>(p.dtS));
      if (!likely[v].empty()) f.SetField("likely", likely[v].c_str());
      if (!why[v].empty()) f.SetField("likely_why", why[v].c_str());
      OGRPoint pt(p.lon, p.lat);
      f.SetGeometry(&pt);
      layer.add(f);
    }
  }
}

// Writes one "sts" Point per ship-to-ship transfer candidate.
void writeStsEvents(tiles::GeoJsonLayer& layer, const std::vector<evidence::StsRecord>& sts) {
  for (const auto& e : sts) {
    OGRFeature f(layer.definition());
    f.SetField("feature_type", "sts");
    if (!e.id.empty()) f.SetField("evidence_id", e.id.c_str());
    evidence::setStsFields(f, e);
    layer.add(f);
  }
}

}  // namespace

void writeVesselsGeoJson(const std::filesystem::path& path, const AoiFixes& ais,
                         const std::vector<SceneVessels>& scenes, std::int64_t windowS,
                         const std::vector<evidence::StsRecord>& sts) {
  tiles::writeGeoJson(path, vesselsLayout(), [&](tiles::GeoJsonLayer& layer) {
    writeTracks(layer, ais, scenes, windowS);
    writeVesselPositions(layer, ais, scenes);
    writeStsEvents(layer, sts);
  });
}

}  // namespace cw::vessels
