// The loopback test server: accept, read one request, answer, close.
#include "tests/support/loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace omni::test {

LoopbackServer::LoopbackServer(Handler handler) : handler_(std::move(handler)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("loopback server: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("loopback server: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  thread_.join();
  ::close(listener_);
}

std::string LoopbackServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<LoopbackRequest> LoopbackServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void LoopbackServer::Serve() {
  while (!stopping_) {
    pollfd waiting{listener_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    Answer(client);
    ::close(client);
  }
}

void LoopbackServer::Answer(int client) {
  // Read the head, then Content-Length bytes of body; give up after 5 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string data;
  std::size_t head_end = std::string::npos;
  std::size_t body_length = 0;
  char buffer[16384];
  while (std::chrono::steady_clock::now() < deadline && !stopping_) {
    if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) break;
    pollfd readable{client, POLLIN, 0};
    if (::poll(&readable, 1, 50) <= 0) continue;
    const ssize_t got = ::recv(client, buffer, sizeof(buffer), 0);
    if (got <= 0) return;
    data.append(buffer, static_cast<std::size_t>(got));
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string lowered = data.substr(0, head_end);
        for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto at = lowered.find("content-length:");
        if (at != std::string::npos) body_length = std::stoul(lowered.substr(at + 15));
      }
    }
  }
  if (head_end == std::string::npos) return;

  LoopbackRequest request;
  const std::string head = data.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const auto space = request_line.find(' ');
  request.method = request_line.substr(0, space);
  request.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos
                                                                                : next - line_end - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers[name] = value;
    }
    line_end = next;
  }
  request.body = data.substr(head_end + 4, body_length);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  const LoopbackResponse response = handler_(request);
  if (response.delay_ms > 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(response.delay_ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (response.drop_connection) return;
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Test\r\n";
  bool has_type = false;
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
    if (name == "Content-Type") has_type = true;
  }
  if (!has_type) out += "Content-Type: text/plain\r\n";
  if (!response.endless) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  while (true) {
    std::size_t sent = 0;
    while (sent < out.size()) {
      pollfd writable{client, POLLOUT, 0};
      if (stopping_) return;
      if (::poll(&writable, 1, 50) <= 0) continue;
      const ssize_t wrote = ::send(client, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (wrote <= 0) return;
      sent += static_cast<std::size_t>(wrote);
    }
    if (!response.endless || response.body.empty()) return;
    out = response.body;
  }
}

}  // namespace omni::test
