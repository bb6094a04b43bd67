// The outbound HTTP client on 127.0.0.1: plain GET and POST, statuses as
// responses, streamed bodies, the body cap, redirects, refused connections.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/common/error.hpp"
#include "core/http/client.hpp"
#include "tests/support/fake_openai.hpp"

using namespace omni;
using omni::test::ErrorReply;
using omni::test::FakeOpenAi;
using omni::test::TextReply;

namespace {

http::Request Get(const std::string& url) {
  http::Request r;
  r.url = url;
  return r;
}

http::Request PostCompletion(const FakeOpenAi& fake, bool stream) {
  http::Request r;
  r.method = "POST";
  r.url = fake.base_url() + "/chat/completions";
  r.headers = {{"Content-Type", "application/json"}, {"X-Custom", "yes"}};
  r.body = stream ? R"({"model":"m","stream":true})" : R"({"model":"m"})";
  return r;
}

}  // namespace

TEST_CASE("http: GET returns status, headers and body; 404 is a response", "[http]") {
  FakeOpenAi fake;
  auto client = http::MakeHttpClient({});
  const auto ok = http::Fetch(*client, Get(fake.base_url() + "/models"));
  CHECK(ok.status == 200);
  CHECK(ok.FindHeader("content-type") == std::optional<std::string>("application/json"));
  CHECK(ok.body.find("fake/model") != std::string::npos);
  CHECK(ok.final_url == fake.base_url() + "/models");

  const auto missing = http::Fetch(*client, Get(fake.base_url() + "/nowhere"));
  CHECK(missing.status == 404);
  CHECK(missing.body.find("no such route") != std::string::npos);
}

TEST_CASE("http: POST sends headers and body, and a stream arrives chunk by chunk", "[http]") {
  FakeOpenAi fake;
  auto reply = TextReply({"a", "b", "c"});
  reply.chunk_delay_ms = 20;
  fake.Enqueue(reply);
  auto client = http::MakeHttpClient({});

  std::vector<std::string> chunks;
  int head_status = 0;
  http::ResponseHandlers handlers;
  handlers.on_head = [&](const http::Response& head) { head_status = head.status; };
  handlers.on_body = [&](std::string_view chunk) { chunks.emplace_back(chunk); };
  const auto response = http::Fetch(*client, PostCompletion(fake, true), handlers);
  CHECK(head_status == 200);
  CHECK(response.body.empty());
  CHECK(chunks.size() >= 4);
  std::string all;
  for (const auto& c : chunks) all += c;
  CHECK(all.find("data: [DONE]") != std::string::npos);

  const auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Header("x-custom") == "yes");
  CHECK(requests[0].Header("user-agent").rfind("omni/", 0) == 0);
  CHECK(requests[0].json["stream"] == true);
}

TEST_CASE("http: a kept-alive connection serves the next requests to the same origin", "[http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({"one"}));
  fake.Enqueue(TextReply({"two"}));
  auto cut = TextReply({"three"});
  cut.cut_stream = true;  // announced as closing, then cut
  fake.Enqueue(cut);
  fake.Enqueue(TextReply({"four"}));
  auto client = http::MakeHttpClient({});

  CHECK(http::Fetch(*client, Get(fake.base_url() + "/models")).status == 200);
  CHECK(http::Fetch(*client, PostCompletion(fake, true)).body.find("one") != std::string::npos);
  CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("two") != std::string::npos);
  CHECK_THROWS(http::Fetch(*client, PostCompletion(fake, true)));
  CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("four") != std::string::npos);

  const auto requests = fake.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[0].Header("connection") != "close");
  CHECK(requests[1].connection == requests[0].connection);
  CHECK(requests[2].connection == requests[0].connection);
  CHECK(requests[3].connection == requests[0].connection);
  CHECK(requests[4].connection != requests[3].connection);  // a cut connection is not reused
}

TEST_CASE("http: a request cancelled before it starts is not sent on a kept-alive connection", "[http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({"one"}));
  auto client = http::MakeHttpClient({});
  CHECK(http::Fetch(*client, PostCompletion(fake, false)).status == 200);

  auto cancel = std::make_shared<http::Cancellation>();
  cancel->Cancel();
  CHECK_THROWS_AS(http::Fetch(*client, PostCompletion(fake, false), {}, cancel), http::Cancelled);
  CHECK(fake.requests().size() == 1);
}

