// Two members who turn out to be one person: everything the source owns
// moves to the target as a MERGE_OUT and the MERGE_IN right after it, and
// the source becomes an alias that resolves to the target.
#include <string>

#include "catch2/catch.hpp"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger_test_util.h"
#include "member_test_util.h"

namespace loyalty {
namespace {

using testing::AppContext;
using testing::Card;
using testing::CodeOf;
using testing::kAdmin;
using testing::kApp;
using testing::kPos;
using testing::Merge;
using testing::MergeRequest;
using testing::MessageOf;
using testing::NothingChanged;
using testing::ReasonOfResult;
using testing::TestLedger;
using v1::LedgerEntry;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;
constexpr int64_t kMinuteMs = 60'000;
// Lots granted in November 2023 expire at the end of November 2024, Berlin
// time.
constexpr int64_t kNov2023LotExpiresMs = 1'733'007'600'000;

// Berlin, expiry after 12 months, a 14-day return window, and debt allowed
// down to -1000 points.
v1::ProgramConfig MergeProgram() {
  v1::ProgramConfig program = testing::MembersProgram();
  program.set_return_window_days(14);
  program.set_return_policy(v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE);
  program.set_negative_balance_floor_points(-1000);
  return program;
}

void EnrollWith(TestLedger& t, const std::string& member_id,
                std::vector<v1::MemberIdentifier> identifiers) {
  v1::EnrollMemberRequest request =
      testing::EnrollRequest("enroll-" + member_id, member_id);
  for (auto& identifier : identifiers) {
    *request.add_identifiers() = std::move(identifier);
  }
  REQUIRE_OK(testing::Enroll(t.ledger(), kApp, std::move(request)));
}

// An earn of `euros` (1 point each) for `order_id`, pending for 14 days.
v1::EarnResponse EarnOk(TestLedger& t, const std::string& member_id,
                        const std::string& order_id, int64_t euros) {
  auto earned = testing::Earn(
      t.ledger(), kPos,
      testing::EarnEur("earn-" + order_id, member_id, order_id, {euros * 100}));
  REQUIRE_OK(earned);
  return *earned;
}

v1::HoldPointsRequest HoldRequest(const std::string& request_id,
                                  const std::string& member_id,
                                  int64_t points) {
  v1::HoldPointsRequest request;
  *request.mutable_context() = AppContext(request_id);
  request.set_member_id(member_id);
  request.set_order_id("web-" + request_id);
  request.set_points(points);
  request.set_timeout_ms(30 * kMinuteMs);
  return request;
}

std::string HoldOk(TestLedger& t, const std::string& request_id,
                   const std::string& member_id, int64_t points) {
  auto held = testing::CallLedger<HoldPointsCommand>(t.ledger(), kApp,
                                  HoldRequest(request_id, member_id, points));
  REQUIRE_OK(held);
  return held->hold_id();
}

v1::SettleHoldRequest SettleRequest(const std::string& request_id,
                                    const std::string& member_id,
                                    const std::string& hold_id) {
  v1::SettleHoldRequest request;
  *request.mutable_context() = AppContext(request_id);
  request.set_member_id(member_id);
  request.set_hold_id(hold_id);
  return request;
}

v1::ReturnRequest ReturnWhole(const std::string& request_id,
                              const std::string& member_id,
                              const std::string& order_id, int64_t euros) {
  v1::ReturnRequest request;
  *request.mutable_context() = testing::PosContext(request_id);
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_amount_minor(euros * 100);
  return request;
}

TEST_CASE(
    "a merge moves available lots with their expiry, pending lots, open "
    "holds, orders and identifiers to the target; the source's id then "
    "resolves to the target for reads and writes",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  EnrollWith(t, "card-only", {Card("4000123412341234")});
  EnrollWith(t, "app", {testing::AppUser("app-77")});
  t.CreditOk("card-only", 300);  // Expires at the end of November 2024.
  t.clock().AdvanceMs(30 * kDayMs);  // December: later points, later expiry.
  EarnOk(t, "card-only", "till-1", 70);  // Pending for 14 days.
  const std::string hold_id = HoldOk(t, "h1", "card-only", 100);
  t.CreditOk("app", 50);

  auto merged = Merge(t.ledger(), MergeRequest("m1", "card-only", "app"));
  REQUIRE_OK(merged);
  REQUIRE(merged->entries_size() == 2);
  const LedgerEntry& out = merged->entries(0);
  const LedgerEntry& in = merged->entries(1);
  CHECK(out.kind() == v1::ENTRY_KIND_MERGE_OUT);
  CHECK(out.member_id() == "card-only");
  CHECK(out.counterparty_member_id() == "app");
  CHECK(out.points_delta() == -200);
  CHECK(out.merged_pending_points() == 70);
  CHECK(out.merged_held_points() == 100);
  CHECK(out.available_after_points() == 0);
  CHECK(out.pending_after_points() == 0);
  CHECK(out.held_after_points() == 0);
  CHECK(out.operator_id() == "support.jane");
  CHECK(out.reason_code() == "SAME_PERSON");
  CHECK(in.kind() == v1::ENTRY_KIND_MERGE_IN);
  CHECK(in.sequence() == out.sequence() + 1);
  CHECK(in.member_id() == "app");
  CHECK(in.counterparty_member_id() == "card-only");
  CHECK(in.points_delta() == 200);
  CHECK(in.available_after_points() == 250);
  CHECK(in.pending_after_points() == 70);
  CHECK(in.held_after_points() == 100);
  REQUIRE(in.identifiers_size() == 1);
  CHECK(in.identifiers(0).value() == "4000123412341234");

  const v1::Member& member = merged->member();
  CHECK(member.member_id() == "app");
  CHECK(member.identifiers_size() == 2);
  REQUIRE(member.merged_member_ids_size() == 1);
  CHECK(member.merged_member_ids(0) == "card-only");
  CHECK(member.balance().earned_points_total() == 70);
  CHECK(member.balance().adjusted_points_total() == 350);
  // The 200 available points keep their November expiry beside the app's
  // December points.
  REQUIRE(member.balance().next_expiring_size() == 2);
  CHECK(member.balance().next_expiring(0).expires_at_ms() ==
        kNov2023LotExpiresMs);
  CHECK(member.balance().next_expiring(0).points() == 200);

  // The card finds the target; the source's id reads as the target.
  auto found = t.ledger().LookupMember(Card("4000123412341234"));
  REQUIRE_OK(found);
  CHECK(found->member_id() == "app");
  auto alias = t.ledger().GetMember("card-only");
  REQUIRE_OK(alias);
  CHECK(alias->member_id() == "app");
  CHECK(alias->balance().available_points() == 250);
  auto alias_balance = t.ledger().GetBalance("card-only");
  REQUIRE_OK(alias_balance);
  CHECK(alias_balance->member_id() == "app");

  // The source's hold is the target's: a capture naming the old id works.
  auto captured = testing::CallLedger<CapturePointsCommand>(t.ledger(), kApp,
      SettleRequest("cap-1", "card-only", hold_id));
  REQUIRE_OK(captured);
  CHECK(captured->entry().member_id() == "app");
  CHECK(captured->balance().held_points() == 0);
  CHECK(captured->balance().redeemed_points_total() == 100);

  // The pending lot matures at the target on its own date, and the order
  // it came from can be returned there.
  t.clock().AdvanceMs(15 * kDayMs);
  REQUIRE(t.Available("app") == 320);
  auto returned = testing::CallLedger<ReturnCommand>(t.ledger(), kPos,
                                      ReturnWhole("r1", "card-only", "till-1",
                                                  70));
  REQUIRE_OK(returned);
  CHECK(returned->entries(0).member_id() == "app");
  CHECK(returned->balance().available_points() == 250);

  // The source's own statement ends with its MERGE_OUT.
  std::vector<LedgerEntry> history = testing::ListAll(t.ledger(), "card-only", 50);
  REQUIRE_FALSE(history.empty());
  CHECK(history.front().kind() == v1::ENTRY_KIND_MERGE_OUT);

  t.RequireVerifyOk();
  t.Reopen();
  t.RequireVerifyOk();
  CHECK(t.Available("card-only") == 250);
}

TEST_CASE(
    "a retried merge replays its first answer and writes nothing; merging "
    "the alias again is MEMBER_MERGED",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  t.CreditOk("a", 40);
  auto first = Merge(t.ledger(), MergeRequest("m1", "a", "b"));
  REQUIRE_OK(first);

  NothingChanged unchanged(t.store());
  auto again = Merge(t.ledger(), MergeRequest("m1", "a", "b"));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->entries(1).sequence() == first->entries(1).sequence());
  unchanged.Check();

