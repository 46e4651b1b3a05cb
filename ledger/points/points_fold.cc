#include "ledger/points/points_fold.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/fold_support.h"
#include "ledger/points/lots.h"
#include "ledger/points/tiers.h"

namespace loyalty {
namespace fold {
namespace {

using loyalty::storage::v1::Hold;
using loyalty::storage::v1::Lot;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

// Counts an EVENT entry in the member's per-event counts (sorted by id).
void CountEvent(const LedgerEntry& entry, MemberRecord* m) {
  bool inserted = false;
  loyalty::storage::v1::EventCount* at = FindOrInsertSorted(
      m->mutable_event_counts(), entry.event_id(),
      [](const loyalty::storage::v1::EventCount& item) -> const std::string& {
        return item.event_id();
      },
      [](loyalty::storage::v1::EventCount* item, const std::string& id) {
        item->set_event_id(id);
      },
      &inserted);
  if (inserted) at->set_last_day(std::numeric_limits<int64_t>::min());
  at->set_count(at->count() + 1);
  // A day before the last one (the clock stepped back) counts as the last.
  if (entry.event_day() > at->last_day()) {
    at->set_last_day(entry.event_day());
    at->set_count_on_last_day(1);
  } else {
    at->set_count_on_last_day(at->count_on_last_day() + 1);
  }
}

absl::Status FoldEarn(const LedgerEntry& entry, MemberRecord* m) {
  const int64_t delta = entry.points_delta();
  if (delta < 0) return Broken(entry, "an EARN has a negative delta");
  int64_t earned = m->earned_points_total();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &earned));
  m->set_earned_points_total(earned);
  if (entry.bucket() != loyalty::v1::BUCKET_PENDING) {
    return GrantAvailable(entry, m);
  }
  if (entry.matures_at_ms() <= 0) {
    return Broken(entry, "a pending EARN has no maturity time");
  }
  int64_t pending = m->pending_points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &pending));
  m->set_pending_points(pending);
  if (delta > 0) {
    Lot* lot = m->add_pending_lots();  // Sequences only grow: stays sorted.
    lot->set_sequence(entry.sequence());
    lot->set_points(delta);
    lot->set_expires_at_ms(entry.lot_expires_at_ms());
    lot->set_matures_at_ms(entry.matures_at_ms());
  }
  return absl::OkStatus();
}

absl::Status FoldMature(const LedgerEntry& entry, MemberRecord* m) {
  LotList* pending = m->mutable_pending_lots();
  for (int i = 0; i < pending->size(); ++i) {
    const Lot& lot = pending->Get(i);
    if (lot.sequence() != entry.lot_sequence()) continue;
    if (lot.points() != entry.points_delta()) {
      return Broken(entry, "MATURE moves another amount than its lot holds");
    }
    if (entry.lot_expires_at_ms() != lot.expires_at_ms()) {
      return Broken(entry, "MATURE names another expiry than its lot's");
    }
    m->set_pending_points(m->pending_points() - lot.points());
    int64_t available = m->available_points();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, lot.points(), &available));
    m->set_available_points(available);
    Credit(m, lot.sequence(), lot.points(), lot.expires_at_ms());
    pending->DeleteSubrange(i, 1);
    return absl::OkStatus();
  }
  return Broken(entry, "MATURE of a lot that is not pending");
}

absl::Status FoldExpire(const LedgerEntry& entry, MemberRecord* m) {
  LotList* lots = m->mutable_lots();
  for (int i = 0; i < lots->size(); ++i) {
    const Lot& lot = lots->Get(i);
    if (lot.expires_at_ms() != entry.lot_expires_at_ms()) continue;
    if (entry.lot_expires_at_ms() == 0 || lot.points() != -entry.points_delta()) {
      return Broken(entry, "EXPIRE takes another amount than its lot holds");
    }
    m->set_available_points(m->available_points() - lot.points());
    // A lifetime figure for people, not a balance: earned and adjusted
    // points are each bounded by INT64_MAX, but what expires over years of
    // both is not, so it stops at INT64_MAX instead of failing the entry.
    int64_t expired = 0;
    if (__builtin_add_overflow(m->expired_points_total(), lot.points(),
                               &expired)) {
      expired = std::numeric_limits<int64_t>::max();
    }
    m->set_expired_points_total(expired);
    lots->DeleteSubrange(i, 1);
    return absl::OkStatus();
  }
  return Broken(entry, "EXPIRE of a lot the member does not have");
}

