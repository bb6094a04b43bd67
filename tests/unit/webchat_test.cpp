// The public chat API's pure rules: visitor tokens and resuming them,
// identity hashes, the token-bucket rate limiter, opening hours in the
// business's zone, widget defaults, allowed origins, what a visitor sees
// and may continue, and LISTEN payloads.
#include <catch2/catch.hpp>
#include <chrono>

#include "core/booking/local_time.hpp"
#include "core/chat/conversations.hpp"
#include "core/webchat/notifications.hpp"
#include "core/webchat/policy.hpp"
#include "core/webchat/rate_limit.hpp"
#include "core/webchat/token.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;

TimePoint At(std::int64_t unix_s) { return TimePoint{std::chrono::seconds{unix_s}}; }

webchat::VisitorClaims Claims() {
  webchat::VisitorClaims claims;
  claims.business_id = "b-1";
  claims.visitor_id = "v_abc";
  claims.customer_id = "c-9";
  claims.verified = true;
  claims.expires_at_s = 1000;
  return claims;
}

TEST_CASE("a visitor token round-trips and expires at its second", "[webchat]") {
  const std::string token = webchat::SignVisitorToken(Claims(), "secret-0123456789");
  CHECK(token.starts_with("v1."));
  auto verdict = webchat::VerifyVisitorToken(token, "secret-0123456789", At(999));
  REQUIRE(verdict.check == webchat::TokenCheck::kValid);
  CHECK(verdict.claims.business_id == "b-1");
  CHECK(verdict.claims.visitor_id == "v_abc");
  CHECK(verdict.claims.customer_id == "c-9");
  CHECK(verdict.claims.verified);
  verdict = webchat::VerifyVisitorToken(token, "secret-0123456789", At(1000));
  CHECK(verdict.check == webchat::TokenCheck::kExpired);
  CHECK(verdict.claims.visitor_id == "v_abc");
}

TEST_CASE("forged and mangled visitor tokens are refused", "[webchat]") {
  const std::string token = webchat::SignVisitorToken(Claims(), "secret-0123456789");
  CHECK(webchat::VerifyVisitorToken(token, "another-secret-0000", At(1)).check == webchat::TokenCheck::kBadSignature);

  // Same signature, payload claiming another business.
  auto forged_claims = Claims();
  forged_claims.business_id = "b-2";
  const std::string other = webchat::SignVisitorToken(forged_claims, "secret-0123456789");
  const std::string spliced = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
  CHECK(webchat::VerifyVisitorToken(spliced, "secret-0123456789", At(1)).check == webchat::TokenCheck::kBadSignature);

  std::string flipped = token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  CHECK(webchat::VerifyVisitorToken(flipped, "secret-0123456789", At(1)).check != webchat::TokenCheck::kValid);
  for (const char* bad : {"", "v1.", "v1..", "garbage", "v2.abc.def", "v1.@@@.###"}) {
    CHECK(webchat::VerifyVisitorToken(bad, "secret-0123456789", At(1)).check != webchat::TokenCheck::kValid);
  }
}

// The same bytes spelt another way: the unused low bits of the last base64url
// character set. Only a segment whose length is not a multiple of 4 has any.
std::string WithUnusedBitsSet(std::string segment) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  REQUIRE(segment.size() % 4 != 0);
  const std::size_t value = kAlphabet.find(segment.back());
  REQUIRE(value != std::string::npos);
  REQUIRE((value & 1) == 0);
  segment.back() = kAlphabet[value | 1];
  return segment;
}

