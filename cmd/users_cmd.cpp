// `omni users add|list|rm|role|alerts|passwd`: the business's operators, who sign
// in to the console.
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/operators/users.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct AddOptions {
  std::string email;
  std::string name;
  std::string role = "agent";
  bool password_stdin = false;
};
struct UserOptions {
  std::string user;
};
struct RoleOptions {
  std::string user;
  std::string role;
};
struct AlertsOptions {
  std::string user;
  std::string state;
};
struct PasswdOptions {
  std::string user;
  bool password_stdin = false;
};

const std::vector<Column> kUserFields = {{"id", "ID"},           {"email", "EMAIL"},
                                         {"name", "NAME"},       {"role", "ROLE"},
                                         {"status", "STATUS"},   {"handoff_alerts", "HANDOFF ALERTS"},
                                         {"last_login_at", "LAST LOGIN"}, {"created_at", "CREATED"}};
const std::vector<Column> kLinkFields = {{"email", "EMAIL"},
                                         {"set_password_link", "SET-PASSWORD LINK"},
                                         {"link_expires_at", "LINK EXPIRES"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

Json UserJson(const operators::User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"role", operators::RoleName(user.role)},
          {"status", user.has_password ? "active" : "invited"},
          {"handoff_alerts", user.handoff_alerts},
          {"last_login_at", user.last_login_at ? Json(Utc(*user.last_login_at)) : Json(nullptr)},
          {"created_at", Utc(user.created_at)}};
}

std::string BusinessId(Context& ctx) { return business::FindId(ctx.Database(), ctx.RequireBusiness()); }

// The first line of stdin, without its line ending. On a terminal it asks
// for it on stderr without echoing what is typed.
std::string ReadPassword() {
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::cerr << "password: " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  char c = 0;
  // Bounded: a password longer than the rules allow is refused anyway.
  while (password.size() <= 4096 && std::cin.get(c) && c != '\n') password += c;
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    throw InvalidInput("--password-stdin: no password on stdin",
                       "Pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | omni users add ... --password-stdin`.");
  }
  return password;
}

void PrintLink(Context& ctx, const std::string& email, const operators::SetPasswordToken& token) {
  const std::string link = operators::SetPasswordLink(config::PublicBaseUrl(ctx.Config().server), token.token);
  ctx.out().Record(kLinkFields, Json{{"email", email}, {"set_password_link", link}, {"link_expires_at", Utc(token.expires_at)}});
  ctx.out().Status("send this link to " + email + ": it sets their password once, within 24 hours");
}

int RunAdd(Context& ctx, const AddOptions& opts) {
  operators::NewUser request{.email = opts.email, .name = opts.name, .role = operators::ParseRole(opts.role)};
  if (opts.password_stdin) request.password = ReadPassword();
  const std::string business_id = BusinessId(ctx);
  const auto added = operators::AddUser(ctx.Database(), business_id, request, billing::ResolveBillingSettings(ctx.Config()),
                                        DefaultClock().Now());
  if (!added.set_password) {
    ctx.out().Record(kUserFields, UserJson(added.user));
    ctx.out().Status(ctx.out().Green("added") + " " + added.user.email + " as " +
                     operators::RoleName(added.user.role));
    return 0;
  }
  Json record = UserJson(added.user);
  record["set_password_link"] =
      operators::SetPasswordLink(config::PublicBaseUrl(ctx.Config().server), added.set_password->token);
  record["link_expires_at"] = Utc(added.set_password->expires_at);
  std::vector<Column> fields = kUserFields;
  fields.insert(fields.end(), kLinkFields.begin() + 1, kLinkFields.end());
  ctx.out().Record(fields, record);
  ctx.out().Status(ctx.out().Green("added") + " " + added.user.email + " as " + operators::RoleName(added.user.role) +
                   ": send them the link, which sets their password once, within 24 hours");
  return 0;
}

int RunList(Context& ctx, const UserOptions&) {
  Json rows = Json::array();
  for (const auto& user : operators::ListUsers(ctx.Database(), BusinessId(ctx))) rows.push_back(UserJson(user));
  ctx.out().List(kUserFields, rows);
  if (rows.empty()) ctx.out().Status("no users yet: add one with `omni users add`");
  return 0;
}

int RunRemove(Context& ctx, const UserOptions& opts) {
  const auto user = operators::RemoveUser(ctx.Database(), BusinessId(ctx), opts.user);
  ctx.out().Record(kUserFields, UserJson(user));
  ctx.out().Status(ctx.out().Green("removed") + " " + user.email + "; their console sessions ended");
  return 0;
}

int RunRole(Context& ctx, const RoleOptions& opts) {
  const auto user =
      operators::SetRole(ctx.Database(), BusinessId(ctx), opts.user, operators::ParseRole(opts.role));
  ctx.out().Record(kUserFields, UserJson(user));
  ctx.out().Status(user.email + " is now " + operators::RoleName(user.role));
  return 0;
}

int RunAlerts(Context& ctx, const AlertsOptions& opts) {
  const std::string state = Lower(opts.state);
  if (state != "on" && state != "off") {
    throw InvalidInput("invalid state \"" + opts.state + "\": expected on or off");
  }
  const auto user = operators::SetHandoffAlerts(ctx.Database(), BusinessId(ctx), opts.user, state == "on");
  ctx.out().Record(kUserFields, UserJson(user));
  ctx.out().Status(user.email + (user.handoff_alerts ? " gets" : " no longer gets") + " an e-mail at each handoff" +
                   (user.handoff_alerts && !user.has_password ? ", once they have set their password" : ""));
  return 0;
}

