// The pure parts of outbound webhooks: the Standard Webhooks signature
// (against the specification's published test vector), secret checks, URL
// checks and the non-public address ranges that SSRF protection refuses.
#include <catch2/catch.hpp>

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
