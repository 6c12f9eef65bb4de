#pragma once
// What the run saw, per AOI, gathered across all its jobs for corroboration and the report.
// A scene appears in several jobs (consecutive pairs share scenes); it is observed once, from
// the first job (in sorted folder order) that counted it. Reviewer decisions from
// OUT/reviews.jsonl are applied here: a "rejected" detection is removed from its scene's count
// and a "rejected" change polygon is dropped, so verdicts rest on confirmed or unreviewed
// evidence only.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "evidence/evidence_types.hpp"
#include "evidence/geojson_writer.hpp"

namespace cw::evidence {

// Last decision per evidence id ("confirmed", "rejected", ...), from a JSON-lines file whose
// records carry "evidence_id" (or "id") and "decision" (or "status"). Malformed lines are skipped
// with a warning. An absent file gives an empty map.
using ReviewDecisions = std::map<std::string, std::string>;
ReviewDecisions readReviews(const std::filesystem::path& reviewsJsonl);

// One evidence item as the report shows it; paths are relative to OUT.
struct EvidenceItem {
  std::string id;
  std::string type;     // "change" | "detection" | "sts"
  std::string kind;     // detector kind for detections, "change" or "sts" otherwise
  std::string sceneId;  // detections: the scene; changes: the after scene; sts: StsRecord's
  std::string timeIso;
  LonLat position{};  // detection point or change centroid
  double areaM2 = 0.0;
  double score = 0.0;
  Polygon outline;                              // changes only
  std::string chipBefore, chipAfter, chipMask;  // "" when the item has no chips
  bool registrationSuspect = false;             // changes: see ChangePolygon::registrationSuspect
  AisIdentity ais;  // detections: the AIS match (status empty without AIS)
  StsRecord sts;    // sts: the candidate (its id, hulls, MMSIs, dark flags, span)
};

// An unseen AIS vessel of one scene (vessels.geojson). Ship-to-ship candidates are evidence
// items (type "sts") instead.
struct VesselEvent {
  std::string kind;  // "unseen"
  std::string sceneId;
  std::uint32_t mmsi = 0;
  std::string detail;  // "spoofing" | "missed" | "unknown"
  std::string why;     // the facts behind `detail` (vessels.geojson likely_why)
  bool operator<(const VesselEvent& o) const {
    return std::tie(kind, sceneId, mmsi, detail) < std::tie(o.kind, o.sceneId, o.mmsi, o.detail);
  }
  bool operator==(const VesselEvent& o) const { return !(*this < o) && !(o < *this); }
};

// One AIS fix of the AOI's store (OUT/<aoi>/ais.gpkg), for vessel-level declarations.
struct VesselFix {
  std::uint32_t mmsi = 0;
  std::string imo;  // digits only, "" when the vessel never sent one
  std::string name;
  std::int64_t timeS = 0;
  bool inAoi = false;  // inside the AOI polygon (the store also keeps a buffer around it)
};

struct SceneObservation {
  std::string sceneId;
  std::string timeIso;
  std::int64_t timeS = 0;
  double validFraction = 0.0;
  double imagedFraction = -1.0;  // -1 unknown
  double footprintAreaM2 = 0.0;
  MultiPolygon footprint;
  std::map<std::string, int> counts;  // kind -> count
  std::set<std::string> degraded;     // kinds whose count the detector flagged (haze, glint, cloud)
  std::map<std::string, std::vector<std::string>> detectionIds;  // kind -> evidence ids
};

struct PairObservation {
  std::string beforeSceneId, afterSceneId;
  std::int64_t beforeS = 0, afterS = 0;
  std::string jobDir;  // relative to OUT
  std::vector<std::string> changeIds;
};

struct AoiObservations {
  std::string aoiId, aoiName, aoiKind;
  std::vector<SceneObservation> scenes;       // by time
  std::vector<PairObservation> pairs;         // by before time, then after time
  std::map<std::string, EvidenceItem> items;  // evidence id -> item
  // From the jobs' vessels.geojson, once per scene: AIS vessels expected in the imaged footprint
  // but matched to no detection.
  std::vector<VesselEvent> vesselEvents;
  bool aisFeed = false;             // the run had an AIS feed (config ais:)
  bool aisMatched = false;          // ... and matched it here (the AOI has a vessel detector)
  std::vector<VesselFix> aisFixes;  // by MMSI, then time; filled by the merge step
};

using Observations = std::map<std::string, AoiObservations>;  // by AOI id

// Adds one job's evidence. `jobDirRel` is the job folder relative to OUT ("<aoi>/<pair>").
void addJobObservations(Observations& obs, const JobEvidence& evidence, const ChipIndex& chips,
                        const std::string& jobDirRel, const ReviewDecisions& reviews = {});

// Reads every complete job under OUT (OUT/<aoi>/<pair>/job.json with status "complete", plus its
// evidence.geojson) in sorted order and adds it. Throws cw::Error on unreadable files.
Observations collectObservations(const std::filesystem::path& outDir,
                                 const ReviewDecisions& reviews = {});

// Reads a job folder back into JobEvidence (info and counts from job.json; footprints, changes
// and detections from evidence.geojson) and its chip index.
JobEvidence readJobEvidence(const std::filesystem::path& jobDir, ChipIndex* chips = nullptr);

}  // namespace cw::evidence
