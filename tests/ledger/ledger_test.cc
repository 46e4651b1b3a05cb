// The ledger's commands through its public API (ledger/engine/ledger.h): earn,
// redeem and adjust arithmetic, exactly-once effects under retries
// (promise 3), enrollment and identifiers, unknown members, statements, and
// the "who did it" record of every entry (promise 8).
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/hashing.h"
#include "ledger/common/validation.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using namespace loyalty::testing;  // NOLINT: test helpers.

// ---------------------------------------------------------------------------
// Arithmetic and balances.

TEST_CASE("earn grants the floor of the basket total and records an EARN "
          "entry",
          "[ledger][earn]") {
  TestLedger t;
  t.EnrollOk("alice");
  auto earned = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(earned);
  CHECK(earned->points_earned() == 129);
  CHECK_FALSE(earned->replayed());
  REQUIRE(earned->breakdown_size() == 1);
  CHECK(earned->breakdown(0).rule_id() == "base-eur");
  CHECK(earned->breakdown(0).points() == 129);

  const LedgerEntry& entry = earned->entry();
  CHECK(entry.kind() == v1::ENTRY_KIND_EARN);
  CHECK(entry.sequence() == 2);  // After alice's ENROLL.
  CHECK(entry.member_id() == "alice");
  CHECK(entry.points_delta() == 129);
  CHECK(entry.bucket() == v1::BUCKET_AVAILABLE);
  CHECK(entry.available_after_points() == 129);
  CHECK(entry.order_id() == "o1");
  CHECK(entry.currency() == "EUR");
  CHECK(entry.spend_minor() == 12999);
  REQUIRE(entry.breakdown_size() == 1);
  CHECK(entry.breakdown(0).points() == 129);

  const v1::Balance& balance = earned->balance();
  CHECK(balance.member_id() == "alice");
  CHECK(balance.available_points() == 129);
  CHECK(balance.earned_points_total() == 129);
  CHECK(balance.redeemed_points_total() == 0);
  CHECK(balance.adjusted_points_total() == 0);
  CHECK(balance.entry_count() == 2);
  CHECK(balance.last_sequence() == 2);

  // The stored entry is the one answered.
  CHECK(ReadEntry(t.store(), 2).SerializeAsString() ==
        entry.SerializeAsString());
  auto read = t.ledger().GetBalance("alice");
  REQUIRE_OK(read);
  CHECK(read->SerializeAsString() == balance.SerializeAsString());
  t.RequireVerifyOk();
}

TEST_CASE("two lines of 64.99 and 65.00 earn 129 like one line of 129.99",
          "[ledger][earn][rounding]") {
  TestLedger t;
  t.EnrollOk("alice");
  auto one_line = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  auto two_lines =
      Earn(t.ledger(), kPos, EarnEur("r2", "alice", "o2", {6499, 6500}));
  REQUIRE_OK(one_line);
  REQUIRE_OK(two_lines);
  CHECK(one_line->points_earned() == 129);
  CHECK(two_lines->points_earned() == 129);
  CHECK(two_lines->entry().spend_minor() == 12999);
  CHECK(t.Available("alice") == 258);
}

TEST_CASE("a basket under one step earns 0 and still records an EARN entry",
          "[ledger][earn][rounding]") {
  TestLedger t;
  t.EnrollOk("alice");
  auto earned = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {99}));
  REQUIRE_OK(earned);
  CHECK(earned->points_earned() == 0);
  CHECK(earned->entry().kind() == v1::ENTRY_KIND_EARN);
  CHECK(earned->entry().points_delta() == 0);
  CHECK(earned->entry().spend_minor() == 99);
  CHECK(earned->balance().available_points() == 0);
  CHECK(earned->balance().entry_count() == 2);
  CHECK(AllEntries(t.store()).size() == 2);
  // The order is now taken: the same order cannot earn again.
  auto again = Earn(t.ledger(), kPos, EarnEur("r2", "alice", "o1", {5000}));
  CHECK(CodeOf(again) == absl::StatusCode::kAlreadyExists);
  t.RequireVerifyOk();
}

