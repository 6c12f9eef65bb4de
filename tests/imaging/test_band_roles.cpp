// Band roles and the band needs units declare on their registry entries (issue 18): an unknown
// role is never read as grey, and a unit that cannot read a scene's bands says so.
#include <catch2/catch.hpp>

#include "imaging/registry.hpp"
#include "imaging/water_mask.hpp"

TEST_CASE(
    "band roles: unknown names are Other, never grey, declared band needs name what is missing",
    "[unit]") {
  using cw::imaging::BandRole;
  CHECK(cw::imaging::bandRoleFromName("") == BandRole::Grey);
  CHECK(cw::imaging::bandRoleFromName("swir1") == BandRole::Swir1);
  CHECK(cw::imaging::bandRoleFromName("coastal") == BandRole::Other);
  const auto needs = cw::imaging::brightnessBands();
  CHECK_FALSE(needs.check({BandRole::Red, BandRole::Swir1}));
  CHECK_FALSE(needs.check({BandRole::Grey}));
  const auto p = needs.check({BandRole::Swir1, BandRole::Other});
  REQUIRE(p);
  CHECK(*p ==
        "needs a band with role blue, green, red, nir, vv, vh or grey; the bands are swir1, "
        "other");
  CHECK(cw::imaging::BandNeeds{}.check({BandRole::Other}) == std::nullopt);
  CHECK(cw::imaging::BandNeeds{}.check({}).value() == "needs at least one band; there is none");
}

TEST_CASE("registry: every detector declares its band needs and auto picks the declared method",
          "[unit]") {
  const auto& reg = cw::imaging::Registry::builtins();
  CHECK(reg.autoMethod(1).name == "logratio");
  CHECK(reg.autoMethod(4).name == "irmad");
  for (const auto& d : reg.detectors()) {
    INFO(d.name);
    CHECK(d.bands.check({cw::imaging::BandRole::Swir2}).has_value());
    CHECK_FALSE(d.bands.check({cw::imaging::BandRole::Nir}).has_value());
  }
}

TEST_CASE("brightness band: a SWIR band is never averaged in as grey", "[unit]") {
  using cw::imaging::BandRole;
  cv::Mat img(2, 2, CV_32FC2, cv::Scalar(100.0f, 900.0f));  // red = 100, swir1 = 900
  const cv::Mat b = cw::imaging::brightnessBand(img, {BandRole::Red, BandRole::Swir1});
  CHECK(b.at<float>(0, 0) == 100.0f);
  CHECK_THROWS_WITH(cw::imaging::brightnessBand(img, {BandRole::Swir1, BandRole::Swir2}),
                    Catch::Contains("needs a band with role blue"));
}