int RunPasswd(Context& ctx, const PasswdOptions& opts) {
  const std::string business_id = BusinessId(ctx);
  if (opts.password_stdin) {
    const std::string password = ReadPassword();
    const auto user = operators::SetPassword(ctx.Database(), business_id, opts.user, password);
    ctx.out().Record(kUserFields, UserJson(user));
    ctx.out().Status(ctx.out().Green("password set") + " for " + user.email + "; their console sessions ended");
    return 0;
  }
  const auto user = operators::GetUser(ctx.Database(), business_id, opts.user);
  PrintLink(ctx, user.email, operators::IssueSetPasswordToken(ctx.Database(), business_id, user.id, DefaultClock().Now()));
  return 0;
}

const char* const kUserHelp = "user id or email";

}  // namespace

Command MakeUsersCommand() {
  return MakeGroup(
      "users", "add, list and remove the team's console accounts",
      "Operators of the business chosen with -b, who sign in to the console with their email and password. "
      "Each has a role: owner (everything, including billing and the team), admin (everything but billing and "
      "the team) or agent (conversations, customers and appointments; knowledge read-only). The plan limits how "
      "many there are (exit code 7 past it). Passwords are stored as Argon2id hashes; a new user gets a one-time "
      "set-password link, valid 24 hours, unless --password-stdin gives the password. The business's last owner "
      "can be neither removed nor demoted (exit code 6).",
      {
          MakeCommand<AddOptions>(
              "add", "add a user and print their set-password link",
              "Adds a user with a role (default agent) and prints a one-time link that sets their password, valid "
              "24 hours; send it to them. With --password-stdin the password is read from the first line of stdin "
              "instead (asked for without echo on a terminal), at least 10 characters. The link starts with "
              "server.public_url.",
              {"$ omni users add maria@example.com -b demo-salon --role owner --name Maria",
               "$ printf '%s\\n' \"$PASSWORD\" | omni users add sam@example.com -b demo-salon --password-stdin",
               "$ omni users add lee@example.com -b demo-salon -o json"},
              [](AddOptions& o) {
                return std::vector<Option>{
                    {"email", "the user's email address, their login", &o.email, true},
                    {"--name", "their name, shown to the team", &o.name},
                    {"--role", "owner, admin or agent (default agent)", &o.role},
                    {"--password-stdin", "read the password from stdin instead of printing a link",
                     &o.password_stdin}};
              },
              RunAdd),
          MakeCommand<UserOptions>(
              "list", "list the business's users",
              "Lists the users, owners first: role, status (active, or invited while no password is set) and "
              "last login.",
              {"$ omni users list -b demo-salon", "$ omni users list -b demo-salon -o json"},
              [](UserOptions&) { return std::vector<Option>{}; }, RunList),
          MakeCommand<UserOptions>(
              "rm", "remove a user",
              "Removes the user, unassigns their conversations and ends their console sessions at once. The last owner "
              "cannot be removed.",
              {"$ omni users rm sam@example.com -b demo-salon"},
              [](UserOptions& o) { return std::vector<Option>{{"user", kUserHelp, &o.user, true}}; }, RunRemove),
          MakeCommand<RoleOptions>(
              "role", "change a user's role",
              "Gives the user another role, which applies to their open sessions at once. The last owner cannot be "
              "demoted: make another user an owner first.",
              {"$ omni users role sam@example.com admin -b demo-salon"},
              [](RoleOptions& o) {
                return std::vector<Option>{{"user", kUserHelp, &o.user, true},
                                           {"role", "owner, admin or agent", &o.role, true}};
              },
              RunRole),
          MakeCommand<AlertsOptions>(
              "alerts", "e-mail a user at each handoff, or stop",
              "With on, the user is e-mailed each time a conversation is handed to the team, with the customer, "
              "the reason, the last messages and a link to it in the console; the business's notify address "
              "(notifications.notify, else contact.email) always is. An invited user gets them once their password "
              "is set. Needs email configured in omni.yaml to send; `omni notifications list` shows each alert.",
              {"$ omni users alerts maria@example.com on -b demo-salon",
               "$ omni users alerts maria@example.com off -b demo-salon"},
              [](AlertsOptions& o) {
                return std::vector<Option>{{"user", kUserHelp, &o.user, true},
                                           {"state", "on or off", &o.state, true}};
              },
              RunAlerts),
          MakeCommand<PasswdOptions>(
              "passwd", "reset a user's password",
              "Prints a new one-time set-password link for the user, valid 24 hours; earlier links stop working "
              "and the current password works until the link is used. With --password-stdin sets the password from "
              "stdin at once. Either way, setting the password ends the user's console sessions.",
              {"$ omni users passwd sam@example.com -b demo-salon",
               "$ printf '%s\\n' \"$PASSWORD\" | omni users passwd sam@example.com -b demo-salon --password-stdin"},
              [](PasswdOptions& o) {
                return std::vector<Option>{{"user", kUserHelp, &o.user, true},
                                           {"--password-stdin", "read the new password from stdin", &o.password_stdin}};
              },
              RunPasswd),
      });
}

}  // namespace omni::cli
