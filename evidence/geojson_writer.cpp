#include "evidence/geojson_writer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <iterator>
#include <memory>

#include "tiles/ogr_vector.hpp"

namespace cw::evidence {
namespace {

using tiles::OgrField;
const OgrField kFields[] = {
    {"id", OFTString},
    {"feature_type", OFTString},
    {"aoi", OFTString},
    {"before_scene", OFTString},
    {"after_scene", OFTString},
    {"before_time", OFTString},
    {"after_time", OFTString},
    {"chip_before", OFTString},
    {"chip_after", OFTString},
    {"chip_mask", OFTString},
    {"kind", OFTString},
    {"scene_id", OFTString},
    {"scene_time", OFTString},
    {"method", OFTString},
    {"area_m2", OFTReal},
    {"mean_score", OFTReal},
    {"pixel_count", OFTInteger64},
    {"length_m", OFTReal},
    {"width_m", OFTReal},
    {"heading_deg", OFTReal},
    {"score", OFTReal},
    {"x_px", OFTReal},
    {"y_px", OFTReal},
    {"valid_fraction", OFTReal},
    {"imaged_fraction", OFTReal},
    {"berthed", OFTInteger},
    {"underway", OFTInteger},
    {"registration_suspect", OFTInteger, OFSTBoolean},  // a JSON true/false rather than 1/0
};

OGRLinearRing toRing(const Ring& r) {
  OGRLinearRing ring;
  for (const auto& p : r) ring.addPoint(p[0], p[1]);
  ring.closeRings();
  return ring;
}

OGRPolygon toPolygon(const Polygon& poly) {
  OGRPolygon out;
  for (const auto& r : poly) {
    if (r.size() < 3) continue;
    OGRLinearRing ring = toRing(r);
    out.addRing(&ring);
  }
  return out;
}

// Only when AIS is configured, so that outputs without AIS keep their schema.
const OgrField kAisFields[] = {
    {"ais_status", OFTString},  {"mmsi", OFTInteger64},      {"imo", OFTString},
    {"vessel_name", OFTString}, {"ais_distance_m", OFTReal}, {"ais_dt_s", OFTReal},
    {"match_score", OFTReal},
};

// Ship-to-ship candidates (evidence.geojson only, after kAisFields).
const OgrField kStsFields[] = {
    {"sts_source", OFTString},     {"first_id", OFTString},
    {"second_id", OFTString},      {"mmsi2", OFTInteger64},
    {"first_dark", OFTInteger},    {"second_dark", OFTInteger},
    {"start", OFTString},          {"end", OFTString},
    {"distance_m", OFTReal},       {"shore_checked", OFTInteger, OFSTBoolean},
    {"shore_distance_m", OFTReal},
};

bool hasAis(const JobEvidence& ev) {
  return !ev.sts.empty() ||
         std::any_of(ev.detections.begin(), ev.detections.end(),
                     [](const DetectionRecord& d) { return !d.ais.status.empty(); });
}

// The layout of evidence.geojson and detections.geojson: the layer `layerName` with kFields,
// then kAisFields when `aisFields`.
tiles::GeoJsonLayout evidenceLayout(const std::string& layerName, bool aisFields,
                                    bool stsFields = false) {
  tiles::GeoJsonLayout layout{.layerName = layerName,
                              .geometryType = wkbUnknown,
                              .fields = {std::begin(kFields), std::end(kFields)},
                              .writeName = false,
                              .coordinatePrecision = 7,
                              .idField = "id"};
  if (aisFields)
    layout.fields.insert(layout.fields.end(), std::begin(kAisFields), std::end(kAisFields));
  if (stsFields)
    layout.fields.insert(layout.fields.end(), std::begin(kStsFields), std::end(kStsFields));
  return layout;
}

// A feature of `out` with the properties every evidence item has.
std::unique_ptr<OGRFeature> newFeature(tiles::GeoJsonLayer& out, const JobInfo& job,
                                       const std::string& id, const std::string& type,
                                       const ChipIndex& chips) {
  auto f = std::make_unique<OGRFeature>(out.definition());
  f->SetField("id", id.c_str());
  f->SetField("feature_type", type.c_str());
  f->SetField("aoi", job.aoiId.c_str());
  f->SetField("before_scene", job.before.id.c_str());
  f->SetField("after_scene", job.after.id.c_str());
  f->SetField("before_time", job.before.timeIso.c_str());
  f->SetField("after_time", job.after.timeIso.c_str());
  const auto it = chips.find(id);
  const ChipPaths none;
  const ChipPaths& c = it == chips.end() ? none : it->second;
  f->SetField("chip_before", c.before.c_str());
  f->SetField("chip_after", c.after.c_str());
  f->SetField("chip_mask", c.mask.c_str());
  return f;
}

void addFootprints(tiles::GeoJsonLayer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& fp : ev.footprints) {
    auto f = newFeature(w, ev.info, fp.id, "footprint", chips);
    f->SetField("scene_id", fp.sceneId.c_str());
    f->SetField("scene_time", fp.timeIso.c_str());
    f->SetField("area_m2", fp.areaM2);
    f->SetField("valid_fraction", fp.validFraction);
    f->SetField("imaged_fraction", fp.imagedFraction);
    OGRMultiPolygon mp;
    for (const auto& p : fp.polygons) {
      OGRPolygon poly = toPolygon(p);
      if (!poly.IsEmpty()) mp.addGeometry(&poly);
    }
    f->SetGeometry(&mp);
    w.add(*f);
  }
}

void addChanges(tiles::GeoJsonLayer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& c : ev.changes) {
    auto f = newFeature(w, ev.info, c.id, "change", chips);
    f->SetField("method", ev.info.method.c_str());
    f->SetField("area_m2", c.areaM2);
    f->SetField("mean_score", c.meanScore);
    f->SetField("pixel_count", static_cast<GIntBig>(c.pixelCount));
    f->SetField("registration_suspect", c.registrationSuspect ? 1 : 0);
    OGRPolygon poly = toPolygon(c.rings);
    f->SetGeometry(&poly);
    w.add(*f);
  }
}

