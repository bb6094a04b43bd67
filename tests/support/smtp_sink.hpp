// A local SMTP server for tests: Debian's python3-aiosmtpd on 127.0.0.1 on a
// free port, storing every message it accepts in a Maildir, so a test reads
// back exactly the bytes omni sent. With a certificate it offers STARTTLS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni::test {

class SmtpSink {
 public:
  // Starts the server and waits until it accepts connections. With
  // `tls_cert`/`tls_key` (PEM files) it offers STARTTLS. Throws
  // std::runtime_error when it does not come up.
  explicit SmtpSink(const std::string& tls_cert = "", const std::string& tls_key = "");

  std::uint16_t port() const { return port_; }
  // "smtp://127.0.0.1:PORT".
  std::string url() const;
  // Every message received so far, oldest first, as raw RFC 5322 text.
  std::vector<std::string> Messages() const;
  // Waits up to `timeout_ms` for at least `count` messages.
  bool WaitForMessages(std::size_t count, int timeout_ms) const;

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> server_;
};

}  // namespace omni::test
