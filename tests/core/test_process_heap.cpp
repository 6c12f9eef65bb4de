// The heap policy main() applies: which command gets which (core/process_heap.hpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/process_heap.hpp"

namespace {

cw::HeapPolicy policyOf(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cw::heapPolicyFor(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("process heap: serve gets the server policy, every other command the batch one",
          "[unit]") {
  using cw::HeapPolicy;
  CHECK(policyOf({"changewatch", "serve", "out"}) == HeapPolicy::Serve);
  CHECK(policyOf({"changewatch", "-v", "serve", "out"}) == HeapPolicy::Serve);
  CHECK(policyOf({"changewatch", "run", "config.yaml"}) == HeapPolicy::Batch);
  CHECK(policyOf({"changewatch", "-q", "change", "a.tif", "b.tif"}) == HeapPolicy::Batch);
  // Only the subcommand decides: a file named "serve" is an argument of `run`.
  CHECK(policyOf({"changewatch", "run", "serve"}) == HeapPolicy::Batch);
  CHECK(policyOf({"changewatch", "--help"}) == HeapPolicy::Batch);
}
