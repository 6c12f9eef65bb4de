#include "evidence/signing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>

#include <sodium.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"

namespace cw::evidence {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kSecretTag = "changewatch-ed25519-secret";
constexpr const char* kPublicTag = "changewatch-ed25519-public";

void sodium() {
  initSodium();
}

std::string toHex(const std::string& bin) {
  std::string hex(bin.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                 bin.size());
  hex.pop_back();
  return hex;
}

std::string fromHex(const std::string& hex, std::size_t bytes) {
  std::string bin(bytes, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bin.data()), bytes, hex.data(), hex.size(),
                     nullptr, &len, &end) != 0 ||
      len != bytes || end != hex.data() + hex.size()) {
    return {};
  }
  return bin;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw UsageError(p.string() + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string readKey(const fs::path& path, const char* tag, std::size_t bytes) {
  std::istringstream in(readText(path));
  std::string t, hex;
  in >> t >> hex;
  const std::string key = t == tag ? fromHex(hex, bytes) : std::string();
  if (key.empty()) {
    throw UsageError(path.string() + ": not a " + std::string(tag) +
                     " key file (made by changewatch keygen)");
  }
  return key;
}

void writePrivate(const fs::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw UsageError(path.string() + ": cannot create (" + std::strerror(errno) +
                     "); keygen never overwrites a key");
  }
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Error(path.string() + ": write failed");
}

ordered_json chainHeads(const fs::path& outDir) {
  ordered_json chains = ordered_json::object();
  for (const char* name : {"reviews.jsonl", "audit.jsonl", "purged.jsonl"}) {
    const auto c = verifyChain(outDir / name);
    if (!c.ok) throw Error(c.problem + "; not signing a broken chain");
    chains[name] = {{"lines", c.head.lines}, {"head_sha256", c.head.sha256}};
  }
  return chains;
}

}  // namespace

void initSodium() {
  static std::once_flag once;
  static int rc = 0;
  std::call_once(once, [] { rc = sodium_init(); });
  if (rc < 0) throw Error("libsodium could not be initialised");
}

std::string keyId(const std::string& publicKey) {
  return sha256Hex(publicKey).substr(0, 16);
}

std::string generateKeyFiles(const fs::path& secretPath) {
  sodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  const std::string pub(reinterpret_cast<char*>(pk), sizeof pk);
  const std::string sec(reinterpret_cast<char*>(sk), sizeof sk);
  sodium_memzero(sk, sizeof sk);
  fs::path pubPath = secretPath;
  pubPath += ".pub";
  if (fs::exists(pubPath))
    throw UsageError(pubPath.string() + ": exists; keygen never overwrites a key");
  writePrivate(secretPath, std::string(kSecretTag) + " " + toHex(sec) + "\n");
  writeFileAtomic(pubPath, std::string(kPublicTag) + " " + toHex(pub) + "\n");
  return keyId(pub);
}

std::string readSecretKey(const fs::path& path) {
  sodium();
  return readKey(path, kSecretTag, crypto_sign_SECRETKEYBYTES);
}

std::string readPublicKey(const fs::path& path) {
  sodium();
  return readKey(path, kPublicTag, crypto_sign_PUBLICKEYBYTES);
}

std::string signRun(const fs::path& outDir, const fs::path& secretKeyFile) {
  const std::string sk = readSecretKey(secretKeyFile);
  const std::string pk = sk.substr(crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES);
  const fs::path manifestPath = outDir / "manifest.json";
  ordered_json m = ordered_json::parse(readText(manifestPath), nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw Error(manifestPath.string() + ": not valid JSON");
  m["chains"] = chainHeads(outDir);
  m["signature"] = {{"algorithm", "ed25519"},
                    {"key_id", keyId(pk)},
                    {"time", formatIsoTime(std::int64_t(std::time(nullptr)))}};
  const std::string text = m.dump(2) + "\n";
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), reinterpret_cast<const unsigned char*>(sk.data()));
  writeFileAtomic(manifestPath, text);
  const ordered_json s = {
      {"algorithm", "ed25519"},
      {"key_id", keyId(pk)},
      {"signature", toHex(std::string(reinterpret_cast<char*>(sig), sizeof sig))}};
  writeFileAtomic(outDir / "manifest.json.sig", s.dump(2) + "\n");
  return sha256Hex(text);
}

std::string checkRunSignature(const fs::path& outDir, const fs::path& publicKeyFile) {
  const std::string pk = readPublicKey(publicKeyFile);
  const fs::path sigPath = outDir / "manifest.json.sig";
  if (!fs::is_regular_file(sigPath))
    return "manifest.json.sig: missing (this folder was never signed)";
  if (!fs::is_regular_file(outDir / "manifest.json")) return "manifest.json: missing";
  const ordered_json s = ordered_json::parse(readText(sigPath), nullptr, false);
  const std::string sig = s.is_object() && s.contains("signature") && s["signature"].is_string()
                              ? fromHex(s["signature"].get<std::string>(), crypto_sign_BYTES)
                              : std::string();
  if (sig.empty()) return "manifest.json.sig: not a signature file";
  const std::string text = readText(outDir / "manifest.json");
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                  reinterpret_cast<const unsigned char*>(pk.data())) != 0) {
    return "manifest.json: the signature does not verify with key " + keyId(pk) + " (" +
           publicKeyFile.string() +
           "): manifest.json or its signature was changed, or another key signed it";
  }
  return {};
}

}  // namespace cw::evidence
