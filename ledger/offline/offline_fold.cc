#include "ledger/offline/offline_fold.h"

#include <algorithm>

#include "ledger/common/status_util.h"
#include "ledger/engine/fold_support.h"
#include "ledger/points/lots.h"

namespace loyalty::fold {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::OfflineRedeemDay;
using loyalty::v1::LedgerEntry;
using loyalty::v1::OfflineRedemption;

bool IsOfflineRedemptionEntry(const LedgerEntry& entry) {
  return entry.kind() == loyalty::v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED ||
         (entry.kind() == loyalty::v1::ENTRY_KIND_REDEEM &&
          entry.details_case() == LedgerEntry::kOfflineRedemption);
}

absl::Status CheckOfflineEntryShape(const LedgerEntry& entry) {
  if (entry.details_case() != LedgerEntry::kOfflineRedemption) {
    return Broken(entry, "an offline redemption without its details");
  }
  const OfflineRedemption& details = entry.offline_redemption();
  if (details.points() <= 0 || details.debt_points() < 0 ||
      details.written_off_points() < 0 ||
      details.written_off_points() > details.points()) {
    return Broken(entry, "an offline redemption's points do not add up");
  }
  const bool refused =
      entry.kind() == loyalty::v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED;
  switch (details.outcome()) {
    case loyalty::v1::OFFLINE_OUTCOME_APPLIED:
      if (refused || details.debt_points() != 0 ||
          details.written_off_points() != 0 ||
          -entry.points_delta() != details.points()) {
        return Broken(entry, "an applied offline redemption's shape");
      }
      return absl::OkStatus();
    case loyalty::v1::OFFLINE_OUTCOME_DEBT:
      if (refused ||
          -entry.points_delta() !=
              details.points() - details.written_off_points() ||
          details.debt_points() > -entry.points_delta()) {
        return Broken(entry, "an offline redemption into debt's shape");
      }
      return absl::OkStatus();
    case loyalty::v1::OFFLINE_OUTCOME_REFUSED_SHORT:
    case loyalty::v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE:
      if (!refused || entry.points_delta() != 0 || details.debt_points() != 0 ||
          details.written_off_points() != 0) {
        return Broken(entry, "a refused offline redemption's shape");
      }
      return absl::OkStatus();
    default:
      return Broken(entry, "an offline redemption without an outcome");
  }
}

OfflineDayCount OfflineRedeemedOn(const MemberRecord& member, int64_t day) {
  OfflineDayCount count;
  const auto& days = member.offline_redeem_days();
  if (days.size() >= kOfflineRedeemDaysKept && day < days.Get(0).day()) {
    count.known = false;
    return count;
  }
  for (const OfflineRedeemDay& kept : days) {
    if (kept.day() == day) count.points = kept.points();
  }
  return count;
}

namespace {

// Adds `points` to `day`'s count, keeping the newest days.
absl::Status CountOfflineDay(const LedgerEntry& entry, int64_t day,
                             int64_t points, MemberRecord* m) {
  auto* days = m->mutable_offline_redeem_days();
  auto at = std::lower_bound(
      days->begin(), days->end(), day,
      [](const OfflineRedeemDay& kept, int64_t d) { return kept.day() < d; });
  int index = static_cast<int>(at - days->begin());
  if (at == days->end() || at->day() != day) {
    if (days->size() >= kOfflineRedeemDaysKept && index == 0) {
      return Broken(entry, "an offline redemption of a day no longer counted");
    }
    OfflineRedeemDay* added = days->Add();
    added->set_day(day);
    for (int i = days->size() - 1; i > index; --i) days->SwapElements(i, i - 1);
  }
  OfflineRedeemDay* kept = days->Mutable(index);
  int64_t sum = kept->points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, points, &sum));
  kept->set_points(sum);
  if (days->size() > kOfflineRedeemDaysKept) {
    days->DeleteSubrange(0, days->size() - kOfflineRedeemDaysKept);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FoldOfflineRedemption(const LedgerEntry& entry, MemberRecord* m) {
  LEDGER_RETURN_IF_ERROR(CheckOfflineEntryShape(entry));
  if (entry.kind() == loyalty::v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED) {
    return absl::OkStatus();
  }
  if (entry.bucket() != loyalty::v1::BUCKET_AVAILABLE) {
    return Broken(entry, "the entry moves the wrong bucket");
  }
  const OfflineRedemption& details = entry.offline_redemption();
  const int64_t taken = -entry.points_delta();
  if (taken > 0) {
    const int64_t in_lots = SumOf(m->lots());
    const int64_t from_lots = std::min(taken, in_lots);
    if (taken - from_lots != details.debt_points()) {
      return Broken(entry, "an offline redemption's debt differs from replay");
    }
    if (details.outcome() == loyalty::v1::OFFLINE_OUTCOME_APPLIED &&
        m->available_points() < taken) {
      return Broken(entry, "spends more than is available");
    }
    TakeFromLots(m, from_lots, nullptr);
    int64_t debt = m->debt_points();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, taken - from_lots, &debt));
    m->set_debt_points(debt);
    m->set_available_points(m->available_points() - taken);
    int64_t redeemed = m->redeemed_points_total();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, taken, &redeemed));
    m->set_redeemed_points_total(redeemed);
  } else if (details.debt_points() != 0) {
    return Broken(entry, "an offline redemption's debt differs from replay");
  }
  return CountOfflineDay(entry, details.day(), details.points(), m);
}

}  // namespace loyalty::fold
