// The pure parts of outbound webhooks: the Standard Webhooks signature
// (against the specification's published test vector), secret checks, URL
// checks, the non-public address ranges that SSRF protection refuses, and
// a secret rotation's two signatures, their expiry and its overlap.
#include <catch2/catch.hpp>

#include <chrono>

#include "core/common/error.hpp"
#include "core/webhooks/detail/post.hpp"
#include "core/webhooks/webhooks.hpp"

namespace omni::webhooks {

TEST_CASE("Sign matches the Standard Webhooks test vector", "[webhooks]") {
  // From the standard-webhooks repository's libraries' tests.
  CHECK(Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
             R"({"test": 2432232314})") == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
             R"({"test": 2432232314})") != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("a header signed with two secrets holds both signatures, the new one first, separated by a space",
          "[webhooks][rotation]") {
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string body = R"({"test": 2432232314})";
  const std::string old_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string new_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/cPQHQ9ruY8=";
  CHECK(SignatureHeader({old_secret}, id, 1614265330, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  const std::string both = SignatureHeader({new_secret, old_secret}, id, 1614265330, body);
  CHECK(both == Sign(new_secret, id, 1614265330, body) + " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(Sign(new_secret, id, 1614265330, body) != Sign(old_secret, id, 1614265330, body));
  CHECK_THROWS_AS(SignatureHeader({new_secret, "whsec_short"}, id, 1, body), InvalidInput);
}

TEST_CASE("the previous secret signs until the overlap's end, exclusive, and never without an end",
          "[webhooks][rotation]") {
  const TimePoint end = TimePoint{} + std::chrono::hours{1000};
  const auto just_before = end - std::chrono::microseconds{1};
  CHECK(SigningSecrets("new", std::string("old"), end, just_before) == std::vector<std::string>{"new", "old"});
  CHECK(SigningSecrets("new", std::string("old"), end, end) == std::vector<std::string>{"new"});
  CHECK(SigningSecrets("new", std::string("old"), end, end + std::chrono::hours{1}) == std::vector<std::string>{"new"});
  CHECK(SigningSecrets("new", std::nullopt, std::nullopt, end) == std::vector<std::string>{"new"});
  CHECK(SigningSecrets("new", std::string("old"), std::nullopt, end) == std::vector<std::string>{"new"});
}

TEST_CASE("an overlap is 0 or whole numbers with s, m, h or d, at most 30 days", "[webhooks][rotation]") {
  using std::chrono::seconds;
  CHECK(ParseOverlap("0") == seconds{0});
  CHECK(ParseOverlap("24h") == seconds{86400});
  CHECK(ParseOverlap(" 90m ") == seconds{5400});
  CHECK(ParseOverlap("1d12h") == seconds{129600});
  CHECK(ParseOverlap("45s") == seconds{45});
  CHECK(ParseOverlap("30d") == seconds{30 * 86400});
  for (const std::string bad : {"", "h", "24", "-1h", "1.5h", "1w", "24 h", "abc", "99999999999999d"}) {
    INFO(bad);
    CHECK_THROWS_WITH(ParseOverlap(bad), Catch::Contains("invalid overlap") && Catch::Contains("24h"));
  }
  CHECK_THROWS_WITH(ParseOverlap("31d"), Catch::Contains("too long: at most 30 days"));
  CHECK_THROWS_WITH(ParseOverlap("30d1s"), Catch::Contains("too long"));
}

TEST_CASE("a webhook secret is whsec_ and the base64 of 24 to 64 bytes", "[webhooks]") {
  for (const std::string bad : {"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_c2hvcnQ=",
                                "whsec_not base64 at all!", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"}) {
    INFO(bad);
    CHECK_THROWS_AS(Sign(bad, "id", 1, "{}"), InvalidInput);
  }
}

TEST_CASE("CheckUrl takes public http(s) URLs only unless private targets are allowed", "[webhooks]") {
  CHECK_NOTHROW(CheckUrl("https://hooks.example.com/omni?x=1", false));
  CHECK_NOTHROW(CheckUrl("http://93.184.216.34:8080/", false));
  CHECK_NOTHROW(CheckUrl("http://127.0.0.1:8080/", true));
  for (const std::string url : {"http://127.0.0.1/", "http://LOCALHOST./", "http://a.localhost/", "http://[::1]:80/",
                                "http://10.0.0.1/", "http://172.16.5.4/", "http://100.64.0.1/", "http://[fe80::1]/",
                                "http://[fd00::1]/", "http://[::ffff:10.0.0.1]/", "http://224.0.0.1/"}) {
    INFO(url);
    CHECK_THROWS_WITH(CheckUrl(url, false), Catch::Contains("is not a public address"));
  }
  CHECK_THROWS_WITH(CheckUrl("file:///etc/passwd", true), Catch::Contains("only http:// and https://"));
  CHECK_THROWS_WITH(CheckUrl("gopher://example.com/", true), Catch::Contains("only http:// and https://"));
  CHECK_THROWS_WITH(CheckUrl("https://user:pw@example.com/", true), Catch::Contains("user name or password"));
  CHECK_THROWS_WITH(CheckUrl("https:///path", true), Catch::Contains("no host"));
  CHECK_THROWS_WITH(CheckUrl("https://example.com/a b", true), Catch::Contains("space or control"));
}

TEST_CASE("the non-public address ranges", "[webhooks]") {
  for (const std::string address : {"0.0.0.0", "10.1.2.3", "127.0.0.1", "127.255.0.1", "169.254.169.254",
                                    "172.31.255.255", "192.168.1.1", "100.127.0.1", "198.18.0.1", "255.255.255.255",
                                    "::", "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
                                    "64:ff9b::a00:1", "2002:c0a8:101::1"}) {
    INFO(address);
    CHECK(detail::IsNonPublicAddress(address));
  }
  for (const std::string address : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                                    "::ffff:8.8.8.8", "not an address"}) {
    INFO(address);
    CHECK_FALSE(detail::IsNonPublicAddress(address));
  }
}

}  // namespace omni::webhooks
