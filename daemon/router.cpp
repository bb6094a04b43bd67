// The route table and path matching; see router.hpp.
#include "daemon/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "daemon/chat_handlers.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/console_page_handlers.hpp"
#include "daemon/handlers.hpp"
#include "daemon/openapi.hpp"
#include "daemon/widget_handlers.hpp"

namespace omni::omnid {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    segments.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Router MakeRouter() {
  Router router;
  router.Add({"GET", "/", HandleIndex});
  router.Add({"GET", "/favicon.ico", HandleFavicon});
  router.Add({"GET", "/healthz", HandleHealthz});
  router.Add({"GET", "/readyz", HandleReadyz});
  router.Add({"GET", "/metrics", HandleMetrics});
  router.Add({"GET", "/v1/openapi.json", HandleOpenApi});
  // The public chat API (daemon/chat_handlers.hpp).
  router.Add({"POST", "/v1/chat/{business_slug}/session", HandleChatSession});
  router.Add({"POST", "/v1/chat/{business_slug}/messages", HandleChatMessages});
  router.Add({"GET", "/v1/chat/{business_slug}/conversations/{id}/messages", HandleChatHistory});
  router.Add({"GET", "/v1/chat/{business_slug}/conversations/{id}/events", HandleChatEvents});
  // A rating is a score and a short comment: 8 KiB is plenty.
  router.Add({"POST", "/v1/chat/{business_slug}/conversations/{id}/close", HandleChatClose, 1024});
  router.Add({"POST", "/v1/chat/{business_slug}/conversations/{id}/rating", HandleChatRating, 8192});
  for (const char* pattern : {"/v1/chat/{business_slug}/session", "/v1/chat/{business_slug}/messages",
                              "/v1/chat/{business_slug}/conversations/{id}/messages",
                              "/v1/chat/{business_slug}/conversations/{id}/events",
                              "/v1/chat/{business_slug}/conversations/{id}/close",
                              "/v1/chat/{business_slug}/conversations/{id}/rating"}) {
    router.Add({"OPTIONS", pattern, HandleChatPreflight});
  }
  // Stripe's events; its payloads stay well below 1 MiB.
  router.Add({"POST", "/v1/stripe/webhook", HandleStripeWebhook, 1 << 20});
  // The operator API (daemon/console_handlers.hpp).
  router.Add({"POST", "/v1/console/login", HandleConsoleLogin, 8 * 1024});
  router.Add({"POST", "/v1/console/logout", HandleConsoleLogout, 1024});
  router.Add({"GET", "/v1/console/me", HandleConsoleMe});
  router.Add({"POST", "/v1/console/password", HandleConsolePassword, 8 * 1024});
  router.Add({"GET", "/v1/console/conversations", HandleConsoleConversations});
  router.Add({"GET", "/v1/console/conversations/{id}", HandleConsoleConversation});
  router.Add({"POST", "/v1/console/conversations/{id}/reply", HandleConsoleReply, 32 * 1024});
  router.Add({"POST", "/v1/console/conversations/{id}/resolve", HandleConsoleResolve, 1024});
  router.Add({"POST", "/v1/console/conversations/{id}/escalate", HandleConsoleEscalate, 8 * 1024});
  router.Add({"POST", "/v1/console/conversations/{id}/reopen", HandleConsoleReopen, 1024});
  router.Add({"POST", "/v1/console/conversations/{id}/assign", HandleConsoleAssign, 1024});
  router.Add({"GET", "/v1/console/conversations/{id}/customer", HandleConsoleConversationCustomer});
  router.Add({"GET", "/v1/console/conversations/{id}/notes", HandleConsoleNotes});
  router.Add({"POST", "/v1/console/conversations/{id}/notes", HandleConsoleAddNote, 32 * 1024});
  router.Add({"GET", "/v1/console/events", HandleConsoleEvents});
  router.Add({"GET", "/v1/console/analytics/summary", HandleConsoleAnalyticsSummary});
  router.Add({"GET", "/v1/console/analytics/trends", HandleConsoleAnalyticsTrends});
  router.Add({"GET", "/v1/console/analytics/chart", HandleConsoleAnalyticsChart});
  router.Add({"GET", "/v1/console/teammates", HandleConsoleTeammates});
  router.Add({"GET", "/v1/console/team", HandleConsoleTeam});
  router.Add({"POST", "/v1/console/team", HandleConsoleTeamInvite, 8 * 1024});
  router.Add({"PATCH", "/v1/console/team/{id}", HandleConsoleTeamRole, 1024});
  router.Add({"DELETE", "/v1/console/team/{id}", HandleConsoleTeamRemove, 1024});
  router.Add({"GET", "/v1/console/keys", HandleConsoleKeys});
  router.Add({"POST", "/v1/console/keys", HandleConsoleKeyCreate, 8 * 1024});
  router.Add({"DELETE", "/v1/console/keys/{id}", HandleConsoleKeyRevoke, 1024});
  router.Add({"GET", "/v1/console/customers", HandleConsoleCustomers});
  router.Add({"GET", "/v1/console/customers/{id}", HandleConsoleCustomer});
  router.Add({"PATCH", "/v1/console/customers/{id}", HandleConsoleCustomerUpdate, 128 * 1024});
  router.Add({"POST", "/v1/console/customers/{id}/tags", HandleConsoleCustomerTags, 32 * 1024});
  router.Add({"POST", "/v1/console/customers/{id}/merge", HandleConsoleCustomerMerge, 1024});
  router.Add({"GET", "/v1/console/appointments", HandleConsoleAppointments});
  router.Add({"GET", "/v1/console/slots", HandleConsoleSlots});
  router.Add({"POST", "/v1/console/appointments", HandleConsoleAppointmentCreate, 16 * 1024});
  router.Add({"POST", "/v1/console/appointments/{id}/reschedule", HandleConsoleAppointmentReschedule, 4096});
  router.Add({"POST", "/v1/console/appointments/{id}/cancel", HandleConsoleAppointmentCancel, 4096});
  router.Add({"GET", "/v1/console/knowledge", HandleConsoleKnowledge});
  // A document typed or pasted in the console; bigger ones go through `omni ingest`.
  router.Add({"POST", "/v1/console/knowledge", HandleConsoleKnowledgeAdd, 8 << 20});
  router.Add({"DELETE", "/v1/console/knowledge/{id}", HandleConsoleKnowledgeRemove, 1024});
  router.Add({"GET", "/v1/console/knowledge/search", HandleConsoleKnowledgeSearch});
  router.Add({"GET", "/v1/console/analytics/conversations", HandleConsoleAnalyticsExport});
  router.Add({"GET", "/v1/console/usage", HandleConsoleUsage});
  router.Add({"GET", "/v1/console/billing", HandleConsoleBilling});
  router.Add({"POST", "/v1/console/billing/portal", HandleConsoleBillingPortal, 4096});
  // The operator console's front end (daemon/console_page_handlers.hpp).
  router.Add({"GET", "/console", HandleConsolePage});
  router.Add({"GET", "/console/set-password", HandleConsolePage});
  router.Add({"GET", "/console/console.js", HandleConsoleScript});
  router.Add({"GET", "/console/console.css", HandleConsoleStyle});
  router.Add({"GET", "/admin", HandleConsoleRedirect});
  router.Add({"GET", "/dashboard", HandleConsoleRedirect});
  // The webchat front end (daemon/widget_handlers.hpp).
  router.Add({"GET", "/widget.js", HandleWidgetScript});
  router.Add({"GET", "/chat/{business_slug}", HandleChatPage});
  return router;
}

void Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
  }
  Entry entry{std::move(route), {}};
  entry.segments = SplitPath(entry.route.pattern);
  for (const auto& segment : entry.segments) {
    const bool has_brace = segment.find_first_of("{}") != std::string::npos;
    if (has_brace && !IsParam(segment)) {
      throw std::invalid_argument("malformed route parameter in " + entry.route.pattern);
    }
  }
  entries_.push_back(std::move(entry));
}