TEST_CASE("the same basket earns the same points in a store and in the app",
          "[ledger][earn]") {
  TestLedger t;
  t.EnrollOk("alice");
  EarnRequest in_store = EarnEur("r1", "alice", "store-order", {4550, 1999});
  EarnRequest in_app = EarnEur("r2", "alice", "app-order", {4550, 1999});
  *in_app.mutable_context() = AppContext("r2");
  auto store_earn = Earn(t.ledger(), kPos, in_store);
  auto app_earn = Earn(t.ledger(), kApp, in_app);
  REQUIRE_OK(store_earn);
  REQUIRE_OK(app_earn);
  CHECK(store_earn->points_earned() == 65);
  CHECK(app_earn->points_earned() == store_earn->points_earned());
  CHECK(app_earn->entry().channel() == v1::CHANNEL_APP);
}

TEST_CASE("redeem and adjust move the balance and its totals",
          "[ledger][redeem][adjust]") {
  TestLedger t;
  t.EnrollOk("alice");
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("e1", "alice", "o1", {12999})));

  auto redeemed =
      Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o2", 29));
  REQUIRE_OK(redeemed);
  CHECK(redeemed->entry().kind() == v1::ENTRY_KIND_REDEEM);
  CHECK(redeemed->entry().points_delta() == -29);
  CHECK(redeemed->entry().available_after_points() == 100);
  CHECK(redeemed->entry().order_id() == "o2");
  CHECK(redeemed->balance().available_points() == 100);
  CHECK(redeemed->balance().redeemed_points_total() == 29);

  auto debit = Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", -10));
  REQUIRE_OK(debit);
  CHECK(debit->entry().kind() == v1::ENTRY_KIND_ADJUST);
  CHECK(debit->entry().points_delta() == -10);
  CHECK(debit->balance().available_points() == 90);
  CHECK(debit->balance().adjusted_points_total() == -10);

  auto credit = Adjust(t.ledger(), kAdmin, AdjustPoints("a2", "alice", 5));
  REQUIRE_OK(credit);
  CHECK(credit->balance().available_points() == 95);
  CHECK(credit->balance().adjusted_points_total() == -5);

  auto balance = t.ledger().GetBalance("alice");
  REQUIRE_OK(balance);
  CHECK(balance->available_points() == 95);
  CHECK(balance->earned_points_total() == 129);
  CHECK(balance->redeemed_points_total() == 29);
  CHECK(balance->adjusted_points_total() == -5);
  CHECK(balance->entry_count() == 5);
  CHECK(balance->last_sequence() == 5);
  // available = earned - redeemed + adjusted.
  CHECK(balance->available_points() == balance->earned_points_total() -
                                           balance->redeemed_points_total() +
                                           balance->adjusted_points_total());
  t.RequireVerifyOk();
}

TEST_CASE("redeeming every point leaves zero and one more is refused",
          "[ledger][redeem]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.CreditOk("alice", 100);
  auto all = Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o1", 100));
  REQUIRE_OK(all);
  CHECK(all->balance().available_points() == 0);

  NothingChanged nothing(t.store());
  auto one_more = Redeem(t.ledger(), kApp, RedeemPoints("x2", "alice", "o2", 1));
  INFO(StatusText(one_more));
  REQUIRE(CodeOf(one_more) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(one_more.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  CHECK(absl::StrContains(MessageOf(one_more), "available 0"));
  nothing.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == 0);
}

TEST_CASE("an adjust debit may not overdraw", "[ledger][adjust]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.CreditOk("alice", 50);
  NothingChanged nothing(t.store());
  auto overdraw = Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", -51));
  INFO(StatusText(overdraw));
  REQUIRE(CodeOf(overdraw) == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(MessageOf(overdraw), "available 50"));
  nothing.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == 50);
}

// ---------------------------------------------------------------------------
// Exactly-once effects (promise 3).

