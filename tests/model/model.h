// File: tests/model/model.h
//
// The reference model of the ledger for the model-based test: a small,
// obviously-correct in-memory statement of what every command must do,
// written from the contract (proto/loyalty/v1, DESIGN.md) and not from
// ledger/. It includes no ledger/ header and calls no ledger code; the
// harness (harness.h) compares the real Ledger against it after every step.
//
// What it keeps:
//   members       id, identifiers, the buckets (available, pending, held),
//                 debt, earned/redeemed/adjusted/expired totals, entry count,
//                 last sequence, the orders that earned, and the points
//                 states:
//                 available lots (one per expiry date, soonest first,
//                 never-expiring last), pending lots (one per EARN inside the
//                 return window) and open holds (with what they took from
//                 which lot), and the tier state (TierState: tier, since,
//                 next evaluation, qualifying amount per month);
//   identifiers   (kind, canonical value) -> owning member, and every one
//                 ever unlinked; per member its identifiers in order, and
//                 its transfers' latest day and the points given on it;
//   status        active, closed, or merged into another member (an alias),
//                 and per member the aliases that resolve to it;
//   orders        per member, the orders with an order record (earned, or
//                 redeemed or captured on) and their values: the earned
//                 lines, spend, points, points redeemed on the order, value
//                 returned, points reversed (forgiven included), restored;
//   requests      (principal, request id) -> the request's content and its
//                 first outcome (OK or a business rejection);
//   holds         every HOLD entry ever (sequence -> member), open or not;
//   sequence      the last ledger sequence.
//
// Rules it states (promises 3, 5, 6, 7):
//   * A malformed request is INVALID_ARGUMENT, changes nothing and is never
//     remembered. The generator marks malformed requests by construction;
//     the model itself knows the earn rule's own INVALID_ARGUMENT cases
//     (currency not in the program, basket total or points overflowing int64).
//   * A request id seen before under the same principal: the same content
//     gets the first outcome again (replayed), different content is
//     ALREADY_EXISTS (REQUEST_ID_REUSED) and is not remembered again.
//     Capture and release of the same hold are different content.
//   * Otherwise, for a command on an existing member (not an enroll), time
//     goes first: one at a time, the earliest due of a RELEASE of a hold
//     whose timeout passed (hold_timed_out), a MATURE of a pending lot whose
//     return window passed, an EXPIRE of the soonest-expiring lot past its
//     expiry, a TIER evaluation whose date came (ties in that order),
//     principal "system", occurred at its due time. These stay written
//     whatever the command's outcome. Then the
//     command's rules decide; an OK or a business rejection (NOT_FOUND,
//     FAILED_PRECONDITION, ALREADY_EXISTS) is remembered.
//   * Earn: floor(sum of quantity x unit price / step) x points per step,
//     totals summed first. Pending when the order time plus the return window
//     lies after now, else available at once.
//   * Lots expire at midnight (UTC+8) of the first day of the month
//     kModelExpiryMonths + 1 months after the month granted: EARN dated by
//     the order time, EVENT by the event time, a credit ADJUST by now.
//   * REDEEM, a debit ADJUST and HOLD take the soonest-expiring lots first;
//     RELEASE puts held points back into lots of their own expiry; CAPTURE
//     counts as redeemed. At most kModelHoldsPerMember open holds
//     (TOO_MANY_HOLDS); an id that is no HOLD of this member is
//     HOLD_NOT_FOUND, a closed one HOLD_NOT_ACTIVE.
//   * No bucket below zero; no lifetime total, and not everything a member
//     owns (available + pending + held), above INT64_MAX
//     (FAILED_PRECONDITION BALANCE_OVERFLOW, never a wrap or a crash).
//   * Return (RETURN_POLICY_ALLOW_NEGATIVE_BALANCE, floor
//     kModelNegativeFloorPoints): ORDER_NOT_FOUND unless this member's order
//     earned; lines (each SKU against the order's lines of that SKU, what is
//     left of them) or an amount (at most the value left) beyond the order
//     are RETURN_EXCEEDS_ORDER. Due back = floor(points x value returned
//     so far / spend) - reversed so far; taken from the order's own pending
//     lot first, then from available down to the floor (beyond the lots it
//     is debt: available = lots - debt), the rest forgiven. Earned total
//     goes down by what was taken. Restored = floor(redeemed on the order x
//     value returned so far / spend) - restored so far, as a RESTORE entry
//     (lot dated by server now; redeemed total goes down) unless it would
//     not fit in int64 beside what the member owns. Every grant into
//     available (earn, event, credit, mature, release, restore) pays off
//     debt first; spends see a negative available as too little.
//   * Responses and reads show the balance as of now (the member projected:
//     what fell due counts as if written, though it is written only at the
//     next access or sweep). The expired total stops at INT64_MAX.
//   * Tiers (TierProgram; the harness's program has bronze 0, silver, gold,
//     basis QUALIFYING_POINTS, a window of window_months calendar months in
//     UTC+8 and grace_days). ENROLL: tier_to the lowest, since = now, no
//     evaluation (the lowest is never evaluated). EARN: qualifying_delta =
//     the points granted after campaign limits, without the tier line;
//     qualifying_month = the order time's month (months since 1970-01);
//     the member keeps per-month amounts (the newest 36). The tier line
//     (RULE_KIND_TIER, rule_id the member's tier as settled at now) is
//     floor(base line x (P - 100) / 100) when P > 100, capped so the earn
//     fits int64; QuoteEarn adds it for the tier projected at now. Right
//     after the EARN, if the window at now (its month and window_months - 1
//     before) supports a higher tier: a TIER entry (principal "system",
//     from, to, the window's amount, next evaluation = now + window_months
//     months + grace_days days in civil time, 0 for the lowest), since =
//     now; the response's own entry is then one before the last. An
//     evaluation due at D decides on the window at D: to = min(current,
//     supported) (a keep or a move down), the next evaluation dated from D;
//     since = D (when it happened, however late it is written), and only
//     when the tier changes. RETURN: qualifying_month = the order's,
//     qualifying_delta = -min(floor(q x returned so far / spend) - the same
//     before, that month's amount); no tier change. GetMember's TierStatus as
//     of now (TierStatusOf), the member projected as if written now.
//   * Identifiers (kind, canonical form) belong to one member at a time:
//     cards, app user ids and partner accounts as given, phones as E.164
//     (the notations the model sends are those of its phone table, for the
//     program's default_phone_region "TW"), emails trimmed and lower-cased.
//     Stored, in entries and reads, as given or, for phones and emails, as
//     HMAC-SHA256(identifier key, "PHONE:" or "EMAIL:" canonical) in hex
//     (ledger/members/identifiers.h's documented form; the model computes it
//     with OpenSSL, not with ledger code). A request's content is its canonical
//     form: two notations of one phone under one request id are the same
//     request. ENROLL: IDENTIFIER_TAKEN if any is taken. Link: the member
//     settled first; IDENTIFIER_TAKEN when anyone has it (the member itself
//     too), else TOO_MANY_IDENTIFIERS at kModelIdentifiersMax; a LINK entry
//     (no points) naming it. Unlink: IDENTIFIER_NOT_FOUND unless the member
//     has it; an UNLINK entry; the identifier is free again. A member's
//     identifiers keep their order (links append, unlinks remove).
//   * Transfer (transfer_rules: kModelTransferMaxPoints per transfer,
//     kModelTransferDayMaxPoints per sender per day in UTC+8): sender then
//     receiver settled (MEMBER_NOT_FOUND for either, in that order), then
//     TRANSFER_LIMIT_REACHED (per transfer, then what is left of the
//     sender's day), INSUFFICIENT_POINTS, BALANCE_OVERFLOW (the receiver's
//     grant). A TRANSFER_OUT on the sender (its lots taken soonest expiry
//     first, named in transferred_lots, transfer_day = today) and right after
//     it a TRANSFER_IN on the receiver that credits those lots with their
//     expiry (debt paid off first), new lots opened under the IN's sequence.
//   * Import (one row, admin channel): the card's member or a new one; a
//     phone owned by another member than the card's is IDENTIFIER_TAKEN
//     before anything is settled; the card's member is settled, then
//     TOO_MANY_IDENTIFIERS (a phone to link to a full member) and
//     BALANCE_OVERFLOW (the opening points). Entries, channel ADMIN: ENROLL
//     (card, and the phone if free) for a new member, else LINK of a free
//     phone; then OPENING of opening_points (if any) dated earned_on's
//     midnight in UTC+8 (now without it), its lot expiring by the program's
//     rule from that date (maybe already past: EXPIRE at the next settle).
//     A dry run is decided on the state as it is, then forgotten: the model
//     puts back everything it touched, remembers no request, and the
//     response (dry_run set) shows the ledger's placeholder member id.
//   * Aliases (MergeMembers' sources): before anything else, every member
//     id a request names is resolved (an alias stands for the member its
//     merges lead to; chains resolve), except a close's and a merge's
//     source; a transfer whose two ids resolve to one member, and a merge
//     whose target resolves to its source, are MEMBER_MERGED. Every write
//     then acts on the resolved member and its entries carry its id; a
//     close naming an alias, or a merge naming one as its source, is
//     MEMBER_MERGED (after the alias is "settled": it has nothing due).
//     Reads of an alias answer with the member it resolves to.
//   * Close (admin): settled first; MEMBER_NOT_FOUND, MEMBER_CLOSED,
//     MEMBER_MERGED; MEMBER_NOT_SETTLED while anything is pending or a hold
//     is open. A CLOSE entry (channel ADMIN, operator, reason, note):
//     points_delta = -available (forfeited when positive, counted in
//     forfeited_total; a debt written off when negative), available and
//     debt 0, no lots, no tier evaluation; with erase_personal_data it
//     lists every identifier, and they are free from then on. Every later
//     write naming the member is MEMBER_CLOSED (an import row of its kept
//     card too); reads still work.
//   * Merge (admin): the target resolved (see aliases); the source settled,
//     then the target (MEMBER_NOT_FOUND, MEMBER_CLOSED, MEMBER_MERGED in
//     that order for each); TOO_MANY_IDENTIFIERS when together they have
//     more than kModelIdentifiersMax; ORDER_ID_CONFLICT when both have an
//     order record of one id; BALANCE_OVERFLOW when a bucket, what the
//     target would own in all, a lifetime total (the expired total
//     saturates instead), a month's qualifying amount, the campaign points
//     or the day's transfers would pass INT64_MAX. Then MERGE_OUT on the
//     source (-available, merged_pending/held, counterparty the target)
//     and right after it MERGE_IN on the target (+the source's available,
//     the source's identifiers, and its state just before the merge):
//     available lots credited with their expiry and sequence (paying the
//     target's debt first), the source's debt taken from the target's lots
//     (the rest stays debt), pending lots (maturity, EARN sequence) and
//     holds (ids) joined by sequence, lifetime totals, qualifying months
//     (newest kModelQualifyingMonthsKept), campaign points and event counts
//     summed, the day's transfers summed on the same day (else the later
//     day's), identifiers appended (lookups find the target), orders moved
//     (returns and redemptions name them at the target), aliases appended
//     (the source, then its own). HOLD entries of an alias are the
//     target's: a closed one is HOLD_NOT_ACTIVE there. Then a TIER entry
//     to the source's tier when it is higher (evaluation date the
//     source's, since = now) and the upgrade the summed window supports.
//     The source keeps its lifetime totals and tier as the history of its
//     id, and nothing else.
//   * Not modelled: the SPEND tier basis, the other return policies,
//     excluded categories (eligible spend = spend), a program without
//     transfer_rules (TRANSFER_NOT_ALLOWED), a ledger without an identifier
//     key.
//   * Sweep settles, in order of (due time, member id), up to members_max
//     members whose earliest due time has come.
//
// Adding a command: add its request type to `Request` (the variant index is
// the Kind), and an `ApplyRules` overload in its domain's file
// (points_model.cc, members_model.cc; the shared pipeline is model.cc). The
// compiler then points at every other place that needs a case
// (generator.cc, harness.cc).
#ifndef LOYALTY_TESTS_MODEL_MODEL_H_
#define LOYALTY_TESTS_MODEL_MODEL_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::model {