TEST_CASE("http: a kept-alive connection the server closed is replaced without failing the request", "[http]") {
  FakeOpenAi fake;
  auto client = http::MakeHttpClient({});

  SECTION("closed while idle") {
    auto idle_timeout = TextReply({"first"});
    idle_timeout.close_after = true;
    fake.Enqueue(idle_timeout);
    fake.Enqueue(TextReply({"second"}));
    CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("first") != std::string::npos);
    CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("second") != std::string::npos);
    const auto requests = fake.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].connection != requests[0].connection);
  }

  SECTION("closed when the request arrives: it is sent once more, on a new connection") {
    fake.Enqueue(TextReply({"first"}));
    auto hang_up = TextReply({"never sent"});
    hang_up.hang_up = true;
    fake.Enqueue(hang_up);
    fake.Enqueue(TextReply({"second"}));
    CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("first") != std::string::npos);
    CHECK(http::Fetch(*client, PostCompletion(fake, false)).body.find("second") != std::string::npos);
    const auto requests = fake.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[1].connection == requests[0].connection);
    CHECK(requests[2].connection != requests[1].connection);
    CHECK(requests[2].body == requests[1].body);
  }

  SECTION("a new connection that closes is an error, not a retry") {
    auto hang_up = TextReply({"never sent"});
    hang_up.hang_up = true;
    fake.Enqueue(hang_up);
    CHECK_THROWS_WITH(http::Fetch(*client, PostCompletion(fake, false)),
                      Catch::Contains("closed before the response was complete"));
    CHECK(fake.requests().size() == 1);
  }
}

TEST_CASE("http: a body over the cap fails the request", "[http]") {
  FakeOpenAi fake;
  fake.Enqueue(TextReply({std::string(5000, 'x')}));
  auto client = http::MakeHttpClient({});
  auto request = PostCompletion(fake, false);
  request.max_body_bytes = 1000;
  CHECK_THROWS_WITH(http::Fetch(*client, request), Catch::Contains("exceeds 1000 bytes"));
}

TEST_CASE("http: redirects are followed up to the limit", "[http]") {
  FakeOpenAi fake;
  auto moved = ErrorReply(302, "moved");
  moved.headers = {{"Location", "/v1/models"}};
  fake.Enqueue(moved);
  auto client = http::MakeHttpClient({});

  auto request = PostCompletion(fake, false);
  request.max_redirects = 2;
  const auto response = http::Fetch(*client, request);
  CHECK(response.status == 200);
  CHECK(response.final_url == fake.base_url() + "/models");
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].method == "GET");  // 302 after POST continues as GET

  fake.Enqueue(moved);
  const auto not_followed = http::Fetch(*client, PostCompletion(fake, false));
  CHECK(not_followed.status == 302);
  CHECK(not_followed.FindHeader("location") == std::optional<std::string>("/v1/models"));
}

TEST_CASE("http: a refused connection and a bad URL are clear errors", "[http]") {
  // Bind a port and close it again, so that nothing listens there.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();

  auto client = http::MakeHttpClient({});
  try {
    http::Fetch(*client, Get("http://127.0.0.1:" + std::to_string(port) + "/"));
    FAIL("expected an error");
  } catch (const Unavailable& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("could not connect to 127.0.0.1:" + std::to_string(port)));
  }
  CHECK_THROWS_AS(http::Fetch(*client, Get("ftp://example.com/")), InvalidInput);
  CHECK_THROWS_AS(http::Fetch(*client, Get("http:///nohost")), InvalidInput);
}

TEST_CASE("http: a missing CA bundle is a config error", "[http]") {
  http::ClientSettings settings;
  settings.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(http::MakeHttpClient(settings), ConfigError);
}

TEST_CASE("http: a server that never speaks hits the connect timeout (TLS) or first-byte timeout", "[http]") {
  // The kernel completes the TCP handshake into the backlog; nobody ever reads.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string port = std::to_string(silent.local_endpoint().port());
  auto client = http::MakeHttpClient({});

  auto tls = Get("https://127.0.0.1:" + port + "/");
  tls.connect_timeout_ms = 200;
  CHECK_THROWS_AS(http::Fetch(*client, tls), http::Timeout);
  CHECK_THROWS_WITH(http::Fetch(*client, tls), Catch::Contains("could not connect to 127.0.0.1:" + port + " within 200 ms"));

  auto plain = Get("http://127.0.0.1:" + port + "/");
  plain.first_byte_timeout_ms = 200;
  CHECK_THROWS_WITH(http::Fetch(*client, plain), Catch::Contains("no response from 127.0.0.1:" + port + " within 200 ms"));
}
