// Promise 7: bad input gets INVALID_ARGUMENT with a message naming the field,
// and changes nothing. Every case goes through the Ledger's public API, and
// after each the store must be byte-for-byte what it was (no Write call, no
// key changed): malformed requests are never queued nor remembered.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/common/validation.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kDayMs = 24ll * 3600 * 1000;

template <typename Request>
struct Case {
  std::string name;
  std::function<void(Request&)> edit;
  std::string field;  // The message must start with "<field>: ".
};

// Requires INVALID_ARGUMENT naming `field` (reason INVALID_FIELD).
void RequireInvalidField(const absl::Status& status, const std::string& field) {
  INFO(status.ToString());
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(status.message(), field + ": "));
  CHECK(ReasonOf(status) == v1::ERROR_REASON_INVALID_FIELD);
}

// A ledger with member "alice" holding 1000 points.
struct Subject {
  TestLedger t;
  Subject() {
    t.EnrollOk("alice");
    t.CreditOk("alice", 1000);
  }
};

template <typename Request, typename Call>
void RunCases(Subject& s, const Request& valid,
              const std::vector<Case<Request>>& cases, Call call) {
  for (const Case<Request>& c : cases) {
    INFO("case: " << c.name);
    Request request = valid;
    c.edit(request);
    NothingChanged nothing(s.t.store());
    RequireInvalidField(call(request), c.field);
    nothing.Check();
  }
}

std::string Repeat(char c, size_t n) { return std::string(n, c); }

EarnRequest ValidEarn() {
  return EarnEur("earn-1", "alice", "order-1", {1299, 500});
}

