#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <gdal_priv.h>

int main(int argc, char** argv) {
  GDALAllRegister();
  return Catch::Session().run(argc, argv);
}
