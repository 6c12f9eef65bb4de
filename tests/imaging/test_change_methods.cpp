// Contract invariants of the change methods (CVA, IR-MAD, log-ratio) on small synthetic pairs:
// registry creation, tiling independence of fit and score, no-decision pixels, symmetry, and
// accuracy on a pair with per-band gain/offset and a known changed square.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include <opencv2/imgproc.hpp>

#include "change_test_support.hpp"
#include "core/error.hpp"
#include "imaging/change_sample.hpp"
#include "imaging/cva.hpp"
#include "imaging/irmad.hpp"
#include "imaging/log_ratio.hpp"
#include "imaging/registry.hpp"

using namespace cw::imaging;
using namespace cw::imaging::test;

namespace {

const cv::Rect kChangedSquare(60, 70, 40, 40);

// A 4-band "landscape" of smooth patches, and the after image = gain * before + offset + noise,
// except inside kChangedSquare where the land cover is replaced by another landscape.
struct SyntheticPair {
  cv::Mat before, after, valid, truth;
};

cv::Mat landscape(cv::Size size, int p, unsigned seed) {
  cv::Mat noise = texturedImage(size, p, seed), smooth;
  cv::GaussianBlur(noise, smooth, cv::Size(0, 0), 3.0);
  return smooth * 120.0 + cv::Scalar::all(300.0);
}

SyntheticPair opticalPair(int p = 4) {
  const cv::Size size(200, 180);
  SyntheticPair s;
  s.before = landscape(size, p, 11);
  const cv::Mat other = landscape(size, p, 12);
  cv::Mat base = s.before.clone();
  other(kChangedSquare).copyTo(base(kChangedSquare));
  const std::vector<double> gain{1.3, 0.8, 1.1, 0.6, 1.2, 0.9};
  const std::vector<double> offset{-40, 25, 10, 60, -5, 30};
  std::vector<cv::Mat> bands;
  cv::split(base, bands);
  const cv::Mat noise = texturedImage(size, p, 13);
  std::vector<cv::Mat> noiseBands;
  cv::split(noise, noiseBands);
  for (int j = 0; j < p; ++j) bands[j] = bands[j] * gain[j] + offset[j] + noiseBands[j] * 2.0;
  cv::merge(bands, s.after);
  s.valid = cv::Mat(size, CV_8U, cv::Scalar(255));
  s.truth = cv::Mat::zeros(size, CV_8U);
  s.truth(kChangedSquare).setTo(255);
  return s;
}

// Gamma-distributed (4-look) speckle on a reflectivity map with a square that brightens x4.
SyntheticPair sarPair() {
  const cv::Size size(180, 160);
  std::mt19937 rng(5);
  std::gamma_distribution<float> speckle(4.0f, 0.25f);
  cv::Mat reflectivity = landscape(size, 1, 21) * 0.2;
  SyntheticPair s;
  s.before.create(size, CV_32F);
  s.after.create(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      const float r = reflectivity.at<float>(y, x);
      const float r2 = kChangedSquare.contains({x, y}) ? 4.0f * r : r;
      s.before.at<float>(y, x) = r * speckle(rng);
      s.after.at<float>(y, x) = r2 * speckle(rng);
    }
  }
  s.valid = cv::Mat(size, CV_8U, cv::Scalar(255));
  s.truth = cv::Mat::zeros(size, CV_8U);
  s.truth(kChangedSquare).setTo(255);
  return s;
}

bool sameBits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y) {
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  }
  return true;
}

std::unique_ptr<ChangeMethod> direct(const std::string& name) {
  if (name == "cva") return std::make_unique<CvaMethod>();
  if (name == "irmad") return std::make_unique<IrmadMethod>();
  return std::make_unique<LogRatioMethod>();
}

SyntheticPair pairFor(const std::string& name) {
  return name == "logratio" ? sarPair() : opticalPair();
}

}  // namespace

TEST_CASE("change methods created by name behave like the direct types", "[unit][imaging]") {
  for (const std::string name : {"cva", "irmad", "logratio"}) {
    const auto* entry = Registry::builtins().method(name);
    REQUIRE(entry != nullptr);
    CHECK(!entry->help.empty());
    auto byName = Registry::builtins().createMethod(name, Params(entry->options));
    auto byType = direct(name);
    CHECK(byName->name() == name);
    CHECK(byName->haloPx() == byType->haloPx());
    const SyntheticPair s = pairFor(name);
    const ChangeRun a = runTiled(*byName, s.before, s.after, s.valid, 2, 0);
    const ChangeRun b = runTiled(*byType, s.before, s.after, s.valid, 2, 0);
    CHECK(byName->threshold() == byType->threshold());
    CHECK(byName->solved() == byType->solved());
    CHECK(sameBits(a.score, b.score));
  }
}

TEST_CASE("fit and score do not depend on the tiling (global sampling lattice)",
          "[unit][imaging]") {
  for (const std::string name : {"cva", "irmad", "logratio"}) {
    const SyntheticPair s = pairFor(name);
    auto whole = direct(name);
    const ChangeRun ref = runTiled(*whole, s.before, s.after, s.valid, 3, 0);
    for (int tileSize : {37, 64, 100}) {
      INFO(name << " tile " << tileSize);
      auto tiled = direct(name);
      const ChangeRun run = runTiled(*tiled, s.before, s.after, s.valid, 3, tileSize);
      CHECK(run.samples.rows == ref.samples.rows);
      CHECK(tiled->threshold() == whole->threshold());
      CHECK(tiled->solved() == whole->solved());
      CHECK(sameBits(run.score, ref.score));
      CHECK(sameBits(run.mask, ref.mask));
    }
  }
}

