#pragma once
// Signed run folders: an Ed25519 signature (libsodium) over the bytes of OUT/manifest.json, kept
// in OUT/manifest.json.sig. `sign` first records the heads of the hash-chained logs
// (reviews.jsonl, audit.jsonl, purged.jsonl; evidence/hash_chain.hpp) in the manifest under
// "chains", so the signature covers every file the manifest lists, the inputs' hashes and those
// logs up to the signing time.
//
// Key files (text, one line): "changewatch-ed25519-secret <128 hex>" (mode 0600) and
// "changewatch-ed25519-public <64 hex>". The key id is the first 16 hex digits of the SHA-256 of
// the public key.
#include <filesystem>
#include <string>

namespace cw::evidence {

// libsodium must be initialised once before any of its calls; safe to call often.
void initSodium();

// Writes KEY (secret, 0600, refused when it exists) and KEY.pub. Returns the key id.
std::string generateKeyFiles(const std::filesystem::path& secretPath);
// Throws cw::UsageError naming the file when it is not a key of that kind.
std::string readSecretKey(const std::filesystem::path& path);
std::string readPublicKey(const std::filesystem::path& path);
std::string keyId(const std::string& publicKey);

// Adds "chains" and "signature" (time, key id) to OUT/manifest.json, rewrites it atomically and
// writes OUT/manifest.json.sig. Throws cw::Error when a chain is broken.
// Returns the SHA-256 of the signed manifest.
std::string signRun(const std::filesystem::path& outDir,
                    const std::filesystem::path& secretKeyFile);

// Checks OUT/manifest.json.sig against `publicKeyFile`; "" when it verifies, else the problem.
std::string checkRunSignature(const std::filesystem::path& outDir,
                              const std::filesystem::path& publicKeyFile);

}  // namespace cw::evidence