// Wide enough for any sum or product of two int64 values, so the model
// checks overflow by plain comparison. (__extension__: -Wpedantic.)
__extension__ typedef __int128 Int128;

// One item of a member's voucher_dues: (due_ms, 0 for a gift and 1 for a
// voucher, code), so the set's order is the ledger's (records.proto).
using VoucherDue = std::tuple<int64_t, int, std::string>;

// CapturePoints and ReleasePoints take the same message; a type of its own
// for each keeps the kind in the variant index (and so in ContentOf).
template <v1::EntryKind kKind>
struct SettleHold {
  v1::SettleHoldRequest message;
  const v1::RequestContext& context() const { return message.context(); }
  v1::RequestContext* mutable_context() { return message.mutable_context(); }
  const std::string& member_id() const { return message.member_id(); }
  const std::string& hold_id() const { return message.hold_id(); }
  std::string ShortDebugString() const { return message.ShortDebugString(); }
};
using CaptureRequest = SettleHold<v1::ENTRY_KIND_CAPTURE>;
using ReleaseRequest = SettleHold<v1::ENTRY_KIND_RELEASE>;

// CommitCoupon and ReleaseCoupon, likewise.
template <v1::EntryKind kKind>
struct SettleCoupon {
  v1::SettleCouponReservationRequest message;
  const v1::RequestContext& context() const { return message.context(); }
  v1::RequestContext* mutable_context() { return message.mutable_context(); }
  const std::string& member_id() const { return message.member_id(); }
  const std::string& reservation_id() const { return message.reservation_id(); }
  std::string ShortDebugString() const { return message.ShortDebugString(); }
};
using CommitCouponRequest = SettleCoupon<v1::ENTRY_KIND_COUPON_REDEEM>;
using ReleaseCouponRequest = SettleCoupon<v1::ENTRY_KIND_COUPON_RELEASE>;

// One row of ImportMembers, applied or as a dry run. `dry_run` is how the
// row is sent, not its content: a dry run and a real run of one row under
// one request id are the same request.
struct ImportRequest {
  v1::ImportMemberRequest message;
  bool dry_run = false;
  const v1::RequestContext& context() const { return message.context(); }
  v1::RequestContext* mutable_context() { return message.mutable_context(); }
  std::string ShortDebugString() const {
    return (dry_run ? "dry_run " : "") + message.ShortDebugString();
  }
};

// One alternative per command kind; the index is the kind.
using Request =
    std::variant<v1::EnrollMemberRequest, v1::EarnRequest, v1::RedeemRequest,
                 v1::AdjustRequest, v1::RecordEventRequest,
                 v1::HoldPointsRequest, CaptureRequest, ReleaseRequest,
                 v1::ReturnRequest, v1::LinkIdentifierRequest,
                 v1::UnlinkIdentifierRequest, v1::TransferPointsRequest,
                 ImportRequest, v1::CloseMemberRequest, v1::MergeMembersRequest,
                 v1::IssueCouponRequest, v1::RedeemCouponRequest,
                 v1::ReserveCouponRequest, CommitCouponRequest,
                 ReleaseCouponRequest, v1::IssueVoucherRequest,
                 v1::RedeemVoucherUnitsRequest, v1::TransferVoucherUnitsRequest,
                 v1::GiftVoucherUnitsRequest, v1::ClaimVoucherGiftRequest,
                 v1::RefundVoucherUnitsRequest, v1::GenerateCouponChunkRequest,
                 v1::RedeemRewardRequest, v1::CancelRewardRequest>;
inline constexpr int kKindCount = std::variant_size_v<Request>;
inline constexpr size_t kEnrollKind = 0;
inline constexpr size_t kAdjustKind = 3;
inline constexpr size_t kHoldKind = 5;
inline constexpr size_t kReturnKind = 8;
inline constexpr size_t kLinkKind = 9;
inline constexpr size_t kUnlinkKind = 10;
inline constexpr size_t kTransferKind = 11;
inline constexpr size_t kImportKind = 12;
inline constexpr size_t kCloseKind = 13;
inline constexpr size_t kMergeKind = 14;
inline constexpr size_t kIssueCouponKind = 15;
inline constexpr size_t kRedeemCouponKind = 16;
inline constexpr size_t kReserveCouponKind = 17;
inline constexpr size_t kCommitCouponKind = 18;
inline constexpr size_t kReleaseCouponKind = 19;
inline constexpr size_t kIssueVoucherKind = 20;
inline constexpr size_t kRedeemVoucherKind = 21;
inline constexpr size_t kTransferVoucherKind = 22;
inline constexpr size_t kGiftVoucherKind = 23;
inline constexpr size_t kClaimGiftKind = 24;
inline constexpr size_t kRefundVoucherKind = 25;
inline constexpr size_t kGenerateCouponKind = 26;  // Bulk coupon codes.
inline constexpr size_t kRedeemRewardKind = 27;    // Rewards catalog.
inline constexpr size_t kCancelRewardKind = 28;

