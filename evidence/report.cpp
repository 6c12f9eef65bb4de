#include "evidence/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "cw_version.hpp"

namespace cw::evidence {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  return o;
}

std::string fmt(double v, int decimals = 1) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

const char* kCss =
    R"(body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}.v{font-weight:600;padding:2px 6px;border-radius:3px}
.consistent{background:#d8f0d8;color:#185c18}.discrepancy{background:#f8d4d4;color:#8a1414}
.unverifiable{background:#eee;color:#555}.figs{display:flex;gap:24px;flex-wrap:wrap}
.chips{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0 14px}.chips figure{margin:0}
.chips img{width:160px;height:160px;image-rendering:pixelated;border:1px solid #999}
figcaption{font-size:12px;color:#555}.note{background:#fff8e0;border-left:4px solid #e0b000;padding:6px 10px}
.ids{font-family:monospace;font-size:12px;word-break:break-all})";

struct Box {
  double w = 1e9, s = 1e9, e = -1e9, n = -1e9;
  void add(const LonLat& p) {
    w = std::min(w, p[0]), e = std::max(e, p[0]), s = std::min(s, p[1]), n = std::max(n, p[1]);
  }
  bool valid() const { return e > w && n > s; }
};

std::string mapSvg(const AoiObservations& aoi) {
  Box box;
  for (const auto& s : aoi.scenes)
    for (const auto& poly : s.footprint)
      for (const auto& r : poly)
        for (const auto& p : r) box.add(p);
  for (const auto& [id, it] : aoi.items) box.add(it.position);
  if (!box.valid()) return "<p>No footprint recorded.</p>";
  const double W = 360, H = 280, pad = 10;
  const double k = std::cos((box.s + box.n) / 2 * M_PI / 180);
  const double sx = (W - 2 * pad) / ((box.e - box.w) * k), sy = (H - 2 * pad) / (box.n - box.s);
  const double sc = std::min(sx, sy);
  auto X = [&](double lon) { return pad + (lon - box.w) * k * sc; };
  auto Y = [&](double lat) { return pad + (box.n - lat) * sc; };
  auto path = [&](const Polygon& poly) {
    std::string d;
    for (const auto& r : poly) {
      for (size_t i = 0; i < r.size(); ++i)
        d += (i ? "L" : "M") + fmt(X(r[i][0])) + " " + fmt(Y(r[i][1]));
      d += "Z";
    }
    return d;
  };
  static const char* colours[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22"};
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\" role=\"img\"><title>Imaged footprints and "
    << "evidence of " << esc(aoi.aoiId) << "</title><rect width=\"100%\" height=\"100%\" "
    << "fill=\"#fafafa\" stroke=\"#ccc\"/>";
  for (size_t i = 0; i < aoi.scenes.size(); ++i) {
    const char* c = colours[i % 6];
    for (const auto& poly : aoi.scenes[i].footprint)
      o << "<path d=\"" << path(poly) << "\" fill=\"" << c << "\" fill-opacity=\"0.08\" stroke=\""
        << c << "\" stroke-width=\"1\" fill-rule=\"evenodd\"><title>footprint "
        << esc(aoi.scenes[i].sceneId) << " (" << esc(aoi.scenes[i].timeIso.substr(0, 10))
        << ")</title></path>";
  }
  for (const auto& [id, it] : aoi.items) {
    if (it.type == "change")
      o << "<path d=\"" << path(it.outline) << "\" fill=\"#d62728\" fill-opacity=\"0.4\" "
        << "stroke=\"#d62728\"><title>" << esc(id) << "</title></path>";
    else
      o << "<circle cx=\"" << fmt(X(it.position[0])) << "\" cy=\"" << fmt(Y(it.position[1]))
        << "\" r=\"2.5\" fill=\"#ff7f0e\"><title>" << esc(id) << "</title></circle>";
  }
  o << "<text x=\"" << pad << "\" y=\"" << H - 4 << "\" font-size=\"10\" fill=\"#555\">"
    << fmt(box.w, 4) << ", " << fmt(box.s, 4) << " to " << fmt(box.e, 4) << ", " << fmt(box.n, 4)
    << " (lon, lat)</text></svg>";
  return o.str();
}

std::string countsSvg(const AoiObservations& aoi, const CorroborationRules& rules) {
  std::set<std::string> kinds;
  for (const auto& s : aoi.scenes)
    for (const auto& [k, n] : s.counts) kinds.insert(k);
  if (aoi.scenes.empty() || kinds.empty()) return "<p>No counts recorded.</p>";
  int maxN = 1;
  for (const auto& s : aoi.scenes)
    for (const auto& [k, n] : s.counts) maxN = std::max(maxN, n);
  const double W = 480, H = 280, l = 40, r = 16, t = 16, b = 60;
  const size_t n = aoi.scenes.size();
  auto X = [&](size_t i) { return n == 1 ? (l + W - r) / 2 : l + (W - l - r) * i / (n - 1.0); };
  auto Y = [&](double v) { return H - b - (H - t - b) * v / maxN; };
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" role=\"img\"><title>Counts per date</title>";
  o << "<line x1=\"" << l << "\" y1=\"" << Y(0) << "\" x2=\"" << W - r << "\" y2=\"" << Y(0)
    << "\" stroke=\"#999\"/><line x1=\"" << l << "\" y1=\"" << t << "\" x2=\"" << l << "\" y2=\""
    << Y(0) << "\" stroke=\"#999\"/>";
  o << "<text x=\"" << l - 6 << "\" y=\"" << Y(maxN) + 4 << "\" font-size=\"10\" "
    << "text-anchor=\"end\">" << maxN << "</text><text x=\"" << l - 6 << "\" y=\"" << Y(0) + 4
    << "\" font-size=\"10\" text-anchor=\"end\">0</text>";
  for (size_t i = 0; i < n; ++i)
    o << "<text font-size=\"10\" text-anchor=\"end\" transform=\"translate(" << fmt(X(i)) << ","
      << Y(0) + 12 << ") rotate(-35)\">" << esc(aoi.scenes[i].timeIso.substr(0, 10)) << "</text>";
  size_t ki = 0;
  for (const auto& k : kinds) {
    const char* c = colours[ki % 4];
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      const auto it = aoi.scenes[i].counts.find(k);
      if (it == aoi.scenes[i].counts.end()) continue;
      pts += fmt(X(i)) + "," + fmt(Y(it->second)) + " ";
    }
    o << "<polyline points=\"" << pts << "\" fill=\"none\" stroke=\"" << c << "\"/>";
    for (size_t i = 0; i < n; ++i) {
      const auto& s = aoi.scenes[i];
      const auto it = s.counts.find(k);
      if (it == s.counts.end()) continue;
      const bool usable = s.validFraction >= rules.minValidFraction;
      o << "<circle cx=\"" << fmt(X(i)) << "\" cy=\"" << fmt(Y(it->second)) << "\" r=\"4\" fill=\""
        << (usable ? c : "white") << "\" stroke=\"" << c << "\"><title>" << esc(k) << ": "
        << it->second << " on " << esc(s.timeIso.substr(0, 10)) << ", "
        << fmt(100 * s.validFraction, 0) << "% valid" << (usable ? "" : " (not usable)")
        << "</title></circle>";
    }
    o << "<text x=\"" << W - r << "\" y=\"" << t + 12 * ki + 8 << "\" font-size=\"11\" fill=\"" << c
      << "\" text-anchor=\"end\">" << esc(k) << "</text>";
    ++ki;
  }
  o << "</svg>";
  return o.str();
}

// One ship-to-ship candidate: its evidence id, where it comes from, both parties (hull evidence
// ids and MMSIs, dark or not), and whether the shore condition could be checked.
std::string stsHtml(const EvidenceItem& item) {
  const StsRecord& e = item.sts;
  auto party = [&](const std::string& hull, std::uint32_t mmsi, bool dark) {
    std::string s = mmsi ? "MMSI " + std::to_string(mmsi) : std::string("no AIS");
    if (!hull.empty()) s = "hull " + esc(hull) + " (" + s + ")";
    return s + (dark ? " <b>dark</b>" : "");
  };
  std::ostringstream o;
  o << "<li><code>" << esc(item.id) << "</code> " << esc(e.source);
  if (e.source == "imagery") {
    o << ", scene " << esc(e.sceneId);
  } else {
    o << ", " << esc(e.startIso) << " to " << esc(e.endIso);
  }
  o << ": " << party(e.firstId, e.mmsi1, e.firstDark) << " and "
    << party(e.secondId, e.mmsi2, e.secondDark) << ", " << fmt(e.distanceM, 0) << " m apart, "
    << (e.shoreChecked ? fmt(e.shoreDistanceM, 0) + " m from land" : "shore distance not checked")
    << "</li>";
  return o.str();
}

// Vessels (AIS), per scene: the ship detections by AIS status, the AIS vessels expected in the
// imaged footprint but seen by no detection, and the ship-to-ship transfer candidates.
std::string vesselsHtml(const AoiObservations& aoi) {
  bool any = aoi.aisMatched || !aoi.vesselEvents.empty();
  for (const auto& [id, item] : aoi.items) any = any || !item.ais.status.empty();
  if (!any) return "";
  std::ostringstream o;
  o << "<h3>Vessels (AIS)</h3><table><tr><th>scene</th><th>matched</th><th>dark</th>"
    << "<th>no time of day</th><th>no AIS coverage</th><th>unseen (AIS, no detection)</th></tr>\n";
  for (const auto& s : aoi.scenes) {
    std::map<std::string, int> n;
    for (const auto& [id, item] : aoi.items) {
      if (item.type == "detection" && item.sceneId == s.sceneId) ++n[item.ais.status];
    }
    std::string unseen;
    for (const auto& e : aoi.vesselEvents) {
      if (e.kind == "unseen" && e.sceneId == s.sceneId) {
        unseen += (unseen.empty() ? "" : ", ") + std::to_string(e.mmsi) +
                  (e.detail.empty()
                       ? ""
                       : " (" + esc(e.detail) + (e.why.empty() ? "" : ": " + esc(e.why)) + ")");
      }
    }
    o << "<tr><td>" << esc(s.sceneId) << " (" << esc(s.timeIso.substr(0, 10)) << ")</td><td>"
      << n["matched"] << "</td><td>" << n["dark"] << "</td><td>" << n["no_time"] << "</td><td>"
      << n["no_ais_coverage"] << "</td><td>" << (unseen.empty() ? "none" : unseen)
      << "</td></tr>\n";
  }
  o << "</table>\n";
  std::string sts;
  for (const auto& [id, item] : aoi.items) {
    if (item.type == "sts") sts += stsHtml(item);
  }
  o << "<p>Ship-to-ship transfer candidates: "
    << (sts.empty() ? "none.</p>\n" : "</p><ul>" + sts + "</ul>\n");
  return o.str();
}

std::string chipsHtml(const AoiObservations* aoi, const VerdictRow& row, const ReportOptions& opt) {
  if (!aoi) return "";
  std::vector<const EvidenceItem*> items;
  for (const auto& id : row.evidenceIds) {
    const auto it = aoi->items.find(id);
    if (it != aoi->items.end() && !it->second.chipBefore.empty()) items.push_back(&it->second);
  }
  std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) {
    return a->type == "change" ? a->areaM2 > b->areaM2 : a->score > b->score;
  });
  std::ostringstream o;
  int shown = 0;
  for (const auto* it : items) {
    if (shown++ >= opt.maxChipsPerDiscrepancy) break;
    o << "<div class=\"chips\">";
    const std::string cap = esc(it->id) + " &middot; " + esc(it->kind) + " &middot; " +
                            esc(it->timeIso.substr(0, 10)) +
                            (it->areaM2 > 0 ? " &middot; " + fmt(it->areaM2, 0) + " m2" : "");
    for (const auto& [path, label] :
         {std::pair{it->chipBefore, "before"}, std::pair{it->chipAfter, "after"},
          std::pair{it->chipMask, "change mask"}})
      o << "<figure><img src=\"" << esc(path) << "\" alt=\"" << label << " chip of " << esc(it->id)
        << "\"><figcaption>" << label << "</figcaption></figure>";
    o << "<figcaption>" << cap << "</figcaption></div>";
  }
  if (items.empty()) o << "<p>No chips for the cited evidence.</p>";
  return o.str();
}

// Writes the page head, the title and the paragraph on usability and verdicts.
void writeIntro(std::ostream& o, const CorroborationRules& rules) {
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>changewatch report</title><style>" << kCss << "</style></head><body>\n";
  o << "<h1>changewatch: declared activity against imagery</h1>\n";
  o << "<p>Produced by changewatch " << esc(kGitDescribe) << ". A scene is usable when at least "
    << fmt(100 * rules.minValidFraction, 0) << "% of the AOI is imaged and cloud-free. "
    << "Verdicts: <span class=\"v consistent\">consistent</span> "
    << "<span class=\"v discrepancy\">discrepancy</span> "
    << "<span class=\"v unverifiable\">unverifiable</span>. See corroboration.csv for the full "
    << "table and manifest.json to verify the files (<code>changewatch verify</code>).</p>\n";
}

// Writes the summary table: one row per declaration, linking to its AOI's section.
void writeSummary(std::ostream& o, const std::vector<VerdictRow>& verdicts) {
  o << "<h2>Summary</h2><table><tr><th>AOI</th><th>period</th><th>metric</th><th>declared</th>"
    << "<th>observed</th><th>verdict</th></tr>\n";
  for (const auto& v : verdicts) {
    const auto& d = v.declaration;
    o << "<tr><td><a href=\"#aoi-" << esc(d.aoiId) << "\">" << esc(d.aoiId) << "</a></td><td>"
      << esc(d.start) << " &ndash; " << esc(d.end) << "</td><td>" << metricName(d.metric)
      << "</td><td>" << esc(d.value) << "</td><td>" << esc(v.observed)
      << "</td><td><span class=\"v " << verdictName(v.verdict) << "\">" << verdictName(v.verdict)
      << "</span></td></tr>\n";
  }
  o << "</table>\n";
}

// Writes the verdicts table of one AOI, with the evidence ids each verdict cites.
void writeAoiVerdicts(std::ostream& o, const std::string& aoiId,
                      const std::vector<VerdictRow>& verdicts) {
  o << "<h3>Verdicts</h3><table><tr><th>period</th><th>metric</th><th>declared</th>"
    << "<th>observed</th><th>verdict</th><th>reason</th><th>evidence</th></tr>\n";
  bool any = false;
  for (const auto& v : verdicts) {
    if (v.declaration.aoiId != aoiId) continue;
    any = true;
    const auto& d = v.declaration;
    std::string ids;
    for (const auto& id : v.evidenceIds) {
      ids += esc(id);
      const auto rv = v.reviews.find(id);
      if (rv != v.reviews.end()) ids += " (" + esc(rv->second) + ")";
      ids += "<br>";
    }
    o << "<tr><td>" << esc(d.start) << " &ndash; " << esc(d.end) << "</td><td>"
      << metricName(d.metric) << "</td><td>" << esc(d.value) << "</td><td>" << esc(v.observed)
      << "</td><td><span class=\"v " << verdictName(v.verdict) << "\">" << verdictName(v.verdict)
      << "</span></td><td>" << esc(v.reason) << "</td><td class=\"ids\">" << ids << "</td></tr>\n";
  }
  if (!any) o << "<tr><td colspan=\"7\">No declarations for this AOI.</td></tr>\n";
  o << "</table>\n";
}

// Writes "What was not imaged" for one AOI: unusable scenes, unverifiable periods, no job.
void writeNotImaged(std::ostream& o, const std::string& aoiId, const AoiObservations* aoi,
                    const std::vector<VerdictRow>& verdicts, const CorroborationRules& rules) {
  // What was not imaged: stated plainly, because "0 ships" under a cloud is not "0 ships".
  o << "<h3>What was not imaged</h3>";
  std::vector<std::string> gaps;
  if (aoi)
    for (const auto& s : aoi->scenes)
      if (s.validFraction < rules.minValidFraction)
        gaps.push_back(
            "Scene " + esc(s.sceneId) + " (" + esc(s.timeIso.substr(0, 10)) + "): only " +
            fmt(100 * s.validFraction, 0) + "% of the AOI imaged and cloud-free" +
            (s.imagedFraction >= 0 ? " (" + fmt(100 * s.imagedFraction, 0) + "% imaged at all)"
                                   : std::string()) +
            "; not used for verdicts.");
  for (const auto& v : verdicts)
    if (v.declaration.aoiId == aoiId && v.verdict == Verdict::Unverifiable)
      gaps.push_back("Period " + esc(v.declaration.start) + " &ndash; " + esc(v.declaration.end) +
                     " (" + metricName(v.declaration.metric) + "): " + esc(v.reason) + ".");
  if (!aoi) gaps.push_back("No job of this run covers this AOI: nothing was imaged.");
  if (gaps.empty())
    o << "<p>Every scene of this AOI was usable (at least " << fmt(100 * rules.minValidFraction, 0)
      << "% of the AOI valid).</p>\n";
  else {
    o << "<div class=\"note\"><ul>";
    for (const auto& g : gaps) o << "<li>" << g << "</li>";
    o << "</ul></div>\n";
  }
}

// Writes the section of one AOI: verdicts, gaps, vessels, figures and discrepancy chips.
void writeAoiSection(std::ostream& o, const std::string& aoiId, const AoiObservations* aoi,
                     const std::vector<VerdictRow>& verdicts, const CorroborationRules& rules,
                     const ReportOptions& opt) {
  o << "<h2 id=\"aoi-" << esc(aoiId) << "\">"
    << esc(aoi && !aoi->aoiName.empty() ? aoi->aoiName : aoiId) << " <small>(" << esc(aoiId)
    << (aoi && !aoi->aoiKind.empty() ? ", " + esc(aoi->aoiKind) : "") << ")</small></h2>\n";

  writeAoiVerdicts(o, aoiId, verdicts);
  writeNotImaged(o, aoiId, aoi, verdicts, rules);

  if (aoi) o << vesselsHtml(*aoi);
  if (aoi) {
    o << "<div class=\"figs\"><figure>" << mapSvg(*aoi)
      << "<figcaption>Imaged footprints per scene (outlines), change polygons (red), "
      << "detections (orange).</figcaption></figure><figure>" << countsSvg(*aoi, rules)
      << "<figcaption>Counts per date; a hollow marker is a scene that was not usable."
      << "</figcaption></figure></div>\n";
  }

  for (const auto& v : verdicts) {
    if (v.declaration.aoiId != aoiId || v.verdict != Verdict::Discrepancy) continue;
    o << "<h3>Discrepancy: " << metricName(v.declaration.metric) << " declared "
      << esc(v.declaration.value) << " (" << esc(v.declaration.start) << " &ndash; "
      << esc(v.declaration.end) << ")</h3><p>" << esc(v.reason) << "</p>" << chipsHtml(aoi, v, opt)
      << "\n";
  }
}

}  // namespace

