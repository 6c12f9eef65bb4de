// `changewatch count --detector ships` on real imagery, as a new user runs it (default options),
// scored against published or hand-made truth. Figures and the train/test split are in
// docs/accuracy.md; the targets of issue 16 are quoted next to each threshold.
//
// Tuning images (their figures are training figures): Sentinel-2 Busan and Casablanca, Vancouver
// 2019-03-17, 2019-05-31 and 2020-03-11, Planet scenes 1 and 2. Held out: Honolulu, the other
// seven Vancouver dates, Planet scenes 3 and 4.
//
// Matching: Sentinel-2 ports, a detection counts when its pixel position falls inside a COCO box
// grown by 2 px (../shared/tools/coco_eval.py's rule), one-to-one. Hand labels
// (tests/fixtures/ship_labels), greedy one-to-one nearest first within max(3 px, half the hull
// length); labels marked small_craft (1-5 px boats) are don't-care: a detection on one is neither
// a hit nor a false alarm.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Point {
  double x = 0, y = 0;
  json props;
};

struct Score {
  int truth = 0, found = 0, matched = 0;
  std::map<std::string, std::pair<int, int>> perClass;  // class -> (matched, truth)
  double precision() const { return found ? double(matched) / found : 0.0; }
  double recall() const { return truth ? double(matched) / truth : 0.0; }
  double recallOf(const std::string& c) const {
    const auto it = perClass.find(c);
    return it == perClass.end() || it->second.second == 0
               ? 1.0
               : double(it->second.first) / it->second.second;
  }
};

std::vector<Point> countShips(const cw::test::TempDir& tmp, const std::string& image,
                              const std::string& extra = "") {
  const auto out = tmp / fs::path(image).stem().string();
  const auto r = cw::test::runCli("count '" + image + "' --detector ships --out '" + out.string() +
                                  "' " + extra);
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  std::vector<Point> pts;
  const json fc = json::parse(cw::test::readText(out / "detections.geojson"));
  for (const auto& f : fc.at("features")) {
    const json& p = f.at("properties");
    pts.push_back({p.at("x_px").get<double>(), p.at("y_px").get<double>(), p});
  }
  return pts;
}

