// The test HTTP client (Beast) and raw connection (POSIX sockets); see
// http_test_client.hpp.
#include "tests/support/http_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/common/text.hpp"

namespace omni::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

std::optional<std::string> HttpResult::Header(const std::string& name) const {
  const auto it = headers.find(Lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

nlohmann::json HttpResult::Json() const { return nlohmann::json::parse(body); }

HttpResult HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  if (request.method() == http::verb::unknown) request.method_string(method);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.body() = body;
    request.prepare_payload();
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);

  std::string failure;
  const auto fail_on = [&failure](const char* what) {
    return [&failure, what](const beast::error_code& ec) {
      if (ec && failure.empty()) failure = std::string(what) + ": " + ec.message();
    };
  };
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    fail_on("connect")(ec);
    if (ec) return;
    http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
      fail_on("send")(write_ec);
      if (write_ec) return;
      http::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) {
        fail_on("read")(read_ec);
      });
    });
  });
  io.run();
  if (!failure.empty()) {
    throw std::runtime_error(method + " http://127.0.0.1:" + std::to_string(port) + target + " failed at " + failure);
  }
  const auto& response = parser.get();
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  for (const auto& field : response) result.headers[Lower(std::string(field.name_string()))] = std::string(field.value());
  result.body = response.body();
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return result;
}

HttpResult HttpGet(std::uint16_t port, const std::string& target, const HttpHeaders& headers,
                   std::chrono::milliseconds timeout) {
  return HttpRequest(port, "GET", target, {}, headers, timeout);
}

HttpResult HttpPost(std::uint16_t port, const std::string& target, const std::string& body,
                    const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  HttpHeaders with_type = headers;
  bool has_type = false;
  for (const auto& [name, value] : headers) has_type = has_type || Lower(name) == "content-type";
  if (!has_type) with_type["Content-Type"] = "application/json";
  return HttpRequest(port, "POST", target, body, with_type, timeout);
}

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = std::strerror(errno);
    close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + error);
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

void RawConnection::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("send: " + std::string(std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
}

bool RawConnection::ReadSome(std::chrono::milliseconds timeout) {
  pollfd entry{fd_, POLLIN, 0};
  const int ready = poll(&entry, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  char chunk[16384];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;
  } else {
    received_.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawConnection::ReadUntil(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && received_.find(text) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ReadSome(left)) break;
  }
  return received_;
}

std::string RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ReadSome(left)) break;
  }
  return received_;
}

}  // namespace omni::test
