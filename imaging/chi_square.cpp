#include "imaging/chi_square.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace cw::imaging {
namespace {

void checkDof(int dof) {
  if (dof < 1)
    throw Error("chi-square: degrees of freedom must be >= 1, got " + std::to_string(dof));
}

// log of the regularized lower (P) and upper (Q) incomplete gamma functions for a > 0, x > 0.
// Returns log P when `upper` is false, log Q otherwise. The branch that converges fast is
// evaluated and the other is taken as its complement only where that loses no precision.
double logIncompleteGamma(double a, double x, bool upper) {
  const double logPrefix = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {
    // Series: P = prefix/a * sum x^n / ((a+1)...(a+n)).
    double term = 1.0 / a, sum = term, ap = a;
    for (int n = 0; n < 10000; ++n) {
      ap += 1.0;
      term *= x / ap;
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
    }
    const double logP = logPrefix + std::log(sum);
    return upper ? std::log1p(-std::exp(logP)) : logP;
  }
  // Continued fraction for Q (modified Lentz).
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-16) break;
  }
  const double logQ = logPrefix + std::log(h);
  return upper ? logQ : std::log1p(-std::exp(logQ));
}

}  // namespace

double logChiSquareSf(double z, int dof) {
  checkDof(dof);
  if (!(z > 0.0)) return 0.0;
  if (std::isinf(z)) return -std::numeric_limits<double>::infinity();
  const double x = 0.5 * z;
  if (dof % 2 == 0) {
    // Sum of the Poisson terms, factored out of the largest one would be overkill for the
    // dof used here (<= a few dozen bands); the sum is >= 1 so its log is safe.
    return -x + std::log(chiSquareEvenSum(x, dof));
  }
  return logIncompleteGamma(0.5 * dof, x, true);
}

double chiSquareSf(double z, int dof) {
  return std::exp(logChiSquareSf(z, dof));
}

double chiSquareCdf(double z, int dof) {
  checkDof(dof);
  if (!(z > 0.0)) return 0.0;
  const double logSf = logChiSquareSf(z, dof);
  // Near the lower end the SF is close to 1 and 1 - SF cancels; use the lower gamma directly.
  if (logSf > -0.7) {
    return std::exp(logIncompleteGamma(0.5 * dof, 0.5 * z, false));
  }
  return -std::expm1(logSf);
}

}  // namespace cw::imaging
