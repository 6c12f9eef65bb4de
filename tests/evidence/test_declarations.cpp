// Declarations: CSV (RFC 4180) and YAML, each bad-row class asserted on its message text.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "evidence/declarations.hpp"
#include "evidence_fixture.hpp"

using namespace cw::evidence;

namespace {
const std::set<std::string> kAois = {"port-a", "plant-b"};

std::string csvError(const std::string& text) {
  try {
    parseDeclarationsCsv(text, "decl.csv", kAois);
  } catch (const cw::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("declarations CSV: quoted commas, BOM and CRLF are accepted", "[unit]") {
  const std::string text =
      "\xEF\xBB\xBF"
      "aoi,start,end,metric,value,reference\r\n"
      "port-a,2024-03-01,2024-03-31,activity,idle,\"Ministry note 12, annex \"\"B\"\"\"\r\n"
      "\r\n"
      "plant-b,2024-01-01,2024-06-30T12:00:00Z,new_construction,none,\"line one\r\nline two\"\r\n"
      "port-a,2024-03-01,2024-03-31,max_vessels,4,\r\n";
  const auto d = parseDeclarationsCsv(text, "decl.csv", kAois);
  REQUIRE(d.size() == 3);
  CHECK(d[0].aoiId == "port-a");
  CHECK(d[0].metric == Metric::Activity);
  CHECK(d[0].value == "idle");
  CHECK(d[0].reference == "Ministry note 12, annex \"B\"");
  CHECK(d[0].source == "decl.csv:2");
  // A date-only end includes the whole day.
  CHECK(d[0].endS - d[0].startS == 31LL * 86400 - 1);
  CHECK(d[1].reference == "line one\r\nline two");
  CHECK(d[1].metric == Metric::NewConstruction);
  CHECK(d[2].source == "decl.csv:6");  // the quoted newline counts as a line
  CHECK(d[2].count == 4);
}

TEST_CASE("declarations CSV: each bad row names file:line:col and the problem", "[unit]") {
  const std::string h = "aoi,start,end,metric,value,reference\n";
  CHECK(csvError(h + "port-x,2024-03-01,2024-03-31,activity,idle,r\n") ==
        "decl.csv:2:1: unknown AOI 'port-x' (known: plant-b, port-a)");
  CHECK(csvError(h + "port-a,2024-13-01,2024-03-31,activity,idle,r\n") ==
        "decl.csv:2:8: bad start date '2024-13-01' (expected YYYY-MM-DD)");
  CHECK(csvError(h + "port-a,2024-03-01,2024-02-30,activity,idle,r\n") ==
        "decl.csv:2:19: bad end date '2024-02-30' (expected YYYY-MM-DD)");
  CHECK(csvError(h + "port-a,2024-03-01,2024-02-01,activity,idle,r\n") ==
        "decl.csv:2:19: end 2024-02-01 is before start 2024-03-01");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,tonnage,5,r\n") ==
        "decl.csv:2:30: unknown metric 'tonnage' (expected vessel_calls, max_vessels, activity, "
        "new_construction, vessel_call, dark_vessels, complete or sts_transfers)");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,vessel_calls,many,r\n") ==
        "decl.csv:2:43: value 'many' for vessel_calls must be a whole number >= 0");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,max_vessels,-2,r\n") ==
        "decl.csv:2:42: value '-2' for max_vessels must be a whole number >= 0");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,activity,busy,r\n") ==
        "decl.csv:2:39: value 'busy' for activity must be idle or active");
  CHECK(csvError(h + "plant-b,2024-03-01,2024-03-31,new_construction,3,r\n") ==
        "decl.csv:2:48: value '3' for new_construction must be none or some");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,activity,idle,r,extra\n") ==
        "decl.csv:2: expected 6 fields (aoi,start,end,metric,value,reference), got 7");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,activity\n") ==
        "decl.csv:2: expected 6 fields (aoi,start,end,metric,value,reference), got 4");
  CHECK(csvError("aoi,start,end,metric,value,reference,notes\n") ==
        "decl.csv:1: unknown column 'notes' (expected aoi,start,end,metric,value,reference)");
  CHECK(csvError("aoi,start,end,metric,value\n") ==
        "decl.csv:1: missing column 'reference' (expected aoi,start,end,metric,value,reference)");
  CHECK(csvError("") ==
        "decl.csv: empty declarations file (expected the header "
        "aoi,start,end,metric,value,reference and one row per declaration)");
  CHECK(csvError("\xEF\xBB\xBF\r\n\r\n").find("decl.csv: empty declarations file") == 0);
  CHECK(csvError(h) == "decl.csv: no declarations after the header (the file has only the header)");
  // All problems together, in file order.
  CHECK(csvError(h + "port-x,2024-03-01,2024-03-31,activity,idle,r\n" +
                 "port-a,2024-03-01,2024-03-31,activity,busy,r\n") ==
        "decl.csv:2:1: unknown AOI 'port-x' (known: plant-b, port-a)\n"
        "decl.csv:3:39: value 'busy' for activity must be idle or active");
}

