#pragma once
// STAC 1.0.0 metadata for the outputs: one Item per job (OUT/<aoi>/<pair>/item.json) and, at
// merge, a Catalog (OUT/catalog.json) -> one Collection per AOI (OUT/<aoi>/collection.json) ->
// its Items. Every link is relative, so the output folder can be moved or copied as a whole.
// Extensions used: processing v1.1.0 (processing:software, processing:lineage), projection v1.1.0
// (proj:epsg, proj:shape, proj:transform, proj:wkt2 when no EPSG), file v2.1.0 (file:checksum as
// a SHA2-256 multihash "1220<hex>", file:size).
#include <filesystem>
#include <string>
#include <vector>

#include "evidence/evidence_types.hpp"

namespace cw::evidence {

// The WGS84 outline of the job grid: its four edges densified (16 points each) and transformed.
Polygon gridFootprintWgs84(const GridInfo& grid);

// Writes <jobDir>/item.json. Assets are the files of the job folder that exist when it is called
// (score.tif, mask.tif, changes.geojson, detections.geojson, counts.json, evidence.geojson,
// product.h5), each with roles, media type and checksum; so call it after those are written and
// before job.json. Item id: "<aoi>_<before>_<after>"; datetime null with start/end datetimes of
// the two scenes; derived_from links to both input scenes.
void writeStacItem(const std::filesystem::path& jobDir, const JobInfo& job);

struct AoiCollectionInfo {
  std::string id;
  std::string name;
  std::string kind;
};

// Writes OUT/catalog.json and OUT/<aoi>/collection.json for each AOI, linking every item.json
// found under OUT/<aoi>/*/ (sorted by folder name); each Collection's extent is the union of its
// Items' bbox and time range. Item files are not rewritten (their checksums stay valid): items
// already carry parent/root links to these paths. AOIs without items get an empty Collection.
void writeStacCatalog(const std::filesystem::path& outDir,
                      const std::vector<AoiCollectionInfo>& aois);

}  // namespace cw::evidence