absl::Status FoldHold(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.hold_id().empty() || FindHold(*m, entry.hold_id()) >= 0) {
    return Broken(entry, "HOLD without a new hold id");
  }
  Hold hold;
  hold.set_hold_id(entry.hold_id());
  hold.set_sequence(entry.sequence());
  hold.set_points(-entry.points_delta());
  hold.set_expires_at_ms(entry.hold_expires_at_ms());
  hold.set_order_id(entry.order_id());
  LEDGER_RETURN_IF_ERROR(
      Spend(entry, -entry.points_delta(), m, hold.mutable_taken()));
  int64_t held = m->held_points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, hold.points(), &held));
  m->set_held_points(held);
  *m->add_holds() = std::move(hold);
  return absl::OkStatus();
}

// CAPTURE and RELEASE close an open hold.
absl::Status FoldHoldClose(const LedgerEntry& entry, MemberRecord* m) {
  int index = FindHold(*m, entry.hold_id());
  if (index < 0) return Broken(entry, "closes a hold that is not open");
  const Hold& hold = m->holds(index);
  const bool capture = entry.kind() == loyalty::v1::ENTRY_KIND_CAPTURE;
  if ((capture ? -entry.points_delta() : entry.points_delta()) !=
      hold.points()) {
    return Broken(entry, "closes a hold for another amount");
  }
  m->set_held_points(m->held_points() - hold.points());
  if (capture) {
    int64_t redeemed = m->redeemed_points_total();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, hold.points(), &redeemed));
    m->set_redeemed_points_total(redeemed);
  } else {
    int64_t available = m->available_points();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, hold.points(), &available));
    m->set_available_points(available);
    // Points go back with the expiry they had.
    for (const Lot& piece : hold.taken()) {
      Credit(m, piece.sequence(), piece.points(), piece.expires_at_ms());
    }
  }
  m->mutable_holds()->DeleteSubrange(index, 1);
  return absl::OkStatus();
}

// Takes back points of a returned order: pending_reversed_points from the
// order's pending lot, -points_delta from the available lots, any part
// the lots lack becoming debt. Net lifetime earned goes down by both.
absl::Status FoldReturn(const LedgerEntry& entry, MemberRecord* m) {
  const int64_t from_pending = entry.pending_reversed_points();
  const int64_t from_available = -entry.points_delta();
  if (from_pending < 0 || from_available < 0 || entry.forgiven_points() < 0) {
    return Broken(entry, "a RETURN takes a negative amount");
  }
  if (from_pending > 0) {
    LotList* pending = m->mutable_pending_lots();
    int index = -1;
    for (int i = 0; i < pending->size(); ++i) {
      if (pending->Get(i).sequence() == entry.lot_sequence()) index = i;
    }
    if (index < 0 || pending->Get(index).points() < from_pending) {
      return Broken(entry, "takes more than the order's pending lot holds");
    }
    Lot* lot = pending->Mutable(index);
    lot->set_points(lot->points() - from_pending);
    if (lot->points() == 0) pending->DeleteSubrange(index, 1);
    m->set_pending_points(m->pending_points() - from_pending);
  }
  if (from_available > 0) {
    const int64_t in_lots = SumOf(m->lots());
    const int64_t from_lots = std::min(from_available, in_lots);
    TakeFromLots(m, from_lots, nullptr);
    int64_t debt = m->debt_points();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, from_available - from_lots, &debt));
    m->set_debt_points(debt);
    m->set_available_points(m->available_points() - from_available);
  }
  const int64_t earned = m->earned_points_total() - from_pending - from_available;
  if (earned < 0) return Broken(entry, "takes back more than was earned");
  m->set_earned_points_total(earned);
  return absl::OkStatus();
}

}  // namespace

