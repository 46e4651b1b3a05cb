// File: ledger/points/tiers.h
//
// Member tiers (program.proto TierRules): the qualifying amount of a
// member's rolling window, the tier it supports, upgrades at once and
// evaluations (keep or move down) when due, and the tier's multiplier as
// a breakdown line of an earn.
//
// Months are calendar months in the program's time zone, counted from
// 1970-01 (MonthIndex). A window of N months at time t is t's month and the
// N - 1 before it. An EARN adds its qualifying amount to its order's month;
// a return takes its share back from the same month.
#ifndef LOYALTY_LEDGER_POINTS_TIERS_H_
#define LOYALTY_LEDGER_POINTS_TIERS_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "ledger/points/earn_rules.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Months a member record keeps: the longest window.
inline constexpr int kQualifyingMonthsKept = 36;

// Calendar months since 1970-01 at `time_ms` in `time_zone`.
int64_t MonthIndex(int64_t time_ms, absl::TimeZone time_zone);

// `time_ms` plus `months` calendar months and `days` days in `time_zone`
// (a day of month past the end of the target month rolls into the next).
int64_t AddCalendarMs(int64_t time_ms, int months, int days,
                      absl::TimeZone time_zone);

bool HasTiers(const loyalty::v1::ProgramConfig& program);

// The member's qualifying amount over the window that contains `month`.
int64_t QualifyingInWindow(const loyalty::storage::v1::MemberRecord& member,
                           const loyalty::v1::TierRules& rules, int64_t month);

// The member's qualifying amount in one month (0 if not kept).
int64_t QualifyingOfMonth(const loyalty::storage::v1::MemberRecord& member,
                          int64_t month);

// The highest tier whose threshold `qualifying` reaches (index into
// rules.tiers; 0 when none but the first).
int SupportedTier(const loyalty::v1::TierRules& rules, int64_t qualifying);

// The index of `tier_id`; 0 for an id the program no longer has.
int TierIndex(const loyalty::v1::TierRules& rules, const std::string& tier_id);

// What an EARN of `earn` (points after campaign limits, tier line not yet
// added) adds to the member's qualifying amount.
int64_t QualifyingAmountOf(const loyalty::v1::TierRules& rules,
                           const EarnComputation& earn,
                           const std::string& currency);

// Adds the multiplier line of the member's tier to `earn`: floor(base x
// (P - 100) / 100), nothing for a multiplier of 100 or less. Capped so the
// earn's points stay within int64 (an earn that large is refused by the
// balance check anyway).
void AddTierMultiplier(const loyalty::v1::ProgramConfig& program,
                       const std::string& tier_id, EarnComputation* earn);

// The TIER entry that moves `member` up to the tier its window supports at
// `now_ms`, if that is higher than its tier.
std::optional<loyalty::v1::LedgerEntry> UpgradeEntry(
    const loyalty::storage::v1::MemberRecord& member,
    const loyalty::v1::ProgramConfig& program, absl::TimeZone time_zone,
    int64_t now_ms);

// The TIER entry that gives a merge's target the source's tier, when that
// is higher than its own: the source earned it, so it keeps the evaluation
// date it had (`source_evaluation_ms`).
std::optional<loyalty::v1::LedgerEntry> MergedTierEntry(
    const loyalty::storage::v1::MemberRecord& target, const std::string& source_tier_id,
    int64_t source_evaluation_ms, const loyalty::v1::ProgramConfig& program,
    absl::TimeZone time_zone, int64_t now_ms);

// The TIER entry of an evaluation due at `due_ms`: keep the tier if the
// window at `due_ms` still supports it, else move down to the one it
// supports. The next evaluation is dated from `due_ms`, so a late sweep
// decides and schedules as a timely one would have.
loyalty::v1::LedgerEntry EvaluationEntry(
    const loyalty::storage::v1::MemberRecord& member,
    const loyalty::v1::ProgramConfig& program, absl::TimeZone time_zone,
    int64_t due_ms);

// GetMember's view of the tier at `now_ms` (member settled up to then).
loyalty::v1::TierStatus TierStatusOf(const loyalty::storage::v1::MemberRecord& member,
                                     const loyalty::v1::ProgramConfig& program,
                                     absl::TimeZone time_zone, int64_t now_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_TIERS_H_
