#include <catch2/catch.hpp>

#include <random>

#include "imaging/chi_square.hpp"
#include "imaging/irmad.hpp"

using namespace cw::imaging;

namespace {

// n pixels of p = 3 bands whose canonical correlations are exactly `rho` in the population:
// canonical pairs (u_i, v_i) with corr rho_i, mixed into the bands by fixed invertible
// matrices and offset. The last `changed` rows get an unrelated after vector (change).
void correlatedPair(int n, const std::vector<double>& rho, int changed, cv::Mat& before,
                    cv::Mat& after, unsigned seed = 7) {
  const int p = static_cast<int>(rho.size());
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  const cv::Matx33d m1(2.0, 0.5, 0.1, -0.3, 1.5, 0.4, 0.2, 0.1, 1.0);
  const cv::Matx33d m2(1.2, -0.4, 0.3, 0.6, 0.9, 0.0, 0.1, 0.7, 2.0);
  before.create(n, p, CV_32F);
  after.create(n, p, CV_32F);
  for (int r = 0; r < n; ++r) {
    cv::Vec3d u, v;
    for (int i = 0; i < p; ++i) {
      u[i] = g(rng);
      v[i] = rho[i] * u[i] + std::sqrt(1 - rho[i] * rho[i]) * g(rng);
      if (r >= n - changed) v[i] = 3.0 * g(rng) + 4.0;
    }
    const cv::Vec3d x = m1 * u, y = m2 * v;
    for (int i = 0; i < p; ++i) {
      before.at<float>(r, i) = static_cast<float>(100.0 + 10.0 * x[i]);
      after.at<float>(r, i) = static_cast<float>(50.0 + 5.0 * y[i]);
    }
  }
}

}  // namespace

TEST_CASE("MAD recovers known canonical correlations", "[unit][imaging]") {
  cv::Mat before, after;
  correlatedPair(40000, {0.9, 0.6, 0.3}, 0, before, after);
  IrmadOptions plain;
  plain.maxIterations = 1;
  const IrmadModel m = fitIrmad(before, after, plain);
  REQUIRE(m.rho.size() == 3);
  CHECK(m.rho[0] == Approx(0.9).margin(0.01));
  CHECK(m.rho[1] == Approx(0.6).margin(0.02));
  CHECK(m.rho[2] == Approx(0.3).margin(0.02));
  CHECK(m.iterations == 1);
  // sigma_i^2 = 2 (1 - rho_i), and Z of no-change pixels is chi-square with p dof: mean p.
  CHECK(m.sigma[0] == Approx(std::sqrt(2 * (1 - m.rho[0]))));
  const cv::Mat z = irmadChiSquareRows(m, before, after);
  CHECK(cv::mean(z)[0] == Approx(3.0).margin(0.05));
}

// IR-MAD's weighted statistics are not those of the unweighted population: on purely Gaussian
// no-change data the reweighting itself raises rho above the population value (measured: 0.9
// -> 0.98 after 30 iterations). What it must do is down-weight change so that the no-change
// correlations, which 10 % change hides from plain MAD, are recovered.
TEST_CASE("IR-MAD converges and down-weights changed pixels", "[unit][imaging]") {
  const std::vector<double> truth{0.97, 0.9, 0.8};
  cv::Mat before, after;
  correlatedPair(40000, truth, 4000, before, after);
  IrmadOptions plain;
  plain.maxIterations = 1;
  const IrmadModel mad = fitIrmad(before, after, plain);
  cv::Mat weights;
  const IrmadModel ir = fitIrmad(before, after, {}, &weights);
  INFO("MAD rho " << mad.rho[0] << " " << mad.rho[1] << " " << mad.rho[2] << "; IR-MAD rho "
                  << ir.rho[0] << " " << ir.rho[1] << " " << ir.rho[2] << " after " << ir.iterations
                  << " iterations");
  CHECK(ir.converged);
  CHECK(ir.iterations > 1);
  CHECK(ir.iterations <= 30);
  CHECK(mad.rho[0] < 0.7);
  for (int i = 0; i < 3; ++i) CHECK(ir.rho[i] > truth[i] - 0.02);
  const double wChanged = cv::mean(weights.rowRange(36000, 40000))[0];
  const double wStable = cv::mean(weights.rowRange(0, 36000))[0];
  CHECK(wChanged < 1e-4 * wStable);
}

