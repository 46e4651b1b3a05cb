// One seeded run of the model-based test (see harness.h): the engine. The
// run loop, every call into the Ledger (Submitter for the commands, and
// the reads, sweeps and Verify), and the checks every command gets; what
// was written is checked in store_checks.cc, each domain's own fields in
// points_checks.cc and members_checks.cc.
#include "harness.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "generator.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/commands.h"
#include "ledger/common/clock.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"
#include "ledger/storage/ledger_store.h"
#include "ledger/storage/memory_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "model.h"
#include "recording_store.h"
#include "runner.h"

namespace loyalty::model {
namespace {

// 2023-11-14T22:13:20Z; any fixed instant will do.
constexpr int64_t kStartMs = 1'700'000'000'000;
constexpr int64_t kHourMs = 3'600'000;

template <typename Response>
uint64_t ResponseHash(Response response) {
  response.set_replayed(false);
  std::string bytes = response.SerializeAsString();
  return std::hash<std::string_view>{}(bytes);
}

void Fill(const v1::EnrollMemberResponse& response, Observed* observed) {
  observed->member_id = response.member().member_id();
  observed->entry = response.entry();
  observed->balance = response.member().balance();
  for (const auto& identifier : response.member().identifiers()) {
    observed->identifiers.emplace_back(identifier.kind(), identifier.value());
  }
}
void Fill(const v1::EarnResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
  observed->points_earned = response.points_earned();
  observed->discount_minor = response.discount_minor();
  observed->coupons_applied = response.coupons_size();
  for (const v1::Coupon& coupon : response.issued_coupons()) {
    observed->rule_coupon_codes.push_back(coupon.code());
  }
}
void Fill(const v1::RedeemResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
}
void Fill(const v1::RecordEventResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
  observed->points_earned = response.points_earned();
}
void Fill(const v1::AdjustResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
}
void Fill(const v1::HoldPointsResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
  observed->hold_id = response.hold_id();
  observed->hold_expires_at_ms = response.expires_at_ms();
}
void Fill(const v1::SettleHoldResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.balance();
}

void Fill(const v1::ReturnResponse& response, Observed* observed) {
  if (response.entries_size() > 0) {
    observed->member_id = response.entries(0).member_id();
    observed->entry = response.entries(0);  // The RETURN.
  }
  observed->entries.assign(response.entries().begin(),
                           response.entries().end());
  observed->balance = response.balance();
  observed->points_reversed = response.points_reversed();
  observed->points_forgiven = response.points_forgiven();
  observed->points_restored = response.points_restored();
}

template <typename Response>
void FillIdentifiers(const Response& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->has_balance = false;
  for (const auto& identifier : response.identifiers()) {
    observed->identifiers.emplace_back(identifier.kind(), identifier.value());
  }
}
void Fill(const v1::LinkIdentifierResponse& response, Observed* observed) {
  FillIdentifiers(response, observed);
}
void Fill(const v1::UnlinkIdentifierResponse& response, Observed* observed) {
  FillIdentifiers(response, observed);
}

void Fill(const v1::TransferPointsResponse& response, Observed* observed) {
  if (response.entries_size() > 0) {
    observed->member_id = response.entries(0).member_id();
    observed->entry = response.entries(0);  // The TRANSFER_OUT.
  }
  observed->entries.assign(response.entries().begin(),
                           response.entries().end());
  observed->balance = response.from_balance();
  observed->to_balance = response.to_balance();
}

void Fill(const v1::ImportMemberResponse& response, Observed* observed) {
  observed->member_id = response.member_id();
  observed->entries.assign(response.entries().begin(),
                           response.entries().end());
  observed->balance = response.balance();
  observed->import = response;
}

void Fill(const v1::CloseMemberResponse& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->balance = response.member().balance();
  observed->member = response.member();
}

// The member is the target; `entry` is the MERGE_OUT (on the source).
void Fill(const v1::MergeMembersResponse& response, Observed* observed) {
  observed->member_id = response.member().member_id();
  if (response.entries_size() > 0) observed->entry = response.entries(0);
  observed->entries.assign(response.entries().begin(),
                           response.entries().end());
  observed->balance = response.member().balance();
  observed->member = response.member();
  for (const v1::LedgerEntry& entry : response.entries()) {
    if (entry.kind() == v1::ENTRY_KIND_COUPON_ISSUE) {
      observed->rule_coupon_codes.push_back(
          FormatCouponCode(entry.coupon_issued().code()));
    }
  }
}

template <typename Response>
void FillCoupon(const Response& response, Observed* observed) {
  observed->member_id = response.entry().member_id();
  observed->entry = response.entry();
  observed->has_balance = false;
  observed->coupon = response.coupon();
}
void Fill(const v1::IssueCouponResponse& response, Observed* observed) {
  FillCoupon(response, observed);
}
void Fill(const v1::RedeemCouponResponse& response, Observed* observed) {
  FillCoupon(response, observed);
}
void Fill(const v1::ReserveCouponResponse& response, Observed* observed) {
  FillCoupon(response, observed);
  // The id and expiry the entry carries, as the answer names them.
  if (response.reservation_id() !=
          response.entry().coupon_reserved().reservation_id() ||
      response.expires_at_ms() !=
          response.entry().coupon_reserved().expires_at_ms()) {
    observed->coupon.set_code(
        "the answer's reservation differs from its entry");
  }
}
void Fill(const v1::SettleCouponReservationResponse& response,
          Observed* observed) {
  FillCoupon(response, observed);
}

// Vouchers: `entries` are every entry of the response in order, `entry`
// the first (a transfer's OUT, a claim's GIFT_CLAIMED), `member_id` the
// member of the command's own entry (the giver's, the claimer's).
void FillVoucher(const v1::LedgerEntry& entry, Observed* observed) {
  observed->member_id = entry.member_id();
  observed->entry = entry;
  observed->entries = {entry};
  observed->has_balance = false;
}
void Fill(const v1::IssueVoucherResponse& response, Observed* observed) {
  FillVoucher(response.entry(), observed);
  observed->voucher = response.voucher();
}
void Fill(const v1::RedeemVoucherUnitsResponse& response, Observed* observed) {
  FillVoucher(response.entry(), observed);
  observed->voucher = response.voucher();
}
void Fill(const v1::TransferVoucherUnitsResponse& response,
          Observed* observed) {
  FillVoucher(response.entry_out(), observed);
  observed->entries.push_back(response.entry_in());
  observed->voucher = response.voucher();
  observed->received = response.received();
}
void Fill(const v1::GiftVoucherUnitsResponse& response, Observed* observed) {
  FillVoucher(response.entry(), observed);
  observed->voucher = response.voucher();
  observed->gift = response.gift();
}
void Fill(const v1::ClaimVoucherGiftResponse& response, Observed* observed) {
  FillVoucher(response.entry_claimed(), observed);
  observed->member_id = response.entry().member_id();
  observed->entries.push_back(response.entry());
  observed->voucher = response.voucher();
  observed->gift = response.gift();
}
void Fill(const v1::RefundVoucherUnitsResponse& response, Observed* observed) {
  FillVoucher(response.entry(), observed);
  observed->voucher = response.voucher();
  observed->refund = response.refund();
}
// Rewards catalog: `entry` is the REWARD_REDEEM (then the issue) or the
// REWARD_CANCEL; the coupon or voucher it bought or voided.
void Fill(const v1::RedeemRewardResponse& response, Observed* observed) {
  if (response.entries_size() > 0) observed->entry = response.entries(0);
  observed->member_id = observed->entry.member_id();
  observed->entries.assign(response.entries().begin(),
                           response.entries().end());
  observed->balance = response.balance();
  observed->coupon = response.coupon();
  observed->voucher = response.voucher();
}
void Fill(const v1::CancelRewardResponse& response, Observed* observed) {
  observed->entry = response.entry();
  observed->member_id = response.entry().member_id();
  observed->entries = {response.entry()};
  observed->balance = response.balance();
  observed->coupon = response.coupon();
  observed->voucher = response.voucher();
}
// Bulk coupon codes: a chunk belongs to no member.
void Fill(const v1::GenerateCouponChunkResponse& response, Observed* observed) {
  observed->has_balance = false;
  observed->chunk = response;
}

struct Slot {
  std::promise<Observed> promise;
  std::atomic<int> calls{0};
};

template <typename Response>
Ledger::Done<Response> Deliver(std::shared_ptr<Slot> slot) {
  return [slot](absl::StatusOr<Response> result) {
    // `done` must be called exactly once; a second call is reported.
    if (slot->calls.fetch_add(1) != 0) return;
    Observed observed;
    observed.status = result.status();
    if (result.ok()) {
      observed.replayed = result->replayed();
      Fill(*result, &observed);
      observed.response_hash = ResponseHash(*result);
    }
    slot->promise.set_value(std::move(observed));
  };
}

// Sends one request to the ledger as the command table's row for it; one
// overload per Request alternative.
struct Submitter {
  Ledger& ledger;
  Caller caller;
  std::shared_ptr<Slot> slot;

  template <typename Spec>
  void Submit(const typename Spec::Request& request,
              SubmitOptions options = {}) const {
    ledger.Submit<Spec>(caller, request, Deliver<typename Spec::Response>(slot),
                        options);
  }

