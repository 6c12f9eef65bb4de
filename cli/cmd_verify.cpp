#include <iostream>

#include <filesystem>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "evidence/manifest.hpp"
#include "evidence/signing.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.

void addVerifyCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "verify",
      "Re-hash every output listed in OUT/manifest.json and each job.json; exit 1 "
      "naming each changed, missing or extra file");
  auto out = std::make_shared<std::string>();
  auto skipInputs = std::make_shared<bool>(false);
  auto pubkey = std::make_shared<std::string>();
  cmd->add_option("OUT", *out, "Output folder of a run")->required();
  cmd->add_flag("--skip-inputs", *skipInputs, "Do not re-hash the input scenes");
  cmd->add_option(
      "--pubkey", *pubkey,
      "Public key (changewatch keygen): check OUT/manifest.json.sig first, before any hash");
  cmd->callback([out, skipInputs, pubkey] {
    // The signature first: the hashes of a manifest that is not the issuer's prove nothing.
    if (!pubkey->empty()) {
      const std::string bad = evidence::checkRunSignature(*out, *pubkey);
      if (!bad.empty()) {
        std::cerr << "problem: " << bad << '\n';
        throw Error(*out +
                    ": verification FAILED: the signature does not hold; no hash was checked");
      }
      std::cout << "signature: OK (key " << evidence::keyId(evidence::readPublicKey(*pubkey))
                << ")\n";
    } else if (std::filesystem::exists(std::filesystem::path(*out) / "manifest.json.sig")) {
      std::cout << "note: manifest.json.sig present; pass --pubkey to check who signed it\n";
    }
    evidence::VerifyOptions opt;
    opt.checkInputs = !*skipInputs;
    const evidence::VerifyReport r = evidence::verifyOutput(*out, opt);
    if (!r.manifestSha256.empty()) std::cout << "manifest.json sha256 " << r.manifestSha256 << '\n';
    for (const auto& n : r.notes) std::cout << "note: " << n << '\n';
    for (const auto& p : r.purged) std::cout << "purged: " << p << '\n';
    for (const auto& p : r.problems) std::cerr << "problem: " << p << '\n';
    for (const auto& c : r.changed) std::cerr << "changed: " << c << '\n';
    for (const auto& m : r.missing) std::cerr << "missing: " << m << '\n';
    for (const auto& e : r.extra) std::cerr << "extra: " << e << '\n';
    if (r.ok()) {
      std::cout << *out << ": OK, " << r.filesChecked << " files intact\n";
      return;
    }
    const size_t n = r.problems.size() + r.changed.size() + r.missing.size() + r.extra.size();
    throw Error(*out + ": verification FAILED: " + std::to_string(n) + " problem" +
                (n == 1 ? "" : "s") + " (" + std::to_string(r.changed.size()) + " changed, " +
                std::to_string(r.missing.size()) + " missing, " + std::to_string(r.extra.size()) +
                " extra)");
  });
}

}  // namespace cw::cli
