// HTTPS in the client: a certificate chain from a test CA made with the
// openssl CLI is trusted only through ClientSettings::ca_file, and only for
// the host name it was issued to.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/common/error.hpp"
#include "core/http/client.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_openai.hpp"

using namespace omni;

namespace {

// A throwaway CA and a leaf certificate for DNS:localhost only.
struct TestPki {
  TestPki() {
    char pattern[] = "/tmp/omni-tls-XXXXXX";
    dir = mkdtemp(pattern);
    const std::string script =
        "cd '" + dir + "' && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
        "-days 2 -subj '/CN=omni test CA' && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr "
        "-subj '/CN=localhost' && "
        "printf 'subjectAltName=DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > leaf.ext && "
        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 "
        "-extfile leaf.ext";
    made = std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
  }
  ~TestPki() { std::filesystem::remove_all(dir); }
  std::string dir;
  bool made = false;
};

test::FakeOpenAiOptions TlsOptions(const TestPki& pki) {
  test::FakeOpenAiOptions options;
  options.tls_cert_file = pki.dir + "/leaf.pem";
  options.tls_key_file = pki.dir + "/leaf.key";
  return options;
}

http::Request Get(const std::string& url) {
  http::Request r;
  r.url = url;
  r.connect_timeout_ms = 5000;
  return r;
}

}  // namespace

TEST_CASE("tls: a server signed by the configured CA is trusted, and the LLM streams over it", "[http][llm]") {
  TestPki pki;
  REQUIRE(pki.made);
  test::FakeOpenAi fake(TlsOptions(pki));
  REQUIRE(fake.base_url().rfind("https://localhost:", 0) == 0);
  http::ClientSettings settings;
  settings.ca_file = pki.dir + "/ca.pem";
  auto client = http::MakeHttpClient(settings);

  const auto models = http::Fetch(*client, Get(fake.base_url() + "/models"));
  CHECK(models.status == 200);

  auto reply = test::TextReply({"secure ", "hello"});
  reply.chunk_delay_ms = 5;
  fake.Enqueue(reply);
  config::LlmSettings llm_settings;
  llm_settings.base_url = fake.base_url();
  llm_settings.api_key = "sk-tls";
  auto llm_client = llm::MakeOpenAiClient(llm_settings, *client, 1);
  llm::ChatRequest request;
  request.messages = {{llm::Role::kUser, "hi", {}, {}}};
  const auto result = llm::Chat(*llm_client, request);
  CHECK(result.message.content == "secure hello");
  // The model call reused the TLS connection the first request opened.
  const auto requests = fake.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].connection == requests[0].connection);
}

TEST_CASE("tls: a certificate from an unknown CA is refused", "[http]") {
  TestPki pki;
  REQUIRE(pki.made);
  test::FakeOpenAi fake(TlsOptions(pki));
  auto client = http::MakeHttpClient({});  // the system store does not know the test CA
  try {
    http::Fetch(*client, Get(fake.base_url() + "/models"));
    FAIL("expected the handshake to fail");
  } catch (const Unavailable& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("TLS handshake with localhost") &&
                                          Catch::Contains("certificate verify failed"));
    CHECK_FALSE(e.hint().empty());
  }
}

TEST_CASE("tls: a certificate for another host name is refused", "[http]") {
  TestPki pki;
  REQUIRE(pki.made);
  test::FakeOpenAi fake(TlsOptions(pki));
  http::ClientSettings settings;
  settings.ca_file = pki.dir + "/ca.pem";
  auto client = http::MakeHttpClient(settings);
  const std::string by_ip = "https://127.0.0.1:" + std::to_string(fake.port()) + "/v1/models";
  CHECK_THROWS_WITH(http::Fetch(*client, Get(by_ip)), Catch::Contains("TLS handshake with 127.0.0.1"));
}
