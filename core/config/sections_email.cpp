// The `email` section of omni.yaml: the SMTP server notifications go out
// through, its login and the sender address.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/text.hpp"
#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kEmailKeys = {"smtp_url", "username",   "password", "from",
                                             "starttls", "timeout_ms", "ca_file"};

// host[:port] after the scheme, nothing else: a path or query would be
// taken by libcurl as the HELO name.
bool ValidSmtpAuthority(const std::string& rest) {
  return !rest.empty() && rest.front() != ':' && rest.find_first_of("/?#@ \t\r\n") == std::string::npos;
}

// "Name <user@host>" or "user@host": one address with a domain.
bool ValidFrom(const std::string& from) {
  std::string address = from;
  if (auto open = from.rfind('<'); open != std::string::npos) {
    if (from.back() != '>') return false;
    address = from.substr(open + 1, from.size() - open - 2);
  }
  auto at = address.find('@');
  return at != std::string::npos && at > 0 && at + 1 < address.size() &&
         address.find_first_of(" \t\r\n<>\",;") == std::string::npos;
}

void ParseEmail(const Parser& parser, const Entry& entry, Config& config) {
  EmailSettings& email = config.email;
  Section section(parser, entry, kEmailKeys);
  if (const Entry* url = section.String("smtp_url", &email.smtp_url)) {
    const std::string lower = Lower(email.smtp_url);
    const std::string expected = "an smtp://host:port or smtps://host:port URL, or \"\" for no e-mail";
    std::string rest;
    if (StartsWith(lower, "smtp://")) {
      rest = email.smtp_url.substr(7);
    } else if (StartsWith(lower, "smtps://")) {
      rest = email.smtp_url.substr(8);
    } else if (!email.smtp_url.empty()) {
      parser.FailValue(*url, "expected " + expected + ", got " + Shown(email.smtp_url),
                       "Use smtp://mail.example.com:587 (STARTTLS) or smtps://mail.example.com:465.");
    }
    if (!email.smtp_url.empty() && !ValidSmtpAuthority(WithoutTrailingSlash(rest))) {
      parser.FailValue(*url, "expected " + expected + ", got " + Shown(email.smtp_url),
                       "Give only the host and port; the login goes in email.username and email.password.");
    }
    email.smtp_url = WithoutTrailingSlash(email.smtp_url);
  }
  section.String("username", &email.username);
  section.String("password", &email.password);
  if (const Entry* from = section.String("from", &email.from)) {
    if (!email.from.empty() && !ValidFrom(email.from)) {
      parser.FailValue(*from, "expected an address such as \"Omni Desk <desk@example.com>\", got " + Shown(email.from));
    }
  }
  section.Choice("starttls", &email.starttls, {"required", "off"});
  section.Millis("timeout_ms", &email.timeout_ms, 100);
  section.String("ca_file", &email.ca_file);
  if (email.enabled() && email.from.empty()) {
    parser.FailValue(entry, "email.from is required when email.smtp_url is set",
                     "Add from: \"Your Business <desk@example.com>\" under email.");
  }
  if (email.username.empty() != email.password.empty()) {
    parser.FailValue(entry, "email.username and email.password go together: one of them is empty",
                     "Set both for an SMTP login, or neither.");
  }
}

void ShowEmail(const Config& config, const Json&, Json& out) {
  const auto& email = config.email;
  out["email"] = Json{{"smtp_url", email.smtp_url},   {"username", email.username},
                      {"password", Secret(email.password)}, {"from", email.from},
                      {"starttls", email.starttls},   {"timeout_ms", email.timeout_ms},
                      {"ca_file", email.ca_file}};
}

}  // namespace

SectionSpec EmailSection() { return {"email", {{"email", &kEmailKeys}}, ParseEmail, ShowEmail}; }

}  // namespace omni::config::detail
