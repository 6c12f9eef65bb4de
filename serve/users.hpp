#pragma once
// The users file of `changewatch serve --users FILE`, managed with `changewatch users`:
//   {"users": [{"name": "ana", "role": "reviewer", "aois": ["port_a"], "password":
//   "$argon2id$..."}]}
// Roles: viewer reads; reviewer also decides; admin also manages users (and decides).
// "aois": ["*"] means every AOI. Passwords are stored only as Argon2id strings from libsodium's
// crypto_pwhash_str (salt and cost parameters inside the string). The file holds password hashes,
// so it is written atomically with mode 0600 and refused when group or others may read it.
#include <filesystem>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cw::serve {

enum class Role { Viewer, Reviewer, Admin };
std::string roleName(Role r);
// Throws cw::UsageError for anything but viewer, reviewer, admin.
Role parseRole(const std::string& name);
inline bool canDecide(Role r) {
  return r == Role::Reviewer || r == Role::Admin;
}

struct User {
  std::string name;
  Role role = Role::Viewer;
  std::set<std::string> aois;  // empty or {"*"}: every AOI
  std::string passwordHash;

  bool allAois() const { return aois.empty() || aois.count("*") > 0; }
  bool maySee(const std::string& aoi) const { return allAois() || aois.count(aoi) > 0; }
};

// libsodium must be initialised once before any of its calls; safe to call often.
void initSodium();

// Argon2id string of `password` (crypto_pwhash_str, interactive limits: 64 MiB, 2 passes).
// Throws cw::UsageError for an empty password, cw::Error when libsodium runs out of memory.
std::string hashPassword(const std::string& password);
// Constant-time check of `password` against a crypto_pwhash_str string.
bool checkPassword(const std::string& hash, const std::string& password);

// User names: 1-64 characters of [A-Za-z0-9._@-]; throws cw::UsageError naming the rule.
void checkUserName(const std::string& name);

class UserStore {
 public:
  // Reads FILE. With `requirePrivate`, refuses (cw::UsageError) a file that group or others may
  // read or write, naming its mode. A missing file is an empty store when `mayBeAbsent`.
  static UserStore load(const std::filesystem::path& file, bool requirePrivate,
                        bool mayBeAbsent = false);

  // Writes atomically (temp file created 0600, fsync, rename).
  void save(const std::filesystem::path& file) const;

  const User* find(const std::string& name) const;
  User* find(const std::string& name);
  void add(User u);                      // throws cw::UsageError when the name exists
  void remove(const std::string& name);  // throws cw::UsageError when absent
  const std::vector<User>& users() const { return m_users; }

 private:
  std::vector<User> m_users;
};

// Reads a password from `in`: the first line, without its line ending. Throws cw::UsageError when
// it is empty or longer than 1024 bytes.
std::string readPasswordLine(std::istream& in);

}  // namespace cw::serve
