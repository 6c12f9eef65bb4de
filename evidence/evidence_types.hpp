#pragma once
// Plain data for the evidence of one job (one AOI x one (before, after) scene pair). The job runner
// fills these from change detection and object counting; every evidence writer (GeoJSON, chips,
// HDF5, STAC, job record) reads only these structs, never the config or the runner's internals.
//
// Conventions: geographic coordinates are WGS84 (lon, lat) in degrees; pixel coordinates are on
// the job's AOI grid (column x, row y, origin at the top-left corner of the top-left pixel);
// times are ISO 8601 UTC strings ("2024-03-01T10:20:30Z"); areas in m2, lengths in m.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cw::evidence {

// One (lon, lat) vertex in degrees.
using LonLat = std::array<double, 2>;
// A closed or open ring; writers close it if the last vertex differs from the first.
using Ring = std::vector<LonLat>;
// A polygon: rings[0] is the exterior, the rest are holes.
using Polygon = std::vector<Ring>;
using MultiPolygon = std::vector<Polygon>;

struct SceneRef {
  std::string id;       // catalog scene id (stable, used in folder names)
  std::string path;     // input file as read (absolute, or relative to the run's working folder)
  std::string sha256;   // hex SHA-256 of the input file
  std::string timeIso;  // acquisition time, ISO 8601 UTC
};

struct GridInfo {
  int epsg = 0;                          // 0 when the CRS has no EPSG code
  std::string wkt;                       // WKT of the grid CRS (metric)
  std::array<double, 6> geotransform{};  // GDAL geotransform, metres
  int width = 0;                         // pixels
  int height = 0;                        // pixels
  double pixelSizeM = 0.0;
};

struct JobInfo {
  std::string aoiId;
  std::string aoiName;
  std::string aoiKind;  // "port" | "facility"
  SceneRef before;
  SceneRef after;
  GridInfo grid;
  std::string method;      // change method name ("cva", "irmad", "logratio")
  std::string configHash;  // hex SHA-256 of the resolved config text

  // "<before.id>_<after.id>", the job folder name under OUT/<aoiId>/.
  std::string pairId() const { return before.id + "_" + after.id; }
};

// Pixel bounding box on the grid, half-open: columns [x, x + width), rows [y, y + height).
struct PixelBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

struct ChangePolygon {
  std::string id;  // filled by assignEvidenceIds()
  Polygon rings;   // WGS84
  double areaM2 = 0.0;
  double meanScore = 0.0;
  std::int64_t pixelCount = 0;
  PixelBox bboxPx;
  // Made where co-registration measured a shift but rejected it (too few windows or too low a
  // confidence): a misregistration artefact is as likely as a change. Ranked after clean
  // evidence; merge does not count it towards a discrepancy unless a reviewer confirmed it.
  bool registrationSuspect = false;
};

// The AIS identity of a ship detection (docs/ais.md); status is empty when AIS is not configured.
struct AisIdentity {
  std::string status;      // matched | dark | no_ais_coverage | no_time
  std::uint32_t mmsi = 0;  // matched only, like the fields below
  std::string imo;
  std::string vesselName;
  double distanceM = 0.0;
  double dtS = 0.0;
  double matchScore = 0.0;
};

struct DetectionRecord {
  std::string id;    // filled by assignEvidenceIds()
  std::string kind;  // detector name: "ships", "tanks", "blobs"
  double lon = 0.0;
  double lat = 0.0;
  double xPx = 0.0;  // centroid on the grid, pixels
  double yPx = 0.0;
  double lengthM = 0.0;     // major axis (diameter for tanks)
  double widthM = 0.0;      // minor axis
  double headingDeg = 0.0;  // major axis, degrees clockwise from grid north, [0, 180)
  double areaM2 = 0.0;
  double score = 0.0;
  bool berthed = false;   // ships: alongside or bow-on to a quay or pier
  bool underway = false;  // ships: a wake trails the hull
  std::string sceneId;    // scene the object was seen in (before or after)
  AisIdentity ais;
};

// A ship-to-ship (STS) transfer candidate (docs/ais.md), an evidence item of its own: two hulls
// side by side in one scene (source "imagery"), or an AIS encounter (source "ais").
struct StsRecord {
  std::string id;       // filled by assignEvidenceIds()
  std::string source;   // "imagery" | "ais"
  std::string sceneId;  // imagery: the hulls' scene; ais: the job's scene acquired during the
                        // encounter that images its position (its chip), or ""
  double lon = 0.0;     // imagery: midpoint of the hulls; ais: mean position over the encounter
  double lat = 0.0;
  // imagery: the hulls' indices in JobEvidence::detections as the runner filled them;
  // assignEvidenceIds turns them into firstId/secondId (and sets them to -1).
  int first = -1;
  int second = -1;
  std::string firstId, secondId;  // imagery: the hulls' evidence ids
  std::uint32_t mmsi1 = 0;        // 0 = no AIS identity (a dark or unmatched hull)
  std::uint32_t mmsi2 = 0;
  bool firstDark = false;  // imagery: the hull's ais_status is dark (ais: never)
  bool secondDark = false;
  std::string startIso, endIso;  // ais: the encounter's span ("" for imagery)
  double distanceM = 0.0;        // centre distance, or the encounter's median distance
  // Whether the shore condition could be checked (a land/water model of the job's grid that
  // reaches the event); when false the event stands without it.
  bool shoreChecked = false;
  double shoreDistanceM = 0.0;  // when shoreChecked: metres to the nearest land
};

// The imaged footprint of one scene over the AOI: what was actually looked at.
struct Footprint {
  std::string id;  // filled by assignEvidenceIds()
  std::string sceneId;
  std::string timeIso;
  double areaM2 = 0.0;           // valid (imaged and cloud-free) area
  double validFraction = 0.0;    // valid pixels / AOI grid pixels, [0, 1]
  double imagedFraction = -1.0;  // pixels with data (clouds included) / AOI pixels; -1 unknown
  MultiPolygon polygons;         // WGS84 outline of the valid area
};

// Count of one detector's objects in one scene, with the footprint it was counted over.
struct SceneCount {
  std::string sceneId;
  std::string timeIso;
  std::string kind;
  int count = 0;
  Footprint footprint;
  bool degraded = false;      // haze, thin cloud or glint over the water: the count is doubtful
  double clutterShare = 0.0;  // what `degraded` was decided on
  double waterAreaM2 = 0.0;   // valid water the detector searched (ships), m2
  std::string waterSource;
};

// Global parameters the job solved (e.g. "shift_px" {dx, dy}, "rho" {...}, "threshold" {t}).
using SolvedParams = std::map<std::string, std::vector<double>>;

// Everything one job hands to the evidence writers.
struct JobEvidence {
  JobInfo info;
  std::vector<ChangePolygon> changes;
  std::vector<DetectionRecord> detections;
  std::vector<Footprint> footprints;  // one per scene of the pair (before, after)
  std::vector<SceneCount> counts;     // per scene and detector kind
  std::vector<StsRecord> sts;         // ship-to-ship transfer candidates (AIS runs only)
  SolvedParams params;
};

}  // namespace cw::evidence
