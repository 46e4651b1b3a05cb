#include "ledger/points/tiers.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/points/time_driven.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::TierRules;

__extension__ typedef __int128 Int128;

LedgerEntry TierEntry(const MemberRecord& member, const TierRules& rules,
                      int to_index, int64_t qualifying, int64_t when_ms,
                      absl::TimeZone time_zone) {
  LedgerEntry entry;
  entry.set_member_id(member.member_id());
  entry.set_kind(loyalty::v1::ENTRY_KIND_TIER);
  entry.set_principal(std::string(kSystemPrincipal));
  entry.set_occurred_at_ms(when_ms);
  entry.set_tier_from(member.tier_id());
  entry.set_tier_to(rules.tiers(to_index).tier_id());
  entry.set_qualifying_amount(qualifying);
  // The lowest tier is never evaluated: there is nothing below it.
  entry.set_tier_evaluation_ms(
      to_index == 0 ? 0
                    : AddCalendarMs(when_ms, rules.window_months(),
                                    rules.grace_days(), time_zone));
  return entry;
}

}  // namespace

int64_t MonthIndex(int64_t time_ms, absl::TimeZone time_zone) {
  return absl::CivilMonth(
             absl::ToCivilSecond(absl::FromUnixMillis(time_ms), time_zone)) -
         absl::CivilMonth(1970, 1);
}

int64_t AddCalendarMs(int64_t time_ms, int months, int days,
                      absl::TimeZone time_zone) {
  absl::CivilSecond civil =
      absl::ToCivilSecond(absl::FromUnixMillis(time_ms), time_zone);
  absl::CivilSecond moved(civil.year(), civil.month() + months,
                          civil.day() + days, civil.hour(), civil.minute(),
                          civil.second());
  return absl::ToUnixMillis(absl::FromCivil(moved, time_zone)) +
         time_ms % 1000;
}

bool HasTiers(const loyalty::v1::ProgramConfig& program) {
  return program.tier_rules().tiers_size() > 0;
}

int64_t QualifyingInWindow(const MemberRecord& member, const TierRules& rules,
                           int64_t month) {
  int64_t sum = 0;
  for (const loyalty::storage::v1::QualifyingMonth& bucket :
       member.qualifying_months()) {
    if (bucket.month() > month - rules.window_months() && bucket.month() <= month) {
      // Each bucket is at most a month of checked earns: the sum of 36
      // fits in int64 unless earns overflowed, which they cannot.
      sum = __builtin_add_overflow(sum, bucket.amount(), &sum)
                ? std::numeric_limits<int64_t>::max()
                : sum;
    }
  }
  return sum;
}

int64_t QualifyingOfMonth(const MemberRecord& member, int64_t month) {
  for (const loyalty::storage::v1::QualifyingMonth& bucket :
       member.qualifying_months()) {
    if (bucket.month() == month) return bucket.amount();
  }
  return 0;
}

int SupportedTier(const TierRules& rules, int64_t qualifying) {
  int supported = 0;
  for (int i = 0; i < rules.tiers_size(); ++i) {
    if (qualifying >= rules.tiers(i).threshold()) supported = i;
  }
  return supported;
}

int TierIndex(const TierRules& rules, const std::string& tier_id) {
  for (int i = 0; i < rules.tiers_size(); ++i) {
    if (rules.tiers(i).tier_id() == tier_id) return i;
  }
  return 0;
}

int64_t QualifyingAmountOf(const TierRules& rules, const EarnComputation& earn,
                           const std::string& currency) {
  if (rules.tiers_size() == 0) return 0;
  if (rules.basis() == loyalty::v1::TIER_BASIS_SPEND) {
    return currency == rules.spend_currency() ? earn.eligible_spend_minor : 0;
  }
  return earn.points;
}

void AddTierMultiplier(const loyalty::v1::ProgramConfig& program,
                       const std::string& tier_id, EarnComputation* earn) {
  if (!HasTiers(program) || earn->breakdown.empty()) return;
  const loyalty::v1::Tier& tier =
      program.tier_rules().tiers(TierIndex(program.tier_rules(), tier_id));
  if (tier.multiplier_percent() <= 100) return;
  const loyalty::v1::EarnBreakdownLine& base = earn->breakdown.front();
  // Invariant: ComputeEarn puts the base line first.
  LEDGER_CHECK(base.kind() == loyalty::v1::RULE_KIND_BASE);
  const Int128 extra =
      Int128{base.points()} * (tier.multiplier_percent() - 100) / 100;
  if (extra == 0) return;
  // A base line is at most INT64_MAX and the multiplier at most 10x: the
  // extra fits in 128 bits; past int64 the earn is refused by its balance
  // check, as any earn that large.
  int64_t extra_points = 0;
  int64_t total = 0;
  if (extra > std::numeric_limits<int64_t>::max() ||
      __builtin_add_overflow(earn->points, static_cast<int64_t>(extra),
                             &total)) {
    extra_points = std::numeric_limits<int64_t>::max() - earn->points;
  } else {
    extra_points = static_cast<int64_t>(extra);
  }
  if (extra_points == 0) return;
  loyalty::v1::EarnBreakdownLine line;
  line.set_kind(loyalty::v1::RULE_KIND_TIER);
  line.set_rule_id(tier.tier_id());
  line.set_description(absl::StrCat(
      tier.display_name().empty() ? tier.tier_id() : tier.display_name(),
      " tier: ", tier.multiplier_percent(), "% of base"));
  line.set_points(extra_points);
  earn->points += extra_points;
  earn->breakdown.push_back(std::move(line));
}