TEST_CASE("a visitor token is accepted only in its one canonical spelling", "[webchat]") {
  const std::string secret = "secret-0123456789";
  // A visitor id that leaves the payload's last character with unused bits.
  auto claims = Claims();
  std::string token;
  for (claims.visitor_id = "v_a";; claims.visitor_id += "b") {
    token = webchat::SignVisitorToken(claims, secret);
    if ((token.rfind('.') - 3) % 4 != 0) break;
  }
  REQUIRE(webchat::VerifyVisitorToken(token, secret, At(1)).check == webchat::TokenCheck::kValid);
  const std::size_t dot = token.rfind('.');
  const std::string payload = token.substr(3, dot - 3);
  const std::string signature = token.substr(dot + 1);

  SECTION("the signature's unused bits") {
    const std::string respelt = "v1." + payload + "." + WithUnusedBitsSet(signature);
    REQUIRE(respelt != token);
    CHECK(webchat::VerifyVisitorToken(respelt, secret, At(1)).check == webchat::TokenCheck::kMalformed);
  }
  SECTION("the payload's unused bits") {
    const std::string respelt = "v1." + WithUnusedBitsSet(payload) + "." + signature;
    CHECK(webchat::VerifyVisitorToken(respelt, secret, At(1)).check != webchat::TokenCheck::kValid);
  }
  SECTION("padding or stray characters") {
    for (const std::string& bad : {token + "=", token + "==", "v1." + payload + "=." + signature, token + "\n",
                                  "v1." + payload + "." + signature + "A"}) {
      CHECK(webchat::VerifyVisitorToken(bad, secret, At(1)).check != webchat::TokenCheck::kValid);
    }
  }
}

TEST_CASE("an earlier token of the business resumes its visitor while valid and for 30 days after", "[webchat]") {
  const std::string secret = "secret-0123456789";
  const std::string token = webchat::SignVisitorToken(Claims(), secret);  // expires at 1000
  auto resumed = webchat::ResumableClaims(token, secret, "b-1", At(999));
  REQUIRE(resumed);
  CHECK(resumed->visitor_id == "v_abc");
  CHECK(resumed->customer_id == "c-9");
  CHECK(resumed->verified);
  CHECK(webchat::ResumableClaims(token, secret, "b-1", At(1000 + webchat::kResumeWindowS - 1)));
  CHECK_FALSE(webchat::ResumableClaims(token, secret, "b-1", At(1000 + webchat::kResumeWindowS)));
  CHECK(webchat::kResumeWindowS == 30 * 86400);
  CHECK_FALSE(webchat::ResumableClaims(token, secret, "b-2", At(999)));
  CHECK_FALSE(webchat::ResumableClaims(token, "another-secret-0000", "b-1", At(999)));
  CHECK_FALSE(webchat::ResumableClaims("garbage", secret, "b-1", At(999)));
}

