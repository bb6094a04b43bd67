// What a message may show of a PostgreSQL connection string: libpq's own
// parser reads it (key=value or a postgresql:// URL), so that a password
// never reaches a log line, an error or `omni config show`, however it is
// quoted or encoded.
// Thread-safe: pure functions.
#pragma once

#include <string>

namespace omni {

// Shown instead of a connection string libpq cannot parse. Its text is never
// shown: libpq's own error may quote the part that held the password.
inline constexpr const char* kUnparseableConninfo = "<unparseable conninfo>";

// `conninfo` rebuilt as key=value pairs from the options libpq parses out of
// it: host, hostaddr, port, dbname and user first, then the others in
// libpq's order, each secret one (password, sslpassword) as <redacted>.
// Values are quoted as libpq expects. Returns "" for "", and
// kUnparseableConninfo when libpq cannot parse it.
std::string RedactConninfo(const std::string& conninfo);

}  // namespace omni
