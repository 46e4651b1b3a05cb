// File: tests/model/model.h
//
// The reference model of the ledger for the model-based test: a small,
// obviously-correct in-memory statement of what every command must do,
// written from the contract (proto/loyalty/v1, DESIGN.md) and not from
// ledger/. It includes no ledger/ header and calls no ledger code; the
// harness (harness.h) compares the real Ledger against it after every step.
//
// What it keeps:
//   members       id, identifiers, available, earned/redeemed/adjusted totals,
//                 entry count, last sequence, and the orders that earned;
//   identifiers   (kind, value) -> owning member;
//   requests      (principal, request id) -> the request's content and its
//                 first outcome (OK or a business rejection);
//   sequence      the last ledger sequence (one entry per applied command).
//
// Rules it states (promises 3, 5, 6, 7):
//   * A malformed request is INVALID_ARGUMENT, changes nothing and is never
//     remembered. The generator marks malformed requests by construction;
//     the model itself knows the earn rule's own INVALID_ARGUMENT cases
//     (currency not in the program, basket total or points overflowing int64).
//   * A request id seen before under the same principal: the same content
//     gets the first outcome again (replayed), different content is
//     ALREADY_EXISTS (REQUEST_ID_REUSED) and is not remembered again.
//   * Otherwise the command's rules decide; an OK or a business rejection
//     (NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS) is remembered.
//   * Earn: floor(sum of quantity x unit price / step) x points per step,
//     totals summed first.
//   * No balance below zero; no balance or lifetime total above INT64_MAX
//     (FAILED_PRECONDITION BALANCE_OVERFLOW, never a wrap or a crash).
//
// Adding a command: add its request type to `Request` (the variant index is
// the Kind), and an `ApplyRules` overload in model.cc. The compiler then
// points at every other place that needs a case (generator.cc, harness.cc).
#ifndef LOYALTY_TESTS_MODEL_MODEL_H_
#define LOYALTY_TESTS_MODEL_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::model {

// Wide enough for any sum or product of two int64 values, so the model
// checks overflow by plain comparison. (__extension__: -Wpedantic.)
__extension__ typedef __int128 Int128;

// One alternative per command kind; the index is the kind.
using Request =
    std::variant<v1::EnrollMemberRequest, v1::EarnRequest, v1::RedeemRequest,
                 v1::AdjustRequest, v1::RecordEventRequest>;
inline constexpr int kKindCount = std::variant_size_v<Request>;

// "enroll", "earn", "redeem", "adjust".
const char* KindName(const Request& request);
const v1::RequestContext& ContextOf(const Request& request);
v1::RequestContext* MutableContextOf(Request* request);
// The member the command is about ("" for an enroll that lets the server
// choose).
const std::string& MemberIdOf(const Request& request);
// The kind and the request's deterministic bytes: two requests are "the same
// content" exactly when these are equal.
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
// saving time since 1979), so a day is plain arithmetic here.
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

// A member's balance (Balance in common.proto).
struct Totals {
  int64_t available = 0;
  int64_t earned_total = 0;
  int64_t redeemed_total = 0;  // Positive.
  int64_t adjusted_total = 0;  // Net; may be negative.
  uint64_t entry_count = 0;
  uint64_t last_sequence = 0;  // Of the member's newest entry.
};

struct MemberState {
  std::string member_id;
  std::vector<std::pair<v1::IdentifierKind, std::string>> identifiers;
  Totals totals;
  std::set<std::string> orders;  // Order ids that earned points.
  int64_t campaign_points = 0;    // Granted by the campaign so far.
  // Per event: how many ever, and per local day.
  std::map<std::string, int64_t> event_count;
  std::map<std::pair<std::string, int64_t>, int64_t> event_count_by_day;
};

// What a command did to the store.
enum class Effect {
  kNothing,     // Malformed, request id reused, or replayed: no byte changes.
  kRemembered,  // A business rejection: only its request record is written.
  kApplied,     // One entry appended, with its request record.
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
  Totals totals;
  int64_t spend_minor = 0;
  // Keys the command adds to the identifier and order indexes (0 unless
  // kApplied).
  int identifiers_added = 0;
  int orders_added = 0;
};

class Model {
 public:
  Model(std::vector<EarnRateRule> rates, CampaignRule campaign,
        std::vector<EventRule> events = {});

  // The ledger clock's time, which decides event windows (without
  // occurred_at) and event days. The harness sets it before each command.
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }
  const std::vector<EventRule>& events() const { return events_; }

  // Applies `command` and returns what the ledger must answer.
  // `assigned_member_id` is the id the ledger chose for an enroll without
  // one (the model cannot guess a random id); ignored otherwise.
  Expected Apply(const Command& command, const std::string& assigned_member_id);

  // The earn rule: the basket total and the points, or nullopt when the
  // request is INVALID_ARGUMENT (unknown currency, int64 overflow).
  // `points` includes the campaign's full bonus (`campaign_points`) when the
  // campaign applies: its cap and budget lower what is granted, not what
  // must fit in int64.
  struct EarnPoints {
    int64_t spend_minor = 0;
    int64_t points = 0;
    int64_t campaign_points = 0;
  };
  std::optional<EarnPoints> ComputeEarn(const v1::EarnRequest& request) const;
  // What Earn would grant `member` for `request` now: ComputeEarn with the
  // campaign's bonus lowered to what its cap and budget leave.
  int64_t GrantedPoints(const MemberState& member, const EarnPoints& earn) const;

  const MemberState* FindMember(const std::string& member_id) const;
  // Members in enrollment order (stable under a seed even though the ledger
  // picks random ids).
  const std::vector<std::string>& member_order() const { return order_; }
  bool IdentifierTaken(v1::IdentifierKind kind, const std::string& value) const;
  bool RequestRemembered(const std::string& principal,
                         const std::string& request_id) const;
  uint64_t last_sequence() const { return last_sequence_; }
  size_t requests_remembered() const { return requests_.size(); }
  size_t identifier_count() const { return identifiers_.size(); }
  size_t order_count() const { return orders_total_; }
  const std::vector<EarnRateRule>& rates() const { return rates_; }

 private:
  struct Remembered {
    std::string content;
    Expected outcome;  // As first answered (replayed = false).
  };

  Expected ApplyRules(const v1::EnrollMemberRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::EarnRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::RedeemRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::AdjustRequest& request,
                      const std::string& assigned_member_id);
  Expected ApplyRules(const v1::RecordEventRequest& request,
                      const std::string& assigned_member_id);
  const EventRule* FindEvent(const std::string& event_id) const;

  // Appends one entry of `delta` for `member` and fills the OK verdict.
  Expected Append(MemberState& member, int64_t delta);

  std::vector<EarnRateRule> rates_;
  CampaignRule campaign_;
  std::vector<EventRule> events_;
  int64_t now_ms_ = 0;
  int64_t campaign_points_total_ = 0;  // Granted to everyone so far.
  std::map<std::string, MemberState> members_;
  std::vector<std::string> order_;
  std::map<std::pair<int, std::string>, std::string> identifiers_;
  std::map<std::pair<std::string, std::string>, Remembered> requests_;
  uint64_t last_sequence_ = 0;
  size_t orders_total_ = 0;
};

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_MODEL_H_