  auto alias = Merge(t.ledger(), MergeRequest("m2", "a", "b"));
  CHECK(CodeOf(alias) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(alias) == v1::ERROR_REASON_MEMBER_MERGED);
  CHECK(MessageOf(alias) ==
        "source_member_id: member \"a\" was merged into \"b\" already");
  unchanged.CheckOnlyRequestRemembered();
  CHECK(t.Available("b") == 40);
}

TEST_CASE(
    "a merge that cannot be done is refused with its reason and changes "
    "nothing but the remembered answer",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  EnrollWith(t, "five", {Card("1111"), Card("2222"), Card("3333"),
                         Card("4444"), Card("5555")});
  EnrollWith(t, "four", {Card("6666"), Card("7777"), Card("8888"),
                         Card("9999")});
  t.EnrollOk("plain");
  t.EnrollOk("other");
  EarnOk(t, "plain", "shared-order", 10);
  auto other_earn = testing::Earn(
      t.ledger(), kPos,
      testing::EarnEur("earn-other", "other", "shared-order", {500}));
  REQUIRE_OK(other_earn);

  struct Case {
    std::string source;
    std::string target;
    absl::StatusCode code;
    v1::ErrorReason reason;
    std::string message;
  };
  const Case cases[] = {
      {"five", "four", absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_TOO_MANY_IDENTIFIERS,
       "together the members have 9 identifiers, more than the 8 a member "
       "may have; unlink some first"},
      {"plain", "other", absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_ORDER_ID_CONFLICT,
       "order \"shared-order\": both members have a record of this order id, "
       "so the source's orders cannot move to the target"},
      {"nobody", "plain", absl::StatusCode::kNotFound,
       v1::ERROR_REASON_MEMBER_NOT_FOUND,
       "source_member_id: no member \"nobody\""},
      {"plain", "nobody", absl::StatusCode::kNotFound,
       v1::ERROR_REASON_MEMBER_NOT_FOUND,
       "target_member_id: no member \"nobody\""},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.source << " into " << c.target);
    NothingChanged unchanged(t.store());
    auto refused = Merge(t.ledger(), MergeRequest(absl::StrCat("m", ++n),
                                                  c.source, c.target));
    CHECK(CodeOf(refused) == c.code);
    CHECK(ReasonOfResult(refused) == c.reason);
    CHECK(MessageOf(refused) == c.message);
    unchanged.CheckOnlyRequestRemembered();
  }

