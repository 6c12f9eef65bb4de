#include "evidence/geojson_writer.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::evidence {
namespace {

struct FieldSpec {
  const char* name;
  OGRFieldType type;
};
constexpr FieldSpec kFields[] = {
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
    {"registration_suspect", OFTInteger},
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
constexpr FieldSpec kAisFields[] = {
    {"ais_status", OFTString},  {"mmsi", OFTInteger64},      {"imo", OFTString},
    {"vessel_name", OFTString}, {"ais_distance_m", OFTReal}, {"ais_dt_s", OFTReal},
    {"match_score", OFTReal},
};

bool hasAis(const JobEvidence& ev) {
  return std::any_of(ev.detections.begin(), ev.detections.end(),
                     [](const DetectionRecord& d) { return !d.ais.status.empty(); });
}

class Writer {
 public:
  Writer(const std::filesystem::path& tmp, const std::string& layerName, bool aisFields = false) {
    CPLErrorReset();
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GeoJSON");
    if (!drv) throw Error("GeoJSON driver not available in this GDAL");
    m_ds.reset(drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!m_ds) throw Error(tmp.string() + ": " + tiles::lastGdalError("cannot create GeoJSON"));
    OGRSpatialReference wgs84 = tiles::wgs84Srs();
    char** opts = nullptr;
    opts = CSLSetNameValue(opts, "RFC7946", "YES");
    opts = CSLSetNameValue(opts, "WRITE_NAME", "NO");
    opts = CSLSetNameValue(opts, "COORDINATE_PRECISION", "7");
    opts = CSLSetNameValue(opts, "ID_FIELD", "id");
    opts = CSLSetNameValue(opts, "ID_TYPE", "String");
    m_layer = m_ds->CreateLayer(layerName.c_str(), &wgs84, wkbUnknown, opts);
    CSLDestroy(opts);
    if (!m_layer) throw Error(tmp.string() + ": " + tiles::lastGdalError("cannot create layer"));
    for (const auto& f : kFields) {
      OGRFieldDefn def(f.name, f.type);
      // A JSON true/false rather than 1/0.
      if (std::string(f.name) == "registration_suspect") def.SetSubType(OFSTBoolean);
      if (m_layer->CreateField(&def) != OGRERR_NONE)
        throw Error(tmp.string() + ": " + tiles::lastGdalError("cannot create field"));
    }
    for (const auto& f : kAisFields) {
      OGRFieldDefn def(f.name, f.type);
      if (aisFields && m_layer->CreateField(&def) != OGRERR_NONE)
        throw Error(tmp.string() + ": " + tiles::lastGdalError("cannot create field"));
    }
  }

  std::unique_ptr<OGRFeature> feature(const JobInfo& job, const std::string& id,
                                      const std::string& type, const ChipIndex& chips) {
    auto f = std::make_unique<OGRFeature>(m_layer->GetLayerDefn());
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

  void add(OGRFeature& f) {
    if (m_layer->CreateFeature(&f) != OGRERR_NONE)
      throw Error(tiles::lastGdalError("cannot write GeoJSON feature"));
  }

  void close(const std::filesystem::path& tmp, const std::filesystem::path& path) {
    m_ds.reset();  // flushes; GDAL reports some write errors at close through CPLGetLastErrorNo
    if (CPLGetLastErrorType() == CE_Failure)
      throw Error(path.string() + ": " + tiles::lastGdalError("GeoJSON write failed"));
    // ...but not a full disk: the driver ignores short writes.
    tiles::requireCompleteJson(tmp, path);
  }

 private:
  tiles::GdalDataset m_ds;
  OGRLayer* m_layer = nullptr;
};

void addFootprints(Writer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& fp : ev.footprints) {
    auto f = w.feature(ev.info, fp.id, "footprint", chips);
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

void addChanges(Writer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& c : ev.changes) {
    auto f = w.feature(ev.info, c.id, "change", chips);
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

void addDetections(Writer& w, const JobEvidence& ev, const ChipIndex& chips) {
  for (const auto& d : ev.detections) {
    auto f = w.feature(ev.info, d.id, "detection", chips);
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

}  // namespace

void writeEvidenceGeoJson(const std::filesystem::path& path, const JobEvidence& ev,
                          const ChipIndex& chips) {
  produceFileAtomic(path, [&](const std::filesystem::path& tmp) {
    Writer w(tmp, "evidence", hasAis(ev));
    addFootprints(w, ev, chips);
    addChanges(w, ev, chips);
    addDetections(w, ev, chips);
    w.close(tmp, path);
  });
}

void writeDetectionsGeoJson(const std::filesystem::path& path, const JobEvidence& ev,
                            const ChipIndex& chips) {
  produceFileAtomic(path, [&](const std::filesystem::path& tmp) {
    Writer w(tmp, "detections", hasAis(ev));
    addDetections(w, ev, chips);
    w.close(tmp, path);
  });
}

}  // namespace cw::evidence
