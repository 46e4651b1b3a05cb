// File: ledger/points/points_fold.h
//
// The points domain's part of the fold (engine/fold.h): how each points
// entry (EARN, REDEEM, ADJUST, EVENT, MATURE, EXPIRE, HOLD, CAPTURE,
// RELEASE, RETURN, RESTORE, OPENING, TIER) changes a member's state, and
// the counts campaign caps and events keep. Writer and VerifyLedger alike.
#ifndef LOYALTY_LEDGER_POINTS_POINTS_FOLD_H_
#define LOYALTY_LEDGER_POINTS_POINTS_FOLD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

namespace fold {

// Applies a points entry (any kind but the members domain's and TIER).
// Broken for a kind it does not know.
absl::Status FoldPointsEntry(const loyalty::v1::LedgerEntry& entry,
                             loyalty::storage::v1::MemberRecord* m);
// A TIER entry: the member's tier, since when, next evaluation.
absl::Status FoldTier(const loyalty::v1::LedgerEntry& entry,
                      loyalty::storage::v1::MemberRecord* m);
// Adds an EARN's (or a RETURN's negative) qualifying amount to its month,
// keeping the newest kQualifyingMonthsKept months.
absl::Status AddQualifying(const loyalty::v1::LedgerEntry& entry,
                           loyalty::storage::v1::MemberRecord* m);

}  // namespace fold

using RulePointsList =
    google::protobuf::RepeatedPtrField<loyalty::storage::v1::RulePoints>;

// Points granted under `rule_id` in a list sorted by rule_id; 0 if absent.
int64_t PointsOfRule(const RulePointsList& list, absl::string_view rule_id);

// How AddCampaignLines treats a total past INT64_MAX: a member's totals
// cannot get there (they are part of its lifetime earned total, which is
// checked), so for them it is an error; the ledger-wide totals sum over
// every member and stop at INT64_MAX, far past any budget (at most 10^15).
enum class Accumulate { kChecked, kSaturating };

// Adds the campaign lines of an EARN `entry` to `list` (kept sorted by
// rule_id): the counts behind campaign caps (per member) and budgets (the
// ledger head). Internal on a negative line, or on overflow when kChecked;
// other entries add nothing.
absl::Status AddCampaignLines(const loyalty::v1::LedgerEntry& entry,
                              RulePointsList* list, Accumulate accumulate);

// The day an engagement event counts against: days since 1970-01-01 in
// `time_zone`, at `recorded_at_ms`.
int64_t EventDay(int64_t recorded_at_ms, absl::TimeZone time_zone);

// The member's count for `event_id` (all zero when it never happened).
loyalty::storage::v1::EventCount EventCountOf(
    const loyalty::storage::v1::MemberRecord& member,
    absl::string_view event_id);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_POINTS_FOLD_H_