// "enroll", "earn", "redeem", "adjust", "event", "hold", "capture",
// "release", "return", "link", "unlink", "transfer", "import", "close",
// "merge", "issue_coupon", "redeem_coupon", "reserve_coupon",
// "commit_coupon", "release_coupon", "issue_voucher", "redeem_voucher",
// "transfer_voucher", "gift_voucher", "claim_gift", "refund_voucher",
// "generate_coupons", "redeem_reward", "cancel_reward".
const char* KindName(const Request& request);
const v1::RequestContext& ContextOf(const Request& request);
v1::RequestContext* MutableContextOf(Request* request);
// The member the command is about: the sender of a transfer, the source of
// a merge; "" for an enroll that lets the server choose and for an import
// (found by card).
const std::string& MemberIdOf(const Request& request);
// The kind and the request's deterministic bytes with every identifier in
// its canonical form: two requests are "the same content" exactly when
// these are equal. Only for requests the model can read (not malformed).
std::string ContentOf(const Request& request);
std::string Describe(const Request& request);

// One command as sent: who sent it and what.
struct Command {
  std::string principal;
  Request request;
  // Set by the generator when the request is INVALID_ARGUMENT by
  // construction (a field broken on purpose).
  bool malformed = false;
  // What the generator meant, for failure reports ("retry same", ...).
  std::string label;
};

// The earn rule of one currency (EarnRate in program.proto).
struct EarnRateRule {
  std::string rule_id;
  std::string currency;
  int64_t spend_minor_per_step = 1;
  int64_t points_per_step = 0;
};

// One campaign (Campaign in program.proto): a fixed bonus on every earn
// sent through `channel`, with a per-member cap and a budget over everyone.
struct CampaignRule {
  std::string rule_id;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  int64_t bonus_points = 0;
  int64_t member_cap_points = 0;
  int64_t budget_points = 0;
};

// One engagement event (EngagementEvent in program.proto). The model's
// program counts days in UTC+8 (Asia/Taipei, which has had no daylight
// saving time since 1979, and none in 1970 either), so a day is plain
// arithmetic here and a calendar month is Abseil civil time at that offset.
struct EventRule {
  std::string event_id;
  int64_t points = 0;
  int64_t starts_at_ms = 0;  // 0 = open.
  int64_t ends_at_ms = 0;    // 0 = open.
  int64_t max_per_member = 0;
  int64_t max_per_day = 0;
  v1::Channel only_channel = v1::CHANNEL_UNSPECIFIED;  // Unspecified = any.
};
inline constexpr int64_t kModelUtcOffsetMs = 8 * 3600 * 1000;
inline constexpr int64_t kModelDayMs = 24ll * 3600 * 1000;

// The model program's points policy (program.proto): a one-day return
// window, lots that expire at the end of the month after the month granted
// (months_after_earn 1), holds of at most six hours, three open per member.
inline constexpr int32_t kModelReturnWindowDays = 1;
// The program leaves event_age_max_hours unset: events may be 72 hours old.
inline constexpr int64_t kModelEventAgeMaxMs = int64_t{72} * 3'600'000;
inline constexpr int32_t kModelExpiryMonths = 1;
inline constexpr int64_t kModelHoldTimeoutMaxMs = 6 * 3600 * 1000;
inline constexpr int64_t kModelHoldTimeoutMinMs = 1000;
inline constexpr int kModelHoldsPerMember = 3;
inline constexpr int kModelNextExpiringShown = 3;
// Returns: RETURN_POLICY_ALLOW_NEGATIVE_BALANCE down to this floor.
inline constexpr int64_t kModelNegativeFloorPoints = -500;
// Offline redemptions: what one member may redeem offline per sale day,
// and how many days' counts the ledger keeps (offline/offline_fold.h).
// The shortfall policy is the run's (OfflinePolicyOfSeed).
inline constexpr int64_t kModelOfflineAllowancePoints = 600;
inline constexpr size_t kModelOfflineDaysKept = 8;
// The seed's policy for an offline redemption the member cannot cover:
// seeds of remainder 2 mod 3 refuse, the others take debt, so the coverage
// seeds meet both (35 refuses; 20240601 and 27 take debt).
inline v1::OfflineShortfallPolicy OfflinePolicyOfSeed(uint64_t seed) {
  return seed % 3 == 2 ? v1::OFFLINE_SHORTFALL_POLICY_REFUSE
                       : v1::OFFLINE_SHORTFALL_POLICY_DEBT;
}

// When points granted at `granted_at_ms` expire under the model's rule.
int64_t ModelLotExpiresAtMs(int64_t granted_at_ms);
// Midnight (UTC+8) starting the day "YYYY-MM-DD", in Unix ms; the generator
// sends only well-formed dates on valid rows.
int64_t ModelDayStartMs(absl::string_view date);
// "YYYY-MM-DD" of the UTC+8 day `days` days before the one holding `time_ms`.
std::string ModelDateBefore(int64_t time_ms, int days);

// Identifiers. The program reads phone numbers without a country code in
// Taiwan; the key is the one the harness opens the ledger with.
inline constexpr char kModelPhoneRegion[] = "TW";
inline constexpr char kModelIdentifierKey[] = "model-test-identifier-key-0001";
inline constexpr int kModelIdentifiersMax = 8;

// One phone number of the model's table: its E.164 form and notations a
// person might type, each of which the ledger must read as that number
// (every one checked against libphonenumber once, when the table was
// written; a wrong one makes the model test fail on its first use).
struct ModelPhone {
  std::string canonical;
  std::vector<std::string> notations;
};
const std::vector<ModelPhone>& ModelPhoneTable();
// The canonical form of an identifier as sent, or nullopt when the model
// cannot read it (a phone notation outside its table; the generator sends
// those only on requests it marks malformed).
std::optional<std::string> ModelCanonical(v1::IdentifierKind kind,
                                          absl::string_view value);
// How the ledger stores a canonical identifier: as is, or for phones and
// emails the HMAC hex (see the file comment).
std::string ModelStoredValue(v1::IdentifierKind kind,
                             const std::string& canonical);

// A member's identifier as the model knows it.
struct ModelIdentifier {
  v1::IdentifierKind kind = v1::IDENTIFIER_KIND_UNSPECIFIED;
  std::string canonical;
  std::string stored;
};
using IdentifierKey = std::pair<int, std::string>;  // (kind, canonical)

// Transfers (TransferRules in program.proto): small, so a default run meets
// both limits often.
inline constexpr int64_t kModelTransferMaxPoints = 400;
inline constexpr int64_t kModelTransferDayMaxPoints = 1000;
// ImportMemberRequest.opening_points at most.
inline constexpr int64_t kModelOpeningPointsMax = 1'000'000'000'000;

// One tier (Tier in program.proto), and the tier rules (TierRules): tiers
// lowest first (the first has threshold 0), basis QUALIFYING_POINTS, a
// window of `window_months` calendar months (UTC+8) and `grace_days` more
// before an evaluation.
struct TierRule {
  std::string tier_id;
  std::string display_name;
  int64_t threshold = 0;
  int32_t multiplier_percent = 100;
  // Coupons issued by program rules: issued on an upgrade to this tier.
  std::string upgrade_coupon_template_id;
};
struct TierProgram {
  std::vector<TierRule> tiers;  // Empty: the program has no tiers.
  int32_t window_months = 1;
  int32_t grace_days = 0;
};

// Calendar months since 1970-01 at `time_ms` (UTC+8).
int64_t ModelMonthIndex(int64_t time_ms);
// `time_ms` plus `months` calendar months and `days` days (UTC+8): the civil
// date moved, a day past the end of the month rolling into the next.
int64_t ModelAddCalendarMs(int64_t time_ms, int months, int days);