  void operator()(const v1::EnrollMemberRequest& request) const {
    Submit<EnrollMemberCommand>(request);
  }
  void operator()(const v1::EarnRequest& request) const {
    Submit<EarnCommand>(request);
  }
  void operator()(const v1::RedeemRequest& request) const {
    Submit<RedeemCommand>(request);
  }
  void operator()(const v1::AdjustRequest& request) const {
    Submit<AdjustCommand>(request);
  }
  void operator()(const v1::RecordEventRequest& request) const {
    Submit<RecordEventCommand>(request);
  }
  void operator()(const v1::HoldPointsRequest& request) const {
    Submit<HoldPointsCommand>(request);
  }
  void operator()(const CaptureRequest& request) const {
    Submit<CapturePointsCommand>(request.message);
  }
  void operator()(const ReleaseRequest& request) const {
    Submit<ReleasePointsCommand>(request.message);
  }
  void operator()(const v1::ReturnRequest& request) const {
    Submit<ReturnCommand>(request);
  }
  void operator()(const v1::LinkIdentifierRequest& request) const {
    Submit<LinkIdentifierCommand>(request);
  }
  void operator()(const v1::UnlinkIdentifierRequest& request) const {
    Submit<UnlinkIdentifierCommand>(request);
  }
  void operator()(const v1::TransferPointsRequest& request) const {
    Submit<TransferPointsCommand>(request);
  }
  void operator()(const ImportRequest& request) const {
    Submit<ImportMemberCommand>(request.message,
                                SubmitOptions{.dry_run = request.dry_run});
  }
  void operator()(const v1::CloseMemberRequest& request) const {
    Submit<CloseMemberCommand>(request);
  }
  void operator()(const v1::MergeMembersRequest& request) const {
    Submit<MergeMembersCommand>(request);
  }
  void operator()(const v1::IssueCouponRequest& request) const {
    Submit<IssueCouponCommand>(request);
  }
  void operator()(const v1::RedeemCouponRequest& request) const {
    Submit<RedeemCouponCommand>(request);
  }
  void operator()(const v1::ReserveCouponRequest& request) const {
    Submit<ReserveCouponCommand>(request);
  }
  void operator()(const CommitCouponRequest& request) const {
    Submit<CommitCouponCommand>(request.message);
  }
  void operator()(const ReleaseCouponRequest& request) const {
    Submit<ReleaseCouponCommand>(request.message);
  }
  void operator()(const v1::IssueVoucherRequest& request) const {
    Submit<IssueVoucherCommand>(request);
  }
  void operator()(const v1::RedeemVoucherUnitsRequest& request) const {
    Submit<RedeemVoucherUnitsCommand>(request);
  }
  void operator()(const v1::TransferVoucherUnitsRequest& request) const {
    Submit<TransferVoucherUnitsCommand>(request);
  }
  void operator()(const v1::GiftVoucherUnitsRequest& request) const {
    Submit<GiftVoucherUnitsCommand>(request);
  }
  void operator()(const v1::ClaimVoucherGiftRequest& request) const {
    Submit<ClaimVoucherGiftCommand>(request);
  }
  void operator()(const v1::RefundVoucherUnitsRequest& request) const {
    Submit<RefundVoucherUnitsCommand>(request);
  }
  void operator()(const v1::GenerateCouponChunkRequest& request) const {
    Submit<GenerateCouponChunkCommand>(request);
  }
  void operator()(const v1::RedeemRewardRequest& request) const {
    Submit<RedeemRewardCommand>(request);
  }
  void operator()(const v1::CancelRewardRequest& request) const {
    Submit<CancelRewardCommand>(request);
  }
};

// The entry kind each Request alternative appends (an import's entries,
// which depend on the row, are compared on their own).
v1::EntryKind EntryKindOf(const Request& request) {
  static constexpr v1::EntryKind kKinds[] = {
      v1::ENTRY_KIND_ENROLL,
      v1::ENTRY_KIND_EARN,
      v1::ENTRY_KIND_REDEEM,
      v1::ENTRY_KIND_ADJUST,
      v1::ENTRY_KIND_EVENT,
      v1::ENTRY_KIND_HOLD,
      v1::ENTRY_KIND_CAPTURE,
      v1::ENTRY_KIND_RELEASE,
      v1::ENTRY_KIND_RETURN,
      v1::ENTRY_KIND_LINK,
      v1::ENTRY_KIND_UNLINK,
      v1::ENTRY_KIND_TRANSFER_OUT,
      v1::ENTRY_KIND_OPENING,
      v1::ENTRY_KIND_CLOSE,
      v1::ENTRY_KIND_MERGE_OUT,
      v1::ENTRY_KIND_COUPON_ISSUE,
      v1::ENTRY_KIND_COUPON_REDEEM,
      v1::ENTRY_KIND_COUPON_RESERVE,
      v1::ENTRY_KIND_COUPON_REDEEM,
      v1::ENTRY_KIND_COUPON_RELEASE,
      v1::ENTRY_KIND_VOUCHER_ISSUE,
      v1::ENTRY_KIND_VOUCHER_REDEEM,
      v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT,
      v1::ENTRY_KIND_VOUCHER_GIFT,
      v1::ENTRY_KIND_VOUCHER_CLAIM,
      v1::ENTRY_KIND_VOUCHER_REFUND,
      v1::ENTRY_KIND_COUPON_GENERATE,
      v1::ENTRY_KIND_REWARD_REDEEM,
      v1::ENTRY_KIND_REWARD_CANCEL};
  static_assert(std::size(kKinds) == kKindCount);
  return kKinds[request.index()];
}

bool IsMemberIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '-' || c == '@';
}

std::string ExpiringText(
    const std::vector<std::pair<int64_t, int64_t>>& expiring) {
  std::string text = "[";
  for (const auto& [at_ms, points] : expiring) {
    absl::StrAppend(&text, points, "@", at_ms, " ");
  }
  return text + "]";
}

std::vector<std::pair<int64_t, int64_t>> ExpiringOf(const v1::Balance& b) {
  std::vector<std::pair<int64_t, int64_t>> expiring;
  for (const auto& lot : b.next_expiring()) {
    expiring.emplace_back(lot.expires_at_ms(), lot.points());
  }
  return expiring;
}

}  // namespace

std::string TotalsText(const Totals& t) {
  return absl::StrCat(
      "available=", t.available, " pending=", t.pending, " held=", t.held,
      " earned=", t.earned_total, " redeemed=", t.redeemed_total,
      " adjusted=", t.adjusted_total, " expired=", t.expired_total,
      " opening=", t.opening_total, " out=", t.transferred_out_total,
      " in=", t.transferred_in_total, " forfeited=", t.forfeited_total,
      " debt=", t.debt, " entries=", t.entry_count,
      " last_seq=", t.last_sequence,
      " expiring=", ExpiringText(t.next_expiring), " as_of=", t.as_of_ms);
}

std::string BalanceText(const v1::Balance& b) {
  return absl::StrCat(
      "available=", b.available_points(), " pending=", b.pending_points(),
      " held=", b.held_points(), " earned=", b.earned_points_total(),
      " redeemed=", b.redeemed_points_total(),
      " adjusted=", b.adjusted_points_total(),
      " expired=", b.expired_points_total(),
      " opening=", b.opening_points_total(),
      " out=", b.transferred_out_points_total(),
      " in=", b.transferred_in_points_total(),
      " forfeited=", b.forfeited_points_total(), " entries=", b.entry_count(),
      " last_seq=", b.last_sequence(),
      " expiring=", ExpiringText(ExpiringOf(b)), " as_of=", b.as_of_ms(),
      " debt=", b.debt_points());
}

// Every field of the balance (a snapshot: next_expiring and as_of set).
bool SameTotals(const Totals& t, const v1::Balance& b) {
  return t.available == b.available_points() &&
         t.pending == b.pending_points() && t.held == b.held_points() &&
         t.earned_total == b.earned_points_total() &&
         t.redeemed_total == b.redeemed_points_total() &&
         t.adjusted_total == b.adjusted_points_total() &&
         t.expired_total == b.expired_points_total() &&
         t.opening_total == b.opening_points_total() &&
         t.transferred_out_total == b.transferred_out_points_total() &&
         t.transferred_in_total == b.transferred_in_points_total() &&
         t.forfeited_total == b.forfeited_points_total() &&
         t.entry_count == b.entry_count() &&
         t.last_sequence == b.last_sequence() &&
         t.next_expiring == ExpiringOf(b) && t.as_of_ms == b.as_of_ms() &&
         t.debt == b.debt_points();
}

// Web orders get +40, at most 100 per member and 5000 in all: a default
// run reaches both the cap and the budget.
CampaignRule ProgramCampaign() {
  return {"web-bonus", v1::CHANNEL_WEB, 40, 100, 5000};
}