TEST_CASE("a retry with the same request id writes nothing and returns the "
          "first result",
          "[ledger][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  const EarnRequest request = EarnEur("r1", "alice", "o1", {12999});
  auto first = Earn(t.ledger(), kPos, request);
  REQUIRE_OK(first);
  CHECK_FALSE(first->replayed());
  // Move the balance on, so "the first result" differs from "now".
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r2", "alice", "o2", {1000})));
  const uint64_t last_sequence = t.ledger().stats().last_sequence;

  NothingChanged nothing(t.store());
  auto retry = Earn(t.ledger(), kPos, request);
  REQUIRE_OK(retry);
  CHECK(retry->replayed());
  CHECK(retry->entry().SerializeAsString() ==
        first->entry().SerializeAsString());
  CHECK(retry->points_earned() == 129);
  CHECK(retry->balance().SerializeAsString() ==
        first->balance().SerializeAsString());
  CHECK(retry->balance().available_points() == 129);
  nothing.Check();
  CHECK(t.ledger().stats().last_sequence == last_sequence);
  CHECK(t.Available("alice") == 139);
}

TEST_CASE("retries of every mutation are replayed", "[ledger][idempotency]") {
  TestLedger t;
  auto enrolled = Enroll(t.ledger(), kApp, EnrollRequest("e1", "alice"));
  REQUIRE_OK(enrolled);
  auto credited = Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", 70));
  REQUIRE_OK(credited);
  auto redeemed =
      Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o1", 20));
  REQUIRE_OK(redeemed);

  NothingChanged nothing(t.store());
  auto enroll_retry = Enroll(t.ledger(), kApp, EnrollRequest("e1", "alice"));
  auto adjust_retry =
      Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "alice", 70));
  auto redeem_retry =
      Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o1", 20));
  REQUIRE_OK(enroll_retry);
  REQUIRE_OK(adjust_retry);
  REQUIRE_OK(redeem_retry);
  CHECK(enroll_retry->replayed());
  CHECK(adjust_retry->replayed());
  CHECK(redeem_retry->replayed());
  CHECK(enroll_retry->entry().sequence() == enrolled->entry().sequence());
  CHECK(adjust_retry->entry().hash() == credited->entry().hash());
  CHECK(redeem_retry->entry().hash() == redeemed->entry().hash());
  CHECK(redeem_retry->balance().available_points() == 50);
  nothing.Check();
  CHECK(t.Available("alice") == 50);
}

TEST_CASE("the same request id with different content is ALREADY_EXISTS and "
          "changes nothing",
          "[ledger][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999})));

  NothingChanged nothing(t.store());
  auto other_basket =
      Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {13000}));
  INFO(StatusText(other_basket));
  REQUIRE(CodeOf(other_basket) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(other_basket.status()) ==
        v1::ERROR_REASON_REQUEST_ID_REUSED);
  CHECK(absl::StartsWith(MessageOf(other_basket), "context.request_id: "));

  // Another method under the same id is different content too.
  auto other_method =
      Redeem(t.ledger(), kPos, RedeemPoints("r1", "alice", "o1", 5));
  CHECK(CodeOf(other_method) == absl::StatusCode::kAlreadyExists);
  nothing.Check();
  CHECK(t.Available("alice") == 129);

  // The reuse is not remembered: the original still replays.
  auto original = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(original);
  CHECK(original->replayed());
}