// A member's balance (Balance in common.proto).
struct Totals {
  int64_t available = 0;
  int64_t pending = 0;
  int64_t held = 0;
  int64_t earned_total = 0;
  int64_t redeemed_total = 0;  // Positive.
  int64_t adjusted_total = 0;  // Net; may be negative.
  int64_t expired_total = 0;   // Positive; stops at INT64_MAX.
  int64_t opening_total = 0;   // OPENING entries.
  int64_t transferred_out_total = 0;
  int64_t transferred_in_total = 0;
  int64_t forfeited_total = 0;  // Taken by the member's CLOSE.
  // Points a return took back beyond the available lots; available is
  // then sum(lots) - debt (negative), and grants pay it off first.
  int64_t debt = 0;
  uint64_t entry_count = 0;
  uint64_t last_sequence = 0;  // Of the member's newest entry.
  // Snapshots only (a response's or a read's balance): the soonest
  // expiring lots, (expires_at_ms, points), and the time it is as of.
  std::vector<std::pair<int64_t, int64_t>> next_expiring;
  int64_t as_of_ms = 0;
};

// Points granted together with one expiry (available lots merge by expiry
// date and keep the sequence of the grant that opened them), or one pending
// EARN, or what a hold took from one lot.
struct Lot {
  uint64_t sequence = 0;
  int64_t points = 0;
  int64_t expires_at_ms = 0;  // 0 = never.
  int64_t matures_at_ms = 0;  // Pending lots only.
};

// An open coupon reservation, as its coupon and its member list it.
struct CouponReservationState {
  uint64_t sequence = 0;  // Of its COUPON_RESERVE; the id is "R<sequence>".
  std::string code;       // Canonical.
  int64_t expires_at_ms = 0;
  std::string order_id;
};

struct Hold {
  uint64_t sequence = 0;  // Of its HOLD entry; the id is "H<sequence>".
  int64_t points = 0;
  int64_t expires_at_ms = 0;
  std::string order_id;
  std::vector<Lot> taken;  // What it took, soonest expiry first.
};

// A member's tier: its index into TierProgram::tiers, since when, when it
// is next evaluated (0 = never) and the qualifying amount per month (months
// since 1970-01, UTC+8; the newest kModelQualifyingMonthsKept months, a
// month emptied by returns staying at 0).
inline constexpr int64_t kModelQualifyingMonthsKept = 36;
struct TierState {
  int tier = 0;
  int64_t since_ms = 0;
  int64_t evaluation_ms = 0;
  std::map<int64_t, int64_t> months;
};

// The part of a member that time changes: small, so reads copy it.
struct PointsState {
  Totals totals;
  std::vector<Lot> lots;     // Available; soonest expiry first, 0 last.
  std::vector<Lot> pending;  // By sequence.
  std::vector<Hold> holds;   // Open, by sequence.
  // Open coupon reservations (this member's and merged members'), by
  // sequence; each times out like a hold.
  std::vector<CouponReservationState> coupon_reservations;
  TierState tier;

  // The soonest time something falls due; 0 = nothing.
  int64_t NextDueMs() const;
};

// One line of an order that earned, and how much of it came back.
struct OrderLine {
  std::string sku;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  int64_t returned_quantity = 0;
  int64_t discount_minor = 0;  // Coupons', on all its units.
};

// An order record (OrderRecord): the earn's figures, what was redeemed on
// it, and what its returns took back (reversed includes forgiven) and
// restored. The model program excludes no category, so the eligible spend
// is the spend.
struct OrderState {
  uint64_t earn_sequence = 0;  // 0: redeemed on, never earned.
  int64_t spend_minor = 0;
  int64_t points = 0;
  std::vector<OrderLine> lines;
  int64_t redeemed = 0;
  int64_t restored = 0;
  int64_t returned_value = 0;
  int64_t reversed = 0;
  int64_t qualifying = 0;  // The EARN's qualifying_delta, and its month.
  int64_t qualifying_month = 0;
  // The coupons the EARN used (canonical codes, in the order sent).
  std::vector<std::string> coupon_codes;
};

struct MemberState {
  std::string member_id;
  // ACTIVE; CLOSED by CloseMember (reads only from then on); MERGED as the
  // source of a merge: an alias of `merged_into` (which may itself have
  // been merged since), its points state, identifiers and orders moved
  // there, its lifetime totals kept as the history of this id.
  v1::MemberStatus status = v1::MEMBER_STATUS_ACTIVE;
  std::string merged_into;
  // Members merged into this one, directly or through them, in merge
  // order: their HOLD entries name holds this member may now settle.
  std::vector<std::string> merged_member_ids;
  int64_t enrolled_at_ms = 0;
  std::vector<ModelIdentifier> identifiers;  // In the order linked.
  PointsState points;
  const Totals& totals() const { return points.totals; }
  std::set<std::string> orders;  // Order ids that earned points.
  // Order ids with an order record: earned, or redeemed or captured on.
  std::set<std::string> order_records;
  std::map<std::string, OrderState> order_state;
  int64_t campaign_points = 0;  // Granted by the campaign so far.
  // Per event: how many ever, and per local day.
  std::map<std::string, int64_t> event_count;
  std::map<std::pair<std::string, int64_t>, int64_t> event_count_by_day;
  // next_due_ms as of the member's last write: its schedule key.
  int64_t stored_due_ms = 0;
  // What falls due for its vouchers and gifts (MemberRecord.voucher_dues).
  std::set<VoucherDue> voucher_dues;
  // The soonest time anything falls due (points or vouchers); 0 = none.
  int64_t NextDueMs() const;
  // Transfers given: the latest day (UTC+8, days since 1970-01-01) and the
  // points given on it.
  int64_t transfer_day = 0;
  int64_t transferred_on_day = 0;
  // Offline redemptions applied, by sale day (UTC+8, days since
  // 1970-01-01): the newest kModelOfflineDaysKept days.
  std::map<int64_t, int64_t> offline_days;
};

// One entry the ledger must append, with every field the model knows.
struct ExpectedEntry {
  uint64_t sequence = 0;
  std::string member_id;
  v1::EntryKind kind = v1::ENTRY_KIND_UNSPECIFIED;
  v1::Bucket bucket = v1::BUCKET_AVAILABLE;
  int64_t points_delta = 0;
  int64_t available_after = 0;
  int64_t pending_after = 0;
  int64_t held_after = 0;
  std::string principal;  // "system" for time-driven entries.
  std::string request_id;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  std::string store_id;
  std::string terminal_id;
  int64_t occurred_at_ms = 0;
  int64_t recorded_at_ms = 0;
  std::string order_id;
  int64_t lot_expires_at_ms = 0;
  int64_t matures_at_ms = 0;
  uint64_t lot_sequence = 0;
  std::string hold_id;
  int64_t hold_expires_at_ms = 0;
  bool hold_timed_out = false;
  int64_t event_day = 0;
  int64_t debt_after = 0;
  int64_t pending_reversed = 0;  // RETURN.
  int64_t forgiven = 0;          // RETURN.
  // Tiers: EARN and RETURN qualifying delta and month; ENROLL and TIER the
  // tier after (TIER also before, the window's amount, next evaluation).
  int64_t qualifying_delta = 0;
  int64_t qualifying_month = 0;
  std::string tier_from;
  std::string tier_to;
  int64_t qualifying_amount = 0;
  int64_t tier_evaluation_ms = 0;
  // EARN: the tier multiplier's breakdown line (none when 0).
  std::string tier_line_id;
  int64_t tier_line_points = 0;
  // ENROLL, LINK, UNLINK: the identifiers, (kind, stored value).
  std::vector<std::pair<int, std::string>> identifiers;
  // ADJUST, TRANSFER_OUT and TRANSFER_IN.
  std::string note;
  // TRANSFER_OUT and TRANSFER_IN: the other member and the lots moved,
  // (points, expires_at_ms); the OUT's day.
  std::string counterparty;
  std::vector<std::pair<int64_t, int64_t>> transferred_lots;
  int64_t transfer_day = 0;
  // ADJUST, CLOSE, MERGE_OUT and MERGE_IN: who decided it, and why.
  std::string operator_id;
  std::string reason_code;
  // CLOSE: the member's identifiers were erased (listed in `identifiers`).
  bool personal_data_erased = false;
  // MERGE_OUT and MERGE_IN: the pending and held points moved beside the
  // available ones (points_delta); MERGE_IN also the source as it was just
  // before its MERGE_OUT, which the entry's merged_member_record must carry.
  int64_t merged_pending = 0;
  int64_t merged_held = 0;
  std::shared_ptr<const MemberState> merged_source;
  // COUPON_ISSUE and COUPON_REDEEM: the canonical code and its template;
  // the ISSUE's window and uses, the REDEEM's uses after it.
  std::string coupon_code;
  std::string coupon_template;
  int64_t coupon_valid_from_ms = 0;
  int64_t coupon_valid_until_ms = 0;
  int32_t coupon_uses_allowed = 0;
  int32_t coupon_uses_after = 0;
  // EARN: what the order's coupons took off in all; COUPON_REDEEM of an
  // Earn: what this coupon took off, in `coupon_currency` ("" for none).
  int64_t coupon_discount_minor = 0;
  std::string coupon_currency;
  // EARN: the coupons used, canonical, in the order sent.
  std::vector<std::string> earn_coupon_codes;
  // COUPON_RESERVE, COUPON_RELEASE and a committing COUPON_REDEEM: the
  // reservation; the RESERVE's expiry; a RELEASE written by the timeout.
  std::string coupon_reservation_id;
  int64_t coupon_expires_at_ms = 0;
  bool coupon_timed_out = false;
  // Voucher entries: their details (the LedgerEntry's `details` oneof, set
  // to the kind's message exactly as the ledger must write it).
  v1::LedgerEntry voucher_details;
  // COUPON_GENERATE (bulk coupon codes; no member): its batch, the batch's
  // count, the chunk's first index and codes (canonical); the template,
  // window and uses are in the coupon_* fields above.
  std::string batch_id;
  int64_t batch_count = 0;
  int64_t first_index = 0;
  std::vector<std::string> generated_codes;
  // Rewards catalog: a COUPON_ISSUE's reward fields (a VOUCHER_ISSUE's are
  // in voucher_details, as are the REWARD_REDEEM's and REWARD_CANCEL's).
  std::string reward_item_id;
  int64_t reward_points = 0;
  bool reward_cancellable = false;
  // Coupons issued by program rules: a COUPON_ISSUE's rule and its kind.
  std::string coupon_rule_id;
  v1::RuleKind coupon_rule_kind = v1::RULE_KIND_UNSPECIFIED;
};