TEST_CASE("every malformed earn is rejected naming its field and changes "
          "nothing",
          "[validation][earn]") {
  Subject s;
  const int64_t now = s.t.clock().NowMs();
  std::vector<Case<EarnRequest>> cases = {
      {"empty request id",
       [](EarnRequest& r) { r.mutable_context()->clear_request_id(); },
       "context.request_id"},
      {"request id of 129 characters",
       [](EarnRequest& r) {
         r.mutable_context()->set_request_id(Repeat('r', 129));
       },
       "context.request_id"},
      {"request id with a space",
       [](EarnRequest& r) { r.mutable_context()->set_request_id("r 1"); },
       "context.request_id"},
      {"request id with a non-ASCII byte",
       [](EarnRequest& r) {
         r.mutable_context()->set_request_id("r\xc3\xa9");
       },
       "context.request_id"},
      {"unspecified channel",
       [](EarnRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_UNSPECIFIED);
       },
       "context.channel"},
      {"admin channel on a channel request",
       [](EarnRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_ADMIN);
       },
       "context.channel"},
      {"unknown channel number",
       [](EarnRequest& r) {
         r.mutable_context()->set_channel(static_cast<v1::Channel>(99));
       },
       "context.channel"},
      {"POS without store id",
       [](EarnRequest& r) { r.mutable_context()->clear_store_id(); },
       "context.store_id"},
      {"store id of 65 characters",
       [](EarnRequest& r) {
         r.mutable_context()->set_store_id(Repeat('s', 65));
       },
       "context.store_id"},
      {"terminal id with a space",
       [](EarnRequest& r) { r.mutable_context()->set_terminal_id("till 3"); },
       "context.terminal_id"},
      {"negative occurred_at",
       [](EarnRequest& r) { r.mutable_context()->set_occurred_at_ms(-1); },
       "context.occurred_at_ms"},
      {"occurred_at more than a day ahead",
       [now](EarnRequest& r) {
         r.mutable_context()->set_occurred_at_ms(now + kDayMs + 1);
       },
       "context.occurred_at_ms"},
      {"empty member id", [](EarnRequest& r) { r.clear_member_id(); },
       "member_id"},
      {"member id of 65 characters",
       [](EarnRequest& r) { r.set_member_id(Repeat('m', 65)); }, "member_id"},
      {"member id with a slash",
       [](EarnRequest& r) { r.set_member_id("alice/bob"); }, "member_id"},
      {"member id with a space",
       [](EarnRequest& r) { r.set_member_id("alice smith"); }, "member_id"},
      {"empty order id", [](EarnRequest& r) { r.clear_order_id(); },
       "order_id"},
      {"order id of 65 characters",
       [](EarnRequest& r) { r.set_order_id(Repeat('o', 65)); }, "order_id"},
      {"order id with a space",
       [](EarnRequest& r) { r.set_order_id("order 1"); }, "order_id"},
      {"empty currency", [](EarnRequest& r) { r.clear_currency(); },
       "currency"},
      {"lower-case currency", [](EarnRequest& r) { r.set_currency("eur"); },
       "currency"},
      {"four-letter currency", [](EarnRequest& r) { r.set_currency("EURO"); },
       "currency"},
      {"an ISO currency the program lacks",
       [](EarnRequest& r) { r.set_currency("JPY"); }, "currency"},
      {"a made-up currency", [](EarnRequest& r) { r.set_currency("XYZ"); },
       "currency"},
      {"zero lines", [](EarnRequest& r) { r.clear_lines(); }, "lines"},
      {"201 lines",
       [](EarnRequest& r) {
         r.clear_lines();
         for (int i = 0; i < kBasketLinesMax + 1; ++i) {
           *r.add_lines() = Line("sku", 1, 100);
         }
       },
       "lines"},
      {"empty sku", [](EarnRequest& r) { r.mutable_lines(0)->clear_sku(); },
       "lines[0].sku"},
      {"category of 65 characters",
       [](EarnRequest& r) {
         r.mutable_lines(0)->set_category(Repeat('c', 65));
       },
       "lines[0].category"},
      {"category with a control character",
       [](EarnRequest& r) { r.mutable_lines(0)->set_category("food\n"); },
       "lines[0].category"},
      {"quantity 0", [](EarnRequest& r) { r.mutable_lines(0)->set_quantity(0); },
       "lines[0].quantity"},
      {"negative quantity",
       [](EarnRequest& r) { r.mutable_lines(0)->set_quantity(-1); },
       "lines[0].quantity"},
      {"quantity 1,000,001",
       [](EarnRequest& r) {
         r.mutable_lines(0)->set_quantity(kQuantityMax + 1);
       },
       "lines[0].quantity"},
      {"quantity 0 on the second line",
       [](EarnRequest& r) { r.mutable_lines(1)->set_quantity(0); },
       "lines[1].quantity"},
      {"negative unit price",
       [](EarnRequest& r) { r.mutable_lines(0)->set_unit_price_minor(-1); },
       "lines[0].unit_price_minor"},
      {"unit price above 10^12",
       [](EarnRequest& r) {
         r.mutable_lines(0)->set_unit_price_minor(kUnitPriceMinorMax + 1);
       },
       "lines[0].unit_price_minor"},
      {"a basket total that overflows int64",
       [](EarnRequest& r) {
         r.clear_lines();
         for (int i = 0; i < 10; ++i) {
           *r.add_lines() = Line("max", kQuantityMax, kUnitPriceMinorMax);
         }
       },
       "lines"},
  };
  RunCases(s, ValidEarn(), cases, [&](EarnRequest r) {
    return Earn(s.t.ledger(), kPos, std::move(r)).status();
  });
  // The valid request itself goes through: the cases fail for their edit.
  REQUIRE_OK(Earn(s.t.ledger(), kPos, ValidEarn()));
}

