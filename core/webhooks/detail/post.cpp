// A webhook POST through libcurl. See post.hpp.
//
// The target check runs in CURLOPT_OPENSOCKETFUNCTION, on the address
// libcurl is about to connect to, after its own DNS lookup: checking the
// host name beforehand would leave a window for a name that resolves to a
// public address once and to 127.0.0.1 the next time.
#include "core/webhooks/detail/post.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

namespace omni::webhooks::detail {
namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr std::size_t kErrorBodyBytes = 200;

bool NonPublicV4(const unsigned char* a) {
  const unsigned b0 = a[0], b1 = a[1], b2 = a[2];
  return b0 == 0 || b0 == 10 || b0 == 127 || (b0 == 100 && (b1 & 0xC0) == 64) || (b0 == 169 && b1 == 254) ||
         (b0 == 172 && (b1 & 0xF0) == 16) || (b0 == 192 && b1 == 168) || (b0 == 192 && b1 == 0 && b2 == 0) ||
         (b0 == 192 && b1 == 0 && b2 == 2) || (b0 == 198 && (b1 & 0xFE) == 18) ||
         (b0 == 198 && b1 == 51 && b2 == 100) || (b0 == 203 && b1 == 0 && b2 == 113) || b0 >= 224;
}

bool NonPublicV6(const unsigned char* a) {
  static const unsigned char kZero[16] = {0};
  if (std::memcmp(a, kZero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return true;  // :: and ::1
  if ((a[0] & 0xFE) == 0xFC) return true;                                          // fc00::/7 unique local
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return true;                          // fe80::/10 link-local
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return true;                          // fec0::/10 site-local
  if (a[0] == 0xFF) return true;                                                   // multicast
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(a, kMapped, 12) == 0) return NonPublicV4(a + 12);
  if (std::memcmp(a, kZero, 12) == 0) return NonPublicV4(a + 12);  // IPv4-compatible
  static const unsigned char kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, kNat64, 12) == 0) return NonPublicV4(a + 12);
  if (a[0] == 0x20 && a[1] == 0x02) return NonPublicV4(a + 2);  // 6to4
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8) return true;  // documentation
  return false;
}

struct Exchange {
  bool allow_private = false;
  bool refused = false;
  std::string refused_address;
  std::string response;
};

curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* exchange = static_cast<Exchange*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && !exchange->allow_private) {
    char text[INET6_ADDRSTRLEN] = {0};
    bool blocked = true;
    if (address->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
      blocked = NonPublicV4(reinterpret_cast<const unsigned char*>(&in->sin_addr));
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    } else if (address->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      blocked = NonPublicV6(reinterpret_cast<const unsigned char*>(&in6->sin6_addr));
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    }
    if (blocked) {
      exchange->refused = true;
      exchange->refused_address = text;
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  if (exchange->response.size() + n > kMaxResponseBytes) return 0;  // aborts: the answer is the status
  exchange->response.append(data, n);
  return n;
}

// The start of a failed answer's body, on one line, for the delivery log.
std::string Excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, kErrorBodyBytes)) out.push_back(c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
  return out;
}

}  // namespace

bool IsNonPublicAddress(const std::string& address) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) return NonPublicV4(bytes);
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) return NonPublicV6(bytes);
  return false;
}

PostResult Post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                int timeout_ms, bool allow_private) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  PostResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    result.error = "could not start an HTTP client: out of memory";
    return result;
  }
  CURL* h = curl.get();
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list_guard(list, curl_slist_free_all);
  Exchange exchange;
  exchange.allow_private = allow_private;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  // A proxy from the environment would be the address checked instead of
  // the target's, and would see every payload.
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "omni-webhooks/1");
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const auto started = std::chrono::steady_clock::now();
  const CURLcode code = curl_easy_perform(h);
  result.duration_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status > 0) result.status = static_cast<int>(status);
  if (exchange.refused) {
    result.error = "refused: the target address " + exchange.refused_address +
                   " is not public (webhooks.allow_private_targets is off)";
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    result.error = "timed out after " + std::to_string(timeout_ms) + " ms";
  } else if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && result.status)) {
    result.error = std::string(curl_easy_strerror(code)) + (error[0] ? std::string(": ") + error : "");
  } else if (!result.status || *result.status < 200 || *result.status > 299) {
    result.error = "HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) result.error += " (redirects are not followed)";
    const std::string excerpt = Excerpt(exchange.response);
    if (!excerpt.empty()) result.error += ": " + excerpt;
  }
  return result;
}

}  // namespace omni::webhooks::detail