TEST_CASE("identity hashes are HMAC-SHA256 hex under the widget secret", "[webchat]") {
  // RFC 4231 test case 2.
  CHECK(webchat::HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string hash = webchat::HmacSha256Hex("widget-secret", "user-42");
  CHECK(webchat::IdentityMatches("user-42", hash, "widget-secret"));
  std::string upper = hash;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(webchat::IdentityMatches("user-42", upper, "widget-secret"));
  CHECK_FALSE(webchat::IdentityMatches("user-43", hash, "widget-secret"));
  CHECK_FALSE(webchat::IdentityMatches("user-42", hash, "other-secret"));
  CHECK_FALSE(webchat::IdentityMatches("user-42", "", "widget-secret"));
  CHECK_FALSE(webchat::IdentityMatches("", webchat::HmacSha256Hex("widget-secret", ""), "widget-secret"));
  CHECK(webchat::RandomHex(16).size() == 32);
  CHECK(webchat::RandomHex(16) != webchat::RandomHex(16));
}

TEST_CASE("the token bucket allows a burst, then one per refill, and says when", "[webchat]") {
  webchat::RateLimiter limiter({60, 3});  // one a second, three at once
  const TimePoint t0 = At(100);
  CHECK(limiter.Take("a", t0) == 0);
  CHECK(limiter.Take("a", t0) == 0);
  CHECK(limiter.Take("a", t0) == 0);
  CHECK(limiter.Take("a", t0) == 1);
  CHECK(limiter.Take("b", t0) == 0);  // keys are independent
  CHECK(limiter.Take("a", t0 + 500ms) == 1);
  CHECK(limiter.Take("a", t0 + 1s) == 0);
  CHECK(limiter.Take("a", t0 + 1s) == 1);

  webchat::RateLimiter slow({6, 1});  // one every 10 s
  CHECK(slow.Take("x", t0) == 0);
  CHECK(slow.Take("x", t0 + 1s) == 9);

  webchat::RateLimiter off({0, 1});
  for (int i = 0; i < 100; ++i) CHECK(off.Take("x", t0) == 0);
}

TEST_CASE("the rate limiter forgets idle buckets when it is full", "[webchat]") {
  webchat::RateLimiter limiter({60, 1}, 2);
  const TimePoint t0 = At(100);
  CHECK(limiter.Take("a", t0) == 0);
  CHECK(limiter.Take("b", t0) == 0);
  CHECK(limiter.Take("c", t0 + 5s) == 0);  // a and b refilled: dropped
  CHECK(limiter.Take("c", t0 + 5s) == 1);
}

TEST_CASE("open now follows the weekly hours and overrides in the business's zone", "[webchat]") {
  business::BusinessSpec spec;
  spec.slug = "acme";
  spec.timezone = "America/New_York";
  spec.weekly[1] = {{9 * 60, 17 * 60}};  // Tuesday 09:00-17:00
  // 2026-11-24 is a Tuesday.
  CHECK(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-24 09:00", spec.timezone)));
  CHECK(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-24 16:59", spec.timezone)));
  CHECK_FALSE(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-24 17:00", spec.timezone)));
  CHECK_FALSE(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-24 08:59", spec.timezone)));
  // 15:00 UTC is 10:00 in New York: open; in UTC terms it is still Tuesday.
  CHECK(webchat::OpenNow(spec, booking::ParseInstantOrDate("2026-11-24T15:00:00Z", "UTC")));
  CHECK_FALSE(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-25 10:00", spec.timezone)));  // Wednesday
  spec.overrides["2026-11-24"] = {};  // closed that day
  CHECK_FALSE(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-24 10:00", spec.timezone)));
  spec.overrides["2026-11-25"] = {{12 * 60, 13 * 60}};
  CHECK(webchat::OpenNow(spec, booking::ParseStartTime("2026-11-25 12:30", spec.timezone)));
}

TEST_CASE("the widget's title and greeting fall back to the business name and the AI's greeting", "[webchat]") {
  business::BusinessSpec spec;
  spec.name = "Bella Hair Studio";
  spec.ai.greeting = "Hi! How can I help?";
  CHECK(webchat::WidgetTitle(spec) == "Bella Hair Studio");
  CHECK(webchat::WidgetGreeting(spec) == "Hi! How can I help?");
  spec.widget.title = "Chat with Bella";
  spec.widget.greeting = "Welcome to Bella!";
  CHECK(webchat::WidgetTitle(spec) == "Chat with Bella");
  CHECK(webchat::WidgetGreeting(spec) == "Welcome to Bella!");
}

TEST_CASE("allowed origins decide CORS and frame-ancestors", "[webchat]") {
  const std::vector<std::string> allowed = {"https://shop.example", "http://localhost:8080/"};
  CHECK(webchat::OriginAllowed(allowed, "https://shop.example"));
  CHECK(webchat::OriginAllowed(allowed, "HTTPS://Shop.Example"));
  CHECK(webchat::OriginAllowed(allowed, "http://localhost:8080"));
  CHECK_FALSE(webchat::OriginAllowed(allowed, "https://evil.example"));
  CHECK_FALSE(webchat::OriginAllowed(allowed, "https://shop.example.evil.example"));
  CHECK_FALSE(webchat::OriginAllowed(allowed, "null"));
  CHECK(webchat::OriginAllowed({}, "https://anyone.example"));
  CHECK(webchat::FrameAncestors(allowed) == "frame-ancestors 'self' https://shop.example http://localhost:8080");
  CHECK(webchat::FrameAncestors({}) == "frame-ancestors *");
}

TEST_CASE("message length counts characters, not bytes", "[webchat]") {
  CHECK(webchat::CountCharacters("hello") == 5);
  CHECK(webchat::CountCharacters("h\xC3\xA9llo") == 5);      // é
  CHECK(webchat::CountCharacters("\xF0\x9F\x98\x80!") == 2);  // emoji
}

TEST_CASE("LISTEN payloads become notices", "[webchat]") {
  auto notice = webchat::ParseNotice(
      R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"HUMAN"})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kMessage);
  CHECK(notice->role == "HUMAN");
  notice = webchat::ParseNotice(R"({"business_id":"b","conversation_id":"c","status":"ESCALATED"})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kStatus);
  CHECK(notice->status == "ESCALATED");
  notice = webchat::ParseNotice(R"({"business_id":"b","conversation_id":"c","assigned_to":"sam"})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kAssign);
  notice = webchat::ParseNotice(R"({"business_id":"b","conversation_id":"c","assigned_to":""})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kAssign);
  notice = webchat::ParseNotice(R"({"business_id":"b","conversation_id":"c","note_id":"n"})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kNote);
  CHECK(notice->note_id == "n");
  notice = webchat::ParseNotice(R"({"business_id":"b","removed_user_id":"u"})");
  REQUIRE(notice);
  CHECK(notice->kind == webchat::ConversationNotice::Kind::kTeammateRemoved);
  CHECK(notice->user_id == "u");
  CHECK(notice->conversation_id.empty());
  CHECK(webchat::InboxKind(*notice) == nullptr);
  CHECK_FALSE(webchat::UpdateForVisitor(*notice));
  CHECK_FALSE(webchat::ParseNotice(R"({"business_id":"b"})"));
  CHECK_FALSE(webchat::ParseNotice(R"({"removed_user_id":"u"})"));
  CHECK_FALSE(webchat::ParseNotice(R"({"business_id":"b","conversation_id":"c"})"));
  CHECK_FALSE(webchat::ParseNotice("not json"));
  CHECK_FALSE(webchat::ParseNotice(R"({"status":"ESCALATED"})"));
}

TEST_CASE("an inbox hears of messages, handoffs, status changes, assignments and notes, never tool steps", "[webchat]") {
  const auto kind = [](const char* payload) {
    const auto notice = webchat::ParseNotice(payload);
    REQUIRE(notice);
    const char* name = webchat::InboxKind(*notice);
    return name == nullptr ? std::string("(none)") : std::string(name);
  };
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"USER"})") == "visitor_message");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"ASSISTANT"})") == "ai_message");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"HUMAN"})") == "human_message");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"TOOL"})") == "(none)");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","message_id":"m","role":"SYSTEM"})") == "(none)");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","status":"ESCALATED"})") == "handoff");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","status":"RESOLVED"})") == "resolve");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","status":"REOPENED"})") == "reopen");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","assigned_to":"sam"})") == "assign");
  CHECK(kind(R"({"business_id":"b","conversation_id":"c","note_id":"n"})") == "note");
  webchat::ConversationNotice resync;
  resync.kind = webchat::ConversationNotice::Kind::kResync;
  CHECK(webchat::InboxKind(resync) == nullptr);
}

