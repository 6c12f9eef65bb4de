#include <catch2/catch.hpp>

#include <cmath>

#include "imaging/chi_square.hpp"

using namespace cw::imaging;

TEST_CASE("chi-square CDF matches tabulated 95 % and 99 % quantiles", "[unit][imaging]") {
  // Critical values from standard tables (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.4).
  struct Row {
    int dof;
    double q95, q99;
  };
  for (const Row& r :
       {Row{1, 3.841459, 6.634897}, Row{2, 5.991465, 9.210340}, Row{3, 7.814728, 11.344867},
        Row{4, 9.487729, 13.276704}, Row{5, 11.070498, 15.086272}, Row{6, 12.591587, 16.811894},
        Row{7, 14.067140, 18.475307}}) {
    CHECK(chiSquareCdf(r.q95, r.dof) == Approx(0.95).margin(1e-6));
    CHECK(chiSquareCdf(r.q99, r.dof) == Approx(0.99).margin(1e-6));
    CHECK(chiSquareSf(r.q99, r.dof) == Approx(0.01).epsilon(1e-5));
  }
}

TEST_CASE("chi-square survival function keeps relative precision in the far tail",
          "[unit][imaging]") {
  // dof 2: SF = exp(-z/2) exactly; dof 1: SF = erfc(sqrt(z/2)).
  CHECK(chiSquareSf(200.0, 2) == Approx(std::exp(-100.0)).epsilon(1e-12));
  CHECK(logChiSquareSf(4000.0, 2) == Approx(-2000.0).epsilon(1e-12));
  CHECK(chiSquareSf(150.0, 1) == Approx(std::erfc(std::sqrt(75.0))).epsilon(1e-9));
  CHECK(chiSquareSf(3.0, 1) == Approx(std::erfc(std::sqrt(1.5))).epsilon(1e-12));
  // dof 6: SF = exp(-x)(1 + x + x^2/2), x = z/2.
  const double x = 60.0;
  CHECK(chiSquareSf(2 * x, 6) == Approx(std::exp(-x) * (1 + x + x * x / 2)).epsilon(1e-12));
  CHECK(std::isfinite(logChiSquareSf(1e6, 5)));
  CHECK(logChiSquareSf(1e6, 5) < -4.9e5);
}

TEST_CASE("chi-square CDF and SF are complementary and monotone", "[unit][imaging]") {
  for (int dof : {1, 2, 3, 4, 6, 9}) {
    double last = -1.0;
    for (double z = 0.0; z < 60.0; z += 0.37) {
      const double c = chiSquareCdf(z, dof);
      CHECK(c + chiSquareSf(z, dof) == Approx(1.0).margin(1e-12));
      CHECK(c >= last);
      last = c;
    }
  }
  CHECK(chiSquareCdf(0.0, 3) == 0.0);
  CHECK(chiSquareCdf(1e-3, 1) == Approx(std::erf(std::sqrt(5e-4))).epsilon(1e-9));
}

TEST_CASE("chi-square rejects a non-positive number of degrees of freedom", "[unit][imaging]") {
  CHECK_THROWS_WITH(chiSquareCdf(1.0, 0), "chi-square: degrees of freedom must be >= 1, got 0");
}
