#pragma once
// OUT/report.html: one self-contained page for the analyst. Inline CSS and inline SVG only; the
// only external references are the chip PNGs, by paths relative to OUT, so the page works
// offline and moves with the folder. Per AOI: the verdicts, a small map of the imaged footprints
// with the change polygons and detections, the ship/object counts per date (a hollow marker for
// a scene that was not usable), the before/after/mask chips of each discrepancy's evidence, and a
// plain statement of what was not imaged. No timestamps, so identical runs give identical pages.
#include <filesystem>
#include <vector>

#include "evidence/corroboration.hpp"
#include "evidence/observations.hpp"
#include "evidence/review_policy.hpp"

namespace cw::evidence {

struct ReportOptions {
  int maxChipsPerDiscrepancy = 12;  // the strongest cited items get chips; the rest are listed
  // Every line of reviews.jsonl with what the merge did with it (a table at the end); none: no
  // table.
  const std::vector<ReviewRecord>* decisions = nullptr;
};

void writeReport(const std::filesystem::path& outDir, const std::vector<VerdictRow>& verdicts,
                 const Observations& observations, const CorroborationRules& rules,
                 const ReportOptions& options = {});

}  // namespace cw::evidence