TEST_CASE("a visitor's stream ignores assignments and private notes", "[webchat]") {
  for (const char* payload : {R"({"business_id":"b","conversation_id":"c","assigned_to":"sam"})",
                              R"({"business_id":"b","conversation_id":"c","note_id":"n"})"}) {
    const auto notice = webchat::ParseNotice(payload);
    REQUIRE(notice);
    CHECK_FALSE(webchat::UpdateForVisitor(*notice));
  }
}

TEST_CASE("a visitor sees user, assistant and team messages, never tool steps or system notes", "[webchat]") {
  CHECK(std::string(webchat::VisibleRoleName(chat::MessageRole::kUser)) == "user");
  CHECK(std::string(webchat::VisibleRoleName(chat::MessageRole::kAssistant)) == "assistant");
  CHECK(std::string(webchat::VisibleRoleName(chat::MessageRole::kHuman)) == "human");
  CHECK(webchat::VisibleRoleName(chat::MessageRole::kTool) == nullptr);
  CHECK(webchat::VisibleRoleName(chat::MessageRole::kSystem) == nullptr);
}

TEST_CASE("a visitor's stream re-reads messages it may see and follows status changes", "[webchat]") {
  webchat::ConversationNotice notice;
  notice.kind = webchat::ConversationNotice::Kind::kStatus;
  notice.status = "ESCALATED";
  auto update = webchat::UpdateForVisitor(notice);
  REQUIRE(update);
  CHECK(update->kind == webchat::VisitorUpdate::Kind::kStatus);
  CHECK(update->status == "ESCALATED");

  notice.kind = webchat::ConversationNotice::Kind::kMessage;
  notice.status.clear();
  for (const char* role : {"USER", "ASSISTANT", "HUMAN", "A_ROLE_FROM_A_NEWER_OMNI"}) {
    notice.role = role;
    update = webchat::UpdateForVisitor(notice);
    REQUIRE(update);
    CHECK(update->kind == webchat::VisitorUpdate::Kind::kMessages);
  }
  for (const char* role : {"TOOL", "SYSTEM"}) {
    notice.role = role;
    CHECK_FALSE(webchat::UpdateForVisitor(notice));
  }
  // Notices were lost while the listener reconnected: re-read.
  notice = {};
  notice.kind = webchat::ConversationNotice::Kind::kResync;
  update = webchat::UpdateForVisitor(notice);
  REQUIRE(update);
  CHECK(update->kind == webchat::VisitorUpdate::Kind::kMessages);
}