// Every review decision, in log order, with what the merge made of it: the record of who decided
// what, kept in the report itself.
static std::string decisionsHtml(const std::vector<ReviewRecord>& records) {
  std::ostringstream o;
  o << "<h2 id=\"decisions\">Review decisions</h2>";
  if (records.empty()) return o.str() + "<p>No review decisions.</p>";
  o << "<table><tr><th>#</th><th>time</th><th>reviewer</th><th>role</th><th>decision</th>"
       "<th>evidence</th><th>reason</th><th>applied</th></tr>";
  for (const auto& r : records) {
    o << "<tr><td>" << r.seq << "</td><td>" << esc(r.time) << "</td><td>" << esc(r.reviewer)
      << "</td><td>" << esc(r.role) << "</td><td>" << esc(r.decision) << "</td><td>"
      << esc(r.evidenceId) << "</td><td>" << esc(r.comment) << "</td><td>" << esc(r.status)
      << "</td></tr>";
  }
  return o.str() + "</table>";
}

void writeReport(const std::filesystem::path& outDir, const std::vector<VerdictRow>& verdicts,
                 const Observations& obs, const CorroborationRules& rules,
                 const ReportOptions& opt) {
  std::ostringstream o;
  writeIntro(o, rules);

  std::set<std::string> aoiIds;
  for (const auto& [id, a] : obs) aoiIds.insert(id);
  for (const auto& v : verdicts) aoiIds.insert(v.declaration.aoiId);

  writeSummary(o, verdicts);
  for (const auto& aoiId : aoiIds) {
    const auto it = obs.find(aoiId);
    const AoiObservations* aoi = it == obs.end() ? nullptr : &it->second;
    writeAoiSection(o, aoiId, aoi, verdicts, rules, opt);
  }
  if (opt.decisions) o << decisionsHtml(*opt.decisions);
  o << "</body></html>\n";
  writeFileAtomic(outDir / "report.html", o.str());
}

}  // namespace cw::evidence