TEST_CASE("declarations YAML: a list of maps, with file:line errors", "[unit]") {
  const std::string ok =
      "- aoi: port-a\n  start: 2024-03-01\n  end: 2024-03-31\n  metric: vessel_calls\n"
      "  value: 3\n  reference: harbour log\n"
      "- {aoi: plant-b, start: 2024-01-01, end: 2024-06-30, metric: new_construction, value: "
      "none}\n";
  const auto d = parseDeclarationsYaml(ok, "decl.yaml", kAois);
  REQUIRE(d.size() == 2);
  CHECK(d[0].count == 3);
  CHECK(d[0].source == "decl.yaml:1");
  CHECK(d[1].source == "decl.yaml:7");
  CHECK(d[1].reference.empty());

  auto err = [](const std::string& text) {
    try {
      parseDeclarationsYaml(text, "decl.yaml", kAois);
    } catch (const cw::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(err("- aoi: port-a\n  start: 2024-03-01\n  end: 2024-03-31\n  metric: activity\n"
            "  value: idle\n  colour: red\n") ==
        "decl.yaml:6:3: unknown key 'colour' (expected aoi,start,end,metric,value,reference)");
  CHECK(err("- aoi: port-a\n  start: 2024-03-01\n  end: 2024-03-31\n  metric: activity\n") ==
        "decl.yaml:1: missing key 'value'");
  CHECK(err("- aoi: port-a\n  start: 03/01/2024\n  end: 2024-03-31\n  metric: activity\n"
            "  value: idle\n") ==
        "decl.yaml:2:10: bad start date '03/01/2024' (expected YYYY-MM-DD)");
  CHECK(err("") ==
        "decl.yaml: empty declarations file (expected a list of maps with keys "
        "aoi,start,end,metric,value,reference)");
  CHECK(err("aoi: port-a\n").find("decl.yaml:1: expected a list of declarations") == 0);
}

TEST_CASE("declarations file: the format follows the extension", "[unit]") {
  const auto dir = cw::evidence::test::freshDir("decl");
  std::ofstream(dir / "d.yml") << "- {aoi: port-a, start: 2024-03-01, end: 2024-03-31, "
                                  "metric: activity, value: active}\n";
  std::ofstream(dir / "d.csv") << "aoi,start,end,metric,value,reference\n"
                                  "port-a,2024-03-01,2024-03-31,activity,active,\n";
  CHECK(loadDeclarations(dir / "d.yml", kAois).at(0).value == "active");
  CHECK(loadDeclarations(dir / "d.csv", kAois).at(0).value == "active");
  CHECK_THROWS_WITH(loadDeclarations(dir / "none.csv", kAois),
                    Catch::EndsWith("none.csv: cannot read declarations file"));
}

TEST_CASE("declarations: vessel-level rows (vessel_call, dark_vessels, complete)", "[unit]") {
  const std::string h = "aoi,start,end,metric,value,reference\n";
  const auto d =
      parseDeclarationsCsv(h + "port-a,2024-03-01,2024-03-31,vessel_call,IMO9321483,r\n"
                               "port-a,2024-03-01,2024-03-31,vessel_call,mmsi:366100001,r\n"
                               "port-a,2024-03-01,2024-03-31,vessel_call,9321483,r\n"
                               "port-a,2024-03-01,2024-03-31,vessel_call,366100001,r\n"
                               "port-a,2024-03-01,2024-03-31,dark_vessels,0,r\n"
                               "port-a,2024-03-01,2024-03-31,complete,TRUE,r\n",
                           "decl.csv", kAois);
  REQUIRE(d.size() == 6);
  CHECK(d[0].metric == Metric::VesselCall);
  CHECK(d[0].value == "imo:9321483");
  CHECK(d[1].value == "mmsi:366100001");
  CHECK(d[2].value == "imo:9321483");
  CHECK(d[3].value == "mmsi:366100001");
  CHECK(d[4].metric == Metric::DarkVessels);
  CHECK(d[4].count == 0);
  CHECK(d[5].metric == Metric::Complete);
  CHECK(d[5].value == "true");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,vessel_call,EVER GIVEN,r\n") ==
        "decl.csv:2:42: value 'EVER GIVEN' for vessel_call must name one vessel: imo:NNNNNNN (7 "
        "digits) or mmsi:NNNNNNNNN (9 digits)");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,vessel_call,mmsi:12345,r\n") ==
        "decl.csv:2:42: value 'mmsi:12345' for vessel_call must name one vessel: imo:NNNNNNN (7 "
        "digits) or mmsi:NNNNNNNNN (9 digits)");
  CHECK(csvError(h + "port-a,2024-03-01,2024-03-31,complete,yes,r\n") ==
        "decl.csv:2:39: value 'yes' for complete must be true or false");
}