TEST_CASE("a visitor continues their own conversations, never a verified customer's they do not prove",
          "[webchat][chat]") {
  chat::Conversation conversation;
  conversation.visitor_id = "v_abc";
  const chat::Visitor anonymous{"v_abc", "", false};
  const chat::Visitor stranger{"v_xyz", "", false};
  CHECK(chat::VisitorMayContinue(anonymous, conversation));
  CHECK_FALSE(chat::VisitorMayContinue(stranger, conversation));
  conversation.visitor_id.clear();
  CHECK_FALSE(chat::VisitorMayContinue(chat::Visitor{"", "", false}, conversation));

  // Their own customer from pre-chat claims, or one a booking in the chat made.
  conversation.visitor_id = "v_abc";
  conversation.customer_id = "c-own";
  CHECK(chat::VisitorMayContinue(chat::Visitor{"v_abc", "c-own", false}, conversation));
  CHECK(chat::VisitorMayContinue(anonymous, conversation));
  CHECK_FALSE(chat::VisitorMayContinue(chat::Visitor{"v_xyz", "c-own", false}, conversation));

  // A verified customer's: theirs from any browser once proven; the visitor
  // id alone no longer reaches it after signing out.
  conversation.customer_id = "c-verified";
  conversation.customer_external_id = "user-42";
  CHECK(chat::VisitorMayContinue(chat::Visitor{"v_other_browser", "c-verified", true}, conversation));
  CHECK(chat::VisitorMayContinue(chat::Visitor{"v_abc", "c-verified", true}, conversation));
  CHECK_FALSE(chat::VisitorMayContinue(anonymous, conversation));
  CHECK_FALSE(chat::VisitorMayContinue(chat::Visitor{"v_abc", "c-someone-else", true}, conversation));
}

}  // namespace
TEST_CASE("a visitor sees a citation's source only when it is a web address", "[webchat]") {
  CHECK(webchat::VisitorSource("https://bella.example/parking") == "https://bella.example/parking");
  CHECK(webchat::VisitorSource("HTTP://bella.example/") == "HTTP://bella.example/");
  CHECK(webchat::VisitorSource("/srv/bella/kb/pricing-draft.md") == "");
  CHECK(webchat::VisitorSource("config/demo-kb/faq.md") == "");
  CHECK(webchat::VisitorSource("file:///srv/bella/faq.md") == "");
  CHECK(webchat::VisitorSource("") == "");
}

}  // namespace omni
