#pragma once
// Stable, content-derived evidence ids. An id is "<aoi>-<kind>-<12 hex>", where the hex is the
// start of SHA-256("<aoi>|<before>|<after>|<kind>|<scene>|<lon>|<lat>|<size>") with the position
// rounded to 1e-6 degrees (about 0.1 m) and the size to whole m2. Ids therefore never depend on
// run order, thread count or tile size, only on what was found and where. Two items with the
// same hash inside one job (identical position and size) get "-2", "-3", ... in content order.
#include <string>

#include "evidence/evidence_types.hpp"

namespace cw::evidence {

std::string changeEvidenceId(const JobInfo& job, const ChangePolygon& change);
std::string detectionEvidenceId(const JobInfo& job, const DetectionRecord& detection);
std::string footprintEvidenceId(const JobInfo& job, const Footprint& footprint);
// Kind "sts"; the scene is the hulls' scene (imagery) or "ais:<mmsi1>+<mmsi2>@<start>", the size
// the pair's distance in m.
std::string stsEvidenceId(const JobInfo& job, const StsRecord& sts);

// Fills the `id` of every change, detection, footprint and STS record (and an imagery STS record's
// hull ids from its detection indices), and sorts each list into a canonical content order
// (changes by area desc, detections by scene, kind, score desc, footprints by time, STS records by
// source, scene, start), so that the files written from `evidence` are byte-identical whatever
// order the runner used.
void assignEvidenceIds(JobEvidence& evidence);

// Chip file names relative to the job folder: "chips/<id>_before.png" etc.
std::string chipPath(const std::string& evidenceId, const std::string& which);

}  // namespace cw::evidence