  // Malformed requests are refused before anything is remembered.
  v1::MergeMembersRequest same = MergeRequest("bad-1", "plain", "plain");
  v1::MergeMembersRequest no_reason = MergeRequest("bad-2", "plain", "other");
  no_reason.clear_reason_code();
  v1::MergeMembersRequest no_operator = MergeRequest("bad-3", "plain", "other");
  no_operator.clear_operator_id();
  NothingChanged unchanged(t.store());
  auto refused_same = Merge(t.ledger(), same);
  CHECK(CodeOf(refused_same) == absl::StatusCode::kInvalidArgument);
  CHECK(MessageOf(refused_same) ==
        "target_member_id: must differ from source_member_id");
  CHECK(CodeOf(Merge(t.ledger(), no_reason)) ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CodeOf(Merge(t.ledger(), no_operator)) ==
        absl::StatusCode::kInvalidArgument);
  unchanged.Check();
  t.RequireVerifyOk();
}

TEST_CASE(
    "an alias may be a merge's target (it means the member it resolves to) "
    "but not a close's; closed members cannot merge",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  t.EnrollOk("c");
  t.EnrollOk("closed");
  t.CreditOk("a", 10);
  t.CreditOk("c", 5);
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m1", "a", "b")));

  // "a" now means "b".
  auto into_alias = Merge(t.ledger(), MergeRequest("m2", "c", "a"));
  REQUIRE_OK(into_alias);
  CHECK(into_alias->entries(1).member_id() == "b");
  CHECK(into_alias->member().balance().available_points() == 15);
  REQUIRE(into_alias->member().merged_member_ids_size() == 2);

  auto back_into_itself = Merge(t.ledger(), MergeRequest("m3", "b", "a"));
  CHECK(ReasonOfResult(back_into_itself) == v1::ERROR_REASON_MEMBER_MERGED);
  CHECK(MessageOf(back_into_itself) ==
        "target_member_id: was merged into \"b\", the source");

  auto close_alias = testing::Close(
      t.ledger(), testing::CloseRequest("close-a", "a", false));
  CHECK(ReasonOfResult(close_alias) == v1::ERROR_REASON_MEMBER_MERGED);
  CHECK(t.Available("b") == 15);

  REQUIRE_OK(testing::Close(t.ledger(),
                            testing::CloseRequest("close-1", "closed", false)));
  auto from_closed = Merge(t.ledger(), MergeRequest("m4", "closed", "b"));
  CHECK(ReasonOfResult(from_closed) == v1::ERROR_REASON_MEMBER_CLOSED);
  auto into_closed = Merge(t.ledger(), MergeRequest("m5", "b", "closed"));
  CHECK(ReasonOfResult(into_closed) == v1::ERROR_REASON_MEMBER_CLOSED);

  // A transfer between an alias and the member it resolves to names one
  // member twice.
  auto to_self = testing::Transfer(
      t.ledger(), testing::TransferRequest("t1", "b", "a", 5));
  CHECK(CodeOf(to_self) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(to_self) == v1::ERROR_REASON_MEMBER_MERGED);
  t.RequireVerifyOk();
}

