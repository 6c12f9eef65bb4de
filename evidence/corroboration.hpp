#pragma once
// Verdicts: each declaration row checked against what the run observed in its AOI and period.
//
// Rules (a scene is "in the period" when start <= acquisition time <= end; a scene is "usable"
// when its valid (imaged, cloud-free) fraction of the AOI is >= minValidFraction; a pair is in
// the period when both its scenes are, and usable when both are usable):
//   Unverifiable, whatever the metric:
//     - no scene in the period (new_construction: no scene pair in the period)
//       -> "no scene in period" / "no scene pair in period";
//     - scenes, but none usable -> "not imaged" when the scenes cover less than
//       minImagedFraction of the AOI, else "cloud over the AOI" (when the imaged fraction is
//       unknown: "not imaged or cloud over the AOI").
//   activity (ports: ships; facilities: change polygons):
//     - idle, and a usable scene shows >= minShipsForActivity ships (facility: a change polygon
//       >= minChangeAreaM2 in a usable pair) -> discrepancy, citing those detections / changes;
//     - otherwise consistent. "active" with nothing seen is consistent too: snapshots cannot
//       exclude activity between acquisitions (the reason says so).
//   max_vessels: observed = the largest ship count of a usable scene; discrepancy when observed
//     > declared + max(maxVesselsAbsTolerance, ceil(maxVesselsRelTolerance x declared)), citing
//     the detections of that scene; else consistent.
//   vessel_calls: ships present at the same time are distinct vessels, so the largest count of a
//     usable scene is a lower bound on the calls in the period. Discrepancy when that bound
//     > declared x vesselCallsFactor + vesselCallsSlack (default 1.5 x declared + 1, which absorbs
//     a vessel that arrived before the period and an occasional false detection); else
//     consistent. (Counting arrivals between scenes would need ship tracking; not attempted.)
//   new_construction: the change polygons >= minChangeAreaM2 in usable pairs of the period.
//     none + any such polygon -> discrepancy citing them; none + nothing -> consistent;
//     some -> consistent (a small or roofed project cannot be excluded when nothing is seen).
// Reviewer decisions: rejected evidence is excluded before the rules run (see observations.hpp);
// the decisions on the cited evidence are reported with each verdict.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "evidence/declarations.hpp"
#include "evidence/observations.hpp"

namespace cw::evidence {

// The detector whose entry declares that it detects vessels
// (imaging::DetectorEntry::detectsVessels): the detections vessel declarations are judged on.
std::string vesselDetectorName();

struct CorroborationRules {
  double minValidFraction = 0.5;
  double minImagedFraction = 0.5;
  int minShipsForActivity = 1;
  int maxVesselsAbsTolerance = 1;
  double maxVesselsRelTolerance = 0.10;
  double vesselCallsFactor = 1.5;
  double vesselCallsSlack = 1.0;
  double minChangeAreaM2 = 1000.0;
  std::string shipKind = vesselDetectorName();
};

enum class Verdict { Consistent, Discrepancy, Unverifiable };
std::string verdictName(Verdict v);

struct VerdictRow {
  Declaration declaration;
  std::string observed;  // in words/numbers: "7 ships on 2024-03-05", "no scene"
  Verdict verdict = Verdict::Unverifiable;
  std::string reason;
  std::vector<std::string> evidenceIds;
  std::map<std::string, std::string> reviews;  // decisions on the cited evidence
};

// One verdict per declaration, in declaration order. Pure function of its inputs.
std::vector<VerdictRow> corroborate(const std::vector<Declaration>& declarations,
                                    const Observations& observations,
                                    const CorroborationRules& rules = {},
                                    const ReviewDecisions& reviews = {});

// OUT/corroboration.json ({"rules", "verdicts": [...]}) and OUT/corroboration.csv with columns
// aoi,start,end,metric,declared,observed,verdict,reason,evidence_ids,review,reference,source
// (evidence ids separated by ';'). Both atomic and deterministic.
void writeCorroboration(const std::filesystem::path& outDir, const std::vector<VerdictRow>& rows,
                        const CorroborationRules& rules);

}  // namespace cw::evidence