TEST_CASE("earn requests at every limit are accepted", "[validation][earn]") {
  Subject s;
  const std::string long_member(kIdLengthMax, 'm');
  s.t.EnrollOk(long_member);
  const int64_t now = s.t.clock().NowMs();

  EarnRequest at_limits = EarnEur(Repeat('r', kRequestIdLengthMax), long_member,
                                  Repeat('o', kIdLengthMax), {100});
  at_limits.mutable_context()->set_store_id(Repeat('s', kIdLengthMax));
  at_limits.mutable_context()->set_occurred_at_ms(now + kDayMs);
  at_limits.mutable_lines(0)->set_category(Repeat('c', kCategoryLengthMax));
  auto earned = Earn(s.t.ledger(), kPos, at_limits);
  REQUIRE_OK(earned);
  CHECK(earned->entry().occurred_at_ms() == now + kDayMs);

  EarnRequest many_lines = EarnEur("many-lines", "alice", "o-many", {});
  for (int i = 0; i < kBasketLinesMax; ++i) {
    *many_lines.add_lines() = Line("sku", 1, 0);
  }
  REQUIRE_OK(Earn(s.t.ledger(), kPos, many_lines));

  EarnRequest biggest_line = EarnWithLines(
      "big-line", "alice", "o-big", "EUR",
      {Line("max", kQuantityMax, kUnitPriceMinorMax)});
  auto big = Earn(s.t.ledger(), kPos, biggest_line);
  REQUIRE_OK(big);
  CHECK(big->entry().spend_minor() == kQuantityMax * kUnitPriceMinorMax);
  CHECK(big->points_earned() == kQuantityMax * kUnitPriceMinorMax / 100);
}

RedeemRequest ValidRedeem() { return RedeemPoints("redeem-1", "alice", "o-9", 10); }

TEST_CASE("every malformed redeem is rejected naming its field and changes "
          "nothing",
          "[validation][redeem]") {
  Subject s;
  std::vector<Case<RedeemRequest>> cases = {
      {"zero points", [](RedeemRequest& r) { r.set_points(0); }, "points"},
      {"negative points", [](RedeemRequest& r) { r.set_points(-5); }, "points"},
      {"INT64_MIN points", [](RedeemRequest& r) { r.set_points(kInt64Min); },
       "points"},
      {"points above 10^15",
       [](RedeemRequest& r) { r.set_points(kPointsPerRequestMax + 1); },
       "points"},
      {"empty member id", [](RedeemRequest& r) { r.clear_member_id(); },
       "member_id"},
      {"member id with a bad character",
       [](RedeemRequest& r) { r.set_member_id("alice#1"); }, "member_id"},
      {"empty order id", [](RedeemRequest& r) { r.clear_order_id(); },
       "order_id"},
      {"empty request id",
       [](RedeemRequest& r) { r.mutable_context()->clear_request_id(); },
       "context.request_id"},
      {"unspecified channel",
       [](RedeemRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_UNSPECIFIED);
       },
       "context.channel"},
      {"admin channel",
       [](RedeemRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_ADMIN);
       },
       "context.channel"},
      {"POS without store id",
       [](RedeemRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_POS);
       },
       "context.store_id"},
  };
  RunCases(s, ValidRedeem(), cases, [&](RedeemRequest r) {
    return Redeem(s.t.ledger(), kApp, std::move(r)).status();
  });
  REQUIRE_OK(Redeem(s.t.ledger(), kApp, ValidRedeem()));
}

TEST_CASE("a redeem of 10^15 points passes validation", "[validation][redeem]") {
  Subject s;
  auto redeemed = Redeem(s.t.ledger(), kApp,
                         RedeemPoints("max", "alice", "o", kPointsPerRequestMax));
  // Well-formed, so the answer is the business rule, not INVALID_ARGUMENT.
  CHECK(CodeOf(redeemed) == absl::StatusCode::kFailedPrecondition);
}

AdjustRequest ValidAdjust() { return AdjustPoints("adjust-1", "alice", -10); }

