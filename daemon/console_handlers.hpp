// The operator API (/v1/console/...), one handler file each
// (daemon/console_*_handler.cpp, where each request and response is
// documented), wired in daemon/router.cpp. Every route but login and
// password runs through RunConsole (daemon/console.hpp), which documents
// credentials, CSRF and the 401/403 answers.
//
//   POST /v1/console/login                          -> session cookie + {"csrf_token",...}
//   POST /v1/console/logout                         (session)
//   GET  /v1/console/me                             (any caller)
//   POST /v1/console/password                       set-password token + new password
//   GET  /v1/console/conversations                  conversations:read, cursor paging
//   GET  /v1/console/conversations/{id}             conversations:read, full transcript
//   POST /v1/console/conversations/{id}/reply       conversations:write
//   POST /v1/console/conversations/{id}/resolve     conversations:write
//   POST /v1/console/conversations/{id}/escalate    conversations:write
//   POST /v1/console/conversations/{id}/reopen      conversations:write
//   POST /v1/console/conversations/{id}/assign      conversations:write
//   GET  /v1/console/conversations/{id}/customer    customers:read, the customer panel
//   GET  /v1/console/conversations/{id}/notes       conversations:read
//   POST /v1/console/conversations/{id}/notes       conversations:write
//   GET  /v1/console/events                         conversations:read, SSE
//   GET  /v1/console/analytics/summary              analytics:read
//   GET  /v1/console/analytics/trends               analytics:read
//   GET  /v1/console/analytics/chart                analytics:read, SVG
//   GET  /v1/console/team                           team (owners)
//   POST /v1/console/team, PATCH|DELETE /v1/console/team/{id}      team
//   GET|POST /v1/console/keys, DELETE /v1/console/keys/{id}        team
//   GET  /v1/console/customers[/{id}], PATCH /v1/console/customers/{id},
//   POST /v1/console/customers/{id}/tags|merge      customers:read|write
//   GET  /v1/console/appointments, /v1/console/slots, POST
//   /v1/console/appointments[/{id}/reschedule|cancel] appointments:read|write
//   GET|POST /v1/console/knowledge, DELETE /v1/console/knowledge/{id},
//   GET  /v1/console/knowledge/search               knowledge:read|write
//   GET  /v1/console/analytics/conversations        analytics:read, streamed
//   GET  /v1/console/usage, /v1/console/billing, POST
//   /v1/console/billing/portal                      billing (owners)
//
// Ids in paths are full ids (UUIDs); anything else is 404, like an id of
// another business.
//
// Errors are {"error":{"code","message","hint"?}} with the webchat's status
// map (daemon/http_errors.hpp): 400 invalid_input, 401 unauthorized, 403
// csrf_failed / forbidden, 404 not_found, 409 conflict, 415
// unsupported_media_type, 429 rate_limited, 503 unavailable; 402
// limit_reached at a plan limit, 409 slot_taken (with alternatives).
#pragma once

#include "daemon/handler.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleConsoleLogin(Exchange& exchange);
asio::awaitable<Response> HandleConsoleLogout(Exchange& exchange);
asio::awaitable<Response> HandleConsoleMe(Exchange& exchange);
asio::awaitable<Response> HandleConsolePassword(Exchange& exchange);
asio::awaitable<Response> HandleConsoleConversations(Exchange& exchange);
asio::awaitable<Response> HandleConsoleConversation(Exchange& exchange);
asio::awaitable<Response> HandleConsoleReply(Exchange& exchange);
asio::awaitable<Response> HandleConsoleResolve(Exchange& exchange);
asio::awaitable<Response> HandleConsoleEscalate(Exchange& exchange);
asio::awaitable<Response> HandleConsoleReopen(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAssign(Exchange& exchange);
asio::awaitable<Response> HandleConsoleTeammates(Exchange& exchange);
asio::awaitable<Response> HandleConsoleConversationCustomer(Exchange& exchange);
asio::awaitable<Response> HandleConsoleNotes(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAddNote(Exchange& exchange);
asio::awaitable<Response> HandleConsoleEvents(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAnalyticsSummary(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAnalyticsTrends(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAnalyticsChart(Exchange& exchange);
asio::awaitable<Response> HandleConsoleTeam(Exchange& exchange);
asio::awaitable<Response> HandleConsoleTeamInvite(Exchange& exchange);
asio::awaitable<Response> HandleConsoleTeamRole(Exchange& exchange);
asio::awaitable<Response> HandleConsoleTeamRemove(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKeys(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKeyCreate(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKeyRevoke(Exchange& exchange);
asio::awaitable<Response> HandleConsoleCustomers(Exchange& exchange);
asio::awaitable<Response> HandleConsoleCustomer(Exchange& exchange);
asio::awaitable<Response> HandleConsoleCustomerUpdate(Exchange& exchange);
asio::awaitable<Response> HandleConsoleCustomerTags(Exchange& exchange);
asio::awaitable<Response> HandleConsoleCustomerMerge(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAppointments(Exchange& exchange);
asio::awaitable<Response> HandleConsoleSlots(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAppointmentCreate(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAppointmentReschedule(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAppointmentCancel(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKnowledge(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKnowledgeAdd(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKnowledgeRemove(Exchange& exchange);
asio::awaitable<Response> HandleConsoleKnowledgeSearch(Exchange& exchange);
asio::awaitable<Response> HandleConsoleAnalyticsExport(Exchange& exchange);
asio::awaitable<Response> HandleConsoleUsage(Exchange& exchange);
asio::awaitable<Response> HandleConsoleBilling(Exchange& exchange);
asio::awaitable<Response> HandleConsoleBillingPortal(Exchange& exchange);

}  // namespace omni::omnid
