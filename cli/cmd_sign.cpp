// `changewatch keygen KEY` and `changewatch sign OUT --key KEY` (evidence/signing.hpp).
#include <iostream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "evidence/manifest.hpp"
#include "evidence/signing.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.

void addKeygenCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "keygen",
      "Make an Ed25519 key pair for signing run folders: KEY (secret, mode 0600) and KEY.pub");
  auto key = std::make_shared<std::string>();
  cmd->add_option("KEY", *key, "Path of the secret key file to create (never overwritten)")
      ->required();
  cmd->callback([key] {
    const std::string id = evidence::generateKeyFiles(*key);
    std::cout << "key " << id << ": secret " << *key << " (keep it private), public " << *key
              << ".pub (give it to whoever checks your run folders)\n";
  });
}

void addSignCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sign",
      "Sign a run folder: record the review/audit/purge chain heads in OUT/manifest.json and "
      "write OUT/manifest.json.sig (Ed25519). Refuses a folder that does not verify");
  auto out = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  cmd->add_option("OUT", *out, "Output folder of a run")->required();
  cmd->add_option("--key", *key, "Secret key file (changewatch keygen)")->required();
  cmd->callback([out, key] {
    evidence::VerifyOptions opt;
    opt.checkInputs =
        false;  // inputs need not be on this machine; their hashes are signed as listed
    const auto r = evidence::verifyOutput(*out, opt);
    if (!r.ok()) {
      for (const auto& p : r.problems) std::cerr << "problem: " << p << '\n';
      for (const auto& c : r.changed) std::cerr << "changed: " << c << '\n';
      for (const auto& m : r.missing) std::cerr << "missing: " << m << '\n';
      for (const auto& e : r.extra) std::cerr << "extra: " << e << '\n';
      throw Error(*out + ": does not verify; not signing it (run changewatch verify)");
    }
    const std::string sha = evidence::signRun(*out, *key);
    std::cout << *out << ": signed; manifest.json sha256 " << sha << '\n';
  });
}

}  // namespace cw::cli
