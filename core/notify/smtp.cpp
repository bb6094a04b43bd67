// SMTP through libcurl. See smtp.hpp.
//
// libcurl does the protocol, TLS, STARTTLS and AUTH; this file only feeds it
// the message and turns its result codes into omni's errors. Dot-stuffing
// and the final "." are libcurl's too.
#include "core/notify/smtp.hpp"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "core/common/error.hpp"
#include "core/config/config.hpp"

namespace omni::notify {
namespace {

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t ReadChunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  std::size_t room = size * count;
  std::size_t left = upload->data->size() - upload->offset;
  std::size_t n = std::min(room, left);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// The server's host:port for messages: the URL without scheme.
std::string ServerName(const std::string& url) {
  auto pos = url.find("://");
  return pos == std::string::npos ? url : url.substr(pos + 3);
}

class SmtpSender final : public MailSender {
 public:
  explicit SmtpSender(config::EmailSettings settings) : settings_(std::move(settings)) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  void Send(const std::string& envelope_from, const std::vector<std::string>& recipients,
            const std::string& message) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw Unavailable("could not start an SMTP client: out of memory");
    CURL* h = curl.get();
    curl_slist* rcpt = nullptr;
    for (const auto& r : recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, curl_slist_free_all);
    Upload upload{&message};
    char error[CURL_ERROR_SIZE] = {0};
    const std::string from = "<" + envelope_from + ">";
    curl_easy_setopt(h, CURLOPT_URL, settings_.smtp_url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadChunk);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>((settings_.timeout_ms + 999) / 1000));
    // A whole exchange: generous, since a large message over a slow link
    // takes longer than one reply.
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout_ms) * 6);
    const bool implicit_tls = settings_.smtp_url.rfind("smtps://", 0) == 0;
    if (!implicit_tls) {
      curl_easy_setopt(h, CURLOPT_USE_SSL,
                       settings_.starttls == "off" ? static_cast<long>(CURLUSESSL_NONE) : static_cast<long>(CURLUSESSL_ALL));
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    const CURLcode code = curl_easy_perform(h);
    if (code == CURLE_OK) return;
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    const std::string detail = error[0] ? error : curl_easy_strerror(code);
    const std::string server = ServerName(settings_.smtp_url);
    switch (code) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        throw Unavailable("could not send mail through " + server + ": " + detail,
                          "Check email.smtp_url and that the server is up.");
      case CURLE_USE_SSL_FAILED:
        throw UpstreamError("could not send mail through " + server + ": the server does not offer STARTTLS",
                            "Use smtps:// for TLS from the start, or email.starttls: off for a relay on this host.");
      case CURLE_LOGIN_DENIED:
        throw UpstreamError("could not send mail through " + server + ": login refused for email.username",
                            "Check email.username and email.password.");
      default:
        throw UpstreamError("could not send mail through " + server + ": " + detail +
                            (reply ? " (SMTP " + std::to_string(reply) + ")" : ""));
    }
  }

 private:
  config::EmailSettings settings_;
};

}  // namespace

std::unique_ptr<MailSender> MakeSmtpSender(const config::EmailSettings& settings) {
  if (settings.smtp_url.empty()) throw ConfigError("email.smtp_url is empty: there is no server to send through");
  return std::make_unique<SmtpSender>(settings);
}

}  // namespace omni::notify
