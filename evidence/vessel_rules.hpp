#pragma once
// Verdicts on vessel-level declarations (issue 20), from AIS-matched ship detections and the AIS
// fixes of the AOI's store. Rules:
//   vessel_call (imo:… or mmsi:…): consistent when a matched detection in a scene of the period,
//     or an AIS fix inside the AOI in the period, names the vessel (citing the detections, or
//     "ais:<mmsi>@<time>" for the first fix); a discrepancy when the vessel's AIS fixes in the
//     period all lie outside the AOI; unverifiable otherwise (no AIS feed, or neither a fix nor a
//     detection of the vessel in the period: the store keeps AIS only around acquisitions).
//   dark_vessels N: the most ships of one usable scene whose detection no AIS vessel explains
//     (ais_status dark); a discrepancy when that exceeds N, citing them ("at least" when the
//     scene did not image the whole AOI). Unverifiable without an AIS feed.
//   complete true: every AIS-matched vessel seen in the period must be declared by a vessel_call
//     row of the AOI whose period overlaps; each undeclared one is named, and the verdict is a
//     discrepancy citing its detections. complete false: nothing to check (consistent).
//   sts_transfers none: a discrepancy when a ship-to-ship transfer candidate (hulls side by side
//     in a scene of the period, or an AIS encounter starting in it: evidence items of type
//     "sts") exists, citing their evidence ids; some: consistent.
#include <vector>

#include "evidence/corroboration.hpp"

namespace cw::evidence {

bool isVesselMetric(Metric m);

// Fills row.observed/verdict/reason/evidenceIds for a vessel_call, dark_vessels or complete row.
// `all` is the whole declarations list (complete reads the AOI's vessel_call rows).
void vesselRule(VerdictRow& row, const AoiObservations* aoi, const std::vector<Declaration>& all,
                const CorroborationRules& rules);

}  // namespace cw::evidence
