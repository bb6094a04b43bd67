// RedactConninfo: what messages and `omni config show` print of a database
// connection string, read by libpq's own parser in every form it accepts.
#include <catch2/catch.hpp>
#include <string>

#include "core/common/conninfo.hpp"

namespace {

using Catch::Matchers::Contains;
using omni::RedactConninfo;

}  // namespace

TEST_CASE("a redacted URL keeps where the database is and never the password", "[conninfo]") {
  SECTION("user and password before the host") {
    CHECK(RedactConninfo("postgresql://alice:pw-1234@db.example.com/shop") ==
          "host=db.example.com dbname=shop user=alice password=<redacted>");
  }
  SECTION("the password as a query parameter") {
    const std::string shown = RedactConninfo("postgresql://omni@pg.internal:6543/omni?password=q-s3cret&sslmode=require");
    CHECK_THAT(shown, !Contains("q-s3cret"));
    CHECK(shown == "host=pg.internal port=6543 dbname=omni user=omni password=<redacted> sslmode=require");
  }
  SECTION("an unencoded @ and / in the password are read as libpq reads them") {
    // libpq ends the password at the first '@' and the host at the '/':
    // what it would connect to is what the message shows.
    const std::string shown = RedactConninfo("postgresql://u:p@ss/w0rd@h/db");
    CHECK_THAT(shown, !Contains("p@ss/w0rd"));
    CHECK(shown == "host=ss dbname=w0rd@h/db user=u password=<redacted>");
  }
  SECTION("a percent-encoded password") {
    const std::string shown = RedactConninfo("postgres://u:p%40ss%2Fw%20rd@h:5433/db");
    CHECK_THAT(shown, !Contains("p@ss/w rd"));
    CHECK_THAT(shown, !Contains("p%40ss"));
    CHECK(shown == "host=h port=5433 dbname=db user=u password=<redacted>");
  }
  SECTION("a Unix socket directory as host") {
    CHECK(RedactConninfo("postgresql:///omni?host=/var/run/omni%20pg&password=pw") ==
          "host='/var/run/omni pg' dbname=omni password=<redacted>");
  }
  SECTION("several hosts") {
    CHECK(RedactConninfo("postgresql://u:secret@h1:1,h2:2/db") == "host=h1,h2 port=1,2 dbname=db user=u password=<redacted>");
  }
}

TEST_CASE("a redacted key=value string never shows the password", "[conninfo]") {
  SECTION("a quoted password with a space") {
    const std::string shown = RedactConninfo("host=db password='a b' dbname=omni");
    CHECK_THAT(shown, !Contains("a b"));
    CHECK(shown == "host=db dbname=omni password=<redacted>");
  }
  SECTION("a bare password") {
    CHECK(RedactConninfo("password=x") == "password=<redacted>");
  }
  SECTION("quotes and backslashes in a password and in other values") {
    const std::string shown = RedactConninfo(R"(password='it\'s \\ x' user='o\'brien' sslpassword=k3y)");
    CHECK_THAT(shown, !Contains("it's"));
    CHECK_THAT(shown, !Contains("k3y"));
    CHECK(shown == R"(user='o\'brien' password=<redacted> sslpassword=<redacted>)");
  }
  SECTION("no password at all") {
    CHECK(RedactConninfo("dbname=omni host=/tmp") == "host=/tmp dbname=omni");
  }
}

TEST_CASE("an unparseable conninfo is shown as a placeholder, never as text", "[conninfo]") {
  for (const std::string conninfo : {"host=h password='unterminated s3cret", "host=a password=s3cret junk",
                                     "postgresql://u:%zzs3cret@h/db", "postgresql://u:s3cret@h/db?nosuchoption=1"}) {
    INFO(conninfo);
    CHECK(RedactConninfo(conninfo) == omni::kUnparseableConninfo);
  }
  CHECK(std::string(omni::kUnparseableConninfo) == "<unparseable conninfo>");
  CHECK(RedactConninfo("") == "");
}