// A voucher product of the test program (vouchers_model.cc), as the model
// and the harness's program get it.
struct VoucherRule {
  std::string product_id;
  std::string sku;
  int64_t units_max = 0;
  int32_t valid_days = 0;  // From issue to the end of that day, UTC+8.
  bool refundable = false;
  int32_t gift_claim_days = 0;  // 0 = no gifts.
};
const std::vector<VoucherRule>& ModelVoucherRules();
const VoucherRule* FindVoucherRule(const std::string& product_id);

// A voucher as the model has it (VoucherRecord).
struct VoucherState {
  std::string code;  // Canonical.
  std::string product_id;
  std::string sku;
  std::string owner;  // As issued or received (maybe merged since).
  int64_t bought = 0;
  int64_t left = 0;
  int64_t redeemed = 0;
  int64_t transferred = 0;
  int64_t gifted_pending = 0;
  int64_t gifted_claimed = 0;
  int64_t refunded = 0;
  int64_t expired = 0;
  int64_t price_minor = 0;
  int64_t refunded_minor = 0;
  std::string currency;
  int64_t expires_at_ms = 0;
  bool refundable = false;
  uint64_t issued_sequence = 0;
  std::string order_id;
  std::string source_code;
  // Rewards catalog: the item that bought it, its points and cancel policy;
  // the units a cancel voided.
  std::string reward_item_id;
  int64_t reward_points = 0;
  bool reward_cancellable = false;
  int64_t cancelled = 0;
};

// A gift of voucher units as the model has it (VoucherGiftRecord).
struct VoucherGiftState {
  std::string claim_code;  // Canonical.
  std::string voucher_code;
  std::string giver;
  int64_t units = 0;
  int64_t claim_expires_at_ms = 0;
  v1::VoucherGiftState state = v1::VOUCHER_GIFT_STATE_PENDING;
  std::string claimed_by;
  std::string claimed_code;
  uint64_t gift_sequence = 0;  // Of its VOUCHER_GIFT entry.
};

// A coupon template of the test program (coupons_model.cc), as the model
// and the harness's program get it.
struct CouponRule {
  std::string template_id;
  // The benefit: percent_off, or else amount_off_minor (in `currency`), or
  // else a points multiplier.
  int32_t percent_off = 10;
  int64_t amount_off_minor = 0;
  int32_t points_multiplier_percent = 0;
  // At checkout: the currency its amounts are in ("" = any order's), the
  // least its lines must add up to, the SKUs it applies to (empty = every
  // line), whether it shares an order, and the most its coupons may take
  // off in all (0 = no limit).
  std::string currency;
  int64_t min_spend_minor = 0;
  std::vector<std::string> eligible_skus;
  bool combinable = false;
  int64_t discount_budget_minor = 0;
  // What returning a whole order does to a use on it.
  v1::CouponReturnPolicy return_policy = v1::COUPON_RETURN_POLICY_UNSPECIFIED;
  int32_t valid_days = 30;  // From issue to the end of that day, UTC+8.
  int32_t uses = 1;
  int32_t per_member_limit = 0;  // 0 = none.
  int64_t budget = 0;            // 0 = none.
  v1::Channel only_channel = v1::CHANNEL_UNSPECIFIED;
  std::string only_store;  // "" = every store.
};
const std::vector<CouponRule>& ModelCouponRules();
// Coupons issued by program rules (rule_coupons_model.cc): the templates
// only rules issue (FindCouponRule finds them too), and the program's
// spend bonuses, each giving a coupon and no points.
const std::vector<CouponRule>& ModelRuleCouponRules();
struct SpendBonusRule {
  std::string rule_id;
  std::string currency;
  int64_t min_spend_minor = 0;  // Reached when what was paid >= this.
  std::string coupon_template_id;
};
const std::vector<SpendBonusRule>& ModelSpendBonuses();
// The rule of `template_id`, or null.
const CouponRule* FindCouponRule(const std::string& template_id);
// The canonical form of a coupon code as sent (dashes and spaces dropped,
// upper case, I/L as 1, O as 0, the check character dropped); as sent when
// it has the wrong length.
std::string ModelCanonicalCode(const std::string& code);

// A coupon as the model has it.
struct CouponState {
  std::string code;  // Canonical.
  std::string template_id;
  std::string owner;  // The member it was issued to (maybe merged since).
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
  int32_t uses_allowed = 0;
  int32_t uses = 0;
  uint64_t issued_sequence = 0;
  std::vector<CouponReservationState> reservations;  // Open, by sequence.
  // Uses set aside at `at_ms`: the reservations not expired by then.
  int32_t ReservedAt(int64_t at_ms) const;
  // Bulk coupon codes: the batch of a bearer coupon (owner ""), which any
  // member may use.
  std::string batch_id;
  // Coupons issued by program rules: the tier or spend bonus.
  std::string rule_id;
  // Rewards catalog: the item that bought it, its points and cancel
  // policy; whether a cancel voided it.
  std::string reward_item_id;
  int64_t reward_points = 0;
  bool reward_cancellable = false;
  bool cancelled = false;
};

// A rewards catalog item of the test program (rewards_model.cc), as the
// model and the harness's program get it.
struct RewardRule {
  std::string item_id;
  int64_t points_price = 0;
  std::string coupon_template_id;  // Or a voucher:
  std::string voucher_product_id;
  int64_t voucher_units = 0;
  int64_t stock = 0;             // 0 = no limit.
  int32_t per_member_limit = 0;  // 0 = no limit.
  std::string min_tier_id;       // "" = every tier.
  v1::Channel only_channel = v1::CHANNEL_UNSPECIFIED;
  bool cancellable = false;
};
const std::vector<RewardRule>& ModelRewardRules();
const RewardRule* FindRewardRule(const std::string& item_id);
// Rewards counted: (redeemed, cancelled).
struct RewardCountState {
  int64_t redeemed = 0;
  int64_t cancelled = 0;
};

// Bulk coupon codes: a GenerateCoupons batch as the model has it.
struct BatchState {
  std::string template_id;
  int64_t count = 0;
  int64_t generated = 0;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
  int32_t uses_allowed = 0;
  // Its COUPON_GENERATE entries: (first index, sequence, codes).
  std::vector<std::tuple<int64_t, uint64_t, int32_t>> chunks;
};

