// libFuzzer target: the declarations parser (evidence/declarations.hpp), the same bytes read as
// CSV and as YAML. Contract under test: each parser returns declarations or throws cw::UsageError
// with "<file>:<line>: ..." messages; any other exception, crash, leak or UB is a finding.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"
#include "evidence/declarations.hpp"

namespace {
const std::set<std::string> kAois = {"port_alpha", "facility_beta"};
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cw::log::setLevel(cw::log::Level::Quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool yaml : {false, true}) {
    try {
      const auto rows = yaml ? cw::evidence::parseDeclarationsYaml(text, "decl.yaml", kAois)
                             : cw::evidence::parseDeclarationsCsv(text, "decl.csv", kAois);
      for (const auto& d : rows) {
        // What the parser promises about every row it returns.
        if (!kAois.count(d.aoiId) || d.endS < d.startS || d.source.empty()) __builtin_trap();
      }
    } catch (const cw::UsageError&) {
    }
  }
  return 0;
}