TEST_CASE("no-decision pixels are never sampled and never change", "[unit][imaging]") {
  for (const std::string name : {"cva", "irmad", "logratio"}) {
    INFO(name);
    SyntheticPair s = pairFor(name);
    // A cloud: garbage in the after image (and NaN nodata) where valid = 0, over part of the
    // changed square and part of the unchanged land.
    const cv::Rect cloud(40, 60, 50, 60);
    s.valid(cloud).setTo(0);
    s.after(cloud).setTo(cv::Scalar::all(1e6));
    s.after(cv::Rect(45, 65, 5, 5)).setTo(cv::Scalar::all(std::numeric_limits<float>::quiet_NaN()));
    auto m = direct(name);
    const ChangeRun run = runTiled(*m, s.before, s.after, s.valid, 1, 64, 1);
    CHECK(run.samples.rows == cv::countNonZero(s.valid));
    cv::Mat scoreInCloud = run.score(cloud);
    CHECK(cv::countNonZero(scoreInCloud == scoreInCloud) == 0);  // all NaN
    CHECK(cv::countNonZero(run.mask(cloud) != kMaskNoDecision) == 0);
    CHECK(cv::countNonZero((run.mask == kMaskNoDecision) != (s.valid == 0)) == 0);
    // The threshold is not dragged up by the garbage: the visible part of the square is found.
    const cv::Rect visible = kChangedSquare & cv::Rect(cloud.x + cloud.width + 2, 0, 1000, 1000);
    CHECK(cv::countNonZero(run.mask(visible) == kMaskChange) > 0.8 * visible.area());
  }
}

TEST_CASE("log-ratio score is symmetric in the two dates", "[unit][imaging]") {
  const SyntheticPair s = sarPair();
  LogRatioMethod forward, backward;
  const ChangeRun a = runTiled(forward, s.before, s.after, s.valid, 1, 0);
  const ChangeRun b = runTiled(backward, s.after, s.before, s.valid, 1, 0);
  CHECK(forward.threshold() == backward.threshold());
  CHECK(sameBits(a.score, b.score));
  CHECK(sameBits(a.mask, b.mask));
}

TEST_CASE("CVA and IR-MAD find a changed square under per-band gain/offset with F1 >= 0.9",
          "[unit][imaging]") {
  const SyntheticPair s = opticalPair();
  for (const std::string name : {"cva", "irmad"}) {
    auto m = direct(name);
    const ChangeRun run = runTiled(*m, s.before, s.after, s.valid, 1, 0);
    const Accuracy acc = scoreMask(run.mask, s.truth, s.truth == 0);
    INFO(name << ": " << acc.text());
    CHECK(acc.f1() >= 0.9);
  }
  // CVA's normalization recovers the simulated gains (1.3, 0.8, 1.1, 0.6).
  CvaMethod cva;
  runTiled(cva, s.before, s.after, s.valid, 1, 0);
  const auto gain = cva.solved().at("gain");
  CHECK(gain[0] == Approx(1.3).margin(0.03));
  CHECK(gain[3] == Approx(0.6).margin(0.03));
  CHECK(cva.solved().at("offset")[3] == Approx(60.0).margin(10.0));
}

TEST_CASE("log-ratio finds a brightened square in 4-look speckle with F1 >= 0.9",
          "[unit][imaging]") {
  const SyntheticPair s = sarPair();
  LogRatioMethod m;
  const ChangeRun run = runTiled(m, s.before, s.after, s.valid, 1, 0);
  const Accuracy acc = scoreMask(run.mask, s.truth, s.truth == 0);
  INFO(acc.text());
  CHECK(acc.f1() >= 0.9);
}

TEST_CASE("change methods report clear errors", "[unit][imaging]") {
  const SyntheticPair s = opticalPair();
  LogRatioMethod lr;
  ChangeTile t{s.before, s.after, s.valid, {0, 0}, 1};
  CHECK_THROWS_WITH(lr.sampleTile(t, cv::Rect(0, 0, 10, 10)),
                    "logratio: needs single-band intensity images, got 4 bands");
  IrmadMethod ir;
  CHECK_THROWS_WITH(ir.score(t), "irmad: score() called before fit()");
  const cv::Mat few = ir.sampleTile(t, cv::Rect(0, 0, 5, 5));
  CHECK_THROWS_WITH(ir.fit(few),
                    "irmad: 25 valid sample pixels are too few to fit 4 bands (need at least 80)");
  Params p(LogRatioMethod::options());
  p.setChoice("filter", "median");
  p.setNumber("filter_radius", 3);
  CHECK_THROWS_WITH(LogRatioMethod(p), "logratio: median filter_radius must be 1 or 2 pixels");
}

TEST_CASE("large samples are thinned evenly and deterministically", "[unit][imaging]") {
  cv::Mat rows(1000, 3, CV_32F);
  for (int i = 0; i < rows.rows; ++i) rows.at<float>(i, 0) = static_cast<float>(i);
  const cv::Mat thin = evenlySpacedRows(rows, 300);
  REQUIRE(thin.rows == 250);  // every 4th row
  CHECK(thin.at<float>(0, 0) == 0.0f);
  CHECK(thin.at<float>(1, 0) == 4.0f);
  CHECK(thin.at<float>(249, 0) == 996.0f);
  CHECK(evenlySpacedRows(rows, 1000).data == rows.data);
}