TEST_CASE("every malformed adjust is rejected naming its field and changes "
          "nothing",
          "[validation][adjust]") {
  Subject s;
  std::vector<Case<AdjustRequest>> cases = {
      {"zero delta", [](AdjustRequest& r) { r.set_points_delta(0); },
       "points_delta"},
      {"delta above 10^15",
       [](AdjustRequest& r) { r.set_points_delta(kPointsPerRequestMax + 1); },
       "points_delta"},
      {"delta below -10^15",
       [](AdjustRequest& r) { r.set_points_delta(-kPointsPerRequestMax - 1); },
       "points_delta"},
      {"INT64_MIN delta",
       [](AdjustRequest& r) { r.set_points_delta(kInt64Min); }, "points_delta"},
      {"no reason", [](AdjustRequest& r) { r.clear_reason_code(); },
       "reason_code"},
      {"lower-case reason",
       [](AdjustRequest& r) { r.set_reason_code("goodwill"); }, "reason_code"},
      {"reason with a space",
       [](AdjustRequest& r) { r.set_reason_code("GOOD WILL"); },
       "reason_code"},
      {"reason with a dash",
       [](AdjustRequest& r) { r.set_reason_code("GOOD-WILL"); },
       "reason_code"},
      {"reason of 33 characters",
       [](AdjustRequest& r) { r.set_reason_code(Repeat('R', 33)); },
       "reason_code"},
      {"no operator", [](AdjustRequest& r) { r.clear_operator_id(); },
       "operator_id"},
      {"operator with a space",
       [](AdjustRequest& r) { r.set_operator_id("agent kim"); },
       "operator_id"},
      {"note of 501 characters",
       [](AdjustRequest& r) { r.set_note(Repeat('n', kNoteLengthMax + 1)); },
       "note"},
      {"note with a control character",
       [](AdjustRequest& r) { r.set_note("line one\nline two"); }, "note"},
      {"channel request on the admin API",
       [](AdjustRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_APP);
       },
       "context.channel"},
      {"POS channel on the admin API",
       [](AdjustRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_POS);
         r.mutable_context()->set_store_id("store-1");
       },
       "context.channel"},
      {"empty request id",
       [](AdjustRequest& r) { r.mutable_context()->clear_request_id(); },
       "context.request_id"},
      {"empty member id", [](AdjustRequest& r) { r.clear_member_id(); },
       "member_id"},
  };
  RunCases(s, ValidAdjust(), cases, [&](AdjustRequest r) {
    return Adjust(s.t.ledger(), kAdmin, std::move(r)).status();
  });
  REQUIRE_OK(Adjust(s.t.ledger(), kAdmin, ValidAdjust()));
}

TEST_CASE("adjust requests at every limit are accepted", "[validation][adjust]") {
  Subject s;
  AdjustRequest credit = AdjustPoints("max-credit", "alice",
                                      kPointsPerRequestMax, Repeat('R', 32));
  credit.set_note(Repeat('n', kNoteLengthMax));
  credit.mutable_context()->set_channel(v1::CHANNEL_ADMIN);
  REQUIRE_OK(Adjust(s.t.ledger(), kAdmin, credit));
  REQUIRE_OK(Adjust(s.t.ledger(), kAdmin,
                    AdjustPoints("max-debit", "alice", -kPointsPerRequestMax,
                                 "CORRECTION_2")));
  CHECK(s.t.Available("alice") == 1000);
}

EnrollMemberRequest ValidEnroll() {
  EnrollMemberRequest request = EnrollRequest("enroll-bob", "bob");
  v1::MemberIdentifier* card = request.add_identifiers();
  card->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  card->set_value("4000123412341234");
  v1::MemberIdentifier* app = request.add_identifiers();
  app->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
  app->set_value("app-user-77");
  return request;
}

