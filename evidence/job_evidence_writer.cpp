#include "evidence/job_evidence_writer.hpp"

#include <future>

#include <oneapi/tbb/task_arena.h>

#include "evidence/evidence_ids.hpp"
#include "evidence/stac.hpp"

namespace cw::evidence {

ChipIndex writeJobEvidence(const std::filesystem::path& jobDir, JobEvidence& ev,
                           const JobEvidenceSources& src) {
  std::filesystem::create_directories(jobDir);
  assignEvidenceIds(ev);
  // The product does not depend on the chips, so it is written beside them and the GeoJSON
  // (8192² bench job: product 5.5 s, chips 3.1 s, one after the other before). Each side opens
  // its own GDAL handles and only reads `ev`. The future's destructor waits for the product, so
  // a failure on this side leaves no writer running. Within the caller's thread budget: the
  // product's chunk compression runs in an arena of the caller's concurrency, and with one
  // thread everything runs in turn.
  const int threads = tbb::this_task_arena::max_concurrency();
  auto writeProduct = [&] {
    tbb::task_arena(threads).execute(
        [&] { writeHdf5Product(jobDir / "product.h5", ev, src.product); });
  };
  std::future<void> product =
      std::async(threads > 1 ? std::launch::async : std::launch::deferred, writeProduct);
  ChipIndex chips = writeChips(jobDir, ev, src.chips);
  writeEvidenceGeoJson(jobDir / "evidence.geojson", ev, chips);
  if (src.writeDetectionsGeoJson) writeDetectionsGeoJson(jobDir / "detections.geojson", ev, chips);
  product.get();
  writeStacItem(jobDir, ev.info);
  return chips;
}

}  // namespace cw::evidence
