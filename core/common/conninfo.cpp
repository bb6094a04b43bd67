// RedactConninfo; see conninfo.hpp.
#include "core/common/conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>
#include <vector>

namespace omni {
namespace {

constexpr std::array<std::string_view, 5> kWhereFirst = {"host", "hostaddr", "port", "dbname", "user"};

// libpq's quoting: a value that is empty or holds a space, a quote or a
// backslash goes in single quotes, with quotes and backslashes escaped.
std::string Quoted(std::string_view value) {
  const bool plain =
      !value.empty() && value.find_first_of(" \t\n\r\f\v'\\") == std::string_view::npos;
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string RedactConninfo(const std::string& conninfo) {
  if (conninfo.empty()) return {};
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  if (error != nullptr) PQfreemem(error);
  if (!options) return kUnparseableConninfo;

  std::vector<const PQconninfoOption*> set;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr) set.push_back(option);
  }
  const auto rank = [](const PQconninfoOption* option) {
    const auto at = std::find(kWhereFirst.begin(), kWhereFirst.end(), option->keyword);
    return static_cast<std::size_t>(at - kWhereFirst.begin());
  };
  std::stable_sort(set.begin(), set.end(), [&](const auto* a, const auto* b) { return rank(a) < rank(b); });

  std::string shown;
  for (const PQconninfoOption* option : set) {
    // libpq marks the options it never displays (passwords) with '*'.
    const bool secret = option->dispchar != nullptr && option->dispchar[0] == '*';
    if (!shown.empty()) shown += ' ';
    shown += option->keyword;
    shown += '=';
    shown += secret ? "<redacted>" : Quoted(option->val);
  }
  return shown;
}

}  // namespace omni