// Bronze (everyone at enrolment), silver from 5000 qualifying points in the
// window (1.25x base), gold from 500000 (1.5x). A window of the current
// calendar month, evaluated one month and two days after an upgrade or a
// keep: a member's earns in the due month decide whether it keeps its tier.
// (EUR and GBP earns reach silver in a few orders; USD and JPY ones reach
// gold at once.)
TierProgram ProgramTiers() {
  TierProgram program;
  // Coupons issued by program rules: reaching silver or gold by an
  // upgrade issues a welcome coupon (rule_coupons_model.cc).
  program.tiers = {{"bronze", "Bronze", 0, 100, ""},
                   {"silver", "Silver", 5'000, 125, "welcome-silver"},
                   {"gold", "Gold", 500'000, 150, "welcome-gold"}};
  program.window_months = 1;
  program.grace_days = 2;
  return program;
}

// "" when the stored entry `got` is the one the model expects; else what
// differs.
std::string CompareEntry(const ExpectedEntry& want, const v1::LedgerEntry& got,
                         const storage::v1::EntryStorageFields* storage) {
  std::vector<std::string> differ;
  auto check = [&](bool same, const char* field) {
    if (!same) differ.push_back(field);
  };
  check(got.sequence() == want.sequence, "sequence");
  check(got.member_id() == want.member_id, "member_id");
  check(got.kind() == want.kind, "kind");
  check(got.bucket() == want.bucket, "bucket");
  check(got.points_delta() == want.points_delta, "points_delta");
  check(got.available_after_points() == want.available_after,
        "available_after_points");
  check(got.pending_after_points() == want.pending_after,
        "pending_after_points");
  check(got.held_after_points() == want.held_after, "held_after_points");
  check(got.debt_after_points() == want.debt_after, "debt_after_points");
  check(got.pending_reversed_points() == want.pending_reversed,
        "pending_reversed_points");
  check(got.forgiven_points() == want.forgiven, "forgiven_points");
  check(got.principal() == want.principal, "principal");
  check(got.request_id() == want.request_id, "request_id");
  check(got.channel() == want.channel, "channel");
  check(got.store_id() == want.store_id, "store_id");
  check(got.terminal_id() == want.terminal_id, "terminal_id");
  check(got.occurred_at_ms() == want.occurred_at_ms, "occurred_at_ms");
  check(got.recorded_at_ms() == want.recorded_at_ms, "recorded_at_ms");
  check(got.order_id() == want.order_id, "order_id");
  check(got.lot_expires_at_ms() == want.lot_expires_at_ms, "lot_expires_at_ms");
  check(got.matures_at_ms() == want.matures_at_ms, "matures_at_ms");
  check(got.lot_sequence() == want.lot_sequence, "lot_sequence");
  check(got.hold_id() == want.hold_id, "hold_id");
  check(got.hold_expires_at_ms() == want.hold_expires_at_ms,
        "hold_expires_at_ms");
  check(got.hold_timed_out() == want.hold_timed_out, "hold_timed_out");
  check(got.event_day() == want.event_day, "event_day");
  check(got.qualifying_delta() == want.qualifying_delta, "qualifying_delta");
  check(got.qualifying_month() == want.qualifying_month, "qualifying_month");
  check(got.tier_from() == want.tier_from, "tier_from");
  check(got.tier_to() == want.tier_to, "tier_to");
  check(got.qualifying_amount() == want.qualifying_amount, "qualifying_amount");
  check(got.tier_evaluation_ms() == want.tier_evaluation_ms,
        "tier_evaluation_ms");
  // The tier multiplier's breakdown line: one of the member's tier when it
  // adds points, none otherwise.
  int tier_lines = 0;
  bool tier_line_same = true;
  for (const v1::EarnBreakdownLine& line : got.breakdown()) {
    if (line.kind() != v1::RULE_KIND_TIER) continue;
    ++tier_lines;
    tier_line_same = tier_line_same && line.rule_id() == want.tier_line_id &&
                     line.points() == want.tier_line_points;
  }
  check(tier_lines == (want.tier_line_points > 0 ? 1 : 0) && tier_line_same,
        "breakdown tier line");
  std::vector<std::pair<int, std::string>> identifiers;
  for (const auto& identifier : got.identifiers()) {
    identifiers.emplace_back(identifier.kind(), identifier.value());
  }
  check(identifiers == want.identifiers, "identifiers");
  check(got.note() == want.note, "note");
  check(got.counterparty_member_id() == want.counterparty,
        "counterparty_member_id");
  std::vector<std::pair<int64_t, int64_t>> lots;
  for (const auto& lot : got.transferred_lots()) {
    lots.emplace_back(lot.points(), lot.expires_at_ms());
  }
  check(lots == want.transferred_lots, "transferred_lots");
  check(got.transfer_day() == want.transfer_day, "transfer_day");
  check(got.operator_id() == want.operator_id, "operator_id");
  check(got.reason_code() == want.reason_code, "reason_code");
  check(got.personal_data_erased() == want.personal_data_erased,
        "personal_data_erased");
  check(got.merged_pending_points() == want.merged_pending,
        "merged_pending_points");
  check(got.merged_held_points() == want.merged_held, "merged_held_points");
  // Coupon details: those of the entry's kind, or none.
  const bool issue = want.kind == v1::ENTRY_KIND_COUPON_ISSUE;
  const bool redeem = want.kind == v1::ENTRY_KIND_COUPON_REDEEM;
  const bool restore = want.kind == v1::ENTRY_KIND_COUPON_RESTORE;
  const bool reserve = want.kind == v1::ENTRY_KIND_COUPON_RESERVE;
  const bool release = want.kind == v1::ENTRY_KIND_COUPON_RELEASE;
  const bool generate = want.kind == v1::ENTRY_KIND_COUPON_GENERATE;
  const bool voucher =
      want.voucher_details.details_case() != v1::LedgerEntry::DETAILS_NOT_SET;
  check(got.details_case() == (issue      ? v1::LedgerEntry::kCouponIssued
                               : redeem   ? v1::LedgerEntry::kCouponRedeemed
                               : restore  ? v1::LedgerEntry::kCouponRestored
                               : reserve  ? v1::LedgerEntry::kCouponReserved
                               : release  ? v1::LedgerEntry::kCouponReleased
                               : generate ? v1::LedgerEntry::kCouponsGenerated
                               : voucher  ? want.voucher_details.details_case()
                                          : v1::LedgerEntry::DETAILS_NOT_SET),
        "details");
  if (reserve) {
    const v1::CouponReserved& details = got.coupon_reserved();
    check(details.code() == want.coupon_code &&
              details.template_id() == want.coupon_template &&
              details.reservation_id() == want.coupon_reservation_id &&
              details.expires_at_ms() == want.coupon_expires_at_ms,
          "coupon_reserved");
  }
  if (release) {
    const v1::CouponReleased& details = got.coupon_released();
    check(details.code() == want.coupon_code &&
              details.template_id() == want.coupon_template &&
              details.reservation_id() == want.coupon_reservation_id &&
              details.timed_out() == want.coupon_timed_out,
          "coupon_released");
  }
  if (voucher) {
    // The details oneof alone, field by field.
    v1::LedgerEntry details;
    const auto* oneof =
        v1::LedgerEntry::descriptor()->FindOneofByName("details");
    const auto* field =
        got.GetReflection()->GetOneofFieldDescriptor(got, oneof);
    if (field != nullptr) {
      details.GetReflection()
          ->MutableMessage(&details, field)
          ->CopyFrom(got.GetReflection()->GetMessage(got, field));
    }
    check(google::protobuf::util::MessageDifferencer::Equals(
              details, want.voucher_details),
          "voucher details");
  }
  if (generate) {
    const v1::CouponsGenerated& details = got.coupons_generated();
    check(details.batch_id() == want.batch_id &&
              details.template_id() == want.coupon_template &&
              details.batch_count() == want.batch_count &&
              details.first_index() == want.first_index &&
              details.valid_from_ms() == want.coupon_valid_from_ms &&
              details.valid_until_ms() == want.coupon_valid_until_ms &&
              details.uses_allowed() == want.coupon_uses_allowed &&
              std::vector<std::string>(details.codes().begin(),
                                       details.codes().end()) ==
                  want.generated_codes,
          "coupons_generated");
  }
  if (restore) {
    const v1::CouponRestored& details = got.coupon_restored();
    check(details.code() == want.coupon_code &&
              details.template_id() == want.coupon_template &&
              details.uses_after() == want.coupon_uses_after,
          "coupon_restored");
  }
  check(std::vector<std::string>(got.coupon_codes().begin(),
                                 got.coupon_codes().end()) ==
            want.earn_coupon_codes,
        "coupon_codes");
  if (issue) {
    const v1::CouponIssued& details = got.coupon_issued();
    check(details.code() == want.coupon_code &&
              details.template_id() == want.coupon_template &&
              details.valid_from_ms() == want.coupon_valid_from_ms &&
              details.valid_until_ms() == want.coupon_valid_until_ms &&
              details.uses_allowed() == want.coupon_uses_allowed &&
              details.rule_id() == want.coupon_rule_id &&
              details.rule_kind() == want.coupon_rule_kind,
          "coupon_issued");
    check(details.reward_item_id() == want.reward_item_id &&
              details.reward_points() == want.reward_points &&
              details.reward_cancellable() == want.reward_cancellable,
          "coupon_issued reward");
  }
  if (redeem) {
    const v1::CouponRedeemed& details = got.coupon_redeemed();
    check(details.code() == want.coupon_code &&
              details.template_id() == want.coupon_template &&
              details.uses_after() == want.coupon_uses_after &&
              details.reservation_id() == want.coupon_reservation_id &&
              details.discount_minor() == want.coupon_discount_minor &&
              details.currency() == want.coupon_currency,
          "coupon_redeemed");
  }
  check(got.coupon_discount_minor() ==
            (want.kind == v1::ENTRY_KIND_EARN ? want.coupon_discount_minor : 0),
        "coupon_discount_minor");
  check(!got.earned_on_gross(), "earned_on_gross");
  // Storage fields never reach the contract's entries.
  check(got.GetReflection()->GetUnknownFields(got).empty(), "unknown fields");
  std::string record_problem;
  if (storage != nullptr && want.merged_source != nullptr) {
    storage::v1::MemberRecord record;
    record_problem =
        record.ParseFromString(storage->merged_member_record())
            ? CompareRecord(*want.merged_source, record)
            : "merged_member_record does not decode as a MemberRecord";
    check(record_problem.empty(), "merged_member_record");
  } else if (storage != nullptr) {
    check(storage->merged_member_record().empty(), "merged_member_record");
  }
  if (differ.empty()) return "";
  std::string text =
      absl::StrCat("entry ", want.sequence, " (", v1::EntryKind_Name(want.kind),
                   ") differs in ");
  for (const std::string& field : differ) absl::StrAppend(&text, field, " ");
  absl::StrAppend(
      &text, "\n    model: kind=", v1::EntryKind_Name(want.kind),
      " bucket=", v1::Bucket_Name(want.bucket), " delta=", want.points_delta,
      " after=", want.available_after, "/", want.pending_after, "/",
      want.held_after, " principal=", want.principal,
      " occurred=", want.occurred_at_ms, " recorded=", want.recorded_at_ms,
      " order=", want.order_id, " lot_expires=", want.lot_expires_at_ms,
      " matures=", want.matures_at_ms, " lot_seq=", want.lot_sequence,
      " hold=", want.hold_id, " hold_expires=", want.hold_expires_at_ms,
      " timed_out=", want.hold_timed_out, " event_day=", want.event_day,
      " qualifying=", want.qualifying_delta, "@", want.qualifying_month,
      " tier=", want.tier_from, "->", want.tier_to,
      " amount=", want.qualifying_amount,
      " evaluation=", want.tier_evaluation_ms, " tier_line=", want.tier_line_id,
      ":", want.tier_line_points, " counterparty=", want.counterparty,
      " lots=", want.transferred_lots.size(),
      " transfer_day=", want.transfer_day,
      " identifiers=", want.identifiers.size(), " operator=", want.operator_id,
      " reason=", want.reason_code, " erased=", want.personal_data_erased,
      " merged_pending=", want.merged_pending,
      " merged_held=", want.merged_held, " ",
      want.voucher_details.ShortDebugString(),
      "\n    ledger: ", got.ShortDebugString());
  if (!record_problem.empty()) absl::StrAppend(&text, "\n    ", record_problem);
  return text;
}

std::string OutcomeText(const absl::Status& status) {
  if (status.ok()) return "OK";
  return absl::StrCat(absl::StatusCodeToString(status.code()), " (",
                      v1::ErrorReason_Name(ReasonOf(status)), ") ",
                      status.message());
}

namespace {

std::string ExpectedText(const Expected& e) {
  if (e.code != absl::StatusCode::kOk) {
    return absl::StrCat(absl::StatusCodeToString(e.code), " (",
                        v1::ErrorReason_Name(e.reason), ")");
  }
  return absl::StrCat("OK", e.replayed ? " replayed" : "",
                      " member=", e.member_id, " delta=", e.points_delta,
                      " seq=", e.sequence, " ", TotalsText(e.totals));
}

// ---------------------------------------------------------------------------
// A note for a crash: if the ledger aborts (a LEDGER_CHECK), the seed and
// the command being run are printed before the process dies.

char g_crash_note[4096];
struct sigaction g_previous_abort;
struct sigaction g_previous_segv;

void OnCrash(int signal_number) {
  ssize_t ignored = ::write(2, g_crash_note, std::strlen(g_crash_note));
  (void)ignored;
  const struct sigaction& previous =
      signal_number == SIGABRT ? g_previous_abort : g_previous_segv;
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    if (previous.sa_flags & SA_SIGINFO) {
      previous.sa_sigaction(signal_number, nullptr, nullptr);
    } else {
      previous.sa_handler(signal_number);
    }
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

CrashNote::CrashNote() {
  g_crash_note[0] = '\0';
  struct sigaction action {};
  action.sa_handler = OnCrash;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGABRT, &action, &g_previous_abort);
  ::sigaction(SIGSEGV, &action, &g_previous_segv);
}

CrashNote::~CrashNote() {
  ::sigaction(SIGABRT, &g_previous_abort, nullptr);
  ::sigaction(SIGSEGV, &g_previous_segv, nullptr);
}

void CrashNote::Set(const std::string& text) {
  std::snprintf(g_crash_note, sizeof(g_crash_note), "%s\n", text.c_str());
}

// ---------------------------------------------------------------------------
// The run.

Runner::Runner(const RunOptions& options)
    : options_(options),
      clock_(kStartMs),
      ledger_random_(options.seed ^ 0x6c6564676572ull),  // "ledger".
      store_(&memory_),
      model_(Rates(), Campaign(), Events(), Tiers()),
      generator_(options.seed, &model_, options.near_limits),
      check_rng_(options.seed ^ 0x5eedc0deull) {
  model_.set_offline_policy(OfflinePolicyOfSeed(options.seed));
}

std::vector<EarnRateRule> Runner::Rates() {
  return {
      {"base-eur", "EUR", 100, 1},        // 1 pt per 1.00 EUR.
      {"base-gbp", "GBP", 250, 3},        // 3 pt per 2.50 GBP.
      {"unit-usd", "USD", 1, 1},          // 1 pt per cent.
      {"mega-jpy", "JPY", 1, 1'000'000},  // The most a step may give.
      {"none-chf", "CHF", 500, 0},        // Accepted, earns nothing.
  };
}

CampaignRule Runner::Campaign() { return ProgramCampaign(); }

// A survey twice a day, an app install once ever (app only), and a QR code
// that counts between the 2nd and the 30th hour of the run.
std::vector<EventRule> Runner::Events() {
  return {
      {"survey", 20, 0, 0, 0, 2, v1::CHANNEL_UNSPECIFIED},
      {"app-install", 300, 0, 0, 1, 0, v1::CHANNEL_APP},
      {"qr-scan", 5, kStartMs + 2 * kHourMs, kStartMs + 30 * kHourMs, 0, 0,
       v1::CHANNEL_UNSPECIFIED},
  };
}

TierProgram Runner::Tiers() { return ProgramTiers(); }

v1::ProgramConfig Runner::Program() const {
  v1::ProgramConfig program;
  program.set_program_id("model-test");
  program.set_display_name("Model Test Rewards");
  for (const EarnRateRule& rule : Rates()) {
    v1::EarnRate* rate = program.add_earn_rates();
    rate->set_rule_id(rule.rule_id);
    rate->set_currency(rule.currency);
    rate->set_spend_minor_per_step(rule.spend_minor_per_step);
    rate->set_points_per_step(rule.points_per_step);
  }
  program.set_time_zone("Asia/Taipei");  // UTC+8, as the model counts days.
  for (const VoucherRule& rule : ModelVoucherRules()) {
    v1::VoucherProduct* product = program.add_voucher_products();
    product->set_product_id(rule.product_id);
    product->set_display_name(rule.product_id);
    product->set_sku(rule.sku);
    product->set_units_per_voucher_max(rule.units_max);
    product->set_valid_days_after_issue(rule.valid_days);
    product->set_refundable(rule.refundable);
    product->set_gift_claim_days(rule.gift_claim_days);
  }
  // Coupons issued by program rules: their templates too.
  std::vector<CouponRule> coupon_rules = ModelCouponRules();
  coupon_rules.insert(coupon_rules.end(), ModelRuleCouponRules().begin(),
                      ModelRuleCouponRules().end());
  for (const CouponRule& rule : coupon_rules) {
    v1::CouponTemplate* coupon = program.add_coupon_templates();
    coupon->set_template_id(rule.template_id);
    coupon->set_display_name(rule.template_id);
    if (rule.percent_off != 0) {
      coupon->set_percent_off(rule.percent_off);
    } else if (rule.amount_off_minor != 0) {
      coupon->mutable_amount_off()->set_amount_minor(rule.amount_off_minor);
      coupon->mutable_amount_off()->set_currency(rule.currency);
    } else {
      coupon->set_points_multiplier_percent(rule.points_multiplier_percent);
    }
    if (rule.min_spend_minor != 0) {
      coupon->mutable_min_spend()->set_amount_minor(rule.min_spend_minor);
      coupon->mutable_min_spend()->set_currency(rule.currency);
    }
    if (rule.discount_budget_minor != 0) {
      coupon->mutable_discount_budget()->set_amount_minor(
          rule.discount_budget_minor);
      coupon->mutable_discount_budget()->set_currency(rule.currency);
    }
    for (const std::string& sku : rule.eligible_skus) {
      coupon->add_eligible_skus(sku);
    }
    coupon->set_combinable(rule.combinable);
    coupon->set_return_policy(rule.return_policy);
    coupon->set_valid_days_after_issue(rule.valid_days);
    coupon->set_uses_per_coupon(rule.uses);
    coupon->set_per_member_limit(rule.per_member_limit);
    coupon->set_issuance_budget(rule.budget);
    if (rule.only_channel != v1::CHANNEL_UNSPECIFIED) {
      coupon->add_channels(rule.only_channel);
    }
    if (!rule.only_store.empty()) coupon->add_store_ids(rule.only_store);
  }
  program.set_default_phone_region(kModelPhoneRegion);
  program.mutable_transfer_rules()->set_per_transfer_max_points(
      kModelTransferMaxPoints);
  program.mutable_transfer_rules()->set_per_day_max_points(
      kModelTransferDayMaxPoints);
  // The points policy the model states (model.h).
  program.set_return_window_days(kModelReturnWindowDays);
  program.mutable_expiry()->set_months_after_earn(kModelExpiryMonths);
  program.set_hold_timeout_max_ms(kModelHoldTimeoutMaxMs);
  program.set_holds_per_member_max(kModelHoldsPerMember);
  program.set_return_policy(v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE);
  program.set_negative_balance_floor_points(kModelNegativeFloorPoints);
  program.mutable_offline_redemption()->set_points_per_member_day(
      kModelOfflineAllowancePoints);
  program.mutable_offline_redemption()->set_when_short(
      OfflinePolicyOfSeed(options_.seed));
  for (const EventRule& rule : Events()) {
    v1::EngagementEvent* event = program.add_engagement_events();
    event->set_event_id(rule.event_id);
    event->set_points(rule.points);
    event->set_starts_at_ms(rule.starts_at_ms);
    event->set_ends_at_ms(rule.ends_at_ms);
    event->set_max_per_member(static_cast<int32_t>(rule.max_per_member));
    event->set_max_per_day(static_cast<int32_t>(rule.max_per_day));
    if (rule.only_channel != v1::CHANNEL_UNSPECIFIED) {
      event->add_channels(rule.only_channel);
    }
  }
  const CampaignRule rule = Campaign();
  v1::Campaign* campaign = program.add_campaigns();
  campaign->set_rule_id(rule.rule_id);
  campaign->set_starts_at_ms(0);
  campaign->set_ends_at_ms(4'102'444'800'000);  // 2100-01-01.
  campaign->add_channels(rule.channel);
  campaign->set_bonus_points(rule.bonus_points);
  campaign->set_member_cap_points(rule.member_cap_points);
  campaign->set_budget_points(rule.budget_points);
  const TierProgram tiers = Tiers();
  v1::TierRules* tier_rules = program.mutable_tier_rules();
  for (const TierRule& tier_rule : tiers.tiers) {
    v1::Tier* tier = tier_rules->add_tiers();
    tier->set_tier_id(tier_rule.tier_id);
    tier->set_display_name(tier_rule.display_name);
    tier->set_threshold(tier_rule.threshold);
    tier->set_multiplier_percent(tier_rule.multiplier_percent);
    tier->set_upgrade_coupon_template_id(tier_rule.upgrade_coupon_template_id);
  }
  // Coupons issued by program rules: spend bonuses that give a coupon only.
  for (const SpendBonusRule& spend_rule : ModelSpendBonuses()) {
    v1::SpendBonus* bonus = program.add_spend_bonuses();
    bonus->set_rule_id(spend_rule.rule_id);
    bonus->set_currency(spend_rule.currency);
    bonus->set_min_spend_minor(spend_rule.min_spend_minor);
    bonus->set_coupon_template_id(spend_rule.coupon_template_id);
  }
  tier_rules->set_basis(v1::TIER_BASIS_QUALIFYING_POINTS);
  tier_rules->set_window_months(tiers.window_months);
  tier_rules->set_grace_days(tiers.grace_days);
  for (const RewardRule& reward : ModelRewardRules()) {
    v1::RewardItem* item = program.add_reward_items();
    item->set_item_id(reward.item_id);
    item->set_points_price(reward.points_price);
    item->set_coupon_template_id(reward.coupon_template_id);
    item->set_voucher_product_id(reward.voucher_product_id);
    item->set_voucher_units(reward.voucher_units);
    item->set_stock(reward.stock);
    item->set_per_member_limit(reward.per_member_limit);
    item->set_min_tier_id(reward.min_tier_id);
    if (reward.only_channel != v1::CHANNEL_UNSPECIFIED) {
      item->add_channels(reward.only_channel);
    }
    item->set_cancellable(reward.cancellable);
  }
  return program;
}

bool Runner::Fail(const std::string& problem) {
  if (!report_.ok) return false;  // Keep the first failure.
  report_.ok = false;
  std::string text =
      absl::StrCat("model test failed: seed=", options_.seed, " command #",
                   commands_, "\n  ", problem, "\n  while judging: ", current_,
                   "\n  recent commands (oldest first):\n");
  for (const std::string& line : history_)
    absl::StrAppend(&text, "    ", line, "\n");
  absl::StrAppend(&text, "  reproduce: LOYALTY_MODEL_SEED=", options_.seed,
                  " LOYALTY_MODEL_STEPS=", commands_ + 1,
                  " LOYALTY_MODEL_TRACE=1 model_test\n");
  report_.failure = std::move(text);
  return false;
}

void Runner::Note(const Command& command, const std::string& outcome) {
  NoteLine(absl::StrCat("#", commands_, " [", command.principal, "] ",
                        command.label, ": ", Describe(command.request), " -> ",
                        outcome));
}

void Runner::NoteLine(std::string line) {
  if (options_.trace) std::fprintf(stderr, "%s\n", line.c_str());
  history_.push_back(std::move(line));
  if (history_.size() > 12) history_.pop_front();
}

template <typename T>
T Runner::Await(std::future<T>& future) {
  // A lost callback would hang the test; a minute is far beyond any batch.
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "model_test: seed=%llu: a callback never came\n",
                 static_cast<unsigned long long>(options_.seed));
    std::abort();
  }
  return future.get();
}

bool Runner::Judge(const Command& command, const Observed& observed,
                   Expected* expected) {
  ++commands_;
  current_ = absl::StrCat("[", command.principal, "] ", command.label, ": ",
                          Describe(command.request));
  Note(command, OutcomeText(observed.status));
  // An enroll without an id: the ledger picks one, which must be new and
  // well-formed; the model takes it from the answer.
  std::string assigned = "<not assigned>";
  // An import of a card nobody has enrols a member (a dry run shows a
  // placeholder id for it).
  const auto* import = std::get_if<ImportRequest>(&command.request);
  const bool import_enrols =
      import != nullptr && !command.malformed && observed.status.ok() &&
      !observed.replayed &&
      model_.IdentifierOwner(v1::IDENTIFIER_KIND_CARD_NUMBER,
                             import->message.card_number()) == nullptr;
  if ((command.request.index() == kEnrollKind &&
       MemberIdOf(command.request).empty() && observed.status.ok()) ||
      import_enrols) {
    assigned = observed.member_id;
    bool well_formed = !assigned.empty() && assigned.size() <= 64;
    for (char c : assigned) well_formed = well_formed && IsMemberIdChar(c);
    if (!well_formed ||
        (model_.FindMember(assigned) != nullptr && !observed.replayed)) {
      return Fail(absl::StrCat("the ledger assigned member id \"", assigned,
                               "\", which is malformed or taken"));
    }
  }
  // An issued coupon: the code is the ledger's draw, which must be new and
  // printed with its check character; the model takes it from the answer.
  if (command.request.index() == kIssueCouponKind && observed.status.ok() &&
      !observed.replayed) {
    auto canonical = ParseCouponCode(observed.coupon.code(), "code");
    if (!canonical.ok() || model_.coupons().count(*canonical) > 0) {
      return Fail(absl::StrCat("the ledger issued coupon code \"",
                               observed.coupon.code(),
                               "\", which is malformed or taken"));
    }
    assigned = *canonical;
  }
  // A voucher command that draws a code (a voucher, a received or claimed
  // one, a claim code): the ledger's draw, which must be new; the model
  // takes it from the answer.
  // A reward: the code of the coupon or voucher it bought, as a coupon's
  // or a voucher's draw.
  if (command.request.index() == kRedeemRewardKind && observed.status.ok() &&
      !observed.replayed) {
    const bool voucher = observed.entry.reward_redeemed().voucher();
    const std::string& printed =
        voucher ? observed.voucher.code() : observed.coupon.code();
    auto canonical = ParseCouponCode(printed, "code");
    if (!canonical.ok() || (voucher ? model_.vouchers().count(*canonical)
                                    : model_.coupons().count(*canonical)) > 0) {
      return Fail(absl::StrCat("the ledger drew reward code \"", printed,
                               "\", which is malformed or taken"));
    }
    assigned = *canonical;
  }
  if (observed.status.ok() && !observed.replayed) {
    std::string drawn;
    bool gift_code = false;
    switch (command.request.index()) {
      case kIssueVoucherKind:
      case kClaimGiftKind:
        drawn = observed.voucher.code();
        break;
      case kTransferVoucherKind:
        drawn = observed.received.code();
        break;
      case kGiftVoucherKind:
        drawn = observed.gift.claim_code();
        gift_code = true;
        break;
      default:
        break;
    }
    if (!drawn.empty()) {
      auto canonical = ParseCouponCode(drawn, "code");
      if (!canonical.ok() ||
          (gift_code ? model_.voucher_gifts().count(*canonical)
                     : model_.vouchers().count(*canonical)) > 0) {
        return Fail(absl::StrCat("the ledger drew code \"", drawn,
                                 "\", which is malformed or taken"));
      }
      assigned = *canonical;
    }
  }
  // A chunk of bulk coupon codes: its codes are the ledger's draw, read
  // from its entry; each must be new, canonical and once in the chunk.
  if (command.request.index() == kGenerateCouponKind && observed.status.ok() &&
      !observed.replayed && !observed.chunk.written_before()) {
    absl::StatusOr<std::string> drawn = DrawnCodes(observed.chunk);
    if (!drawn.ok()) return Fail(std::string(drawn.status().message()));
    assigned = *drawn;
  }
  model_.set_now_ms(clock_.NowMs());
  // Coupons issued by program rules: the codes the earn's or merge's rules
  // drew, from its answer.
  if (!SetRuleCouponCodes(observed)) return false;
  *expected = model_.Apply(command, assigned);
  if (!observed.replayed && (model_.rule_coupon_codes_left() > 0 ||
                             model_.rule_coupon_codes_missing() > 0)) {
    return Fail(absl::StrCat(
        "the ledger issued ", observed.rule_coupon_codes.size(),
        " coupons by program rules, the model ",
        observed.rule_coupon_codes.size() - model_.rule_coupon_codes_left() +
            static_cast<size_t>(model_.rule_coupon_codes_missing())));
  }
  if (!expected->dry_run) Count(expected->entries);
  CountMembersCommand(command, *expected);

  if (observed.status.code() != expected->code) {
    return Fail(absl::StrCat("expected ", ExpectedText(*expected), ", got ",
                             OutcomeText(observed.status)));
  }
  switch (expected->effect) {
    case Effect::kApplied: {
      ++report_.ok_applied;
      if (expected->discount_minor > 0) ++report_.coupon_checkout_discounts;
      for (const ExpectedEntry& entry : expected->entries) {
        report_.coupon_restores += entry.kind == v1::ENTRY_KIND_COUPON_RESTORE;
      }
      if (const auto* earn = std::get_if<v1::EarnRequest>(&command.request);
          earn != nullptr && earn->coupon_codes_size() > 0) {
        ++report_.coupon_checkouts;
        report_.coupon_checkouts_combined += earn->coupon_codes_size() > 1;
      }
      // Bulk coupon codes: a chunk has no member.
      if (command.request.index() == kGenerateCouponKind) {
        CountGenerated(*expected);
        break;
      }
      const PointsState& points =
          model_.FindMember(expected->member_id)->points;
      if (!points.lots.empty() && points.lots.front().expires_at_ms != 0 &&
          points.lots.front().expires_at_ms <= clock_.NowMs()) {
        ++report_.stale_response_balances;
      }
      break;
    }
    case Effect::kRemembered:
      ++report_.remembered_rejections;
      switch (expected->reason) {
        case v1::ERROR_REASON_BALANCE_OVERFLOW:
          ++report_.balance_overflows;
          break;
        default:
          CountPointsRejection(expected->reason);
          CountCouponRejection(expected->reason);
          CountVoucherRejection(expected->reason);
          CountRewardRejection(expected->reason);
          break;
      }
      if (!expected->entries.empty()) ++report_.rejections_after_due_entries;
      break;
    case Effect::kNothing:
      if (expected->replayed) ++report_.replays;
      if (expected->replayed &&
          command.label.find("other notations") != std::string::npos) {
        ++report_.replays_in_other_notations;
      }
      if (expected->reason == v1::ERROR_REASON_REQUEST_ID_REUSED) {
        ++report_.request_id_reused;
      }
      if (expected->code == absl::StatusCode::kInvalidArgument) {
        ++report_.malformed;
      }
      break;
  }
  if (!observed.status.ok()) {
    if (ReasonOf(observed.status) != expected->reason) {
      return Fail(absl::StrCat("expected ", ExpectedText(*expected), ", got ",
                               OutcomeText(observed.status)));
    }
    return true;
  }
  std::string problem = CompareOk(command, *expected, observed);
  if (!problem.empty()) {
    return Fail(absl::StrCat(problem, "\n  expected ", ExpectedText(*expected),
                             "\n  got member=", observed.member_id,
                             " replayed=", observed.replayed, " ",
                             BalanceText(observed.balance), "\n  entry ",
                             observed.entry.ShortDebugString()));
  }
  const std::pair<std::string, std::string> key{
      command.principal, ContextOf(command.request).request_id()};
  if (expected->effect == Effect::kApplied) {
    first_responses_[key] = observed.response_hash;
  } else if (expected->dry_run && !expected->replayed) {
    // A dry run is answered, not remembered: nothing to replay later.
  } else {
    auto first = first_responses_.find(key);
    if (first == first_responses_.end() ||
        first->second != observed.response_hash) {
      return Fail("a replay differs from the first response");
    }
  }
  return true;
}

void Runner::Count(const std::vector<ExpectedEntry>& entries) {
  for (const ExpectedEntry& entry : entries) {
    int64_t& debt = debt_seen_[entry.member_id];
    report_.debt_paid_off += entry.debt_after < debt;
    debt = entry.debt_after;
    CountPointsEntry(entry);
    CountMembersEntry(entry);
    CountVoucherEntry(entry);
  }
}

std::string Runner::CompareOk(const Command& command, const Expected& expected,
                              const Observed& observed) {
  const v1::LedgerEntry& entry = observed.entry;
  const v1::RequestContext& context = ContextOf(command.request);
  if (observed.replayed != expected.replayed) return "replayed flag differs";
  if (observed.member_id != expected.member_id) return "member id differs";
  if (command.request.index() == kImportKind) {
    return CompareImport(expected, observed);
  }
  if (command.request.index() == kMergeKind) {
    return CompareMerge(expected, observed);
  }
  if (command.request.index() == kGenerateCouponKind) {
    return CompareGeneratedOk(command, expected, observed);
  }
  if (command.request.index() == kRedeemRewardKind ||
      command.request.index() == kCancelRewardKind) {
    return CompareRewardsOk(command, expected, observed);
  }
  if (command.request.index() >= kIssueVoucherKind &&
      command.request.index() <= kRefundVoucherKind) {
    return CompareVouchersOk(command, expected, observed);
  }
  if (entry.member_id() != expected.member_id) return "entry member differs";
  if (entry.sequence() != expected.sequence) return "entry sequence differs";
  if (entry.kind() != (expected.entry_kind != v1::ENTRY_KIND_UNSPECIFIED
                           ? expected.entry_kind
                           : EntryKindOf(command.request))) {
    return "entry kind differs";
  }
  if (entry.points_delta() != expected.points_delta) {
    return "entry points_delta differs";
  }
  // The entry has the stored state after it; the balance is projected as
  // of now (it differs when a lot is already past its expiry).
  if (!expected.replayed && entry.available_after_points() !=
                                expected
                                    .entries[expected.entries.size() - 1 -
                                             expected.own_entry_from_end]
                                    .available_after) {
    return "entry available_after_points differs";
  }
  if (observed.has_balance && !SameTotals(expected.totals, observed.balance)) {
    return "balance in the response differs";
  }
  if (observed.has_balance &&
      observed.balance.member_id() != expected.member_id) {
    return "balance member id differs";
  }
  // Who did it (promise 8) and when.
  if (entry.principal() != command.principal) return "entry principal differs";
  if (entry.request_id() != context.request_id()) {
    return "entry request_id differs";
  }
  const v1::Channel channel = command.request.index() == kAdjustKind ||
                                      command.request.index() == kCloseKind
                                  ? v1::CHANNEL_ADMIN
                                  : context.channel();
  if (entry.channel() != channel) return "entry channel differs";
  if (entry.store_id() != context.store_id() ||
      entry.terminal_id() != context.terminal_id()) {
    return "entry store/terminal differs";
  }
  const int64_t now_ms = clock_.NowMs();
  if (!expected.replayed && entry.recorded_at_ms() != now_ms) {
    return "entry recorded_at_ms is not the ledger clock's time";
  }
  if (entry.recorded_at_ms() > now_ms) return "entry recorded in the future";
  const int64_t occurred = context.occurred_at_ms() == 0
                               ? entry.recorded_at_ms()
                               : context.occurred_at_ms();
  if (entry.occurred_at_ms() != occurred) return "entry occurred_at differs";
  // The whole entry as the model has it (a replay returns the first one,
  // whose hash Judge compares).
  if (!expected.replayed) {
    const ExpectedEntry& own =
        expected
            .entries[expected.entries.size() - 1 - expected.own_entry_from_end];
    std::string problem = CompareEntry(own, entry);
    if (!problem.empty()) return "the response's " + problem;
  }
  // The kind's own fields (the kinds are disjoint: one of them applies).
  std::string problem = ComparePointsOk(command, expected, observed);
  if (!problem.empty()) return problem;
  problem = CompareCouponsOk(command, expected, observed);
  if (!problem.empty()) return problem;
  return CompareMembersOk(command, expected, observed);
}

bool Runner::CheckExpiredTotalFits(const std::string& named_id) {
  model_.set_now_ms(clock_.NowMs());
  const std::string member_id = model_.Resolve(named_id);
  const MemberState* member = model_.FindMember(member_id);
  if (member == nullptr) return true;
  std::optional<PointsState> points = model_.Projected(member_id);
  if (points->totals.expired_total >= 0) return true;
  return Fail(absl::StrCat(
      "member ", member_id, " has expired ", member->totals().expired_total,
      " points and lots of ",
      static_cast<uint64_t>(points->totals.expired_total) -
          static_cast<uint64_t>(member->totals().expired_total),
      " more expire by now: expired_points_total would pass INT64_MAX. The "
      "contract has no rule for it (an expiry cannot be refused); the ledger "
      "aborts in FoldEntry (\"a total overflows int64\") on the next write "
      "or read of this member"));
}

bool Runner::CheckBalanceOf(const std::string& named_id) {
  if (!CheckExpiredTotalFits(named_id)) return false;
  // An alias reads as the member it resolves to.
  const std::string member_id = model_.Resolve(named_id);
  report_.alias_reads += member_id != named_id;
  absl::StatusOr<v1::Balance> balance = ledger_->GetBalance(named_id);
  model_.set_now_ms(clock_.NowMs());
  std::optional<PointsState> points = model_.Projected(member_id);
  if (!points.has_value()) {
    if (absl::IsNotFound(balance.status())) return true;
    return Fail(absl::StrCat("GetBalance(", named_id,
                             ") of a member the model does not know: ",
                             OutcomeText(balance.status())));
  }
  if (!balance.ok()) {
    return Fail(absl::StrCat("GetBalance(", named_id,
                             "): ", OutcomeText(balance.status())));
  }
  const Totals want = model_.Snapshot(*points);
  // An alias says which id was asked for; a member's own id says nothing.
  const std::string requested = member_id != named_id ? named_id : "";
  if (!SameTotals(want, *balance) || balance->member_id() != member_id ||
      balance->requested_member_id() != requested) {
    return Fail(absl::StrCat("GetBalance(", named_id, ") is ",
                             BalanceText(*balance), "; the model has ",
                             member_id, ": ", TotalsText(want)));
  }
  absl::StatusOr<v1::Member> member = ledger_->GetMember(named_id);
  if (!member.ok()) {
    return Fail(absl::StrCat("GetMember(", named_id,
                             "): ", OutcomeText(member.status())));
  }
  std::string problem = CompareMemberView(member_id, *member);
  if (problem.empty() && (member->requested_member_id() != requested ||
                          member->balance().requested_member_id() !=
                              requested)) {
    problem = absl::StrCat("requested_member_id is \"",
                           member->requested_member_id(), "\", want \"",
                           requested, "\"");
  }
  if (!problem.empty()) {
    return Fail(absl::StrCat("GetMember(", named_id, "): ", problem));
  }
  if (!SameTotals(want, member->balance())) {
    return Fail(absl::StrCat("GetMember(", named_id, ").balance is ",
                             BalanceText(member->balance()), "; the model has ",
                             TotalsText(want)));
  }
  return CheckWalletOf(named_id);
}

std::vector<std::string> Runner::MembersNamed(const Command& command) const {
  if (const auto* transfer =
          std::get_if<v1::TransferPointsRequest>(&command.request)) {
    return {transfer->from_member_id(), transfer->to_member_id()};
  }
  if (const auto* merge =
          std::get_if<v1::MergeMembersRequest>(&command.request)) {
    return {merge->source_member_id(), merge->target_member_id()};
  }
  if (const auto* import = std::get_if<ImportRequest>(&command.request)) {
    const std::string* owner = model_.IdentifierOwner(
        v1::IDENTIFIER_KIND_CARD_NUMBER, import->message.card_number());
    if (owner == nullptr) return {};
    return {*owner};
  }
  return {MemberIdOf(command.request)};
}

bool Runner::CheckBalance(const Command& command, const Expected& expected) {
  if (command.malformed) return true;  // Its member ids may be malformed.
  std::vector<std::string> members = MembersNamed(command);
  // An enroll's or an import's new member (a dry run's placeholder id is
  // nobody's: NOT_FOUND, as the model has it).
  if (expected.code == absl::StatusCode::kOk) {
    members.push_back(expected.member_id);
  }
  // Every member the command wrote an entry of: a voucher's receiver or
  // claimer gets a wallet row it did not name.
  for (const ExpectedEntry& entry : expected.entries) {
    members.push_back(entry.member_id);
  }
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  for (const std::string& member_id : members) {
    if (!member_id.empty() && !CheckBalanceOf(member_id)) return false;
  }
  return true;
}

bool Runner::CheckLookup(v1::IdentifierKind kind,
                         const std::string& canonical) {
  ++report_.lookups;
  v1::MemberIdentifier identifier;
  identifier.set_kind(kind);
  identifier.set_value(RenderIdentifier(kind, canonical, check_rng_));
  current_ = absl::StrCat("LookupMember(", identifier.ShortDebugString(), ")");
  absl::StatusOr<v1::Member> member = ledger_->LookupMember(identifier);
  return JudgeLookup(kind, canonical, member);
}

bool Runner::RunOne() {
  generator_.StartStep();
  Command command = generator_.Next(clock_.NowMs());
  crash_note_.Set(absl::StrCat("model_test: crashed at seed=", options_.seed,
                               " command #", commands_ + 1, " [",
                               command.principal, "] ", command.label, ": ",
                               Describe(command.request)));
  std::optional<StorePrint> before;
  uint64_t write_count = 0;
  if (!Before(&before, &write_count)) return false;
  if (const auto* earn = std::get_if<v1::EarnRequest>(&command.request)) {
    if (!CheckQuote(*earn)) return false;
  }
  // ValidateCoupon on the redemption about to be sent: judged with it.
  std::optional<absl::StatusOr<v1::ValidateCouponResponse>> validated;
  if (const auto* redeem =
          std::get_if<v1::RedeemCouponRequest>(&command.request)) {
    validated = ValidateCouponBefore(*redeem);
    if (store_.Take().writes != 0) return Fail("ValidateCoupon wrote");
  }
  current_ = "before " + Describe(command.request);
  for (const std::string& member_id : MembersNamed(command)) {
    if (!CheckExpiredTotalFits(member_id)) return false;
  }
  auto slot = std::make_shared<Slot>();
  std::future<Observed> future = slot->promise.get_future();
  std::visit(Submitter{*ledger_, Caller{command.principal}, slot},
             command.request);
  Observed observed = Await(future);
  const Recording recording = store_.Take();

  Expected expected;
  if (!Judge(command, observed, &expected)) return false;
  NoteReconciliations(expected);
  if (validated.has_value() && !CheckValidatedCoupon(*validated, expected)) {
    return false;
  }
  if (!CheckWrites(command, expected, recording, write_count)) return false;
  if (before.has_value() && !CheckScan(*before, recording)) return false;
  if (slot->calls.load() != 1) return Fail("done was called more than once");
  return CheckBalance(command, expected) &&
         CheckLookupsAfter(command, expected);
}

// QuoteEarn on the earn about to be sent: it writes nothing, and when it
// answers it agrees with the model's earn (and so with the Earn that
// follows, which Judge compares with the same model).
bool Runner::CheckQuote(const v1::EarnRequest& request) {
  absl::StatusOr<v1::QuoteEarnResponse> quote = ledger_->QuoteEarn(request);
  if (store_.Take().writes != 0) return Fail("a quote wrote to the store");
  return JudgeQuote(request, quote);
}

bool Runner::RunGroup(int64_t size) {
  generator_.StartStep();
  std::vector<Command> commands;
  for (int64_t i = 0; i < size; ++i) {
    commands.push_back(generator_.Next(clock_.NowMs(), /*grouped=*/true));
    if (options_.trace) {
      std::fprintf(stderr, "queue #%lld [%s] %s: %s\n",
                   static_cast<long long>(commands_ + i + 1),
                   commands.back().principal.c_str(),
                   commands.back().label.c_str(),
                   Describe(commands.back().request).c_str());
    }
  }
  crash_note_.Set(absl::StrCat("model_test: crashed at seed=", options_.seed,
                               " in the group of commands #", commands_ + 1,
                               "..#", commands_ + size,
                               " (rerun with LOYALTY_MODEL_TRACE=1)"));
  std::optional<StorePrint> before;
  uint64_t write_count = 0;
  if (!Before(&before, &write_count)) return false;
  current_ = "before the group";
  for (const Command& command : commands) {
    for (const std::string& member_id : MembersNamed(command)) {
      if (!CheckExpiredTotalFits(member_id)) return false;
    }
  }
  // Hold the writer at its first read so every command is queued before
  // it goes on: the rest are then applied together, in queue order.
  store_.HoldNextRead();
  std::vector<std::shared_ptr<Slot>> slots;
  std::vector<std::future<Observed>> futures;
  for (const Command& command : commands) {
    slots.push_back(std::make_shared<Slot>());
    futures.push_back(slots.back()->promise.get_future());
    std::visit(Submitter{*ledger_, Caller{command.principal}, slots.back()},
               command.request);
  }
  store_.Release();
  std::vector<Observed> observed;
  for (auto& future : futures) observed.push_back(Await(future));
  const Recording recording = store_.Take();

  std::vector<Expected> expected(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!Judge(commands[i], observed[i], &expected[i])) return false;
    NoteReconciliations(expected[i]);
    if (slots[i]->calls.load() != 1) {
      return Fail("done was called more than once");
    }
  }
  current_ = absl::StrCat("the group of commands #", commands_ - size + 1,
                          "..#", commands_);
  if (!CheckGroupWrites(expected, recording, write_count)) return false;
  if (before.has_value() && !CheckScan(*before, recording)) return false;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!CheckBalance(commands[i], expected[i])) return false;
    if (!CheckLookupsAfter(commands[i], expected[i])) return false;
  }
  ++report_.groups;
  return true;
}

