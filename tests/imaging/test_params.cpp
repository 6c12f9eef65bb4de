// The one option parser (imaging::setOptionFromText) that the config and `count --set` share.
#include <catch2/catch.hpp>

#include "imaging/params.hpp"
#include "tests/test_support.hpp"

using namespace cw::imaging;

namespace {
const OptionSpec kZ{"z", "threshold", 6.0, 0.0, 50.0, {}, ""};
const OptionSpec kPolarity{"polarity", "", 0.0, -1e300, 1e300, {"auto", "bright", "dark"}, "auto"};
}  // namespace

TEST_CASE("option text: finite decimal numbers within range, choices from their list", "[unit]") {
  Params p({kZ, kPolarity});
  CHECK_FALSE(setOptionFromText(p, kZ, "7.5"));
  CHECK(p.number("z") == 7.5);
  CHECK_FALSE(setOptionFromText(p, kZ, "1e1"));
  CHECK(p.number("z") == 10.0);
  CHECK_FALSE(setOptionFromText(p, kPolarity, "dark"));
  CHECK(p.choice("polarity") == "dark");
  // Rejected, and the value stays as it was.
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "0x10", "", " 5", "5 ", "5abc", "many"}) {
    INFO(bad);
    const auto err = setOptionFromText(p, kZ, bad);
    REQUIRE(err);
    CHECK(*err == std::string("expected a number, got '") + bad + "'");
  }
  CHECK(p.number("z") == 10.0);
  CHECK(setOptionFromText(p, kZ, "51").value_or("") == "value 51 is out of range [0, 50]");
  CHECK(setOptionFromText(p, kPolarity, "sideways").has_value());
}

// Pixel radii and iteration counts are whole numbers: 2.5 is an error, not a silent 2.
TEST_CASE("option text: integer options take whole numbers only", "[unit]") {
  const OptionSpec radius{"filter_radius", "", 2.0, 1.0, 15.0, {}, "", /*integer=*/true};
  Params p({radius});
  CHECK_FALSE(setOptionFromText(p, radius, "3"));
  CHECK(p.number("filter_radius") == 3.0);
  CHECK_FALSE(setOptionFromText(p, radius, "4.0"));
  CHECK(p.number("filter_radius") == 4.0);
  CHECK(setOptionFromText(p, radius, "2.5").value_or("") == "value 2.5 is not a whole number");
  CHECK(p.number("filter_radius") == 4.0);
}

TEST_CASE("change --set rejects a fractional pixel radius", "[integration]") {
  const cw::test::TempDir tmp;
  const auto out = cw::test::runCli("change /dev/null /dev/null --method logratio --out " +
                                    (tmp / "out").string() + " --set filter_radius=2.5");
  CHECK(out.exitCode == 2);
  CHECK_THAT(out.output, Catch::Contains("filter_radius: value 2.5 is not a whole number"));
}

TEST_CASE("count --set rejects NaN as the config does", "[integration]") {
  // Options are checked before the image is opened, so /dev/null is enough.
  const cw::test::TempDir tmp;
  const auto out = cw::test::runCli("count /dev/null --out " + (tmp / "out").string() +
                                    " --set z_threshold=nan");
  CHECK(out.exitCode == 2);
  CHECK_THAT(out.output, Catch::Contains("z_threshold: expected a number, got 'nan'"));
}
