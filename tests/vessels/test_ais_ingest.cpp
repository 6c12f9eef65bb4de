// AIS ingest: dialects, cleaning categories, streaming filter, bad input (docs/ais.md).
#include <zlib.h>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "vessels/ais_format.hpp"
#include "vessels/ais_ingest.hpp"

using namespace cw;
using namespace cw::vessels;
using Catch::Contains;
using Catch::WithinAbs;

namespace {

const fs::path kAis = fs::path(CW_SHARED_DATA) / "ais";
constexpr const char* kMcHeader =
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,"
    "Width,Draft,Cargo,TransceiverClass\n";

AisConfig bostonConfig() {
  AisConfig c;
  c.generic.columns = {{"mmsi", "mmsi"},      {"time", "basedatetime"}, {"lat", "Y"},
                       {"lon", "X"},          {"sog", "sog"},           {"cog", "cog"},
                       {"heading", "heading"}};
  return c;
}

void writeGzip(const fs::path& p, const std::string& text) {
  gzFile gz = gzopen(p.string().c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
}

std::string mcRow(const std::string& mmsi, const std::string& time, double lat, double lon,
                  const std::string& sog = "10.0") {
  return mmsi + "," + time + "," + std::to_string(lat) + "," + std::to_string(lon) + "," + sog +
         ",90.0,90.0,TEST SHIP,IMO1234567,CALL,70,0,180,30,9,70,A\n";
}

}  // namespace

TEST_CASE(
    "MarineCadastre 1,000-row extract: 998 kept, 1 invalid MMSI, 1 base station, sentinels counted",
    "[vessels][real]") {
  REQUIRE(test::haveSharedData());
  AisConfig config;
  const auto r = ingestAis({kAis / "marinecadastre_20230111_1000rows.csv"}, config, {});
  REQUIRE(r.files.size() == 1);
  CHECK(r.files[0].format == "MarineCadastre");
  const auto& c = r.total;
  // Counted independently with Python's csv module: 36926403 is 8 digits (0 + MID 369, a group
  // call, not a ship station); 3669882 is 00-366-9882, a US base station.
  CHECK(c.rows == 1000);
  CHECK(c.malformed == 0);
  CHECK(c.invalidMmsi == 1);
  CHECK(c.baseStation == 1);
  CHECK(c.aidToNavigation == 0);
  CHECK(c.outOfRange == 0);
  CHECK(c.zeroPosition == 0);
  CHECK(c.duplicate == 0);
  CHECK(c.kept == 998);
  CHECK(c.positionJump == 0);  // one fix per vessel: nothing to compare with
  CHECK(c.headingUnavailable == 425);
  CHECK(c.cogUnavailable == 90);
  CHECK(c.sogUnavailable == 4);
  REQUIRE(r.aois.size() == 1);
  const auto& fixes = r.aois[0].fixes;
  REQUIRE(fixes.size() == 998);
  const auto& v = r.aois[0].vessels.at(636021061);
  CHECK(v.name == "MSC NAISHA III");
  CHECK(v.imo == "9307839");
  CHECK(v.callSign == "5LCB4");
  CHECK(v.lengthM == 208.0f);
  CHECK(v.widthM == 30.0f);
  CHECK(v.transceiverClass == "A");
  // 367752440 reports COG 360.0 (not available) and no length.
  const auto it =
      std::find_if(fixes.begin(), fixes.end(), [](const AisFix& f) { return f.mmsi == 367752440; });
  REQUIRE(it != fixes.end());
  CHECK(it->timeS == utcSeconds(2023, 1, 11, 0, 0, 0));
  CHECK_FALSE(known(it->cogDeg));
  CHECK(it->headingDeg == 95.0f);
  CHECK_FALSE(known(r.aois[0].vessels.at(367752440).lengthM));
}

TEST_CASE(
    "Boston Harbor tracks through a generic column mapping: 972 fixes of 4 vessels, none dropped",
    "[vessels][real]") {
  REQUIRE(test::haveSharedData());
  const auto r = ingestAis({kAis / "boston_harbor_2014-01.csv"}, bostonConfig(), {});
  CHECK(r.files[0].format == "generic");
  const auto& c = r.total;
  CHECK(c.rows == 972);
  CHECK(c.malformed == 0);
  CHECK(c.invalidMmsi + c.baseStation + c.aidToNavigation + c.outOfRange + c.zeroPosition == 0);
  CHECK(c.duplicate == 0);
  CHECK(c.kept == 972);
  // Fastest implied speed between consecutive fixes is 14.6 kn (Python check): no jump at 50 kn.
  CHECK(c.positionJump == 0);
  std::map<std::uint32_t, int> perVessel;
  for (const auto& f : r.aois[0].fixes) ++perVessel[f.mmsi];
  CHECK(perVessel == std::map<std::uint32_t, int>{
                         {215020081, 534}, {240000208, 80}, {255880350, 94}, {257990100, 264}});
  const auto& first = r.aois[0].fixes.front();  // sorted by MMSI then time
  CHECK(first.mmsi == 215020081);
  CHECK(first.timeS == utcSeconds(2014, 1, 5, 9, 48, 32));
  CHECK_THAT(first.lon, WithinAbs(-70.8065, 1e-9));
  CHECK_THAT(first.lat, WithinAbs(42.396, 1e-9));
}

TEST_CASE("Boston Harbor: an AOI window keeps only the fixes in its buffered box and time window",
          "[vessels][real]") {
  REQUIRE(test::haveSharedData());
  // A 1 km box around the first fix of 215020081, +/- 3 min around 09:50:32: the fixes at 09:48:32,
  // 09:49:32, 09:50:32, 09:51:33, 09:52:33 are within time; the box (+0 m buffer) keeps those of
  // them inside [-70.82, -70.80] x [42.39, 42.40]: all five.
  const auto w = makeAoiWindow(
      "boston",
      {{-70.82, 42.39}, {-70.80, 42.39}, {-70.80, 42.40}, {-70.82, 42.40}, {-70.82, 42.39}}, false,
      0.0, {utcSeconds(2014, 1, 5, 9, 50, 32)}, 180);
  const auto r = ingestAis({kAis / "boston_harbor_2014-01.csv"}, bostonConfig(), {w});
  REQUIRE(r.aois.size() == 1);
  CHECK(r.aois[0].aoiId == "boston");
  CHECK(r.aois[0].fixes.size() == 5);
  CHECK(r.total.kept == 5);
  CHECK(r.total.outsideWindows == 967);
}

TEST_CASE("Danish Maritime Authority CSV: dd/mm/YYYY times, only Class A and B kept",
          "[vessels][unit]") {
  test::TempDir dir;
  const std::string header =
      "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational "
      "status,ROT,SOG,COG,Heading,IMO,"
      "Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
      "Destination,ETA,Data source type,A,B,C,D\n";
  const std::string tail = ",GPS,,,,AIS,,,,\n";
  test::writeText(
      dir / "aisdk.csv",
      header +
          "01/03/2024 00:00:01,Class A,219000001,55.5,10.5,Under "
          "way,0,12.3,45.0,44,9123456,OXAB,ALPHA,Cargo,,20,120" +
          tail +
          "01/03/2024 00:00:02,Class B,219000002,55.6,10.6,Unknown "
          "value,,3.0,,511,Unknown,,BETA,Pleasure,,4,12" +
          tail +
          "01/03/2024 00:00:03,Base Station,2190001,55.7,10.7,Unknown "
          "value,,,,,Unknown,,,Undefined,,," +
          tail +
          "01/03/2024 00:00:04,AtoN,992191234,55.8,10.8,Unknown value,,,,,Unknown,,,Undefined,,," +
          tail +
          "01/03/2024 00:00:05,SAR Airborne,111219500,55.9,10.9,Unknown "
          "value,,,,,Unknown,,,Undefined,,," +
          tail +
          "01/03/2024 00:00:06,Class A,219000003,91.0,181.0,Unknown "
          "value,,,,,Unknown,,,Undefined,,," +
          tail +
          "31/02/2024 00:00:07,Class A,219000004,55.5,10.5,Unknown "
          "value,,,,,Unknown,,,Undefined,,," +
          tail);
  AisConfig config;
  config.maxBadShare = 0.2;  // 1 bad row of 7
  const auto r = ingestAis({dir / "aisdk.csv"}, config, {});
  CHECK(r.files[0].format == "Danish Maritime Authority");
  const auto& c = r.total;
  CHECK(c.rows == 7);
  CHECK(c.kept == 2);
  CHECK(c.baseStation == 1);
  CHECK(c.aidToNavigation == 1);
  CHECK(c.notClassAB == 1);
  CHECK(c.outOfRange == 1);
  CHECK(c.malformed == 1);  // 31 February
  REQUIRE(c.firstBadRows.size() == 1);
  CHECK_THAT(c.firstBadRows[0], Contains("aisdk.csv:8: time '31/02/2024 00:00:07' does not parse"));
  CHECK(c.headingUnavailable == 1);
  const auto& fixes = r.aois[0].fixes;
  REQUIRE(fixes.size() == 2);
  CHECK(fixes[0].timeS == utcSeconds(2024, 3, 1, 0, 0, 1));
  CHECK(fixes[0].sogKn == 12.3f);
  CHECK(fixes[1].mmsi == 219000002);
  CHECK_FALSE(known(fixes[1].cogDeg));
  CHECK_FALSE(known(fixes[1].headingDeg));
  const auto& alpha = r.aois[0].vessels.at(219000001);
  CHECK(alpha.name == "ALPHA");
  CHECK(alpha.imo == "9123456");
  CHECK(alpha.lengthM == 120.0f);
  CHECK(alpha.transceiverClass == "A");
  CHECK(r.aois[0].vessels.at(219000002).imo.empty());  // "Unknown" is no IMO
}

TEST_CASE("An unknown AIS header is an error naming the file and the headers expected",
          "[vessels][unit]") {
  test::TempDir dir;
  test::writeText(dir / "odd.csv", "ship,when,y,x\n1,2,3,4\n");
  try {
    ingestAis({dir / "odd.csv"}, AisConfig{}, {});
    FAIL("no error");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Contains((dir / "odd.csv").string() + ": unknown AIS header 'ship,when,y,x'"));
    CHECK_THAT(m, Contains("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading"));
    CHECK_THAT(m, Contains("# Timestamp,Type of mobile,MMSI,Latitude,Longitude"));
    CHECK_THAT(m, Contains("a column mapping in ais.columns"));
  }
}