bool Runner::RunSweep() {
  ++report_.sweeps;
  // Mostly every member due; sometimes a limit of 1..3, so `more` is seen
  // and the rest wait for the next sweep.
  const int members_max = generator_.Chance(0.3)
                              ? static_cast<int>(generator_.Uniform(1, 3))
                              : 1000;
  current_ = absl::StrCat("Sweep(", members_max, ") at ", clock_.NowMs());
  crash_note_.Set(absl::StrCat("model_test: crashed at seed=", options_.seed,
                               " after command #", commands_, " in ",
                               current_));
  std::optional<StorePrint> before;
  uint64_t write_count = 0;
  if (!Before(&before, &write_count)) return false;
  for (const std::string& member_id : model_.member_order()) {
    if (!CheckExpiredTotalFits(member_id)) return false;
  }
  std::promise<absl::StatusOr<SweepResult>> promise;
  std::future<absl::StatusOr<SweepResult>> future = promise.get_future();
  ledger_->SubmitSystem<SweepCommand>(
      SweepRequest{members_max},
      [&promise](absl::StatusOr<SweepResult> result) {
        promise.set_value(std::move(result));
      });
  absl::StatusOr<SweepResult> result = Await(future);
  const Recording recording = store_.Take();
  model_.set_now_ms(clock_.NowMs());
  const SweepExpected want = model_.Sweep(members_max);
  Count(want.entries);
  report_.sweep_entries += want.entries_written;
  NoteLine(absl::StrCat(
      current_, " -> ",
      result.ok() ? absl::StrCat(result->members_settled, " members, ",
                                 result->entries_written,
                                 " entries, more=", result->more)
                  : OutcomeText(result.status())));
  if (!result.ok()) return Fail("Sweep: " + OutcomeText(result.status()));
  if (result->members_settled != want.members_settled ||
      result->entries_written != want.entries_written ||
      result->more != want.more) {
    return Fail(absl::StrCat("Sweep settled ", result->members_settled,
                             " members with ", result->entries_written,
                             " entries, more=", result->more,
                             "; the model: ", want.members_settled, ", ",
                             want.entries_written, ", more=", want.more));
  }
  // One batch (or none): the entries, each settled member and its schedule
  // key, the head; no request record.
  const uint64_t writes = memory_.write_count() - write_count;
  const std::set<std::string> touched = MembersOf(want.entries);
  const int64_t entries = static_cast<int64_t>(want.entries.size());
  bool exact = static_cast<int64_t>(writes) == recording.writes &&
               writes == (entries > 0 ? 1u : 0u) &&
               recording.PutsIn(Family::kMembers) ==
                   static_cast<int64_t>(touched.size()) &&
               recording.PutsIn(Family::kMeta) == (entries > 0 ? 1 : 0) &&
               recording.PutsIn(Family::kRequests) == 0 &&
               recording.PutsIn(Family::kOrders) == 0 &&
               recording.PutsIn(Family::kIdentifiers) == 0 &&
               recording.PutsIn(Family::kCoupons) == want.coupon_puts &&
               recording.PutsIn(Family::kVouchers) ==
                   static_cast<int64_t>(want.voucher_puts.size()) &&
               recording.PutsIn(Family::kVoucherGifts) ==
                   static_cast<int64_t>(want.gift_puts.size());
  for (const RecordedPut& put : recording.puts) {
    if (put.family == Family::kMembers || put.family == Family::kCoupons) {
      exact = exact && put.existed &&
              (put.family == Family::kCoupons || touched.count(put.key) == 1);
    }
    if (put.family == Family::kVouchers) {
      exact = exact && put.existed && want.voucher_puts.count(put.key) == 1;
    }
    if (put.family == Family::kVoucherGifts) {
      exact = exact && put.existed && want.gift_puts.count(put.key) == 1;
    }
  }
  if (!exact) {
    return Fail(absl::StrCat("a sweep of ", touched.size(), " members (",
                             entries, " entries) wrote ", writes,
                             " batch(es): ", PutsText(recording)));
  }
  if (!CheckEntryWrites(recording, want.entries)) return false;
  if (!CheckScheduleWrites(recording, touched, &want.schedule_moves)) {
    return false;
  }
  if (before.has_value() && !CheckScan(*before, recording)) return false;
  // A settled member reads as before (its projection already counted what
  // the sweep wrote).
  for (const std::string& member_id : touched) {
    if (!CheckBalanceOf(member_id)) return false;
  }
  return true;
}

