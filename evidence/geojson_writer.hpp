#pragma once
// evidence.geojson and detections.geojson: RFC 7946 FeatureCollections written through OGR's
// GeoJSON driver (RFC7946=YES, WRITE_NAME=NO, COORDINATE_PRECISION=7, lon/lat order), so the
// files are what GDAL itself produces and validate as RFC 7946. Features come in the canonical
// order of assignEvidenceIds() (footprints, changes, detections, then STS candidates), so the same
// evidence gives byte-identical files. Writes are atomic (temp + rename). Not thread-safe per file.
#include <filesystem>
#include <map>
#include <string>

#include "evidence/evidence_types.hpp"

class OGRFeature;

namespace cw::evidence {

// Chip files of one evidence item, relative to the job folder ("chips/<id>_before.png"...).
struct ChipPaths {
  std::string before;
  std::string after;
  std::string mask;
};
using ChipIndex = std::map<std::string, ChipPaths>;  // evidence id -> chips

// Every feature has: a top-level string "id" (OGR ID_FIELD), feature_type ("footprint" | "change" |
// "detection"), aoi, before_scene, after_scene, before_time, after_time, chip_before,
// chip_after, chip_mask (empty when the item has no chips). Changes add area_m2, mean_score,
// pixel_count, method; detections add kind, length_m, width_m, heading_deg, area_m2, score,
// scene_id, x_px, y_px; footprints add scene_id, scene_time, area_m2, valid_fraction,
// imaged_fraction. With AIS, detections add ais_status (and the match), and ship-to-ship
// candidates follow the detections: feature_type "sts", a Point, with sts_source (imagery | ais),
// scene_id, first_id/second_id (the hulls' evidence ids), mmsi/mmsi2, first_dark/second_dark,
// start/end (an encounter's span), distance_m, shore_checked (true/false) and, when checked,
// shore_distance_m.
// Requires ids (assignEvidenceIds). Throws cw::Error on GDAL failure.
void writeEvidenceGeoJson(const std::filesystem::path& path, const JobEvidence& evidence,
                          const ChipIndex& chips);

// The properties a ship-to-ship candidate has in evidence.geojson and in vessels.geojson (from
// sts_source to shore_distance_m above; not its id or feature_type), and its Point geometry.
// The feature's layer must define those fields.
void setStsFields(OGRFeature& feature, const StsRecord& sts);

// The detections alone, with the same properties as in evidence.geojson.
void writeDetectionsGeoJson(const std::filesystem::path& path, const JobEvidence& evidence,
                            const ChipIndex& chips);

}  // namespace cw::evidence