absl::Status FoldPointsEntry(const LedgerEntry& entry, MemberRecord* m) {
  const int64_t delta = entry.points_delta();
  const loyalty::v1::Bucket bucket = entry.bucket();
  auto expect_bucket = [&](loyalty::v1::Bucket expected) {
    return bucket == expected
               ? absl::OkStatus()
               : Broken(entry, "the entry moves the wrong bucket");
  };
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EVENT: {
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "an EVENT has no positive delta");
      if (entry.event_id().empty()) return Broken(entry, "an EVENT has no id");
      CountEvent(entry, m);
      int64_t earned = m->earned_points_total();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &earned));
      m->set_earned_points_total(earned);
      return GrantAvailable(entry, m);
    }
    case loyalty::v1::ENTRY_KIND_EARN:
      if (bucket != loyalty::v1::BUCKET_PENDING) {
        LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      }
      return FoldEarn(entry, m);
    case loyalty::v1::ENTRY_KIND_REDEEM:
    case loyalty::v1::ENTRY_KIND_REWARD_REDEEM: {  // Points for a reward.
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta >= 0) return Broken(entry, "a REDEEM must have a negative delta");
      int64_t redeemed = m->redeemed_points_total();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, -delta, &redeemed));
      m->set_redeemed_points_total(redeemed);
      return Spend(entry, -delta, m, nullptr);
    }
    case loyalty::v1::ENTRY_KIND_ADJUST: {
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta == 0) return Broken(entry, "an ADJUST has a zero delta");
      int64_t adjusted = m->adjusted_points_total();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &adjusted));
      m->set_adjusted_points_total(adjusted);
      return delta > 0 ? GrantAvailable(entry, m)
                       : Spend(entry, -delta, m, nullptr);
    }
    case loyalty::v1::ENTRY_KIND_MATURE:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "a MATURE has no positive delta");
      return FoldMature(entry, m);
    case loyalty::v1::ENTRY_KIND_EXPIRE:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta >= 0) return Broken(entry, "an EXPIRE has no negative delta");
      return FoldExpire(entry, m);
    case loyalty::v1::ENTRY_KIND_HOLD:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta >= 0) return Broken(entry, "a HOLD has no negative delta");
      return FoldHold(entry, m);
    case loyalty::v1::ENTRY_KIND_CAPTURE:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_HELD));
      return FoldHoldClose(entry, m);
    case loyalty::v1::ENTRY_KIND_RELEASE:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      return FoldHoldClose(entry, m);
    case loyalty::v1::ENTRY_KIND_RETURN:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta > 0) return Broken(entry, "a RETURN has a positive delta");
      return FoldReturn(entry, m);
    case loyalty::v1::ENTRY_KIND_OPENING:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "an OPENING has no positive delta");
      LEDGER_RETURN_IF_ERROR(AddToTotal(entry, delta,
                                        &MemberRecord::opening_points_total,
                                        &MemberRecord::set_opening_points_total,
                                        m));
      return GrantAvailable(entry, m);
    case loyalty::v1::ENTRY_KIND_RESTORE:
    case loyalty::v1::ENTRY_KIND_REWARD_CANCEL: {  // A reward's points back.
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "a RESTORE has no positive delta");
      const int64_t redeemed = m->redeemed_points_total() - delta;
      if (redeemed < 0) return Broken(entry, "restores more than was redeemed");
      m->set_redeemed_points_total(redeemed);
      return GrantAvailable(entry, m);
    }
    default:
      return Broken(entry, "unknown entry kind");
  }
}

absl::Status FoldTier(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.points_delta() != 0) return Broken(entry, "a TIER moves points");
  if (entry.tier_from() != m->tier_id()) {
    return Broken(entry, "a TIER entry starts from another tier");
  }
  // Since when it happened: an evaluation written late by a sweep (or seen
  // through a read's projection, before it is written) still dates the move
  // at its due time.
  if (entry.tier_to() != entry.tier_from()) {
    m->set_tier_since_ms(entry.occurred_at_ms());
  }
  m->set_tier_id(entry.tier_to());
  m->set_tier_evaluation_ms(entry.tier_evaluation_ms());
  return absl::OkStatus();
}