void Runner::NoteReconciliations(const Expected& expected) {
  for (const ExpectedEntry& entry : expected.entries) {
    if (entry.voucher_details.has_offline_redemption() &&
        entry.voucher_details.offline_redemption().outcome() !=
            v1::OFFLINE_OUTCOME_APPLIED) {
      reconciliations_.push_back(entry.sequence);
    }
  }
}

// Every offline redemption reconciled short, oldest first, through every
// page of a random size: exactly the model's.
bool Runner::CheckReconciliations() {
  ++report_.offline_listings;
  current_ = "ListOfflineReconciliations";
  static constexpr int32_t kPageSizes[] = {0, 1, 2, 7, 500};
  v1::ListOfflineReconciliationsRequest request;
  request.set_page_size(kPageSizes[std::uniform_int_distribution<size_t>(
      0, std::size(kPageSizes) - 1)(check_rng_)]);
  std::vector<uint64_t> listed;
  for (int pages = 0;; ++pages) {
    absl::StatusOr<v1::ListOfflineReconciliationsResponse> page =
        ledger_->ListOfflineReconciliations(request);
    if (!page.ok()) return Fail("a page: " + OutcomeText(page.status()));
    for (const v1::LedgerEntry& entry : page->entries()) {
      if (!entry.has_offline_redemption()) {
        return Fail(absl::StrCat("lists entry ", entry.sequence(),
                                 ", which is no offline redemption"));
      }
      listed.push_back(entry.sequence());
    }
    if (page->next_page_token().empty()) break;
    if (pages > 100'000) return Fail("the pages never end");
    request.set_page_token(page->next_page_token());
  }
  if (listed != reconciliations_) {
    return Fail(absl::StrCat("lists ", listed.size(),
                             " reconciliations; the model has ",
                             reconciliations_.size()));
  }
  return true;
}

bool Runner::CheckVerify() {
  ++report_.verifies;
  current_ = "Ledger::Verify";
  absl::StatusOr<v1::VerifyLedgerResponse> verified = ledger_->Verify();
  if (!verified.ok()) return Fail("Verify: " + OutcomeText(verified.status()));
  if (!CheckReconciliations()) return false;
  current_ = "Ledger::Verify";
  if (!verified->ok() || verified->last_sequence() != model_.last_sequence() ||
      verified->entries_checked() != model_.last_sequence() ||
      verified->members_checked() != model_.member_order().size()) {
    return Fail(absl::StrCat("Verify: ", verified->ShortDebugString(),
                             "; the model has ", model_.last_sequence(),
                             " entries, ", model_.member_order().size(),
                             " members"));
  }
  return true;
}

// The member's statement through every page: newest first, oldest an
// ENROLL, available/pending/held_after running sums of the buckets the
// entries move, time-driven entries (and only they) by "system", and the
// sums per kind equal to the member's totals as last written.
bool Runner::CheckStatement(const std::string& member_id) {
  ++report_.statements;
  current_ = "ListEntries(" + member_id + ")";
  const MemberState* member = model_.FindMember(member_id);
  static constexpr int32_t kPageSizes[] = {0, 1, 2, 3, 7, 50, 500};
  const int32_t page_size = kPageSizes[std::uniform_int_distribution<size_t>(
      0, std::size(kPageSizes) - 1)(check_rng_)];
  const size_t page_max = page_size == 0 ? 50 : static_cast<size_t>(page_size);
  std::vector<v1::LedgerEntry> entries;
  std::string token;
  for (uint64_t pages = 0;; ++pages) {
    if (pages > member->totals().entry_count + 1) {
      return Fail("ListEntries pages never end");
    }
    v1::ListEntriesRequest request;
    request.set_member_id(member_id);
    request.set_page_size(page_size);
    request.set_page_token(token);
    absl::StatusOr<v1::ListEntriesResponse> page =
        ledger_->ListEntries(request);
    if (!page.ok()) return Fail("ListEntries: " + OutcomeText(page.status()));
    if (static_cast<size_t>(page->entries_size()) > page_max) {
      return Fail("ListEntries returned more than a page");
    }
    for (const auto& entry : page->entries()) entries.push_back(entry);
    if (page->next_page_token().empty()) break;
    token = page->next_page_token();
  }
  const Totals& want = member->totals();
  if (entries.size() != want.entry_count) {
    return Fail(absl::StrCat("statement has ", entries.size(),
                             " entries; the model has ", want.entry_count));
  }
  Int128 available = 0, pending = 0, held = 0;
  Int128 earned = 0, redeemed = 0, adjusted = 0, expired = 0;
  Int128 opening = 0, given = 0, received = 0, forfeited = 0;
  for (size_t i = entries.size(); i-- > 0;) {  // Oldest first.
    const v1::LedgerEntry& entry = entries[i];
    if (entry.member_id() != member_id)
      return Fail("foreign entry in statement");
    if (i + 1 < entries.size() &&
        entry.sequence() <= entries[i + 1].sequence()) {
      return Fail("statement is not newest first");
    }
    const bool first = i + 1 == entries.size();
    if (first != (entry.kind() == v1::ENTRY_KIND_ENROLL)) {
      return Fail("the statement's oldest entry, and only it, is an ENROLL");
    }
    const bool by_time =
        entry.kind() == v1::ENTRY_KIND_MATURE ||
        entry.kind() == v1::ENTRY_KIND_EXPIRE ||
        entry.kind() == v1::ENTRY_KIND_TIER ||
        entry.kind() == v1::ENTRY_KIND_VOUCHER_GIFT_RETURN ||
        entry.kind() == v1::ENTRY_KIND_VOUCHER_EXPIRE ||
        entry.hold_timed_out() ||
        (entry.has_coupon_released() && entry.coupon_released().timed_out());
    if (by_time !=
        (entry.principal() == "system" && entry.request_id().empty())) {
      return Fail(absl::StrCat("entry ", entry.sequence(),
                               ": time-driven entries, and only they, are "
                               "written by \"system\" without a request id"));
    }
    const int64_t delta = entry.points_delta();
    switch (entry.bucket()) {
      case v1::BUCKET_PENDING:
        pending += delta;
        break;
      case v1::BUCKET_HELD:
        held += delta;
        break;
      default:
        available += delta;
    }
    switch (entry.kind()) {  // The other side of a move between buckets.
      case v1::ENTRY_KIND_MATURE:
        pending -= delta;
        break;
      case v1::ENTRY_KIND_HOLD:
      case v1::ENTRY_KIND_RELEASE:
        held -= delta;
        break;
      case v1::ENTRY_KIND_RETURN:
        pending -= entry.pending_reversed_points();
        break;
      case v1::ENTRY_KIND_MERGE_OUT:
        pending -= entry.merged_pending_points();
        held -= entry.merged_held_points();
        break;
      case v1::ENTRY_KIND_MERGE_IN:
        pending += entry.merged_pending_points();
        held += entry.merged_held_points();
        break;
      default:
        break;
    }
    switch (entry.kind()) {
      case v1::ENTRY_KIND_EARN:
      case v1::ENTRY_KIND_EVENT:  // Event points count as earned.
        earned += delta;
        break;
      case v1::ENTRY_KIND_REDEEM:
      case v1::ENTRY_KIND_CAPTURE:        // A captured hold is redeemed.
      case v1::ENTRY_KIND_REWARD_REDEEM:  // Points for a reward.
        redeemed -= delta;
        break;
      case v1::ENTRY_KIND_ADJUST:
        adjusted += delta;
        break;
      case v1::ENTRY_KIND_EXPIRE:
        expired -= delta;
        break;
      case v1::ENTRY_KIND_RETURN:  // Net earned goes down.
        earned += delta - entry.pending_reversed_points();
        break;
      case v1::ENTRY_KIND_RESTORE:        // Net redeemed goes down.
      case v1::ENTRY_KIND_REWARD_CANCEL:  // A reward's points back.
        redeemed -= delta;
        break;
      case v1::ENTRY_KIND_OPENING:
        opening += delta;
        break;
      case v1::ENTRY_KIND_TRANSFER_OUT:
        given -= delta;
        break;
      case v1::ENTRY_KIND_TRANSFER_IN:
        received += delta;
        break;
      case v1::ENTRY_KIND_CLOSE:  // Forfeited, unless a debt was written off.
        forfeited -= std::min<int64_t>(delta, 0);
        break;
      case v1::ENTRY_KIND_MERGE_IN: {
        // The source's lifetime totals come with it (the record it carries
        // is compared with the model's source when the entry is written).
        storage::v1::MemberRecord source;
        // The record rides in the stored body only (records.proto,
        // EntryStorageFields), as the big-endian sequence's value.
        std::string key(8, '\0');
        for (int byte = 0; byte < 8; ++byte) {
          key[byte] = static_cast<char>(entry.sequence() >> (56 - 8 * byte));
        }
        absl::StatusOr<std::string> bytes = memory_.Get(Family::kEntries, key);
        storage::v1::StoredEntry stored;
        storage::v1::EntryStorageFields carried;
        if (!bytes.ok() || !stored.ParseFromString(*bytes) ||
            !carried.ParseFromString(stored.body()) ||
            !source.ParseFromString(carried.merged_member_record())) {
          return Fail(absl::StrCat("entry ", entry.sequence(),
                                   ": a MERGE_IN's record does not decode"));
        }
        earned += source.earned_points_total();
        redeemed += source.redeemed_points_total();
        adjusted += source.adjusted_points_total();
        expired += source.expired_points_total();
        opening += source.opening_points_total();
        given += source.transferred_out_points_total();
        received += source.transferred_in_points_total();
        break;
      }
      default:
        break;
    }
    if (available != entry.available_after_points() ||
        pending != entry.pending_after_points() ||
        held != entry.held_after_points()) {
      return Fail(absl::StrCat("entry ", entry.sequence(),
                               ": available/pending/held_after_points are "
                               "not the running sums of the statement"));
    }
  }
  if (available != want.available || pending != want.pending ||
      held != want.held || earned != want.earned_total ||
      opening != want.opening_total || given != want.transferred_out_total ||
      received != want.transferred_in_total ||
      forfeited != want.forfeited_total || redeemed != want.redeemed_total ||
      adjusted != want.adjusted_total ||
      std::min<Int128>(expired, std::numeric_limits<int64_t>::max()) !=
          want.expired_total ||
      entries.front().sequence() != want.last_sequence) {
    return Fail(absl::StrCat("statement sums differ from the model's ",
                             TotalsText(want)));
  }
  return true;
}

bool Runner::CheckStatements(bool all) {
  const auto& members = model_.member_order();
  if (members.empty()) return true;
  if (all) {
    for (const std::string& member_id : members) {
      if (!CheckStatement(member_id)) return false;
    }
    return true;
  }
  for (int i = 0; i < 5; ++i) {
    size_t index = std::uniform_int_distribution<size_t>(
        0, members.size() - 1)(check_rng_);
    if (!CheckStatement(members[index])) return false;
  }
  return true;
}

// GetMember of every member (aliases read as the member they resolve to):
// identifiers, status, aliases, tier and balance as the model has them.
bool Runner::CheckMembers() {
  for (const std::string& named_id : model_.member_order()) {
    current_ = "GetMember(" + named_id + ")";
    if (!CheckBalanceOf(named_id)) return false;
  }
  return true;
}

std::string Runner::AdvanceClock() {
  int64_t roll = generator_.Uniform(0, 99);
  if (roll < 20) return "";  // Same millisecond.
  if (roll < 30 && !model_.member_order().empty()) {
    // To a due instant, or a millisecond before it: some member's next
    // hold timeout, maturity, expiry or tier evaluation within three days,
    // so time-driven entries are seen exactly at their boundary.
    const auto& members = model_.member_order();
    const std::string& member_id = members[generator_.Uniform(
        0, static_cast<int64_t>(members.size()) - 1)];
    model_.set_now_ms(clock_.NowMs());
    const int64_t due_ms = model_.Projected(member_id)->NextDueMs();
    const int64_t at_ms = due_ms - generator_.Uniform(0, 1);
    if (due_ms != 0 && at_ms > clock_.NowMs() &&
        at_ms - clock_.NowMs() <= 72 * kHourMs) {
      clock_.SetMs(at_ms);
      return member_id;
    }
  }
  clock_.AdvanceMs(roll < 95 ? generator_.Uniform(1, 60'000)
                             : generator_.Uniform(kHourMs, 72 * kHourMs));
  return "";
}

RunReport Runner::Run() {
  const auto started = std::chrono::steady_clock::now();
  LedgerOptions ledger_options;
  ledger_options.identifier_key = kModelIdentifierKey;
  ledger_options.random_source = &ledger_random_;
  absl::StatusOr<std::unique_ptr<Ledger>> opened =
      Ledger::Open(&store_, Program(), &clock_, ledger_options);
  if (!opened.ok()) {
    Fail("Ledger::Open: " + OutcomeText(opened.status()));
    return report_;
  }
  ledger_ = std::move(*opened);
  int64_t next_verify = options_.verify_every;
  int64_t next_statements = options_.statements_every;
  bool ok = true;
  while (ok && commands_ < options_.steps) {
    ++report_.steps;
    // Mostly one command at a time; sometimes a group in flight together.
    const int64_t roll = generator_.Uniform(0, 99);
    if (roll < 12) {
      ok = RunGroup(std::min<int64_t>(generator_.Uniform(2, 20),
                                      options_.steps - commands_ + 1));
    } else if (roll < 14) {
      ok = RunSweep();
    } else {
      ok = RunOne();
    }
    const std::string at_due = AdvanceClock();
    // A member's balance as of the new time: the one whose due instant the
    // clock moved to, else any (reads project what fell due; nothing may
    // be written).
    if (ok && !model_.member_order().empty()) {
      const auto& members = model_.member_order();
      current_ = "GetBalance after the clock moved";
      ok = CheckBalanceOf(at_due.empty()
                              ? members[std::uniform_int_distribution<size_t>(
                                    0, members.size() - 1)(check_rng_)]
                              : at_due) &&
           store_.Take().writes == 0;
      if (!ok) Fail("a read wrote to the store");
    }
    if (ok && commands_ >= next_verify) {
      ok = CheckVerify() && CheckLookups(/*all=*/false);
      next_verify += options_.verify_every;
    }
    if (ok && commands_ >= next_statements) {
      ok = CheckStatements(/*all=*/false);
      next_statements += options_.statements_every;
    }
  }
  if (ok) {
    ok = CheckVerify() && CheckStatements(/*all=*/true) && CheckMembers() &&
         CheckLookups(/*all=*/true) && CheckCoupons() && CheckRewards();
  }
  const Model::Counts& counts = model_.counts();
  report_.rule_coupons_spend = counts.rule_coupons_spend;
  report_.rule_coupons_tier = counts.rule_coupons_tier;
  report_.rule_coupons_merge = counts.rule_coupons_merge;
  report_.rule_coupons_skipped_budget = counts.rule_coupons_skipped_budget;
  report_.rule_coupons_skipped_limit = counts.rule_coupons_skipped_limit;
  report_.return_skus_not_in_order = counts.return_skus_not_in_order;
  report_.offline_applied = counts.offline_applied;
  report_.offline_debt = counts.offline_debt;
  report_.offline_written_off = counts.offline_written_off;
  report_.offline_refused_short = counts.offline_refused_short;
  report_.offline_refused_over_allowance =
      counts.offline_refused_over_allowance;
  report_.transfer_day_rollovers = counts.transfer_day_rollovers;
  report_.transfers_paying_debt = counts.transfers_paying_debt;
  report_.transfers_of_several_lots = counts.transfers_of_several_lots;
  report_.transferred_lots_expired = counts.transferred_lots_expired;
  report_.openings_expired = counts.openings_expired;
  report_.merged_pending_matured = counts.merged_pending_matured;
  report_.merged_holds_settled = counts.merged_holds_settled;
  report_.merged_orders_returned = counts.merged_orders_returned;
  report_.alias_commands = counts.alias_commands;
  report_.coupon_reservations = counts.coupon_reservations;
  report_.coupon_reservations_committed = counts.coupon_reservations_committed;
  report_.coupon_reservations_released = counts.coupon_reservations_released;
  report_.coupon_reservations_timed_out = counts.coupon_reservations_timed_out;
  report_.merged_coupon_reservations_settled =
      counts.merged_coupon_reservations_settled;
  report_.rewards_redeemed_coupons = counts.rewards_redeemed_coupons;
  report_.rewards_redeemed_vouchers = counts.rewards_redeemed_vouchers;
  report_.rewards_cancelled = counts.rewards_cancelled;
  report_.rewards_cancelled_after_merge = counts.rewards_cancelled_after_merge;
  report_.commands = commands_;
  report_.members = model_.member_order().size();
  report_.last_sequence = model_.last_sequence();
  report_.batch_commands_max_seen = ledger_->stats().batch_commands_max_seen;
  ledger_->Shutdown();
  report_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  return report_;
}

std::string RunReport::Summary() const {
  return absl::StrCat(
      commands, " commands (", groups, " groups; ", ok_applied, " applied, ",
      remembered_rejections, " remembered rejections (", balance_overflows,
      " balance overflows), ", replays, " replays, ", request_id_reused,
      " request ids reused, ", malformed, " INVALID_ARGUMENT), ", members,
      " members, ", last_sequence, " entries, largest batch ",
      batch_commands_max_seen, ", ", store_scans, " store scans (",
      steps_scanned, " steps checked byte for byte), ", verifies, " verifies, ",
      statements, " statements; points: ", pending_earns, " pending earns, ",
      matures, " matured, ", expires, " expired, ", holds, " holds, ", captures,
      " captured, ", releases, " released, ", hold_timeouts, " timed out, ",
      too_many_holds, " TOO_MANY_HOLDS, ", holds_not_active,
      " HOLD_NOT_ACTIVE, ", holds_not_found, " HOLD_NOT_FOUND, ",
      rejections_after_due_entries, " rejections after time-driven entries, ",
      sweeps, " sweeps (", sweep_entries, " entries), ", expired_saturated,
      " expiries at the INT64_MAX expired total, ", "returns: ", returns, " (",
      returns_from_pending, " from pending, ", returns_into_debt,
      " into debt, ", returns_forgiving, " forgiving), ", restores,
      " restores, ", debt_paid_off, " grants paying off debt, ", return_exceeds,
      " RETURN_EXCEEDS_ORDER, ", order_not_found, " ORDER_NOT_FOUND, ",
      events_too_old, " EVENT_TOO_OLD; tiers: ", tier_upgrades, " upgrades, ",
      tier_keeps, " keeps, ", tier_move_downs, " move-downs, ", tier_lines,
      " earns with a tier line, ", qualifying_returns,
      " returns taking qualifying back; ", stale_response_balances,
      " responses projected past an expiry; ", "identifiers: ", links,
      " links, ", unlinks, " unlinks, ", identifiers_taken,
      " IDENTIFIER_TAKEN (", identifiers_taken_by_self,
      " by the member itself), ", too_many_identifiers,
      " TOO_MANY_IDENTIFIERS, ", identifiers_not_found,
      " IDENTIFIER_NOT_FOUND, ", replays_in_other_notations,
      " replays in other notations, ", lookups, " lookups (", lookups_missing,
      " of identifiers nobody has); transfers: ", transfers, " (",
      transfers_of_several_lots, " of several lots, ", transfers_paying_debt,
      " paying debt), ", transfer_limits_per_transfer,
      " over the per-transfer "
      "limit, ",
      transfer_limits_per_day, " over the day's, ", transfer_day_rollovers,
      " senders' days rolled over, ", transfers_insufficient,
      " INSUFFICIENT_POINTS, ", transferred_lots_expired,
      " transferred lots expired; imports: ", imports_enrolled, " enrolled, ",
      imports_found, " found by card, ", imports_phone_linked,
      " phones linked, ", imports_phone_taken, " phones taken, ", openings,
      " openings (", openings_expired, " lots expired), ", dry_runs,
      " dry runs (", dry_runs_enrolling, " enrolling, ", dry_run_rejections,
      " rejected); closes: ", closes, " (", closes_forfeiting, " forfeiting, ",
      closes_writing_off_debt, " writing off debt, ", closes_erasing,
      " erasing identifiers), ", members_not_settled, " MEMBER_NOT_SETTLED, ",
      members_closed_refused, " writes refused MEMBER_CLOSED, ",
      closes_of_aliases, " closes of aliases; merges: ", merges, " (",
      merges_moving_pending, " moving pending points, ", merges_moving_holds,
      " holds, ", merges_moving_debt, " debt, ", merges_moving_orders,
      " orders; ", merges_raising_tier, " TIER entries after them), ",
      merges_replayed, " replayed, refused: ", merges_too_many_identifiers,
      " TOO_MANY_IDENTIFIERS, ", merges_order_id_conflict,
      " ORDER_ID_CONFLICT, ", merges_of_aliases, " MEMBER_MERGED, ",
      merges_member_closed, " MEMBER_CLOSED, ", merges_member_not_found,
      " MEMBER_NOT_FOUND, ", merges_balance_overflow, " BALANCE_OVERFLOW; ",
      transfers_within_one_member,
      " transfers naming one member twice; aliases: ", alias_commands,
      " commands and ", alias_reads,
      " reads through one; met at the target: ", merged_pending_matured,
      " moved pending lots matured, ", merged_holds_settled,
      " moved holds settled, ", merged_orders_returned,
      " moved orders returned; coupons: ", coupons_issued, " issued, ",
      coupon_uses, " uses, ", coupons_used_up,
      " used up, refused: ", coupon_refusals_budget, " BUDGET_SPENT, ",
      coupon_refusals_limit, " LIMIT_REACHED, ", coupon_refusals_not_valid_now,
      " NOT_VALID_NOW, ", coupon_refusals_used_up, " USED_UP, ",
      coupon_refusals_wrong_channel, " WRONG_CHANNEL, ",
      coupon_refusals_wrong_store, " WRONG_STORE, ", coupon_refusals_not_found,
      " COUPON_NOT_FOUND, ", coupon_refusals_template, " TEMPLATE_NOT_FOUND, ",
      coupon_refusals_needs_basket,
      " NEEDS_BASKET; at checkout: ", coupon_checkouts, " earns with coupons (",
      coupon_checkouts_combined, " with several, ", coupon_checkout_discounts,
      " with a discount), ", coupon_quotes_judged,
      " quotes with coupons judged, ", coupon_quotes_refused,
      " refused as Earn would; ", coupon_restores,
      " uses given back by whole returns; refused: ",
      coupon_refusals_basket_too_small, " BASKET_TOO_SMALL, ",
      coupon_refusals_no_eligible_lines, " NO_ELIGIBLE_LINES, ",
      coupon_refusals_not_combinable, " NOT_COMBINABLE, ",
      coupon_refusals_discount_budget, " DISCOUNT_BUDGET_SPENT, ",
      coupon_refusals_wrong_currency, " WRONG_CURRENCY; ",
      coupon_validations_judged, " ValidateCoupon answers judged; ",
      "issued by program rules: ", rule_coupons_spend, " by spend bonuses, ",
      rule_coupons_tier, " by earns' and ", rule_coupons_merge,
      " by merges' tier upgrades, skipped: ", rule_coupons_skipped_budget,
      " budget spent, ", rule_coupons_skipped_limit, " limit reached; ",
      "reservations: ", coupon_reservations, " (",
      coupon_reservations_committed, " committed, ",
      coupon_reservations_released, " released, ",
      coupon_reservations_timed_out, " timed out, ",
      merged_coupon_reservations_settled, " settled after a merge), refused: ",
      coupon_refusals_reservation_not_found, " RESERVATION_NOT_FOUND, ",
      coupon_refusals_reservation_not_active, " RESERVATION_NOT_ACTIVE, ",
      coupon_refusals_too_many_reservations, " TOO_MANY_COUPON_RESERVATIONS; ",
      "vouchers: ", vouchers_issued, " issued, ", voucher_pickups, " pickups, ",
      voucher_transfers, " transfers, ", voucher_gifts, " gifts (",
      voucher_claims, " claimed, ", voucher_gift_returns, " returned), ",
      voucher_refunds, " refunds, ", voucher_expiries,
      " expiries; refused: ", voucher_refusals_not_found, " NOT_FOUND, ",
      voucher_refusals_too_few, " UNITS_TOO_FEW, ", voucher_refusals_expired,
      " EXPIRED, ", voucher_refusals_not_refundable, " NOT_REFUNDABLE, ",
      voucher_refusals_not_claimable, " GIFT_NOT_CLAIMABLE, ",
      voucher_refusals_gifts_not_allowed, " GIFTS_NOT_ALLOWED, ",
      voucher_refusals_product, " PRODUCT_NOT_FOUND; ",
      "bulk coupon codes: ", generated_chunks, " chunks (",
      generated_chunks_written_before, " answered as written before), ",
      generated_codes, " codes, ", bearer_uses,
      " bearer uses, refused: ", coupon_refusals_batch_conflict,
      " BATCH_CONFLICT, ", coupon_refusals_bearer_limit,
      " BEARER_LIMIT_REACHED; rewards: ", rewards_redeemed_coupons,
      " coupons and ", rewards_redeemed_vouchers, " vouchers redeemed, ",
      rewards_cancelled, " cancelled (", rewards_cancelled_after_merge,
      " after a merge), refused: ", reward_refusals_item, " ITEM_NOT_FOUND, ",
      reward_refusals_out_of_stock, " OUT_OF_STOCK, ", reward_refusals_limit,
      " LIMIT_REACHED, ", reward_refusals_tier, " TIER_TOO_LOW, ",
      reward_refusals_channel, " WRONG_CHANNEL, ", reward_refusals_not_found,
      " NOT_FOUND, ", reward_refusals_not_cancellable, " NOT_CANCELLABLE; ",
      "wallet: ", wallet_reads, " reads (", wallet_reads_of_aliases,
      " of aliases) of ", wallet_items, " items in ", wallet_pages, " pages; ",
      "offline redemptions: ", offline_applied, " applied, ", offline_debt,
      " into debt (", offline_written_off, " writing some off), refused: ",
      offline_refused_short, " short, ", offline_refused_over_allowance,
      " over the day's allowance; ", offline_listings,
      " reconciliation listings compared; ", return_skus_not_in_order,
      " returns of a SKU not in the order; ",
      absl::StrFormat("%.1f", seconds), " s");
}

RunReport RunModelTest(const RunOptions& options) {
  return Runner(options).Run();
}

}  // namespace loyalty::model