TEST_CASE("a business rejection is remembered: the retry is refused even "
          "after points arrive",
          "[ledger][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.CreditOk("alice", 100);
  const RedeemRequest request = RedeemPoints("x1", "alice", "o1", 500);

  NothingChanged before_first(t.store());
  auto first = Redeem(t.ledger(), kApp, request);
  INFO(StatusText(first));
  REQUIRE(CodeOf(first) == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(MessageOf(first), "available 100"));
  CHECK(ReasonOf(first.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  before_first.CheckOnlyRequestRemembered();

  t.CreditOk("alice", 1000);  // Now 1100 would cover it.

  NothingChanged before_retry(t.store());
  auto retry = Redeem(t.ledger(), kApp, request);
  REQUIRE(CodeOf(retry) == absl::StatusCode::kFailedPrecondition);
  CHECK(MessageOf(retry) == MessageOf(first));
  CHECK(ReasonOf(retry.status()) == v1::ERROR_REASON_INSUFFICIENT_POINTS);
  before_retry.Check();
  CHECK(t.Available("alice") == 1100);

  // A new request id is a new decision.
  auto fresh = Redeem(t.ledger(), kApp, RedeemPoints("x2", "alice", "o1", 500));
  REQUIRE_OK(fresh);
  CHECK(t.Available("alice") == 600);
}

TEST_CASE("a malformed request is not remembered: the same id then succeeds",
          "[ledger][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.CreditOk("alice", 100);

  NothingChanged nothing(t.store());
  auto malformed = Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o1", 0));
  REQUIRE(CodeOf(malformed) == absl::StatusCode::kInvalidArgument);
  nothing.Check();

  auto fixed = Redeem(t.ledger(), kApp, RedeemPoints("x1", "alice", "o1", 10));
  REQUIRE_OK(fixed);
  CHECK_FALSE(fixed->replayed());
  CHECK(t.Available("alice") == 90);

  // Same for a currency the program lacks (rejected by the earn rules).
  auto no_rate = EarnEur("r1", "alice", "o2", {1000});
  no_rate.set_currency("JPY");
  REQUIRE(CodeOf(Earn(t.ledger(), kPos, no_rate)) ==
          absl::StatusCode::kInvalidArgument);
  auto earned = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o2", {1000}));
  REQUIRE_OK(earned);
  CHECK_FALSE(earned->replayed());
}

TEST_CASE("request ids are scoped per principal", "[ledger][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.CreditOk("alice", 100);
  const Caller pos_a{"pos-a"};
  const Caller pos_b{"pos-b"};
  auto from_a = Redeem(t.ledger(), pos_a, RedeemPoints("x1", "alice", "o1", 10));
  auto from_b = Redeem(t.ledger(), pos_b, RedeemPoints("x1", "alice", "o1", 10));
  REQUIRE_OK(from_a);
  REQUIRE_OK(from_b);
  CHECK_FALSE(from_b->replayed());
  CHECK(from_b->entry().sequence() == from_a->entry().sequence() + 1);
  CHECK(t.Available("alice") == 80);

  // Different content under the same id from another principal is fine too.
  auto other = Redeem(t.ledger(), Caller{"pos-c"},
                      RedeemPoints("x1", "alice", "o9", 30));
  REQUIRE_OK(other);
  CHECK(t.Available("alice") == 50);

  // Each principal's retry replays its own outcome.
  auto retry_a =
      Redeem(t.ledger(), pos_a, RedeemPoints("x1", "alice", "o1", 10));
  REQUIRE_OK(retry_a);
  CHECK(retry_a->replayed());
  CHECK(retry_a->entry().principal() == "pos-a");
}

TEST_CASE("a second earn for the same order is ALREADY_EXISTS and adds no "
          "entry",
          "[ledger][earn][idempotency]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  auto first = Earn(t.ledger(), kPos, EarnEur("r1", "alice", "o1", {12999}));
  REQUIRE_OK(first);

  NothingChanged nothing(t.store());
  auto second = Earn(t.ledger(), kPos, EarnEur("r2", "alice", "o1", {12999}));
  INFO(StatusText(second));
  REQUIRE(CodeOf(second) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(second.status()) == v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  CHECK(absl::StartsWith(MessageOf(second), "order_id: "));
  CHECK(absl::StrContains(MessageOf(second),
                          absl::StrCat("entry ", first->entry().sequence())));
  nothing.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == 129);

  // From another terminal, another principal: still the same order.
  auto elsewhere =
      Earn(t.ledger(), kApp, EarnEur("r3", "alice", "o1", {12999}));
  CHECK(CodeOf(elsewhere) == absl::StatusCode::kAlreadyExists);
  // The same order id for another member is another order.
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r4", "bob", "o1", {12999})));
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Unknown members.

TEST_CASE("an unknown member is NOT_FOUND for every command and read",
          "[ledger][not_found]") {
  TestLedger t;
  t.EnrollOk("alice");
  auto require_not_found = [](const absl::Status& status) {
    INFO(status.ToString());
    REQUIRE(status.code() == absl::StatusCode::kNotFound);
    CHECK(ReasonOf(status) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
    CHECK(absl::StrContains(status.message(), "ghost"));
  };
  NothingChanged nothing(t.store());
  require_not_found(t.ledger().GetBalance("ghost").status());
  require_not_found(t.ledger().GetMember("ghost").status());
  require_not_found(t.ledger().ListEntries(ListRequest("ghost")).status());
  nothing.Check();

  NothingChanged before_earn(t.store());
  require_not_found(
      Earn(t.ledger(), kPos, EarnEur("r1", "ghost", "o1", {100})).status());
  before_earn.CheckOnlyRequestRemembered();
  NothingChanged before_redeem(t.store());
  require_not_found(
      Redeem(t.ledger(), kApp, RedeemPoints("x1", "ghost", "o1", 1)).status());
  before_redeem.CheckOnlyRequestRemembered();
  NothingChanged before_adjust(t.store());
  require_not_found(
      Adjust(t.ledger(), kAdmin, AdjustPoints("a1", "ghost", 5)).status());
  before_adjust.CheckOnlyRequestRemembered();
  t.RequireVerifyOk();
}

TEST_CASE("NOT_FOUND is remembered under its request id",
          "[ledger][not_found][idempotency]") {
  // ledger.h: NOT_FOUND is a remembered outcome, so a POS retrying forever
  // gets one deterministic answer even if the member is enrolled meanwhile.
  TestLedger t;
  const EarnRequest request = EarnEur("r1", "late", "o1", {1000});
  REQUIRE(CodeOf(Earn(t.ledger(), kPos, request)) ==
          absl::StatusCode::kNotFound);
  t.EnrollOk("late");
  NothingChanged nothing(t.store());
  CHECK(CodeOf(Earn(t.ledger(), kPos, request)) == absl::StatusCode::kNotFound);
  nothing.Check();
}

// ---------------------------------------------------------------------------
// Enrollment.

TEST_CASE("enroll without a member id assigns one", "[ledger][enroll]") {
  TestLedger t;
  auto enrolled = Enroll(t.ledger(), kApp, EnrollRequest("e1", ""));
  REQUIRE_OK(enrolled);
  const std::string id = enrolled->member().member_id();
  CHECK(ValidateId(id, "member_id").ok());
  CHECK(enrolled->entry().kind() == v1::ENTRY_KIND_ENROLL);
  CHECK(enrolled->entry().member_id() == id);
  CHECK(enrolled->entry().points_delta() == 0);
  CHECK(enrolled->member().status() == v1::MEMBER_STATUS_ACTIVE);
  CHECK(enrolled->member().enrolled_at_ms() == kStartMs);
  CHECK(enrolled->member().balance().entry_count() == 1);

  auto member = t.ledger().GetMember(id);
  REQUIRE_OK(member);
  CHECK(member->member_id() == id);

  // Another enroll gets another id; the retry gets the same one.
  auto second = Enroll(t.ledger(), kApp, EnrollRequest("e2", ""));
  REQUIRE_OK(second);
  CHECK(second->member().member_id() != id);
  auto retry = Enroll(t.ledger(), kApp, EnrollRequest("e1", ""));
  REQUIRE_OK(retry);
  CHECK(retry->replayed());
  CHECK(retry->member().member_id() == id);
  CHECK(AllEntries(t.store()).size() == 2);
}

TEST_CASE("enrolling an existing member id is ALREADY_EXISTS",
          "[ledger][enroll]") {
  TestLedger t;
  t.EnrollOk("alice");
  NothingChanged nothing(t.store());
  auto again = Enroll(t.ledger(), kApp, EnrollRequest("e2", "alice"));
  INFO(StatusText(again));
  REQUIRE(CodeOf(again) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(again.status()) == v1::ERROR_REASON_MEMBER_EXISTS);
  CHECK(absl::StartsWith(MessageOf(again), "member_id: "));
  nothing.CheckOnlyRequestRemembered();
}

TEST_CASE("identifiers show in GetMember and cannot be linked twice",
          "[ledger][enroll]") {
  TestLedger t;
  EnrollMemberRequest request = EnrollRequest("e1", "alice");
  v1::MemberIdentifier* card = request.add_identifiers();
  card->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  card->set_value("4000123412341234");
  v1::MemberIdentifier* app = request.add_identifiers();
  app->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
  app->set_value("app-user-77");
  auto enrolled = Enroll(t.ledger(), kApp, request);
  REQUIRE_OK(enrolled);
  CHECK(enrolled->entry().identifiers_size() == 2);

  auto member = t.ledger().GetMember("alice");
  REQUIRE_OK(member);
  REQUIRE(member->identifiers_size() == 2);
  CHECK(member->identifiers(0).kind() == v1::IDENTIFIER_KIND_CARD_NUMBER);
  CHECK(member->identifiers(0).value() == "4000123412341234");
  CHECK(member->identifiers(1).kind() == v1::IDENTIFIER_KIND_APP_USER_ID);
  CHECK(member->identifiers(1).value() == "app-user-77");
  CHECK(member->balance().available_points() == 0);

  // Bob tries to link alice's app user id as his second identifier.
  EnrollMemberRequest bob = EnrollRequest("e2", "bob");
  v1::MemberIdentifier* bob_card = bob.add_identifiers();
  bob_card->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  bob_card->set_value("5000");
  *bob.add_identifiers() = request.identifiers(1);
  NothingChanged nothing(t.store());
  auto taken = Enroll(t.ledger(), kApp, bob);
  INFO(StatusText(taken));
  REQUIRE(CodeOf(taken) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(taken.status()) == v1::ERROR_REASON_IDENTIFIER_TAKEN);
  CHECK(absl::StartsWith(MessageOf(taken), "identifiers[1]: "));
  nothing.CheckOnlyRequestRemembered();
  CHECK(CodeOf(t.ledger().GetMember("bob")) == absl::StatusCode::kNotFound);

  // The same value under another kind is another identifier.
  EnrollMemberRequest carol = EnrollRequest("e3", "carol");
  v1::MemberIdentifier* carol_app = carol.add_identifiers();
  carol_app->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
  carol_app->set_value("4000123412341234");
  REQUIRE_OK(Enroll(t.ledger(), kApp, carol));
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Statements.

TEST_CASE("ListEntries pages newest first and visits every entry once",
          "[ledger][list_entries]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.EnrollOk("alice2");  // Shares a prefix; its entries must not leak in.
  for (int i = 0; i < 6; ++i) {
    REQUIRE_OK(Earn(t.ledger(), kPos,
                    EarnEur(absl::StrCat("r", i), "alice",
                            absl::StrCat("o", i), {100 * (i + 1)})));
    REQUIRE_OK(Earn(t.ledger(), kPos,
                    EarnEur(absl::StrCat("q", i), "alice2",
                            absl::StrCat("o", i), {100})));
  }
  // alice: ENROLL + 6 EARN = 7 entries; pages of 3 are 3, 3, 1.
  std::vector<size_t> page_sizes;
  std::vector<uint64_t> sequences;
  std::string token;
  do {
    auto page = t.ledger().ListEntries(ListRequest("alice", 3, token));
    REQUIRE_OK(page);
    page_sizes.push_back(page->entries_size());
    for (const LedgerEntry& entry : page->entries()) {
      CHECK(entry.member_id() == "alice");
      sequences.push_back(entry.sequence());
    }
    token = page->next_page_token();
  } while (!token.empty() && page_sizes.size() < 10);
  CHECK(page_sizes == std::vector<size_t>{3, 3, 1});
  REQUIRE(sequences.size() == 7);
  CHECK(std::is_sorted(sequences.rbegin(), sequences.rend()));
  CHECK(std::set<uint64_t>(sequences.begin(), sequences.end()).size() == 7);
  CHECK(sequences.front() ==
        ValueOrFail(t.ledger().GetBalance("alice")).last_sequence());
  CHECK(sequences.back() == 1);  // The ENROLL.

  // The default page holds them all, without a token.
  auto all = t.ledger().ListEntries(ListRequest("alice"));
  REQUIRE_OK(all);
  REQUIRE(all->entries_size() == 7);
  CHECK(all->next_page_token().empty());
  CHECK(all->entries(0).kind() == v1::ENTRY_KIND_EARN);
  CHECK(all->entries(6).kind() == v1::ENTRY_KIND_ENROLL);
}

TEST_CASE("a statement that fills its last page exactly ends without a token",
          "[ledger][list_entries]") {
  TestLedger t;
  t.EnrollOk("alice");
  for (int i = 0; i < 5; ++i) t.CreditOk("alice", 1);
  // 6 entries in pages of 3: the second page is the last.
  auto first = t.ledger().ListEntries(ListRequest("alice", 3));
  REQUIRE_OK(first);
  REQUIRE(first->entries_size() == 3);
  REQUIRE_FALSE(first->next_page_token().empty());
  auto second = t.ledger().ListEntries(
      ListRequest("alice", 3, first->next_page_token()));
  REQUIRE_OK(second);
  REQUIRE(second->entries_size() == 3);
  CHECK(second->next_page_token().empty());
  CHECK(second->entries(2).sequence() == 1);

  auto one = t.ledger().ListEntries(ListRequest("alice", 1));
  REQUIRE_OK(one);
  REQUIRE(one->entries_size() == 1);
  CHECK(one->entries(0).sequence() == 6);
  CHECK_FALSE(one->next_page_token().empty());
}

TEST_CASE("a statement page holds 50 entries unless asked otherwise",
          "[ledger][list_entries]") {
  TestLedger t;
  t.EnrollOk("alice");
  std::vector<std::future<absl::StatusOr<AdjustResponse>>> credits;
  for (int i = 0; i < 59; ++i) {
    credits.push_back(AdjustAsync(
        t.ledger(), kAdmin, AdjustPoints(absl::StrCat("c", i), "alice", 1)));
  }
  for (auto& credit : credits) REQUIRE_OK(credit.get());
  auto first = t.ledger().ListEntries(ListRequest("alice"));
  REQUIRE_OK(first);
  REQUIRE(first->entries_size() == 50);
  CHECK(first->entries(0).sequence() == 60);
  REQUIRE_FALSE(first->next_page_token().empty());
  auto rest = t.ledger().ListEntries(
      ListRequest("alice", 0, first->next_page_token()));
  REQUIRE_OK(rest);
  REQUIRE(rest->entries_size() == 10);
  CHECK(rest->entries(0).sequence() == 10);
  CHECK(rest->next_page_token().empty());
}

TEST_CASE("a page token stays valid while new entries arrive",
          "[ledger][list_entries]") {
  TestLedger t;
  t.EnrollOk("alice");
  for (int i = 0; i < 4; ++i) t.CreditOk("alice", 1);
  auto first = t.ledger().ListEntries(ListRequest("alice", 2));
  REQUIRE_OK(first);
  t.CreditOk("alice", 1);  // Newer than the first page: not revisited.
  std::vector<uint64_t> rest;
  std::string token = first->next_page_token();
  while (!token.empty()) {
    auto page = t.ledger().ListEntries(ListRequest("alice", 2, token));
    REQUIRE_OK(page);
    for (const auto& entry : page->entries()) rest.push_back(entry.sequence());
    token = page->next_page_token();
  }
  CHECK(rest == std::vector<uint64_t>{3, 2, 1});
}

// ---------------------------------------------------------------------------
// Who did it (promise 8), and time from the injected clock.

TEST_CASE("every entry records channel, store, terminal, principal, request "
          "id and times",
          "[ledger][audit]") {
  TestLedger t;
  auto enrolled = Enroll(t.ledger(), kApp, EnrollRequest("enroll-1", "alice"));
  REQUIRE_OK(enrolled);
  CHECK(enrolled->entry().channel() == v1::CHANNEL_APP);
  CHECK(enrolled->entry().principal() == "app-backend");
  CHECK(enrolled->entry().request_id() == "enroll-1");
  CHECK(enrolled->entry().recorded_at_ms() == kStartMs);
  CHECK(enrolled->entry().occurred_at_ms() == kStartMs);

  t.clock().AdvanceMs(60'000);
  auto earned = Earn(t.ledger(), kPos,
                     EarnEur("pos-req-9", "alice", "o1", {2500}));
  REQUIRE_OK(earned);
  const LedgerEntry& earn = earned->entry();
  CHECK(earn.channel() == v1::CHANNEL_POS);
  CHECK(earn.store_id() == "store-042");
  CHECK(earn.terminal_id() == "till-3");
  CHECK(earn.principal() == "pos-17");
  CHECK(earn.request_id() == "pos-req-9");
  // occurred_at 0 means "now": the server's recorded_at.
  CHECK(earn.recorded_at_ms() == kStartMs + 60'000);
  CHECK(earn.occurred_at_ms() == kStartMs + 60'000);

  // A POS back online after three hours sends when it really happened.
  t.clock().AdvanceMs(3 * 3600 * 1000);
  EarnRequest offline = EarnEur("pos-req-10", "alice", "o2", {1000});
  offline.mutable_context()->set_occurred_at_ms(kStartMs + 120'000);
  auto late = Earn(t.ledger(), kPos, offline);
  REQUIRE_OK(late);
  CHECK(late->entry().occurred_at_ms() == kStartMs + 120'000);
  CHECK(late->entry().recorded_at_ms() == kStartMs + 60'000 + 3 * 3600 * 1000);

  RedeemRequest web = RedeemPoints("web-1", "alice", "o3", 5);
  web.mutable_context()->set_channel(v1::CHANNEL_WEB);
  web.mutable_context()->set_terminal_id("browser-1");
  auto redeemed = Redeem(t.ledger(), Caller{"web-shop"}, web);
  REQUIRE_OK(redeemed);
  CHECK(redeemed->entry().channel() == v1::CHANNEL_WEB);
  CHECK(redeemed->entry().store_id().empty());
  CHECK(redeemed->entry().terminal_id() == "browser-1");
  CHECK(redeemed->entry().principal() == "web-shop");
  CHECK(redeemed->entry().request_id() == "web-1");

  // What was answered is what is stored.
  for (const LedgerEntry* answered :
       {&enrolled->entry(), &earn, &late->entry(), &redeemed->entry()}) {
    CHECK(ReadEntry(t.store(), answered->sequence()).SerializeAsString() ==
          answered->SerializeAsString());
  }
  t.RequireVerifyOk();
}

TEST_CASE("an adjustment records operator, reason and note on the admin "
          "channel",
          "[ledger][audit][adjust]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.clock().AdvanceMs(5'000);
  AdjustRequest request =
      AdjustPoints("adj-1", "alice", 250, "GOODWILL", "agent.kim");
  request.set_note("Parcel arrived damaged, ticket 4411");
  request.mutable_context()->set_terminal_id("support-desk-2");
  auto adjusted = Adjust(t.ledger(), kAdmin, request);
  REQUIRE_OK(adjusted);
  const LedgerEntry& entry = adjusted->entry();
  CHECK(entry.kind() == v1::ENTRY_KIND_ADJUST);
  CHECK(entry.channel() == v1::CHANNEL_ADMIN);  // Context left it unset.
  CHECK(entry.operator_id() == "agent.kim");
  CHECK(entry.reason_code() == "GOODWILL");
  CHECK(entry.note() == "Parcel arrived damaged, ticket 4411");
  CHECK(entry.principal() == "ops-admin");
  CHECK(entry.request_id() == "adj-1");
  CHECK(entry.terminal_id() == "support-desk-2");
  CHECK(entry.recorded_at_ms() == kStartMs + 5'000);
  CHECK(entry.occurred_at_ms() == kStartMs + 5'000);
  CHECK(ReadEntry(t.store(), entry.sequence()).SerializeAsString() ==
        entry.SerializeAsString());
}

TEST_CASE("entries chain: each prev_hash is the previous entry's hash",
          "[ledger][hash_chain]") {
  TestLedger t;
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  t.CreditOk("alice", 10);
  REQUIRE_OK(Earn(t.ledger(), kPos, EarnEur("r1", "bob", "o1", {500})));
  std::vector<LedgerEntry> entries = AllEntries(t.store());
  REQUIRE(entries.size() == 4);
  std::string prev = GenesisHash();
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].sequence() == i + 1);
    CHECK(entries[i].prev_hash() == prev);
    // The hash covers the body exactly as stored.
    storage::v1::StoredEntry stored = ReadStoredEntry(t.store(), i + 1);
    CHECK(ChainHash(prev, stored.body()) == stored.hash());
    CHECK(stored.hash() == entries[i].hash());
    prev = entries[i].hash();
  }
  storage::v1::LedgerHead head = StoredHead(t.store());
  CHECK(head.last_sequence() == 4);
  CHECK(head.last_hash() == prev);
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(verified->entries_checked() == 4);
  CHECK(verified->members_checked() == 2);
  CHECK(verified->last_sequence() == 4);
  CHECK(verified->last_hash_hex() == HexEncode(prev));
}

}  // namespace
}  // namespace loyalty