TEST_CASE("every malformed enroll is rejected naming its field and changes "
          "nothing",
          "[validation][enroll]") {
  Subject s;
  std::vector<Case<EnrollMemberRequest>> cases = {
      {"member id of 65 characters",
       [](EnrollMemberRequest& r) { r.set_member_id(Repeat('m', 65)); },
       "member_id"},
      {"member id with a space",
       [](EnrollMemberRequest& r) { r.set_member_id("bob smith"); },
       "member_id"},
      {"card number with a letter",
       [](EnrollMemberRequest& r) {
         r.mutable_identifiers(0)->set_value("4000a");
       },
       "identifiers[0].value"},
      {"card number of 3 digits",
       [](EnrollMemberRequest& r) {
         r.mutable_identifiers(0)->set_value("123");
       },
       "identifiers[0].value"},
      {"card number of 33 digits",
       [](EnrollMemberRequest& r) {
         r.mutable_identifiers(0)->set_value(Repeat('1', 33));
       },
       "identifiers[0].value"},
      {"empty app user id",
       [](EnrollMemberRequest& r) { r.mutable_identifiers(1)->clear_value(); },
       "identifiers[1].value"},
      {"unspecified identifier kind",
       [](EnrollMemberRequest& r) {
         r.mutable_identifiers(1)->set_kind(v1::IDENTIFIER_KIND_UNSPECIFIED);
       },
       "identifiers[1].kind"},
      {"the same identifier twice",
       [](EnrollMemberRequest& r) {
         *r.add_identifiers() = r.identifiers(0);
       },
       "identifiers[2].value"},
      {"nine identifiers",
       [](EnrollMemberRequest& r) {
         r.clear_identifiers();
         for (int i = 0; i < kIdentifiersPerMemberMax + 1; ++i) {
           v1::MemberIdentifier* id = r.add_identifiers();
           id->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
           id->set_value(absl::StrCat("400000", i));
         }
       },
       "identifiers"},
      {"unspecified channel",
       [](EnrollMemberRequest& r) {
         r.mutable_context()->set_channel(v1::CHANNEL_UNSPECIFIED);
       },
       "context.channel"},
      {"empty request id",
       [](EnrollMemberRequest& r) { r.mutable_context()->clear_request_id(); },
       "context.request_id"},
  };
  RunCases(s, ValidEnroll(), cases, [&](EnrollMemberRequest r) {
    return Enroll(s.t.ledger(), kApp, std::move(r)).status();
  });
  REQUIRE_OK(Enroll(s.t.ledger(), kApp, ValidEnroll()));
}

TEST_CASE("every malformed statement request is rejected naming its field",
          "[validation][list_entries]") {
  Subject s;
  s.t.EnrollOk("bob");
  std::string raw;
  REQUIRE(absl::WebSafeBase64Unescape(EncodePageToken("alice", 2), &raw));
  raw[5] ^= 0x40;
  const std::string forged = absl::WebSafeBase64Escape(raw);

  struct ListCase {
    std::string name;
    ListEntriesRequest request;
    std::string field;
  };
  std::vector<ListCase> cases = {
      {"empty member id", ListRequest(""), "member_id"},
      {"member id with a space", ListRequest("al ice"), "member_id"},
      {"page size -1", ListRequest("alice", -1), "page_size"},
      {"page size 501", ListRequest("alice", kPageSizeMax + 1), "page_size"},
      {"garbage page token", ListRequest("alice", 10, "!!not-a-token!!"),
       "page_token"},
      {"forged page token", ListRequest("alice", 10, forged), "page_token"},
      {"another member's page token",
       ListRequest("alice", 10, EncodePageToken("bob", 2)), "page_token"},
  };
  for (const ListCase& c : cases) {
    INFO("case: " << c.name);
    RequireInvalidField(s.t.ledger().ListEntries(c.request).status(), c.field);
  }
  auto biggest_page = s.t.ledger().ListEntries(ListRequest("alice", 500));
  REQUIRE_OK(biggest_page);
  CHECK(biggest_page->entries_size() == 2);
}

TEST_CASE("a malformed member id in a read is an invalid argument",
          "[validation][reads]") {
  Subject s;
  for (const std::string& bad : {std::string(""), std::string("a b"),
                                 Repeat('m', 65), std::string("a\0b", 3)}) {
    INFO("member id: " << absl::CEscape(bad));
    RequireInvalidField(s.t.ledger().GetBalance(bad).status(), "member_id");
    RequireInvalidField(s.t.ledger().GetMember(bad).status(), "member_id");
  }
}

TEST_CASE("ids allow letters, digits and ._:@- only", "[validation][ids]") {
  for (const char* good : {"a", "A-z_0.9:x@y", "M0123456789abcdef"}) {
    INFO(good);
    CHECK(ValidateId(good, "member_id").ok());
  }
  CHECK(ValidateId(std::string(64, 'x'), "member_id").ok());
  for (const std::string& bad :
       {std::string(""), std::string(65, 'x'), std::string("a b"),
        std::string("a/b"), std::string("a+b"), std::string("\xc3\xa9")}) {
    INFO(absl::CEscape(bad));
    RequireInvalidField(ValidateId(bad, "some.field"), "some.field");
  }
}

}  // namespace
}  // namespace loyalty