// A member's schedule key that moves with a write: from (0 = none) -> to.
struct ScheduleMove {
  std::string member_id;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

// What a command did to the store.
enum class Effect {
  kNothing,     // Malformed, request id reused, or replayed: no byte changes.
  kRemembered,  // A business rejection: its request record is written (and
                // the time-driven entries due before it, if any).
  kApplied,     // Its entry appended (after any time-driven ones), with its
                // request record.
};

// The model's verdict on one command.
struct Expected {
  absl::StatusCode code = absl::StatusCode::kOk;
  v1::ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED;
  Effect effect = Effect::kNothing;
  bool replayed = false;
  // OK only: the entry's member, delta and sequence, the member's balance
  // right after it, and for earn the basket total.
  std::string member_id;
  int64_t points_delta = 0;
  uint64_t sequence = 0;
  // The entry's kind where the command's varies (an offline Redeem: REDEEM
  // or OFFLINE_REDEEM_REFUSED); else the command's own.
  v1::EntryKind entry_kind = v1::ENTRY_KIND_UNSPECIFIED;
  Totals totals;
  int64_t spend_minor = 0;
  // IssueCoupon and RedeemCoupon, OK: the coupon after the command; the
  // coupon and coupon-count records it writes.
  CouponState coupon;
  int64_t coupon_puts = 0;
  int64_t coupon_count_puts = 0;
  bool coupon_issued = false;  // Its coupon put is new (else rewritten).
  // Coupon records the command creates (an issue's one, a chunk's codes).
  int64_t coupons_created = 0;
  // Voucher and gift records the command (or sweep) writes, by canonical
  // code: true when new.
  std::map<std::string, bool> voucher_puts;
  std::map<std::string, bool> gift_puts;
  // Voucher commands, OK: the voucher the response shows (the giver's for a
  // transfer and a gift, the claimer's new one for a claim), and a
  // transfer's received voucher.
  VoucherState voucher;
  VoucherState received;
  // Bulk coupon codes: the batch record and bearer-use counts it writes;
  // a chunk's answer (written_before: an earlier command wrote it).
  int64_t coupon_batch_puts = 0;
  int64_t bearer_use_puts = 0;
  // Rewards catalog: the reward_counts records it writes (an item's and a
  // member's).
  int64_t reward_count_puts = 0;
  bool written_before = false;
  int64_t first_index = 0;
  int32_t chunk_codes = 0;
  int64_t batch_generated = 0;
  // Earn with coupons: their discounts in all.
  int64_t discount_minor = 0;
  // Keys the command adds to the identifier and order families (0 unless
  // kApplied), and order records it writes (new or not): an earn's, or a
  // redeem's or capture's with an order id.
  int identifiers_added = 0;
  int identifiers_removed = 0;  // Unlink, erasing close: keys erased.
  int identifiers_moved = 0;    // Merge: keys put again, for the target.
  int orders_erased = 0;        // Merge: the source's keys of moved orders.
  // Identifiers whose owner the command changed (moved by a merge, freed
  // by an erasing close): looked up afterwards.
  std::vector<IdentifierKey> identifiers_changed;
  int orders_added = 0;
  int orders_written = 0;
  // The member the command enrolled (its member record is new).
  std::string enrolled_member_id;
  // A dry run's outcome: decided, then forgotten (Effect::kNothing).
  bool dry_run = false;
  // Transfer: the receiver and its balance (as `totals` is the sender's).
  std::string counterparty_id;
  Totals counterparty_totals;
  // Transfer and import: the response's entries are the last this many of
  // `entries` (time-driven ones come before them).
  int response_entries = 0;
  // Import: the response's figures.
  bool enrolled = false;
  bool phone_linked = false;
  int64_t opening_points = 0;
  int64_t lot_expires_at_ms = 0;
  // Return only: the figures of its response; the command's own entry (the
  // RETURN) is this many entries before the last (1 when a RESTORE
  // follows it).
  int64_t points_reversed = 0;
  int64_t points_forgiven = 0;
  int64_t points_restored = 0;
  int own_entry_from_end = 0;
  // Every entry written, in order: the time-driven ones first, then the
  // command's own (when applied). Empty unless the command was decided now.
  std::vector<ExpectedEntry> entries;
  // The member's schedule key, when the write moves it.
  std::vector<ScheduleMove> schedule_moves;
};

// The model's verdict on one Ledger::Sweep.
struct SweepExpected {
  uint64_t members_settled = 0;
  uint64_t entries_written = 0;
  int64_t coupon_puts = 0;  // Coupons whose timed-out reservations it ended.
  bool more = false;
  std::vector<ExpectedEntry> entries;
  std::vector<ScheduleMove> schedule_moves;
  std::map<std::string, bool> voucher_puts;
  std::map<std::string, bool> gift_puts;
};

class Model {
 public:
  Model(std::vector<EarnRateRule> rates, CampaignRule campaign,
        std::vector<EventRule> events = {}, TierProgram tiers = {});

  // The ledger clock's time, which decides event windows (without
  // occurred_at), event days, what falls due, and what reads show. The
  // harness sets it before each command.
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }
  // The program's offline shortfall policy (OfflinePolicyOfSeed).
  void set_offline_policy(v1::OfflineShortfallPolicy policy) {
    offline_policy_ = policy;
  }
  // Whether an event dated by `context` is older than the program allows
  // (kModelEventAgeMaxMs) at now_ms().
  bool EventTooOld(const v1::RequestContext& context) const;
  int64_t now_ms() const { return now_ms_; }
  const std::vector<EventRule>& events() const { return events_; }

  // Applies `command` and returns what the ledger must answer.
  // `assigned_member_id` is the id the ledger chose for an enroll without
  // one, or the code it drew for an IssueCoupon (canonical): the model
  // cannot guess a random id; ignored otherwise.
  Expected Apply(const Command& command, const std::string& assigned_member_id);

  // Settles up to `members_max` members whose next due time has come, in
  // order of (due time, member id), as Ledger::Sweep must.
  SweepExpected Sweep(int members_max);

  // The earn rule: the basket total and the points, or nullopt when the
  // request is INVALID_ARGUMENT (unknown currency, int64 overflow).
  // `points` includes the campaign's full bonus (`campaign_points`) when the
  // campaign applies: its cap and budget lower what is granted, not what
  // must fit in int64.
  struct EarnPoints {
    int64_t spend_minor = 0;
    int64_t points = 0;
    int64_t campaign_points = 0;
    int64_t coupon_points = 0;  // Points coupons' lines.
  };
  // Coupons at checkout, as priced for one order (PriceCoupons).
  struct Checkout {
    std::vector<const CouponState*> coupons;  // In the request's order.
    std::vector<int64_t> discount_of;         // Per coupon.
    std::vector<int64_t> line_discount;       // Per basket line.
    int64_t discount_minor = 0;
    // Points coupons: the lines each covers and its multiplier.
    std::vector<std::pair<std::vector<bool>, int32_t>> multipliers;
  };
  // `checkout`: the order's coupons (null: none); the points are then
  // computed on what each line paid.
  std::optional<EarnPoints> ComputeEarn(
      const v1::EarnRequest& request, const Checkout* checkout = nullptr) const;
  // Earn's coupon rules for `request`'s codes (at least one) presented by
  // `member_id` (resolved) now: the refusal, or the priced checkout
  // (coupons_model.cc states the rules).
  std::variant<Expected, Checkout> PriceCoupons(
      const std::string& member_id, const v1::EarnRequest& request) const;
  // Per template: what its coupons took off orders so far.
  const std::map<std::string, int64_t>& coupon_discounts() const {
    return coupon_discount_given_;
  }
  // What Earn would grant `member` for `request` now: ComputeEarn with the
  // campaign's bonus lowered to what its cap and budget leave.
  int64_t GrantedPoints(const MemberState& member,
                        const EarnPoints& earn) const;
  // The tier multiplier's extra points on an earn of `granted` points whose
  // base line is `base`, in tier `tier`: floor(base x (P - 100) / 100),
  // capped so the earn stays within int64; 0 for P <= 100 or no tiers.
  int64_t TierExtra(int tier, int64_t base, int64_t granted) const;
  // The qualifying amount of `tier` state's window that contains `month`,
  // and the highest tier it supports.
  int64_t WindowAmount(const TierState& tier, int64_t month) const;
  int SupportedTier(int64_t qualifying) const;
  const TierProgram& tiers() const { return tiers_; }
  // GetMember's tier status of `points` (projected) as of now.
  v1::TierStatus TierStatusOf(const PointsState& points) const;