TEST_CASE(
    "chained merges resolve to the last target, and a hold closed before "
    "its merge is HOLD_NOT_ACTIVE through the target, not HOLD_NOT_FOUND",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  t.EnrollOk("c");
  t.CreditOk("a", 100);
  const std::string released = HoldOk(t, "h1", "a", 30);
  REQUIRE_OK(testing::CallLedger<ReleasePointsCommand>(t.ledger(), kApp,
                                 SettleRequest("rel-1", "a", released)));
  const std::string open = HoldOk(t, "h2", "a", 20);
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m1", "a", "b")));
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m2", "b", "c")));

  auto member = t.ledger().GetMember("a");
  REQUIRE_OK(member);
  CHECK(member->member_id() == "c");
  REQUIRE(member->merged_member_ids_size() == 2);
  CHECK(member->merged_member_ids(0) == "b");
  CHECK(member->merged_member_ids(1) == "a");
  CHECK(member->balance().held_points() == 20);

  auto again = testing::CallLedger<ReleasePointsCommand>(t.ledger(), kApp,
                                   SettleRequest("rel-2", "c", released));
  CHECK(ReasonOfResult(again) == v1::ERROR_REASON_HOLD_NOT_ACTIVE);
  auto unknown = testing::CallLedger<ReleasePointsCommand>(t.ledger(), kApp,
                                     SettleRequest("rel-3", "c", "H1"));
  CHECK(ReasonOfResult(unknown) == v1::ERROR_REASON_HOLD_NOT_FOUND);
  auto captured = testing::CallLedger<CapturePointsCommand>(t.ledger(), kApp,
                                      SettleRequest("cap-1", "a", open));
  REQUIRE_OK(captured);
  CHECK(captured->balance().available_points() == 80);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a source's debt is paid from the target's points, and the target's "
    "debt from the source's",
    "[members][merge]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("in-debt");
  t.EnrollOk("saver");
  // 70 points earned, matured, spent, then the order returned: debt 70.
  EarnOk(t, "in-debt", "till-9", 70);
  t.clock().AdvanceMs(15 * kDayMs);
  REQUIRE_OK(testing::Redeem(
      t.ledger(), kApp, testing::RedeemPoints("spend", "in-debt", "web-1", 70)));
  REQUIRE_OK(testing::CallLedger<ReturnCommand>(t.ledger(), kPos,
                                 ReturnWhole("r1", "in-debt", "till-9", 70)));
  auto debt = t.ledger().GetBalance("in-debt");
  REQUIRE_OK(debt);
  REQUIRE(debt->debt_points() == 70);

  SECTION("into a member with points") {
    t.CreditOk("saver", 100);
    auto merged = Merge(t.ledger(), MergeRequest("m1", "in-debt", "saver"));
    REQUIRE_OK(merged);
    CHECK(merged->entries(0).points_delta() == 70);
    CHECK(merged->entries(1).points_delta() == -70);
    CHECK(merged->member().balance().available_points() == 30);
    CHECK(merged->member().balance().debt_points() == 0);
  }
  SECTION("a member with points into it") {
    t.CreditOk("saver", 50);
    auto merged = Merge(t.ledger(), MergeRequest("m1", "saver", "in-debt"));
    REQUIRE_OK(merged);
    CHECK(merged->member().balance().available_points() == -20);
    CHECK(merged->member().balance().debt_points() == 20);
  }
  t.RequireVerifyOk();
}

