// `changewatch users add|remove|list|passwd USERS_FILE ...`: the users of `serve --users`
// (serve/users.hpp). Passwords come from standard input, never from the command line (which
// other users of the machine can read in /proc).
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "serve/users.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::serve;

namespace {

std::set<std::string> parseAois(const std::string& list) {
  std::set<std::string> aois;
  if (list == "all" || list == "*") return {"*"};
  std::stringstream ss(list);
  std::string a;
  while (std::getline(ss, a, ',')) {
    if (a.empty()) continue;
    if (a.find_first_of("/\\ ") != std::string::npos || a == "..") {
      throw UsageError("--aoi: '" + a + "' is not an AOI id");
    }
    aois.insert(a);
  }
  if (aois.empty()) throw UsageError("--aoi: give AOI ids separated by commas, or all");
  return aois;
}

std::string aoiText(const User& u) {
  if (u.allAois()) return "all";
  std::string s;
  for (const auto& a : u.aois) s += (s.empty() ? "" : ",") + a;
  return s;
}

}  // namespace

void addUsersCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "users",
      "Manage the users of `serve --users`: name, role (viewer, reviewer, admin), AOIs, "
      "password (Argon2id; read from standard input)");
  cmd->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("viewer");
  auto aois = std::make_shared<std::string>("all");

  auto* add =
      cmd->add_subcommand("add", "Add a user; the password is the first line of standard input");
  add->add_option("USERS_FILE", *file, "Users file (created with mode 0600 when absent)")
      ->required();
  add->add_option("NAME", *name, "User name")->required();
  add->add_option("--role", *role, "viewer | reviewer | admin")->capture_default_str();
  add->add_option("--aoi", *aois, "AOI ids the user may see, separated by commas, or all")
      ->capture_default_str();
  add->callback([=] {
    UserStore store = UserStore::load(*file, true, true);
    User u;
    u.name = *name;
    checkUserName(u.name);
    u.role = parseRole(*role);
    u.aois = parseAois(*aois);
    if (store.find(u.name))
      throw UsageError("user '" + u.name + "' exists already (use passwd to change the password)");
    u.passwordHash = hashPassword(readPasswordLine(std::cin));
    store.add(u);
    store.save(*file);
    std::cout << "added " << u.name << " (" << roleName(u.role) << ", AOIs: " << aoiText(u)
              << ")\n";
  });

  auto* rm =
      cmd->add_subcommand("remove", "Remove a user (their sessions end at the next serve start)");
  rm->add_option("USERS_FILE", *file, "Users file")->required();
  rm->add_option("NAME", *name, "User name")->required();
  rm->callback([=] {
    UserStore store = UserStore::load(*file, true);
    store.remove(*name);
    store.save(*file);
    std::cout << "removed " << *name << "\n";
  });

  auto* list = cmd->add_subcommand("list", "List the users: name, role, AOIs (never the hashes)");
  list->add_option("USERS_FILE", *file, "Users file")->required();
  list->callback([=] {
    const UserStore store = UserStore::load(*file, true);
    for (const auto& u : store.users()) {
      std::cout << u.name << '\t' << roleName(u.role) << '\t' << aoiText(u) << '\n';
    }
  });

  auto* pw =
      cmd->add_subcommand("passwd", "Set a user's password from the first line of standard input");
  pw->add_option("USERS_FILE", *file, "Users file")->required();
  pw->add_option("NAME", *name, "User name")->required();
  pw->callback([=] {
    UserStore store = UserStore::load(*file, true);
    User* u = store.find(*name);
    if (!u) throw UsageError("no user '" + name->substr(0, 64) + "'");
    u->passwordHash = hashPassword(readPasswordLine(std::cin));
    store.save(*file);
    std::cout << "password of " << *name << " changed\n";
  });
}

}  // namespace cw::cli