  const MemberState* FindMember(const std::string& member_id) const;
  // The member `member_id` stands for: itself, or for an alias the member
  // its merges lead to (A merged into B, B into C: C). Unknown ids stand
  // for themselves.
  std::string Resolve(const std::string& member_id) const;
  // Members merged away (aliases) and members closed, in that order.
  const std::vector<std::string>& aliases() const { return aliases_; }
  const std::vector<std::string>& closed() const { return closed_; }
  // The member's points as a read at now must show them: what fell due
  // since its last write counts as written (entry count and last sequence
  // stay). nullopt for an unknown member.
  std::optional<PointsState> Projected(const std::string& member_id) const;
  // The balance fields of `points` as of now (next_expiring and as_of set).
  Totals Snapshot(const PointsState& points) const;
  // Members in enrollment order (stable under a seed even though the ledger
  // picks random ids).
  const std::vector<std::string>& member_order() const { return order_; }
  // The owner of (kind, canonical), or nullptr when nobody has it.
  const std::string* IdentifierOwner(v1::IdentifierKind kind,
                                     const std::string& canonical) const;
  // Every identifier owned, (kind, canonical) -> member.
  const std::map<IdentifierKey, std::string>& identifiers() const {
    return identifiers_;
  }
  // Identifiers ever unlinked, in order (some linked again since).
  const std::vector<IdentifierKey>& unlinked() const { return unlinked_; }
  bool RequestRemembered(const std::string& principal,
                         const std::string& request_id) const;
  uint64_t last_sequence() const { return last_sequence_; }
  // Entries of no member (bulk coupon codes: COUPON_GENERATE).
  uint64_t memberless_entries() const { return memberless_entries_; }
  size_t requests_remembered() const { return requests_.size(); }
  size_t identifier_count() const { return identifiers_.size(); }
  // Order records (the orders family).
  size_t order_count() const { return order_records_total_; }
  // Members with a schedule key (next due time != 0), as of their last
  // write.
  size_t scheduled_count() const { return scheduled_; }
  const std::vector<EarnRateRule>& rates() const { return rates_; }
  // Every HOLD entry ever: (sequence, member), oldest first.
  const std::vector<std::pair<uint64_t, std::string>>& holds_made() const {
    return holds_made_;
  }
  // Every COUPON_RESERVE (sequence, member that made it), oldest first.
  const std::vector<std::pair<uint64_t, std::string>>&
  coupon_reservations_made() const {
    return coupon_reservations_made_;
  }

  // Coupons by canonical code, and the issue counts by (template id, "")
  // and (template id, member id).
  const std::map<std::string, CouponState>& coupons() const { return coupons_; }
  const std::map<std::pair<std::string, std::string>, int64_t>& coupon_counts()
      const {
    return coupon_counts_;
  }
  // Vouchers and gifts by canonical code.
  const std::map<std::string, VoucherState>& vouchers() const {
    return vouchers_;
  }
  const std::map<std::string, VoucherGiftState>& voucher_gifts() const {
    return voucher_gifts_;
  }
  // Bulk coupon codes: batches by id, and each (template, member)'s uses of
  // the template's bearer codes.
  const std::map<std::string, BatchState>& batches() const { return batches_; }
  const std::map<std::pair<std::string, std::string>, int64_t>& bearer_uses()
      const {
    return bearer_uses_;
  }
  // Rewards catalog: counts by (item id, "") and (item id, member id).
  const std::map<std::pair<std::string, std::string>, RewardCountState>&
  reward_counts() const {
    return reward_counts_;
  }
  // Rewards a member holds of an item: its own and its merged members'.
  int64_t RewardsHeld(const std::string& item_id,
                      const MemberState& member) const;

  // What the rules met that the entries alone do not show.
  struct Counts {
    int64_t transfer_day_rollovers = 0;  // A sender's new day reset its sum.
    int64_t transfers_paying_debt = 0;
    int64_t transfers_of_several_lots = 0;
    int64_t transferred_lots_expired = 0;  // EXPIRE of a lot a transfer opened.
    int64_t openings_expired = 0;          // EXPIRE of a lot an OPENING opened.
    int64_t dry_runs_decided = 0;
    // What merges moved, met again at the target: pending lots maturing,
    // holds captured or released (by request or timeout), orders returned.
    int64_t merged_pending_matured = 0;
    int64_t merged_holds_settled = 0;
    int64_t merged_orders_returned = 0;
    // Commands that named an alias and were decided on its member.
    int64_t alias_commands = 0;
    // Coupon reservations: made, committed, released by request and by
    // their timeout, and those the merge moved that were settled after.
    int64_t coupon_reservations = 0;
    int64_t coupon_reservations_committed = 0;
    int64_t coupon_reservations_released = 0;
    int64_t coupon_reservations_timed_out = 0;
    int64_t merged_coupon_reservations_settled = 0;
    // Vouchers: time's entries, pickups that took the last units, gifts
    // taken back by their giver's own claim.
    int64_t voucher_gifts_returned = 0;
    int64_t voucher_expiries = 0;
    int64_t voucher_pickups_emptying = 0;
    int64_t voucher_gifts_claimed_by_giver = 0;
    // Rewards catalog: exchanges of coupon and voucher items, cancels, and
    // cancels by a member a merge gave the reward to.
    int64_t rewards_redeemed_coupons = 0;
    int64_t rewards_redeemed_vouchers = 0;
    int64_t rewards_cancelled = 0;
    int64_t rewards_cancelled_after_merge = 0;
    // Coupons issued by program rules: by spend bonuses, by tier upgrades
    // of earns and of merges, and those skipped (budget or limit reached).
    int64_t rule_coupons_spend = 0;
    int64_t rule_coupons_tier = 0;
    int64_t rule_coupons_merge = 0;
    int64_t rule_coupons_skipped_budget = 0;
    int64_t rule_coupons_skipped_limit = 0;
    // Returns naming a SKU their order never had (INVALID_ARGUMENT).
    int64_t return_skus_not_in_order = 0;
    // Offline redemptions by outcome; debts that wrote some off.
    int64_t offline_applied = 0;
    int64_t offline_debt = 0;
    int64_t offline_written_off = 0;
    int64_t offline_refused_short = 0;
    int64_t offline_refused_over_allowance = 0;
  };
  const Counts& counts() const { return counts_; }

  // Coupons issued by program rules: the codes the ledger drew for the
  // next command's rule coupons (canonical, in entry order; its answer
  // lists them), which the model cannot guess. The command takes them in
  // order; what it leaves, or takes beyond them, is a disagreement.
  void SetRuleCouponCodes(std::vector<std::string> codes);
  size_t rule_coupon_codes_left() const { return rule_coupon_codes_.size(); }
  int64_t rule_coupon_codes_missing() const {
    return rule_coupon_codes_missing_;
  }

 private:
  struct Remembered {
    std::string content;
    Expected outcome;  // As first answered (replayed = false, no entries).
  };

