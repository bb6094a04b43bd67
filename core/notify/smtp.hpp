// Sending a finished message over SMTP, through libcurl (smtp:// with
// STARTTLS, or smtps://). Thread-safe: each Send uses its own connection.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace omni::config {
struct EmailSettings;
}

namespace omni::notify {

class MailSender {
 public:
  virtual ~MailSender() = default;
  // Sends `message` (CRLF lines, as BuildMessage makes it) from the
  // envelope sender to every recipient address. Throws Unavailable when the
  // server cannot be reached or the exchange times out, UpstreamError when
  // the server refuses (the SMTP reply in the message; never the password).
  virtual void Send(const std::string& envelope_from, const std::vector<std::string>& recipients,
                    const std::string& message) = 0;
};

// A sender for `settings` (copied). Throws ConfigError when smtp_url is empty.
std::unique_ptr<MailSender> MakeSmtpSender(const config::EmailSettings& settings);

}  // namespace omni::notify