// Greedy one-to-one matching, nearest first, within tol(truth).
template <class Tol>
std::vector<std::pair<size_t, size_t>> greedy(const std::vector<Point>& det,
                                              const std::vector<Point>& truth, Tol tol) {
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  for (size_t i = 0; i < det.size(); ++i) {
    for (size_t j = 0; j < truth.size(); ++j) {
      const double d = std::hypot(det[i].x - truth[j].x, det[i].y - truth[j].y);
      if (d <= tol(truth[j])) pairs.emplace_back(d, i, j);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::set<size_t> usedI, usedJ;
  std::vector<std::pair<size_t, size_t>> m;
  for (const auto& [d, i, j] : pairs) {
    if (usedI.count(i) || usedJ.count(j)) continue;
    usedI.insert(i);
    usedJ.insert(j);
    m.emplace_back(i, j);
  }
  return m;
}

Score scoreLabels(const std::vector<Point>& det, const fs::path& labels) {
  const json l = json::parse(cw::test::readText(labels));
  std::vector<Point> truth;
  for (const auto& s : l.at("ships")) truth.push_back({s.at("x"), s.at("y"), s});
  const auto m = greedy(det, truth, [](const Point& t) {
    const double len = t.props.value("length_px", 6.0);
    return std::max(3.0, 0.5 * len);
  });
  Score s;
  std::set<size_t> dontCare;
  for (const auto& t : truth) {
    if (t.props.value("small_craft", false)) continue;
    ++s.truth;
    ++s.perClass[t.props.at("class").get<std::string>()].second;
  }
  for (const auto& [i, j] : m) {
    if (truth[j].props.value("small_craft", false)) {
      dontCare.insert(i);
      continue;
    }
    ++s.matched;
    ++s.perClass[truth[j].props.at("class").get<std::string>()].first;
  }
  s.found = static_cast<int>(det.size() - dontCare.size());
  return s;
}

Score scoreCoco(const std::vector<Point>& det, const fs::path& coco) {
  const json c = json::parse(cw::test::readText(coco));
  Score s;
  std::set<size_t> used;
  s.truth = static_cast<int>(c.at("annotations").size());
  s.found = static_cast<int>(det.size());
  for (const auto& d : det) {
    size_t i = 0;
    for (const auto& a : c.at("annotations")) {
      const auto& b = a.at("bbox");
      const double bx = b[0], by = b[1], bw = b[2], bh = b[3];
      if (!used.count(i) && d.x >= bx - 2 && d.x <= bx + bw + 2 && d.y >= by - 2 &&
          d.y <= by + bh + 2) {
        used.insert(i);
        ++s.matched;
        break;
      }
      ++i;
    }
  }
  return s;
}

std::string s2Vrt(const cw::test::TempDir& tmp, const std::string& port) {
  const fs::path d = fs::path(CW_SHARED_DATA) / "s2_ports" / port;
  const fs::path vrt = tmp / (port + ".vrt");
  std::string cmd = "gdalbuildvrt -q -separate '" + vrt.string() + "'";
  for (const char* b : {"B02", "B03", "B04", "B08"}) cmd += " '" + (d / b).string() + ".tif'";
  REQUIRE(cw::test::run(cmd).exitCode == 0);
  return vrt.string();
}

}  // namespace

// Issue 16 target: precision >= 0.7 and recall >= 0.6 on each port. Not reached: berthed ships
// along straight quays at 10 m (most of Casablanca's 15) merge with the quay. The thresholds below
// are the measured figures less a margin, so that a regression fails; see docs/accuracy.md.
TEST_CASE("ships on Sentinel-2 ports (Busan, Casablanca, Honolulu): COCO boxes", "[real]") {
  if (!cw::test::haveSharedData()) return;
  cw::test::TempDir tmp("cwships");
  const std::map<std::string, std::pair<double, double>> floors{
      {"busan", {0.35, 0.40}}, {"casablanca", {0.12, 0.20}}, {"honolulu", {0.10, 0.20}}};
  for (const auto& [port, floor] : floors) {
    const auto det = countShips(tmp, s2Vrt(tmp, port));
    const Score s =
        scoreCoco(det, fs::path(CW_SHARED_DATA) / "s2_ports" / port / "labels_coco.json");
    WARN(port << ": truth " << s.truth << ", detected " << s.found << ", matched " << s.matched
              << ", precision " << s.precision() << ", recall " << s.recall());
    CHECK(s.precision() >= floor.first);
    CHECK(s.recall() >= floor.second);
  }
}

// Issue 16, item 2: a user's land polygons (here drawn by eye, tests/fixtures/shore/README.md)
// keep hulls in the water where the scene's own water model absorbs them into the quays. Honolulu
// is held out (nothing tuned on it): without polygons 3 of 12 vessels found (precision 0.14),
// with them 5 of 12 (precision 0.28), 2026-12-06. Asserted: at least 5 matched, precision >= 0.2,
// and the water source recorded in counts.json.
TEST_CASE("ships on Sentinel-2 Honolulu with land polygons drawn by eye", "[real]") {
  if (!cw::test::haveSharedData()) return;
  cw::test::TempDir tmp("cwshore");
  const fs::path land = fs::path(CW_SOURCE_DIR) / "tests/fixtures/shore/honolulu_land.geojson";
  const std::string vrt = s2Vrt(tmp, "honolulu");
  const fs::path labels = fs::path(CW_SHARED_DATA) / "s2_ports/honolulu/labels_coco.json";
  const Score without = scoreCoco(countShips(tmp, vrt), labels);
  const Score with = scoreCoco(countShips(tmp, vrt, "--land '" + land.string() + "'"), labels);
  WARN("honolulu: " << without.matched << " -> " << with.matched << " of " << with.truth
                    << " matched; precision " << without.precision() << " -> " << with.precision());
  CHECK(with.matched >= 5);
  CHECK(with.matched > without.matched);
  CHECK(with.precision() >= 0.2);
  const json counts = json::parse(cw::test::readText(tmp / "honolulu" / "counts.json"));
  CHECK(counts.at("water_mask") == "land polygons honolulu_land.geojson");
}

// Issue 16 targets: precision >= 0.8 and recall >= 0.8 on every date, and no date's count more
// than 1.5x its true count (small craft excluded from both). Measured (docs/accuracy.md): recall
// 0.76-0.96 on every date; precision 0.78-1.00 except on the two summer dates (2019-07-20 and
// 2019-08-04: 0.18 and 0.33), where the extra detections are unlabelled small boats and surf
// (their small-craft labels are incomplete, tests/fixtures/ship_labels/README.md). Asserted:
// recall >= 0.7 on every date; precision >= 0.75 and count <= 1.5x truth on the eight others.
TEST_CASE("ships on Vancouver English Bay, ten Sentinel-2 dates: hand labels", "[real]") {
  if (!cw::test::haveSharedData()) return;
  cw::test::TempDir tmp("cwships");
  const std::set<std::string> summer{"S2_T10UDV_20190720_TCI_englishbay",
                                     "S2_T10UDV_20190804_TCI_englishbay"};
  for (const auto& e : fs::directory_iterator(fs::path(CW_SHARED_DATA) / "s2_vancouver")) {
    if (e.path().extension() != ".tif") continue;
    const std::string name = e.path().stem().string();
    const fs::path labels =
        fs::path(CW_SOURCE_DIR) / "tests/fixtures/ship_labels" / (name + ".json");
    REQUIRE(fs::exists(labels));
    const Score s = scoreLabels(countShips(tmp, e.path().string()), labels);
    WARN(name << ": truth " << s.truth << ", detected " << s.found << ", matched " << s.matched
              << ", precision " << s.precision() << ", recall " << s.recall());
    CHECK(s.recall() >= 0.7);
    if (summer.count(name)) continue;
    CHECK(s.precision() >= 0.75);
    CHECK(s.found <= 1.5 * s.truth);
  }
}

// Issue 16 targets: berthed recall >= 0.7, at-anchor recall >= 0.9, <= 10 % of detections on land
// structures. Planet is ~3 m; the images are not georeferenced, so the pixel size is given.
TEST_CASE("ships on Planet port scenes: hand labels per class", "[real]") {
  if (!cw::test::haveSharedData()) return;
  cw::test::TempDir tmp("cwships");
  for (int i = 1; i <= 4; ++i) {
    const fs::path img =
        fs::path(CW_SHARED_DATA) / "ports_nolabel" / ("scene_" + std::to_string(i) + ".png");
    const fs::path labels = fs::path(CW_SOURCE_DIR) / "tests/fixtures/ship_labels" /
                            ("planet_scene_" + std::to_string(i) + ".json");
    const Score s = scoreLabels(countShips(tmp, img.string(), "--pixel-size 3"), labels);
    WARN("scene " << i << ": truth " << s.truth << ", detected " << s.found << ", matched "
                  << s.matched << ", precision " << s.precision() << ", anchor recall "
                  << s.recallOf("anchor") << ", berth recall " << s.recallOf("berth"));
    CHECK(s.recallOf("anchor") >= 0.65);
    CHECK(s.precision() >= 0.3);
  }
}

// Issue 16 target: `--detector vehicles` on DOTA P1888 reaches precision >= 0.7 and recall >= 0.7
// (a detection inside an oriented box's bounding box, one-to-one). P1888 tuned the preset, so
// these are training figures (docs/accuracy.md). Without --pixel-size the image is refused: the
// 1,062 false detections of the issue came from a silent 1 m assumption.
TEST_CASE("vehicles preset on DOTA P1888: precision and recall, pixel size required", "[real]") {
  if (!cw::test::haveSharedData()) return;
  cw::test::TempDir tmp("cwvehicles");
  const fs::path dir = fs::path(CW_SHARED_DATA) / "vehicles";
  const auto refused =
      cw::test::runCli("count '" + (dir / "P1888.png").string() + "' --detector vehicles --out '" +
                       (tmp / "x").string() + "'");
  CHECK(refused.exitCode != 0);
  CHECK(refused.output.find("not georeferenced, so the pixel size is unknown: pass --pixel-size") !=
        std::string::npos);

  const auto out = tmp / "P1888";
  const auto r = cw::test::runCli("count '" + (dir / "P1888.png").string() +
                                  "' --detector vehicles --pixel-size 0.266170468393 --out '" +
                                  out.string() + "'");
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  std::vector<Point> det;
  const json fc = json::parse(cw::test::readText(out / "detections.geojson"));
  for (const auto& f : fc.at("features")) {
    const json& p = f.at("properties");
    CHECK(p.at("kind") == "vehicle");
    det.push_back({p.at("x_px").get<double>(), p.at("y_px").get<double>(), p});
  }
  // DOTA: two header lines, then x1 y1 ... x4 y4 class difficult.
  json coco{{"annotations", json::array()}};
  std::istringstream in(cw::test::readText(dir / "P1888.txt"));
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    double x[4], y[4];
    for (int k = 0; k < 4; ++k) ls >> x[k] >> y[k];
    if (!ls) continue;
    const double x0 = *std::min_element(x, x + 4), x1 = *std::max_element(x, x + 4);
    const double y0 = *std::min_element(y, y + 4), y1 = *std::max_element(y, y + 4);
    coco["annotations"].push_back({{"bbox", {x0, y0, x1 - x0, y1 - y0}}});
  }
  REQUIRE(coco["annotations"].size() == 64);
  cw::test::writeText(tmp / "p1888_coco.json", coco.dump());
  const Score s = scoreCoco(det, tmp / "p1888_coco.json");
  WARN("P1888 vehicles: truth " << s.truth << ", detected " << s.found << ", matched " << s.matched
                                << ", precision " << s.precision() << ", recall " << s.recall());
  CHECK(s.precision() >= 0.7);
  CHECK(s.recall() >= 0.7);
}
