// One webhook POST through libcurl, with the target check that keeps a
// business from aiming omni at the network it runs in. Private to
// core/webhooks. Thread-safe: each call uses its own handle.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omni::webhooks::detail {

struct PostResult {
  std::optional<int> status;  // nullopt: no HTTP response
  int duration_ms = 0;
  std::string error;          // "" for a 2xx answer
};

// True for an address no webhook may reach without allow_private_targets:
// unspecified, loopback, private, shared, link-local, multicast, reserved,
// and IPv6 forms embedding one of those (mapped, NAT64, 6to4).
// `address` is a numeric IPv4 or IPv6 address; false when it is not one.
bool IsNonPublicAddress(const std::string& address);

// POSTs `body` as JSON with `headers` ("Name: value"). No redirect is
// followed, no proxy used, only http and https spoken; the whole exchange
// is bounded by `timeout_ms`. Unless `allow_private`, the connection is
// refused when the address it would go to is non-public. Never throws for
// a network failure: it is reported in `error`.
PostResult Post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                int timeout_ms, bool allow_private);

}  // namespace omni::webhooks::detail