TEST_CASE(
    "More than 10 % malformed rows fails naming file:line of the first bad rows, fewer are skipped",
    "[vessels][unit]") {
  test::TempDir dir;
  std::string text = kMcHeader;
  for (int i = 0; i < 18; ++i)
    text += mcRow("2" + std::to_string(10000000 + i), "2024-01-01T00:00:00", 10, 20);
  text += "211000000,2024-01-01T00:00:00,10.0\n";             // line 20
  text += mcRow("211000001", "2024-01-01T25:00:00", 10, 20);  // line 21
  test::writeText(dir / "some_bad.csv", text);
  // 2 of 20 rows = 10 %: not more than the share, so the run goes on with the bad rows skipped.
  const auto ok = ingestAis({dir / "some_bad.csv"}, AisConfig{}, {});
  CHECK(ok.total.malformed == 2);
  CHECK(ok.total.kept == 18);
  REQUIRE(ok.total.firstBadRows.size() == 2);
  CHECK_THAT(ok.total.firstBadRows[0], Contains("some_bad.csv:20: 17 columns expected, found 3"));
  CHECK_THAT(ok.total.firstBadRows[1],
             Contains("some_bad.csv:21: time '2024-01-01T25:00:00' does not parse"));

  text += "x11000002,2024-01-01T00:00:00,10,20,1,1,1,,,,,,,,,,A\n";  // line 22: 3 of 21 > 10 %
  test::writeText(dir / "too_bad.csv", text);
  try {
    ingestAis({dir / "too_bad.csv"}, AisConfig{}, {});
    FAIL("no error");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Contains("too_bad.csv:20: 17 columns expected, found 3"));
    CHECK_THAT(m, Contains("3 of 21 rows are malformed"));
    CHECK_THAT(m, Contains("more than ais.max_bad_share = 10 %"));
    CHECK_THAT(m, Contains("too_bad.csv:22: MMSI 'x11000002' does not parse"));
  }
  AisConfig lenient;
  lenient.maxBadShare = 0.2;
  CHECK(ingestAis({dir / "too_bad.csv"}, lenient, {}).total.malformed == 3);
}

