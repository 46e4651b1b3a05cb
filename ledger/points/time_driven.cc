#include "ledger/points/time_driven.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ledger/engine/fold.h"
#include "ledger/common/status_util.h"
#include "ledger/points/tiers.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::storage::v1::MemberRecord;

constexpr int64_t kDayMs = 24ll * 3600 * 1000;

LedgerEntry SystemEntry(const MemberRecord& member, loyalty::v1::EntryKind kind,
                        int64_t due_ms) {
  LedgerEntry entry;
  entry.set_member_id(member.member_id());
  entry.set_kind(kind);
  entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
  entry.set_principal(std::string(kSystemPrincipal));
  entry.set_occurred_at_ms(due_ms);
  return entry;
}

}  // namespace

int64_t LotExpiresAtMs(const loyalty::v1::PointsExpiry& expiry,
                       absl::TimeZone time_zone, int64_t granted_at_ms) {
  const absl::CivilDay granted_day =
      absl::ToCivilDay(absl::FromUnixMillis(granted_at_ms), time_zone);
  absl::CivilDay expires_day;
  switch (expiry.rule_case()) {
    case loyalty::v1::PointsExpiry::kMonthsAfterEarn:
      // The first day of the month after the N-th month after earning.
      expires_day = absl::CivilDay(absl::CivilMonth(granted_day) +
                                   expiry.months_after_earn() + 1);
      break;
    case loyalty::v1::PointsExpiry::kYearsAfterEarnYearEnd:
      expires_day = absl::CivilDay(absl::CivilYear(granted_day) +
                                   expiry.years_after_earn_year_end() + 1);
      break;
    default:
      return 0;
  }
  if (expires_day.year() > 9999) expires_day = absl::CivilDay(9999, 12, 31);
  // Midnight in the program's zone; FromCivil picks the earlier instant when
  // a time change skips or repeats midnight.
  return absl::ToUnixMillis(absl::FromCivil(expires_day, time_zone));
}

int64_t MaturesAtMs(const loyalty::v1::ProgramConfig& program,
                    int64_t order_time_ms) {
  if (program.return_window_days() == 0) return 0;
  // order_time_ms is validated to lie within ~a day of the server clock and
  // the window is at most 365 days: no overflow.
  return order_time_ms + program.return_window_days() * kDayMs;
}

std::optional<LedgerEntry> NextDueEntry(
    const MemberRecord& member, int64_t now_ms,
    const loyalty::v1::ProgramConfig& program, absl::TimeZone time_zone) {
  const loyalty::storage::v1::Hold* release = nullptr;
  for (const loyalty::storage::v1::Hold& hold : member.holds()) {
    if (hold.expires_at_ms() <= now_ms &&
        (release == nullptr || hold.expires_at_ms() < release->expires_at_ms())) {
      release = &hold;
    }
  }
  const loyalty::storage::v1::Lot* mature = nullptr;
  for (const loyalty::storage::v1::Lot& lot : member.pending_lots()) {
    if (lot.matures_at_ms() <= now_ms &&
        (mature == nullptr || lot.matures_at_ms() < mature->matures_at_ms())) {
      mature = &lot;
    }
  }
  // Available lots are sorted by expiry, never-expiring last.
  const loyalty::storage::v1::Lot* expire =
      member.lots_size() > 0 && member.lots(0).expires_at_ms() != 0 &&
              member.lots(0).expires_at_ms() <= now_ms
          ? &member.lots(0)
          : nullptr;

  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const int64_t release_ms = release ? release->expires_at_ms() : kNever;
  const int64_t mature_ms = mature ? mature->matures_at_ms() : kNever;
  const int64_t expire_ms = expire ? expire->expires_at_ms() : kNever;
  const int64_t evaluate_ms = member.tier_evaluation_ms() != 0 &&
                                      member.tier_evaluation_ms() <= now_ms
                                  ? member.tier_evaluation_ms()
                                  : kNever;
  if (release != nullptr && release_ms <= mature_ms &&
      release_ms <= expire_ms && release_ms <= evaluate_ms) {
    LedgerEntry entry =
        SystemEntry(member, loyalty::v1::ENTRY_KIND_RELEASE, release_ms);
    entry.set_points_delta(release->points());
    entry.set_hold_id(release->hold_id());
    entry.set_order_id(release->order_id());
    entry.set_hold_timed_out(true);
    return entry;
  }
  if (mature != nullptr && mature_ms <= expire_ms && mature_ms <= evaluate_ms) {
    LedgerEntry entry =
        SystemEntry(member, loyalty::v1::ENTRY_KIND_MATURE, mature_ms);
    entry.set_points_delta(mature->points());
    entry.set_lot_sequence(mature->sequence());
    entry.set_lot_expires_at_ms(mature->expires_at_ms());
    return entry;
  }
  if (expire != nullptr && expire_ms <= evaluate_ms) {
    LedgerEntry entry =
        SystemEntry(member, loyalty::v1::ENTRY_KIND_EXPIRE, expire_ms);
    entry.set_points_delta(-expire->points());
    entry.set_lot_sequence(expire->sequence());
    entry.set_lot_expires_at_ms(expire->expires_at_ms());
    return entry;
  }
  if (evaluate_ms != kNever) {
    return EvaluationEntry(member, program, time_zone, evaluate_ms);
  }
  return std::nullopt;
}