  Expected ApplyRules(const v1::EnrollMemberRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::EarnRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::RedeemRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyOfflineRedeem(const v1::RedeemRequest& request,
                              MemberState* member);
  Expected ApplyRules(const v1::AdjustRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::RecordEventRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::HoldPointsRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const CaptureRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const ReleaseRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::ReturnRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::LinkIdentifierRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::UnlinkIdentifierRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::TransferPointsRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const ImportRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::CloseMemberRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::MergeMembersRequest& request,
                      const std::string& assigned_member_id);
  // `assigned_code`: the canonical code the ledger drew (coupons_model.cc).
  Expected ApplyRules(const v1::IssueCouponRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::ReserveCouponRequest& request,
                      const std::string& assigned);
  Expected ApplyRules(const CommitCouponRequest& request,
                      const std::string& assigned);
  Expected ApplyRules(const ReleaseCouponRequest& request,
                      const std::string& assigned);
  // CommitCoupon (`commit`) and ReleaseCoupon.
  Expected SettleCouponReservation(
      const v1::SettleCouponReservationRequest& request, bool commit);
  // Appends a COUPON_RELEASE (timed out) for each of `member`'s coupon
  // reservations expired by now, soonest first (LoadSettled's first step).
  void ReleaseTimedOutCouponReservations(MemberState& member);
  Expected ApplyRules(const v1::RedeemCouponRequest& request,
                      const std::string& assigned_member_id);
  // Vouchers (vouchers_model.cc). `assigned_code`: the canonical code the
  // ledger drew (the new voucher's, the received one's, the claim code, the
  // claimer's new voucher's).
  Expected ApplyRules(const v1::IssueVoucherRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::RedeemVoucherUnitsRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::TransferVoucherUnitsRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::GiftVoucherUnitsRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::ClaimVoucherGiftRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::RefundVoucherUnitsRequest& request,
                      const std::string& assigned_code);
  // The voucher entries time made due for `member` (gift returns, unit
  // expiries), appended in due order after the points' own.
  void SettleVoucherDues(MemberState& member);
  // The member's voucher named by a request (canonical `code`), or null
  // with the refusal: VOUCHER_NOT_FOUND for an unknown code or another
  // member's.
  VoucherState* OwnedVoucher(const std::string& code,
                             const std::string& member_id, Expected* refused);
  // A voucher entry of `kind` for `member` with `details` set by `fill`.
  ExpectedEntry VoucherEntry(const MemberState& member, v1::EntryKind kind,
                             const v1::RequestContext& context) const;
  void NoteVoucherPut(const std::string& code, bool created);
  void NoteGiftPut(const std::string& claim_code, bool created);
  // Rewards catalog (rewards_model.cc). `assigned_code`: the canonical code
  // of the coupon or voucher the ledger drew.
  Expected ApplyRules(const v1::RedeemRewardRequest& request,
                      const std::string& assigned_code);
  Expected ApplyRules(const v1::CancelRewardRequest& request,
                      const std::string& assigned_code);
  // Bulk coupon codes. `assigned_codes`: the chunk's codes the ledger drew
  // (canonical, comma-separated, in the entry's order).
  Expected ApplyRules(const v1::GenerateCouponChunkRequest& request,
                      const std::string& assigned_codes);
  // Whether one more use of bearer `coupon` by `member_id` (who has made
  // `extra` uses of its template's bearer codes beyond those counted, on
  // the same order) passes its template's per_member_limit.
  bool BearerLimitReached(const CouponState& coupon,
                          const std::string& member_id, int64_t extra) const;
  // The ledger's first step for a new request: every member id it names
  // that is an alias is rewritten to the member it resolves to (not a
  // close's, nor a merge's source); the refusal (MEMBER_MERGED) where that
  // leaves one member named twice (a transfer, a merge's target).
  // `*renamed` says whether any id was rewritten.
  std::optional<Expected> ResolveAliases(Request* request, bool* renamed) const;
  // The member settled (time-driven entries first), or nullptr with
  // `*refused` set: MEMBER_NOT_FOUND, MEMBER_CLOSED, MEMBER_MERGED (an
  // alias named where it does not resolve).
  MemberState* LoadActive(const std::string& member_id, Expected* refused);
  // Whether the target can hold everything of both (every bucket, what it
  // owns in all, each lifetime total, each month's qualifying amount,
  // campaign points, the day's transfers) within int64.
  bool MergeFits(const MemberState& source, const MemberState& target) const;
  // The MERGE_IN's effect: everything `source` has moves to `target`.
  void MoveInto(MemberState& source, MemberState& target);
  // A dry run of `request`: the import's rules, then everything they
  // changed put back.
  Expected DryRun(const ImportRequest& request,
                  const std::string& assigned_member_id);
  Expected Settle(const v1::SettleHoldRequest& request, bool capture);
  // Gives `member` the identifier (kind, canonical) at the end of its list.
  void AddIdentifier(MemberState& member, v1::IdentifierKind kind,
                     const std::string& canonical);
  // A new member `member_id`, enrolled now (in the lowest tier).
  MemberState& NewMember(const std::string& member_id);
  const EventRule* FindEvent(const std::string& event_id) const;

  // The member, with every time-driven entry due by now appended first.
  MemberState* LoadSettled(const std::string& member_id);
  // An entry of `kind` for `member` from the command being applied (its
  // principal, request id, channel, store, terminal, occurred_at).
  ExpectedEntry CommandEntry(const MemberState& member, v1::EntryKind kind,
                             const v1::RequestContext& context) const;
  // Appends `entry` (the points already moved in `member`): assigns the
  // sequence, the *_after fields and the member's count.
  void Append(MemberState& member, ExpectedEntry entry);
  // The OK verdict for the entry just appended.
  Expected Ok(const MemberState& member) const;
  // Marks `order_id` of `member` written by the command applied (`ok`).
  void WriteOrder(MemberState& member, const std::string& order_id,
                  Expected* ok);
  // Adds `delta` to the member's qualifying `month`, keeping the newest
  // months.
  void AddQualifying(MemberState& member, int64_t month, int64_t delta);
  // The upgrade an EARN may bring: the TIER entry when the window at now
  // supports a higher tier than the member's.
  // Returns the tier it was at before the upgrade, or -1 for none.
  int MaybeUpgrade(MemberState& member);
  // Coupons issued by program rules (rule_coupons_model.cc). Each issues
  // right after the entry just appended, counting like IssueCoupon, and
  // adds the coupon-count keys it writes to `count_keys`; a coupon whose
  // budget or limit is reached is skipped. The earn's bonuses reached with
  // `paid_minor` (what was paid) in `currency`:
  int IssueSpendBonusCoupons(
      MemberState& member, const v1::RequestContext& context,
      const std::string& currency, int64_t paid_minor,
      std::set<std::pair<std::string, std::string>>* count_keys);
  // The coupon of tier `to` after an upgrade from `from` (none when the
  // tier names none or `to` <= `from`); `channel` overrides the context's
  // when set (a merge's entries are the admin channel's).
  int IssueTierCoupon(
      MemberState& member, const v1::RequestContext& context,
      v1::Channel channel, int from, int to,
      std::set<std::pair<std::string, std::string>>* count_keys);
  bool IssueRuleCoupon(
      MemberState& member, const v1::RequestContext& context,
      v1::Channel channel, const std::string& template_id,
      v1::RuleKind rule_kind, const std::string& rule_id,
      std::set<std::pair<std::string, std::string>>* count_keys);
  std::deque<std::string> rule_coupon_codes_;
  int64_t rule_coupon_codes_missing_ = 0;
  // Records the member's schedule key after a write.
  void Reschedule(MemberState& member, std::vector<ScheduleMove>* moves);

  std::vector<EarnRateRule> rates_;
  CampaignRule campaign_;
  std::vector<EventRule> events_;
  TierProgram tiers_;
  int64_t now_ms_ = 0;
  v1::OfflineShortfallPolicy offline_policy_ =
      v1::OFFLINE_SHORTFALL_POLICY_DEBT;
  int64_t campaign_points_total_ = 0;  // Granted to everyone so far.
  std::map<std::string, MemberState> members_;
  std::vector<std::string> order_;
  std::map<IdentifierKey, std::string> identifiers_;
  std::vector<IdentifierKey> unlinked_;
  std::vector<std::string> aliases_;
  std::vector<std::string> closed_;
  // What merges moved: pending lots and holds (by sequence), orders (by
  // their member now and id), to count them when they are met again.
  std::set<uint64_t> merged_pending_sequences_;
  std::set<uint64_t> merged_hold_sequences_;
  std::set<std::pair<std::string, std::string>> merged_orders_;
  // Sequences of the entries that opened lots by transfer and by import.
  std::set<uint64_t> transfer_in_sequences_;
  std::set<uint64_t> opening_sequences_;
  Counts counts_;
  std::map<std::pair<std::string, std::string>, Remembered> requests_;
  std::vector<std::pair<uint64_t, std::string>> holds_made_;
  // Every COUPON_RESERVE ever (sequence -> member), open or not.
  std::vector<std::pair<uint64_t, std::string>> coupon_reservations_made_;
  std::set<uint64_t> merged_coupon_reservations_;
  std::map<std::string, CouponState> coupons_;
  // The coupons the command being decided rewrites or creates (its own and
  // those its member's timed-out reservations release): one put each.
  std::set<std::string> coupons_written_;
  std::map<std::string, VoucherState> vouchers_;
  std::map<std::string, VoucherGiftState> voucher_gifts_;
  // The voucher and gift records the command being applied wrote.
  std::map<std::string, bool> voucher_puts_;
  std::map<std::string, bool> gift_puts_;
  std::map<std::pair<std::string, std::string>, int64_t> coupon_counts_;
  std::map<std::string, int64_t> coupon_discount_given_;
  std::map<std::string, BatchState> batches_;
  std::map<std::pair<std::string, std::string>, int64_t> bearer_uses_;
  std::map<std::pair<std::string, std::string>, RewardCountState>
      reward_counts_;
  uint64_t last_sequence_ = 0;
  uint64_t memberless_entries_ = 0;
  size_t order_records_total_ = 0;
  size_t scheduled_ = 0;
  // The command being applied, and the entries written for it so far.
  const Command* command_ = nullptr;
  std::vector<ExpectedEntry> written_;
  std::vector<std::string> written_members_;
};

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_MODEL_H_