// Adds an EARN's (or a RETURN's negative) qualifying amount to its month,
// keeping the newest kQualifyingMonthsKept months.
absl::Status AddQualifying(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.qualifying_delta() == 0) return absl::OkStatus();
  if (entry.kind() != loyalty::v1::ENTRY_KIND_EARN &&
      entry.kind() != loyalty::v1::ENTRY_KIND_RETURN) {
    return Broken(entry, "only EARN and RETURN change qualifying amounts");
  }
  auto* months = m->mutable_qualifying_months();
  auto at = std::lower_bound(
      months->begin(), months->end(), entry.qualifying_month(),
      [](const loyalty::storage::v1::QualifyingMonth& bucket, int64_t month) {
        return bucket.month() < month;
      });
  int index = static_cast<int>(at - months->begin());
  if (at == months->end() || at->month() != entry.qualifying_month()) {
    loyalty::storage::v1::QualifyingMonth* added = months->Add();
    added->set_month(entry.qualifying_month());
    for (int i = months->size() - 1; i > index; --i) {
      months->SwapElements(i, i - 1);
    }
  }
  loyalty::storage::v1::QualifyingMonth* bucket = months->Mutable(index);
  int64_t amount = bucket->amount();
  if (__builtin_add_overflow(amount, entry.qualifying_delta(), &amount) ||
      amount < 0) {
    return Broken(entry, "a month's qualifying amount leaves 0..INT64_MAX");
  }
  bucket->set_amount(amount);
  const int64_t oldest_kept =
      months->Get(months->size() - 1).month() - (kQualifyingMonthsKept - 1);
  int dropped = 0;
  while (dropped < months->size() && months->Get(dropped).month() < oldest_kept) {
    ++dropped;
  }
  months->DeleteSubrange(0, dropped);
  return absl::OkStatus();
}

}  // namespace fold

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using fold::Broken;
using fold::FindOrInsertSorted;

int64_t EventDay(int64_t recorded_at_ms, absl::TimeZone time_zone) {
  absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixMillis(recorded_at_ms), time_zone);
  return day - absl::CivilDay(1970, 1, 1);
}

loyalty::storage::v1::EventCount EventCountOf(const MemberRecord& member,
                                     absl::string_view event_id) {
  for (const loyalty::storage::v1::EventCount& count : member.event_counts()) {
    if (count.event_id() == event_id) return count;
  }
  loyalty::storage::v1::EventCount none;
  none.set_event_id(std::string(event_id));
  none.set_last_day(std::numeric_limits<int64_t>::min());
  return none;
}

int64_t PointsOfRule(const RulePointsList& list, absl::string_view rule_id) {
  auto found = std::lower_bound(
      list.begin(), list.end(), rule_id,
      [](const loyalty::storage::v1::RulePoints& item, absl::string_view id) {
        return item.rule_id() < id;
      });
  return found != list.end() && found->rule_id() == rule_id ? found->points()
                                                            : 0;
}

absl::Status AddCampaignLines(const LedgerEntry& entry, RulePointsList* list,
                              Accumulate accumulate) {
  if (entry.kind() != loyalty::v1::ENTRY_KIND_EARN) return absl::OkStatus();
  for (const loyalty::v1::EarnBreakdownLine& line : entry.breakdown()) {
    if (line.kind() != loyalty::v1::RULE_KIND_CAMPAIGN) continue;
    if (line.points() < 0) return Broken(entry, "a campaign line is negative");
    bool inserted = false;
    loyalty::storage::v1::RulePoints* at = FindOrInsertSorted(
        list, line.rule_id(),
        [](const loyalty::storage::v1::RulePoints& item) -> const std::string& {
          return item.rule_id();
        },
        [](loyalty::storage::v1::RulePoints* item, const std::string& id) {
          item->set_rule_id(id);
        },
        &inserted);
    int64_t sum = 0;
    if (__builtin_add_overflow(at->points(), line.points(), &sum)) {
      if (accumulate == Accumulate::kChecked) {
        return Broken(entry, "a campaign total overflows int64");
      }
      sum = std::numeric_limits<int64_t>::max();
    }
    at->set_points(sum);
  }
  return absl::OkStatus();
}

}  // namespace loyalty