bool SetPointsAfter(const MemberRecord& member, LedgerEntry* entry) {
  int64_t available = member.available_points();
  int64_t pending = member.pending_points();
  int64_t held = member.held_points();
  int64_t debt = member.debt_points();
  const int64_t delta = entry->points_delta();
  bool overflow = false;
  auto add = [&overflow](int64_t* total, int64_t change) {
    overflow = overflow || __builtin_add_overflow(*total, change, total);
  };
  switch (entry->bucket()) {
    case loyalty::v1::BUCKET_PENDING:
      add(&pending, delta);
      break;
    case loyalty::v1::BUCKET_HELD:
      add(&held, delta);
      break;
    default:
      add(&available, delta);
      break;
  }
  // The other side of a move between buckets.
  switch (entry->kind()) {
    case loyalty::v1::ENTRY_KIND_MATURE:
      add(&pending, -delta);
      break;
    case loyalty::v1::ENTRY_KIND_HOLD:
    case loyalty::v1::ENTRY_KIND_RELEASE:
      add(&held, -delta);
      break;
    case loyalty::v1::ENTRY_KIND_RETURN:
      add(&pending, -entry->pending_reversed_points());
      break;
    case loyalty::v1::ENTRY_KIND_MERGE_OUT:
      add(&pending, -entry->merged_pending_points());
      add(&held, -entry->merged_held_points());
      break;
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
      add(&pending, entry->merged_pending_points());
      add(&held, entry->merged_held_points());
      break;
    default:
      break;
  }
  // Debt: points taken back beyond the available lots (available + debt);
  // points coming into available pay it off first.
  const bool merge = entry->kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT ||
                     entry->kind() == loyalty::v1::ENTRY_KIND_MERGE_IN;
  if (merge) {
    // Lots and debt net out (see MERGE_IN in engine/fold.cc): what is
    // left below zero is debt.
    debt = std::max<int64_t>(0, -available);
  } else if (entry->bucket() == loyalty::v1::BUCKET_AVAILABLE) {
    // A return, and an offline redemption under the DEBT policy, may take
    // more than the lots hold.
    if (entry->kind() == loyalty::v1::ENTRY_KIND_RETURN ||
        (entry->kind() == loyalty::v1::ENTRY_KIND_REDEEM &&
         entry->has_offline_redemption())) {
      const int64_t in_lots = member.available_points() + debt;
      add(&debt, std::max<int64_t>(0, -delta - in_lots));
    } else if (delta > 0) {
      debt -= std::min(delta, debt);
    }
  }
  entry->set_debt_after_points(debt);
  entry->set_available_after_points(available);
  entry->set_pending_after_points(pending);
  entry->set_held_after_points(held);
  return !overflow;
}

MemberRecord ProjectedAt(const MemberRecord& member, int64_t now_ms,
                         const loyalty::v1::ProgramConfig& program,
                         absl::TimeZone time_zone) {
  MemberRecord projected = member;
  while (std::optional<LedgerEntry> due =
             NextDueEntry(projected, now_ms, program, time_zone)) {
    due->set_sequence(projected.last_sequence());
    // Time-driven entries only move points the member has between its
    // buckets or out of them; they cannot overflow.
    LEDGER_CHECK(SetPointsAfter(projected, &*due));
    LEDGER_CHECK(FoldEntryInPlace(
                     *due,
                     loyalty::storage::v1::EntryStorageFields::default_instance(),
                     &projected)
                     .ok());
  }
  projected.set_entry_count(member.entry_count());
  projected.set_last_sequence(member.last_sequence());
  return projected;
}

}  // namespace loyalty