std::vector<const Route*> Router::routes() const {
  std::vector<const Route*> list;
  list.reserve(entries_.size());
  for (const auto& entry : entries_) list.push_back(&entry.route);
  return list;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match match = FindExact(method, path);
  // HEAD is GET without the body, which the server leaves out.
  if (match.route == nullptr && method == "HEAD") {
    Match get = FindExact("GET", path);
    if (get.route != nullptr) return get;
  }
  return match;
}

Router::Match Router::FindExact(const std::string& method, const std::string& path) const {
  Match match;
  if (path.empty() || path.front() != '/') return match;
  const auto segments = SplitPath(path);
  for (const auto& entry : entries_) {
    if (entry.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matched = true;
    for (std::size_t i = 0; i < segments.size() && matched; ++i) {
      const auto& want = entry.segments[i];
      if (IsParam(want)) {
        if (segments[i].empty()) {
          matched = false;
        } else {
          params[want.substr(1, want.size() - 2)] = PercentDecode(segments[i], false);
        }
      } else {
        matched = want == segments[i];
      }
    }
    if (!matched) continue;
    if (entry.route.method == method) {
      match.route = &entry.route;
      match.params = std::move(params);
      match.allowed.clear();
      return match;
    }
    if (std::find(match.allowed.begin(), match.allowed.end(), entry.route.method) == match.allowed.end()) {
      match.allowed.push_back(entry.route.method);
    }
  }
  return match;
}

std::string PercentDecode(const std::string& text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

}  // namespace omni::omnid