std::optional<LedgerEntry> UpgradeEntry(
    const MemberRecord& member, const loyalty::v1::ProgramConfig& program,
    absl::TimeZone time_zone, int64_t now_ms) {
  if (!HasTiers(program)) return std::nullopt;
  const TierRules& rules = program.tier_rules();
  const int64_t qualifying =
      QualifyingInWindow(member, rules, MonthIndex(now_ms, time_zone));
  const int supported = SupportedTier(rules, qualifying);
  if (supported <= TierIndex(rules, member.tier_id()) &&
      !member.tier_id().empty()) {
    return std::nullopt;
  }
  return TierEntry(member, rules, supported, qualifying, now_ms, time_zone);
}

std::optional<LedgerEntry> MergedTierEntry(
    const MemberRecord& target, const std::string& source_tier_id,
    int64_t source_evaluation_ms, const loyalty::v1::ProgramConfig& program,
    absl::TimeZone time_zone, int64_t now_ms) {
  if (!HasTiers(program)) return std::nullopt;
  const TierRules& rules = program.tier_rules();
  const int source_index = TierIndex(rules, source_tier_id);
  if (source_index <= TierIndex(rules, target.tier_id())) return std::nullopt;
  LedgerEntry entry = TierEntry(
      target, rules, source_index,
      QualifyingInWindow(target, rules, MonthIndex(now_ms, time_zone)), now_ms,
      time_zone);
  entry.set_tier_evaluation_ms(source_evaluation_ms);
  return entry;
}

LedgerEntry EvaluationEntry(const MemberRecord& member,
                            const loyalty::v1::ProgramConfig& program,
                            absl::TimeZone time_zone, int64_t due_ms) {
  const TierRules& rules = program.tier_rules();
  if (!HasTiers(program)) {
    // The program dropped its tiers: the member leaves its tier, and
    // nothing is evaluated again.
    LedgerEntry entry;
    entry.set_member_id(member.member_id());
    entry.set_kind(loyalty::v1::ENTRY_KIND_TIER);
    entry.set_principal(std::string(kSystemPrincipal));
    entry.set_occurred_at_ms(due_ms);
    entry.set_tier_from(member.tier_id());
    return entry;
  }
  // Decided on the window as of when it fell due, so a late sweep decides
  // as a timely one would have.
  const int64_t qualifying =
      QualifyingInWindow(member, rules, MonthIndex(due_ms, time_zone));
  const int current = TierIndex(rules, member.tier_id());
  const int supported = SupportedTier(rules, qualifying);
  return TierEntry(member, rules, std::min(current, supported), qualifying,
                   due_ms, time_zone);
}

loyalty::v1::TierStatus TierStatusOf(const MemberRecord& member,
                                     const loyalty::v1::ProgramConfig& program,
                                     absl::TimeZone time_zone,
                                     int64_t now_ms) {
  loyalty::v1::TierStatus status;
  if (!HasTiers(program)) return status;
  const TierRules& rules = program.tier_rules();
  const int current = TierIndex(rules, member.tier_id());
  const int64_t qualifying =
      QualifyingInWindow(member, rules, MonthIndex(now_ms, time_zone));
  status.set_tier_id(rules.tiers(current).tier_id());
  status.set_display_name(rules.tiers(current).display_name());
  status.set_since_ms(member.tier_since_ms());
  status.set_qualifying_amount(qualifying);
  if (current + 1 < rules.tiers_size()) {
    const loyalty::v1::Tier& next = rules.tiers(current + 1);
    status.set_next_tier_id(next.tier_id());
    status.set_to_next_tier(std::max<int64_t>(0, next.threshold() - qualifying));
  }
  status.set_evaluation_ms(member.tier_evaluation_ms());
  status.set_supported_tier_id(
      rules.tiers(SupportedTier(rules, qualifying)).tier_id());
  return status;
}

}  // namespace loyalty