TEST_CASE("IR-MAD sign conventions are deterministic", "[unit][imaging]") {
  cv::Mat before, after;
  correlatedPair(5000, {0.95, 0.7, 0.4}, 0, before, after);
  const IrmadModel m = fitIrmad(before, after);
  // An eigenvector's sign is arbitrary; the rule is that the canonical variate of the before
  // image correlates positively with the sum of the before bands. Negated inputs have the
  // same covariances, so they must give the very same vectors.
  const cv::Mat nb = -before, na = -after;
  const IrmadModel n = fitIrmad(nb, na);
  for (int i = 0; i < 3; ++i) {
    CHECK(n.rho[i] == Approx(m.rho[i]).margin(1e-12));
    for (int j = 0; j < 3; ++j) {
      CHECK(n.a.at<double>(i, j) == Approx(m.a.at<double>(i, j)).margin(1e-12));
      CHECK(n.b.at<double>(i, j) == Approx(m.b.at<double>(i, j)).margin(1e-12));
    }
    cv::Mat u;
    cv::Mat a = m.a.row(i).t();
    cv::Mat bd;
    before.convertTo(bd, CV_64F);
    u = bd * a;
    double s = 0;
    for (int j = 0; j < 3; ++j) {
      cv::Mat col = bd.col(j) - cv::mean(bd.col(j))[0];
      s += cv::Mat(col.t() * (u - cv::mean(u)[0])).at<double>(0);
    }
    CHECK(s > 0.0);
  }
}

TEST_CASE("IR-MAD image kernel equals the row formula", "[unit][imaging]") {
  cv::Mat before, after;
  correlatedPair(4096, {0.9, 0.6, 0.3}, 400, before, after);
  const IrmadModel m = fitIrmad(before, after);
  const cv::Mat zRows = irmadChiSquareRows(m, before, after);
  const cv::Mat img =
      irmadChiSquareImage(m, before.reshape(3, 64), after.reshape(3, 64), cv::Mat());
  for (int i = 0; i < 4096; ++i) {
    CHECK(img.at<float>(i / 64, i % 64) == Approx(zRows.at<double>(i)).epsilon(1e-3).margin(1e-3));
  }
}

TEST_CASE("IR-MAD refuses a sample too small to fit", "[unit][imaging]") {
  cv::Mat before(10, 3, CV_32F, cv::Scalar(1)), after(10, 3, CV_32F, cv::Scalar(2));
  CHECK_THROWS_WITH(fitIrmad(before, after),
                    "irmad: 10 valid sample pixels are too few to fit 3 bands (need at least 60)");
}

TEST_CASE("IR-MAD significance score equals -log10 of the chi-square tail, NaN where invalid",
          "[unit][imaging]") {
  // 4 bands (even p: the vectorized closed form) and 3 bands (odd p: the general path).
  for (int p : {3, 4}) {
    cv::Mat before(1, 4096, CV_32FC(p)), after(1, 4096, CV_32FC(p)), valid(1, 4096, CV_8U);
    cv::RNG rng(11);
    rng.fill(before, cv::RNG::NORMAL, 100.0, 10.0);
    before.convertTo(after, -1, 0.5, 20.0);
    cv::Mat noise(after.size(), after.type());
    rng.fill(noise, cv::RNG::NORMAL, 0.0, 2.0);
    after += noise;
    after.colRange(4000, 4096) += cv::Scalar::all(40.0);  // changed pixels: large Z
    valid.setTo(255);
    valid.colRange(0, 7).setTo(0);
    IrmadMethod m;
    const ChangeTile t{before, after, valid, {0, 0}, 1};
    m.fit(m.sampleTile(t, cv::Rect(0, 0, 4096, 1)));
    const cv::Mat score = m.score(t);
    const cv::Mat z = irmadChiSquareImage(m.model(), before, after, valid);
    for (int x = 0; x < 4096; ++x) {
      const float v = score.at<float>(0, x);
      if (x < 7) {
        CHECK(std::isnan(v));
        continue;
      }
      const double want = -logChiSquareSf(z.at<float>(0, x), p) / std::log(10.0);
      CHECK(v == Approx(want).epsilon(1e-5).margin(1e-5));
    }
  }
}
