// The aiosmtpd sink. See smtp_sink.hpp.
#include "tests/support/smtp_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace omni::test {
namespace {

// A port nobody listens on now; the sink binds it a moment later.
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

SmtpSink::SmtpSink(const std::string& tls_cert, const std::string& tls_key) {
  port_ = FreePort();
  const std::string maildir = (dir_.path() / "maildir").string();
  ProcessOptions options;
  options.args = {"-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port_), "-c",
                  "aiosmtpd.handlers.Mailbox"};
  if (!tls_cert.empty()) {
    options.args.insert(options.args.end(), {"--tlscert", tls_cert, "--tlskey", tls_key});
  }
  options.args.push_back(maildir);
  server_ = std::make_unique<Process>("/usr/bin/python3", options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!Accepts(port_)) {
    if (!server_->Running() || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the SMTP sink did not start: " + server_->Stderr());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string SmtpSink::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> SmtpSink::Messages() const {
  std::vector<std::pair<std::filesystem::file_time_type, std::string>> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "maildir" / "new", error)) {
    std::ifstream file(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    files.emplace_back(entry.last_write_time(), text.str());
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> messages;
  for (auto& [time, text] : files) messages.push_back(std::move(text));
  return messages;
}

bool SmtpSink::WaitForMessages(std::size_t count, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Messages().size() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace omni::test
