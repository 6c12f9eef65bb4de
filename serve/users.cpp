#include "serve/users.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <istream>
#include <mutex>

#include <sodium.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "evidence/signing.hpp"

namespace cw::serve {

namespace fs = std::filesystem;
using nlohmann::json;

std::string roleName(Role r) {
  switch (r) {
    case Role::Viewer:
      return "viewer";
    case Role::Reviewer:
      return "reviewer";
    case Role::Admin:
      return "admin";
  }
  return "?";
}

Role parseRole(const std::string& name) {
  if (name == "viewer") return Role::Viewer;
  if (name == "reviewer") return Role::Reviewer;
  if (name == "admin") return Role::Admin;
  throw UsageError("role must be viewer, reviewer or admin, not '" + name.substr(0, 64) + "'");
}

void initSodium() {
  evidence::initSodium();
}

std::string hashPassword(const std::string& password) {
  initSodium();
  if (password.empty()) throw UsageError("the password is empty");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw Error("Argon2id hashing failed (out of memory?)");
  }
  return out;
}

bool checkPassword(const std::string& hash, const std::string& password) {
  initSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void checkUserName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '.' || c == '_' || c == '@' || c == '-';
                  });
  if (!ok)
    throw UsageError("user name '" + name.substr(0, 64) + "': use 1-64 of A-Z a-z 0-9 . _ @ -");
}

UserStore UserStore::load(const fs::path& file, bool requirePrivate, bool mayBeAbsent) {
  UserStore s;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (mayBeAbsent && errno == ENOENT) return s;
    throw UsageError(file.string() + ": cannot read the users file: " + std::strerror(errno));
  }
  if (requirePrivate && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    throw UsageError(file.string() + ": mode " + mode +
                     " lets group or others read or change it, and it holds password hashes; "
                     "run chmod 600 " +
                     file.string());
  }
  std::ifstream in(file);
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("users") || !j["users"].is_array()) {
    throw UsageError(file.string() + ": not a users file (expected {\"users\": [...]})");
  }
  for (const auto& u : j["users"]) {
    User user;
    try {
      user.name = u.at("name").get<std::string>();
      checkUserName(user.name);
      user.role = parseRole(u.at("role").get<std::string>());
      for (const auto& a : u.value("aois", json::array({"*"})))
        user.aois.insert(a.get<std::string>());
      user.passwordHash = u.at("password").get<std::string>();
    } catch (const json::exception& e) {
      throw UsageError(file.string() + ": a user entry is malformed: " + e.what());
    }
    if (s.find(user.name))
      throw UsageError(file.string() + ": user '" + user.name + "' listed twice");
    s.m_users.push_back(std::move(user));
  }
  return s;
}

void UserStore::save(const fs::path& file) const {
  json arr = json::array();
  for (const auto& u : m_users) {
    json aois = json::array();
    if (u.allAois())
      aois.push_back("*");
    else
      for (const auto& a : u.aois) aois.push_back(a);
    arr.push_back({{"name", u.name},
                   {"role", roleName(u.role)},
                   {"aois", aois},
                   {"password", u.passwordHash}});
  }
  const std::string text = json{{"users", arr}}.dump(2) + "\n";
  cw::produceFileAtomic(file, [&](const fs::path& tmp) {
    // Created 0600 (and chmod'ed in case of an odd umask) before a byte of it is written.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(file.string() + ": cannot create: " + std::strerror(errno));
    bool ok = ::fchmod(fd, 0600) == 0;
    std::size_t off = 0;
    while (ok && off < text.size()) {
      const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) off += std::size_t(n);
    }
    const int err = errno;
    ::close(fd);
    if (!ok) throw Error(file.string() + ": write failed: " + std::strerror(err));
  });
}

const User* UserStore::find(const std::string& name) const {
  for (const auto& u : m_users)
    if (u.name == name) return &u;
  return nullptr;
}

User* UserStore::find(const std::string& name) {
  for (auto& u : m_users)
    if (u.name == name) return &u;
  return nullptr;
}

void UserStore::add(User u) {
  checkUserName(u.name);
  if (find(u.name))
    throw UsageError("user '" + u.name + "' exists already (use passwd to change the password)");
  m_users.push_back(std::move(u));
}

void UserStore::remove(const std::string& name) {
  const auto it =
      std::find_if(m_users.begin(), m_users.end(), [&](const User& u) { return u.name == name; });
  if (it == m_users.end()) throw UsageError("no user '" + name.substr(0, 64) + "'");
  m_users.erase(it);
}

std::string readPasswordLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw UsageError("no password on standard input (give it as the first line)");
  if (line.size() > 1024) throw UsageError("password longer than 1024 bytes");
  return line;
}

}  // namespace cw::serve