// 1 pt per EUR; Member (0), Silver (1000), Gold (5000) on qualifying points
// over 12 months, with 30 days' grace. An event worth 10 points, once a day.
v1::ProgramConfig TiersProgram() {
  v1::ProgramConfig program = MergeProgram();
  v1::TierRules* rules = program.mutable_tier_rules();
  rules->set_basis(v1::TIER_BASIS_QUALIFYING_POINTS);
  rules->set_window_months(12);
  rules->set_grace_days(30);
  auto add = [&](const char* id, int64_t threshold) {
    v1::Tier* tier = rules->add_tiers();
    tier->set_tier_id(id);
    tier->set_display_name(id);
    tier->set_threshold(threshold);
    tier->set_multiplier_percent(100);
  };
  add("member", 0);
  add("silver", 1000);
  add("gold", 5000);
  v1::EngagementEvent* survey = program.add_engagement_events();
  survey->set_event_id("survey");
  survey->set_points(10);
  survey->set_max_per_day(1);
  return program;
}

TEST_CASE(
    "the target takes the source's higher tier with its evaluation date, and "
    "rises further when the summed window supports it",
    "[members][merge][tiers]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("gold-card");
  t.EnrollOk("new-app");
  EarnOk(t, "gold-card", "big", 5000);
  auto gold = t.ledger().GetMember("gold-card");
  REQUIRE_OK(gold);
  REQUIRE(gold->tier().tier_id() == "gold");
  EarnOk(t, "new-app", "small", 600);

  auto merged = Merge(t.ledger(), MergeRequest("m1", "gold-card", "new-app"));
  REQUIRE_OK(merged);
  REQUIRE(merged->entries_size() == 3);
  const LedgerEntry& tier = merged->entries(2);
  CHECK(tier.kind() == v1::ENTRY_KIND_TIER);
  CHECK(tier.member_id() == "new-app");
  CHECK(tier.tier_from() == "member");
  CHECK(tier.tier_to() == "gold");
  CHECK(tier.qualifying_amount() == 5600);
  CHECK(tier.tier_evaluation_ms() == gold->tier().evaluation_ms());
  CHECK(merged->member().tier().tier_id() == "gold");
  CHECK(merged->member().tier().qualifying_amount() == 5600);

  // Neither has Silver alone; together they do.
  t.EnrollOk("half-a");
  t.EnrollOk("half-b");
  EarnOk(t, "half-a", "ha", 600);
  EarnOk(t, "half-b", "hb", 500);
  auto summed = Merge(t.ledger(), MergeRequest("m2", "half-a", "half-b"));
  REQUIRE_OK(summed);
  REQUIRE(summed->entries_size() == 3);
  CHECK(summed->entries(2).tier_from() == "member");
  CHECK(summed->entries(2).tier_to() == "silver");
  CHECK(summed->member().tier().qualifying_amount() == 1100);
  t.RequireVerifyOk();
}

