#include "vessels/sts_rules.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <span>

#include "vessels/track_interpolation.hpp"

namespace cw::vessels {
namespace {

double axisDifference(double a, double b) {
  const double d = std::fmod(std::abs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

// False only when the distance to shore is known and below minM; `distance` gets it when known.
bool farFromShore(const ShoreDistance& shore, double lon, double lat, double minM,
                  std::optional<double>& distance) {
  if (!shore) return true;
  distance = shore(lon, lat);
  return !distance || *distance >= minM;
}

}  // namespace

std::vector<HullPair> findHullPairs(const std::vector<HullObservation>& hulls,
                                    const HullPairRule& rule, const ShoreDistance& shoreDistance) {
  std::vector<HullPair> candidates;
  for (size_t i = 0; i < hulls.size(); ++i) {
    const auto& a = hulls[i];
    if (a.lengthM < rule.minLengthM) continue;
    for (size_t j = i + 1; j < hulls.size(); ++j) {
      const auto& b = hulls[j];
      if (b.lengthM < rule.minLengthM) continue;
      const double d = distanceM(a.lon, a.lat, b.lon, b.lat);
      if (d > (a.widthM + b.widthM) / 2.0 + rule.marginM) continue;
      const double dh = axisDifference(a.headingDeg, b.headingDeg);
      if (dh > rule.maxHeadingDiffDeg) continue;
      HullPair p{static_cast<int>(i), static_cast<int>(j), d, dh, false, 0.0};
      std::optional<double> shoreA, shoreB;
      if (!farFromShore(shoreDistance, a.lon, a.lat, rule.minShoreDistanceM, shoreA) ||
          !farFromShore(shoreDistance, b.lon, b.lat, rule.minShoreDistanceM, shoreB)) {
        continue;
      }
      p.shoreChecked = shoreA && shoreB;
      if (p.shoreChecked) p.shoreDistanceM = std::min(*shoreA, *shoreB);
      candidates.push_back(p);
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const HullPair& x, const HullPair& y) {
    return x.centreDistanceM < y.centreDistanceM;
  });
  std::vector<bool> used(hulls.size(), false);
  std::vector<HullPair> out;
  for (const auto& c : candidates) {
    if (used[static_cast<size_t>(c.first)] || used[static_cast<size_t>(c.second)]) continue;
    used[static_cast<size_t>(c.first)] = used[static_cast<size_t>(c.second)] = true;
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> mergedWindows(std::vector<std::int64_t> times,
                                                                 std::int64_t halfWidthS) {
  std::sort(times.begin(), times.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto t : times) {
    if (!out.empty() && t - halfWidthS <= out.back().second) {
      out.back().second = std::max(out.back().second, t + halfWidthS);
    } else {
      out.emplace_back(t - halfWidthS, t + halfWidthS);
    }
  }
  return out;
}

std::vector<Encounter> findEncounters(const AoiFixes& ais, std::int64_t fromS, std::int64_t toS,
                                      const EncounterRule& rule,
                                      const ShoreDistance& shoreDistance) {
  // Each vessel sampled every stepS from its own fixes; a sample needs a fix within half a step
  // (no dead reckoning across gaps), and its speed is the sampled one.
  InterpolationOptions o;
  o.windowS = rule.stepS / 2;
  o.maxDeadReckonS = 0;
  struct Track {
    std::uint32_t mmsi;
    std::vector<std::optional<VesselPosition>> samples;
  };
  std::vector<Track> tracks;
  const auto steps = static_cast<size_t>(std::max<std::int64_t>(0, (toS - fromS) / rule.stepS + 1));
  const auto& fx = ais.fixes;
  for (size_t i = 0; i < fx.size();) {
    size_t j = i;
    while (j < fx.size() && fx[j].mmsi == fx[i].mmsi) ++j;
    Track t{fx[i].mmsi, std::vector<std::optional<VesselPosition>>(steps)};
    const std::span<const AisFix> span(fx.data() + i, j - i);
    bool any = false;
    for (size_t k = 0; k < steps; ++k) {
      auto p = positionAt(span, fromS + static_cast<std::int64_t>(k) * rule.stepS, o);
      if (p && (!known(static_cast<float>(p->speedKn)) || p->speedKn >= rule.maxSpeedKn)) p.reset();
      any = any || p.has_value();
      t.samples[k] = p;
    }
    if (any) tracks.push_back(std::move(t));
    i = j;
  }
  std::vector<Encounter> out;
  const auto need =
      static_cast<size_t>(rule.minDurationS / rule.stepS) + 1;  // samples spanning minDuration
  for (size_t a = 0; a < tracks.size(); ++a) {
    for (size_t b = a + 1; b < tracks.size(); ++b) {
      size_t run = 0;
      std::vector<double> dists;
      for (size_t k = 0; k <= steps; ++k) {
        const auto& pa = k < steps ? tracks[a].samples[k] : std::nullopt;
        const auto& pb = k < steps ? tracks[b].samples[k] : std::nullopt;
        const bool close =
            pa && pb && distanceM(pa->lon, pa->lat, pb->lon, pb->lat) <= rule.maxDistanceM;
        if (close) {
          ++run;
          dists.push_back(distanceM(pa->lon, pa->lat, pb->lon, pb->lat));
          continue;
        }
        if (run >= need) {
          Encounter e;
          e.mmsi1 = tracks[a].mmsi;
          e.mmsi2 = tracks[b].mmsi;
          const size_t first = k - run;
          e.startS = fromS + static_cast<std::int64_t>(first) * rule.stepS;
          e.endS = fromS + static_cast<std::int64_t>(k - 1) * rule.stepS;
          for (size_t m = first; m < k; ++m) {
            e.lon += (tracks[a].samples[m]->lon + tracks[b].samples[m]->lon) /
                     (2.0 * static_cast<double>(run));
            e.lat += (tracks[a].samples[m]->lat + tracks[b].samples[m]->lat) /
                     (2.0 * static_cast<double>(run));
          }
          std::nth_element(dists.begin(), dists.begin() + static_cast<long>(dists.size() / 2),
                           dists.end());
          e.medianDistanceM = dists[dists.size() / 2];
          std::optional<double> shore;
          if (farFromShore(shoreDistance, e.lon, e.lat, rule.minShoreDistanceM, shore)) {
            e.shoreChecked = shore.has_value();
            e.shoreDistanceM = shore.value_or(0.0);
            out.push_back(e);
          }
        }
        run = 0;
        dists.clear();
      }
    }
  }
  return out;
}

}  // namespace cw::vessels