void addDetections(tiles::GeoJsonLayer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& d : ev.detections) {
    auto f = newFeature(w, ev.info, d.id, "detection", chips);
    f->SetField("kind", d.kind.c_str());
    f->SetField("scene_id", d.sceneId.c_str());
    const std::string t = d.sceneId == ev.info.before.id  ? ev.info.before.timeIso
                          : d.sceneId == ev.info.after.id ? ev.info.after.timeIso
                                                          : std::string();
    f->SetField("scene_time", t.c_str());
    f->SetField("length_m", d.lengthM);
    f->SetField("width_m", d.widthM);
    f->SetField("heading_deg", d.headingDeg);
    f->SetField("area_m2", d.areaM2);
    f->SetField("score", d.score);
    f->SetField("x_px", d.xPx);
    f->SetField("y_px", d.yPx);
    f->SetField("berthed", d.berthed ? 1 : 0);
    f->SetField("underway", d.underway ? 1 : 0);
    if (!d.ais.status.empty() && f->GetFieldIndex("ais_status") >= 0) {
      f->SetField("ais_status", d.ais.status.c_str());
      if (d.ais.status == "matched") {
        f->SetField("mmsi", static_cast<GIntBig>(d.ais.mmsi));
        f->SetField("imo", d.ais.imo.c_str());
        f->SetField("vessel_name", d.ais.vesselName.c_str());
        f->SetField("ais_distance_m", d.ais.distanceM);
        f->SetField("ais_dt_s", d.ais.dtS);
        f->SetField("match_score", d.ais.matchScore);
      }
    }
    OGRPoint pt(d.lon, d.lat);
    f->SetGeometry(&pt);
    w.add(*f);
  }
}

void addSts(tiles::GeoJsonLayer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& e : ev.sts) {
    auto f = newFeature(w, ev.info, e.id, "sts", chips);
    setStsFields(*f, e);
    w.add(*f);
  }
}

}  // namespace

void setStsFields(OGRFeature& f, const StsRecord& e) {
  f.SetField("sts_source", e.source.c_str());
  if (!e.sceneId.empty()) f.SetField("scene_id", e.sceneId.c_str());
  if (!e.firstId.empty()) f.SetField("first_id", e.firstId.c_str());
  if (!e.secondId.empty()) f.SetField("second_id", e.secondId.c_str());
  if (e.mmsi1) f.SetField("mmsi", static_cast<GIntBig>(e.mmsi1));
  if (e.mmsi2) f.SetField("mmsi2", static_cast<GIntBig>(e.mmsi2));
  f.SetField("first_dark", e.firstDark ? 1 : 0);
  f.SetField("second_dark", e.secondDark ? 1 : 0);
  if (!e.startIso.empty()) f.SetField("start", e.startIso.c_str());
  if (!e.endIso.empty()) f.SetField("end", e.endIso.c_str());
  f.SetField("distance_m", e.distanceM);
  f.SetField("shore_checked", e.shoreChecked ? 1 : 0);
  if (e.shoreChecked) f.SetField("shore_distance_m", e.shoreDistanceM);
  OGRPoint pt(e.lon, e.lat);
  f.SetGeometry(&pt);
}

void writeEvidenceGeoJson(const std::filesystem::path& path, const JobEvidence& ev,
                          const ChipIndex& chips) {
  const bool ais = hasAis(ev);
  tiles::writeGeoJson(path, evidenceLayout("evidence", ais, ais), [&](tiles::GeoJsonLayer& w) {
    addFootprints(w, ev, chips);
    addChanges(w, ev, chips);
    addDetections(w, ev, chips);
    addSts(w, ev, chips);
  });
}

void writeDetectionsGeoJson(const std::filesystem::path& path, const JobEvidence& ev,
                            const ChipIndex& chips) {
  tiles::writeGeoJson(path, evidenceLayout("detections", hasAis(ev)),
                      [&](tiles::GeoJsonLayer& w) { addDetections(w, ev, chips); });
}

}  // namespace cw::evidence