TEST_CASE(
    "event limits count what the person did under either id after a merge",
    "[members][merge]") {
  TestLedger t(TiersProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  v1::RecordEventRequest survey;
  *survey.mutable_context() = AppContext("ev-a");
  survey.set_member_id("a");
  survey.set_event_id("survey");
  REQUIRE_OK(testing::RecordEvent(t.ledger(), kApp, survey));
  REQUIRE_OK(Merge(t.ledger(), MergeRequest("m1", "a", "b")));

  // "b" never did the survey, but its person did, today.
  survey.mutable_context()->set_request_id("ev-b");
  survey.set_member_id("b");
  auto again = testing::RecordEvent(t.ledger(), kApp, survey);
  CHECK(ReasonOfResult(again) == v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  t.clock().AdvanceMs(kDayMs);
  survey.mutable_context()->set_request_id("ev-b-tomorrow");
  REQUIRE_OK(testing::RecordEvent(t.ledger(), kApp, survey));
  t.RequireVerifyOk();
}

TEST_CASE(
    "VerifyLedger reports a MERGE_IN that carries another state than the "
    "source had",
    "[members][merge][verify]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  t.CreditOk("a", 30);
  auto merged = Merge(t.ledger(), MergeRequest("m1", "a", "b"));
  REQUIRE_OK(merged);
  t.RequireVerifyOk();

  // A forger re-seals a MERGE_IN whose source claims more lifetime points.
  const uint64_t sequence = merged->entries(1).sequence();
  auto bytes = t.store().Get(Family::kEntries, EntryKey(sequence));
  REQUIRE_OK(bytes);
  storage::v1::EntryStorageFields carried;
  auto unsealed = UnsealEntry(*bytes, &carried);
  REQUIRE_OK(unsealed);
  LedgerEntry forged = *unsealed;
  storage::v1::MemberRecord claimed;
  REQUIRE(claimed.ParseFromString(carried.merged_member_record()));
  REQUIRE(claimed.member_id() == "a");
  claimed.set_earned_points_total(claimed.earned_points_total() + 1000);
  carried.set_merged_member_record(claimed.SerializeAsString());
  forged.clear_hash();
  WriteSet writes;
  writes.Add(Family::kEntries, EntryKey(forged.sequence()),
             SealEntry(&forged, &carried));
  REQUIRE(t.store().Write(writes).ok());
  CHECK(t.VerifyReports("carrying another state"));
}

TEST_CASE(
    "a MERGE_IN's source record is stored after the entry and never reaches "
    "the API's entries",
    "[members][merge][storage]") {
  TestLedger t(MergeProgram());
  t.EnrollOk("a");
  t.EnrollOk("b");
  t.CreditOk("a", 30);
  auto merged = Merge(t.ledger(), MergeRequest("m1", "a", "b"));
  REQUIRE_OK(merged);
  const LedgerEntry& answered = merged->entries(1);
  REQUIRE(answered.kind() == v1::ENTRY_KIND_MERGE_IN);
  CHECK(answered.GetReflection()->GetUnknownFields(answered).empty());
  for (const LedgerEntry& listed : testing::ListAll(t.ledger(), "b", 50)) {
    CHECK(listed.GetReflection()->GetUnknownFields(listed).empty());
  }

  // The body is the entry's bytes, then the storage fields: field 55 is the
  // highest number the entry ever had, so this is byte for byte what
  // releases that kept the record inside the entry wrote.
  storage::v1::StoredEntry stored =
      testing::ReadStoredEntry(t.store(), answered.sequence());
  storage::v1::EntryStorageFields carried;
  REQUIRE_OK(UnsealEntry(stored.SerializeAsString(), &carried));
  storage::v1::MemberRecord source;
  REQUIRE(source.ParseFromString(carried.merged_member_record()));
  CHECK(source.member_id() == "a");
  CHECK(source.available_points() == 30);
  LedgerEntry unhashed = answered;
  unhashed.clear_hash();
  storage::v1::EntryStorageFields only_the_record;
  only_the_record.set_merged_member_record(carried.merged_member_record());
  CHECK(stored.body() ==
        unhashed.SerializeAsString() + DeterministicBytes(only_the_record));
  CHECK(ChainHash(answered.prev_hash(), stored.body()) == answered.hash());
}

TEST_CASE(
    "a merge that would leave the target owning more than INT64_MAX points "
    "over its buckets is BALANCE_OVERFLOW, though no bucket alone is",
    "[members][merge][overflow]") {
  v1::ProgramConfig program = testing::MegaProgram();
  program.set_return_window_days(14);
  TestLedger t(program);
  t.EnrollOk("rich");
  t.EnrollOk("fresh");
  // 5 * 10^18 earned (1 point per USD cent), matured, plus operator
  // credits: 9.223 * 10^18 available, no lifetime total near the top.
  const std::vector<v1::BasketLine> big(
      5, testing::Line("bullion", 1'000'000, 1'000'000'000'000));
  REQUIRE_OK(testing::Earn(t.ledger(), kPos,
                           testing::EarnWithLines("big", "rich", "o-big",
                                                  "USD", big)));
  t.clock().AdvanceMs(15 * kDayMs);
  for (int i = 0; i < 4'223; ++i) {
    REQUIRE_OK(testing::Adjust(
        t.ledger(), kAdmin,
        testing::AdjustPoints(absl::StrCat("credit-", i), "rich",
                              1'000'000'000'000'000)));
  }
  REQUIRE(t.Available("rich") == 9'223'000'000'000'000'000);
  // 10^18 pending at the source.
  REQUIRE_OK(testing::Earn(
      t.ledger(), kPos,
      testing::EarnWithLines("fresh", "fresh", "o-fresh", "USD",
                             {testing::Line("bullion", 1'000'000,
                                            1'000'000'000'000)})));

  NothingChanged unchanged(t.store());
  auto refused = Merge(t.ledger(), MergeRequest("m1", "fresh", "rich"));
  CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(refused) == v1::ERROR_REASON_BALANCE_OVERFLOW);
  unchanged.CheckOnlyRequestRemembered();
  t.clock().AdvanceMs(15 * kDayMs);
  CHECK(t.Available("rich") == 9'223'000'000'000'000'000);
  t.RequireVerifyOk();
}

}  // namespace
}  // namespace loyalty