TEST_CASE("gzip feeds read like plain ones, a truncated gzip is an error naming the file",
          "[vessels][unit]") {
  test::TempDir dir;
  std::string text = kMcHeader;
  for (int i = 0; i < 5000; ++i) {
    text += mcRow(std::to_string(366000000 + i % 50),
                  "2024-01-01T00:" + std::string(i / 100 % 60 < 10 ? "0" : "") +
                      std::to_string(i / 100 % 60) + ":00",
                  40.0 + i * 1e-5, -70.0);
  }
  test::writeText(dir / "feed.csv", text);
  writeGzip(dir / "feed.csv.gz", text);
  IngestOptions small;
  small.blockBytes = 16 * 1024;  // many blocks through the pipeline
  small.threads = 2;
  const auto plain = ingestAis({dir / "feed.csv"}, AisConfig{}, {}, small);
  const auto gz = ingestAis({dir / "feed.csv.gz"}, AisConfig{}, {}, small);
  CHECK(plain.total.rows == 5000);
  CHECK(plain.total.kept == 5000);
  CHECK(gz.total.toJson() == plain.total.toJson());
  REQUIRE(gz.aois[0].fixes.size() == plain.aois[0].fixes.size());
  CHECK(gz.aois[0].fixes.back().lat == plain.aois[0].fixes.back().lat);

  const auto full = test::readText(dir / "feed.csv.gz");
  test::writeText(dir / "cut.csv.gz", full.substr(0, full.size() / 2));
  try {
    ingestAis({dir / "cut.csv.gz"}, AisConfig{}, {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == (dir / "cut.csv.gz").string() +
                                       ": the gzip stream is truncated (unexpected end of file)");
  }
}

TEST_CASE(
    "Cleaning: exact duplicates dropped, >50 kn steps marked as jumps and skipped as reference",
    "[vessels][unit]") {
  test::TempDir dir;
  std::string text = kMcHeader;
  text += mcRow("366000001", "2024-01-01T00:00:00", 40.0, -70.0);
  text += mcRow("366000001", "2024-01-01T00:00:00", 40.0, -70.0);    // exact duplicate
  text += mcRow("366000001", "2024-01-01T00:01:00", 40.001, -70.0);  // 111 m in 60 s: 3.6 kn
  text += mcRow("366000001", "2024-01-01T00:02:00", 41.0, -70.0);    // 111 km in 60 s: jump
  text += mcRow("366000001", "2024-01-01T00:03:00", 40.002, -70.0);  // fine against 00:01
  text += mcRow("366000002", "2024-01-01T00:00:00", 0.0, 0.0);       // (0, 0)
  text += mcRow("366000003", "2024-01-01T00:00:00", 95.0, 10.0);     // out of range
  text += mcRow("993661234", "2024-01-01T00:00:00", 40.0, -70.0);    // aid to navigation
  text += mcRow("123", "2024-01-01T00:00:00", 40.0, -70.0);          // invalid MMSI
  text += mcRow("366000004", "2024-01-01T00:00:00", 40.0, -70.0, "102.3");
  test::writeText(dir / "clean.csv", text);
  const auto r = ingestAis({dir / "clean.csv"}, AisConfig{}, {});
  const auto& c = r.total;
  CHECK(c.rows == 10);
  CHECK(c.duplicate == 1);
  CHECK(c.kept == 5);
  CHECK(c.positionJump == 1);
  CHECK(c.zeroPosition == 1);
  CHECK(c.outOfRange == 1);
  CHECK(c.aidToNavigation == 1);
  CHECK(c.invalidMmsi == 1);
  CHECK(c.sogUnavailable == 1);
  const auto& f = r.aois[0].fixes;
  REQUIRE(f.size() == 5);
  CHECK_FALSE(f[1].positionJump);
  CHECK(f[2].positionJump);
  CHECK(f[2].lat == 41.0);
  CHECK_FALSE(f[3].positionJump);
  CHECK_FALSE(known(f[4].sogKn));
  CHECK_THAT(c.summary(), Contains("10 rows: 5 kept, 0 malformed, 1 invalid MMSI"));
}

TEST_CASE("AOI windows: buffered boxes (antimeridian too) and merged time intervals",
          "[vessels][unit]") {
  const auto t0 = utcSeconds(2024, 1, 1, 12, 0, 0);
  const auto w = makeAoiWindow("a", {{10.0, 50.0}, {10.1, 50.0}, {10.1, 50.1}, {10.0, 50.1}}, false,
                               1000.0, {t0, t0 + 3600, t0 + 86400}, 10800);
  REQUIRE(w.times.size() == 2);  // the first two overlap
  CHECK(w.times[0] == std::pair<std::int64_t, std::int64_t>{t0 - 10800, t0 + 3600 + 10800});
  CHECK_THAT(w.minLat, WithinAbs(50.0 - 1000.0 / 111320.0, 1e-9));
  CHECK(w.contains(10.05, 50.005, t0));
  CHECK(w.contains(9.99, 50.05, t0));        // 720 m west of the box: inside the 1 km buffer
  CHECK_FALSE(w.contains(9.98, 50.05, t0));  // 1.4 km west
  CHECK_FALSE(w.contains(10.05, 50.05, t0 + 20000));
  const auto am = makeAoiWindow(
      "b", {{179.9, -17.0}, {-179.9, -17.0}, {-179.9, -16.9}, {179.9, -16.9}}, true, 0.0, {t0}, 60);
  CHECK(am.contains(179.95, -16.95, t0));
  CHECK(am.contains(-179.95, -16.95, t0));
  CHECK_FALSE(am.contains(0.0, -16.95, t0));
}
