#include "ledger/members/members_fold.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/engine/fold_support.h"
#include "ledger/offline/offline_fold.h"
#include "ledger/points/lots.h"
#include "ledger/points/points_fold.h"
#include "ledger/points/tiers.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty::fold {
namespace {

using loyalty::storage::v1::Hold;
using loyalty::storage::v1::Lot;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

// The sender's side of a transfer: the lots it takes, soonest expiry first,
// must be exactly the ones the entry names (the receiver gets those).
absl::Status FoldTransferOut(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.counterparty_member_id().empty() ||
      entry.counterparty_member_id() == entry.member_id()) {
    return Broken(entry, "a TRANSFER_OUT without another member");
  }
  const int64_t points = -entry.points_delta();
  LotList taken;
  LEDGER_RETURN_IF_ERROR(Spend(entry, points, m, &taken));
  if (taken.size() != entry.transferred_lots_size()) {
    return Broken(entry, "a TRANSFER_OUT names other lots than it takes");
  }
  for (int i = 0; i < taken.size(); ++i) {
    if (taken.Get(i).points() != entry.transferred_lots(i).points() ||
        taken.Get(i).expires_at_ms() !=
            entry.transferred_lots(i).expires_at_ms()) {
      return Broken(entry, "a TRANSFER_OUT names other lots than it takes");
    }
  }
  LEDGER_RETURN_IF_ERROR(AddToTotal(entry, points,
                                    &MemberRecord::transferred_out_points_total,
                                    &MemberRecord::set_transferred_out_points_total,
                                    m));
  // A day before the latest one (the clock stepped back) counts as the
  // latest, as event days do.
  if (entry.transfer_day() > m->transfer_day()) {
    m->set_transfer_day(entry.transfer_day());
    m->set_transferred_out_on_day(points);
    return absl::OkStatus();
  }
  return AddToTotal(entry, points, &MemberRecord::transferred_out_on_day,
                    &MemberRecord::set_transferred_out_on_day, m);
}

// The receiver's side: each lot arrives with its expiry, paying off debt
// first like any grant.
absl::Status FoldTransferIn(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.counterparty_member_id().empty() ||
      entry.counterparty_member_id() == entry.member_id()) {
    return Broken(entry, "a TRANSFER_IN without another member");
  }
  int64_t sum = 0;
  for (const auto& lot : entry.transferred_lots()) {
    if (lot.points() <= 0 || __builtin_add_overflow(sum, lot.points(), &sum)) {
      return Broken(entry, "a TRANSFER_IN lot is empty or overflows");
    }
  }
  if (sum != entry.points_delta()) {
    return Broken(entry, "a TRANSFER_IN's lots do not add up to its points");
  }
  int64_t available = m->available_points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, sum, &available));
  m->set_available_points(available);
  for (const auto& lot : entry.transferred_lots()) {
    Credit(m, entry.sequence(), lot.points(), lot.expires_at_ms());
  }
  return AddToTotal(entry, sum, &MemberRecord::transferred_in_points_total,
                    &MemberRecord::set_transferred_in_points_total, m);
}

// LINK and UNLINK: the member's identifiers gain or lose the entry's one.
absl::Status FoldIdentifierEntry(const LedgerEntry& entry, MemberRecord* m) {
  if (entry.points_delta() != 0 || entry.identifiers_size() != 1) {
    return Broken(entry, "a LINK or UNLINK names one identifier, no points");
  }
  const loyalty::v1::MemberIdentifier& identifier = entry.identifiers(0);
  auto* identifiers = m->mutable_identifiers();
  int index = -1;
  for (int i = 0; i < identifiers->size(); ++i) {
    if (identifiers->Get(i).kind() == identifier.kind() &&
        identifiers->Get(i).value() == identifier.value()) {
      index = i;
    }
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_LINK) {
    if (index >= 0) return Broken(entry, "LINK of an identifier already linked");
    if (identifiers->size() >= kIdentifiersPerMemberMax) {
      return Broken(entry, "LINK past the most identifiers a member may have");
    }
    *identifiers->Add() = identifier;
    return absl::OkStatus();
  }
  if (index < 0) return Broken(entry, "UNLINK of an identifier not linked");
  identifiers->DeleteSubrange(index, 1);
  return absl::OkStatus();
}

// CLOSE: what is left is forfeited (or a debt written off), identifiers go
// when erased, and nothing is scheduled any more.
absl::Status FoldClose(const LedgerEntry& entry, MemberRecord* m) {
  if (m->status() != loyalty::v1::MEMBER_STATUS_ACTIVE) {
    return Broken(entry, "CLOSE of a member that is not active");
  }
  if (m->pending_points() != 0 || m->holds_size() != 0 ||
      m->coupon_reservations_size() != 0) {
    return Broken(entry,
                  "CLOSE with pending points, open holds or coupon "
                  "reservations");
  }
  if (m->voucher_dues_size() != 0) {
    return Broken(entry, "CLOSE with voucher units or gifts outstanding");
  }
  if (entry.points_delta() != -m->available_points()) {
    return Broken(entry, "CLOSE leaves available points behind");
  }
  if (entry.points_delta() < 0) {
    LEDGER_RETURN_IF_ERROR(AddToTotal(entry, -entry.points_delta(),
                                      &MemberRecord::forfeited_points_total,
                                      &MemberRecord::set_forfeited_points_total,
                                      m));
  }
  if (entry.personal_data_erased()) {
    if (entry.identifiers_size() != m->identifiers_size()) {
      return Broken(entry, "an erasing CLOSE leaves identifiers behind");
    }
    for (int i = 0; i < m->identifiers_size(); ++i) {
      if (entry.identifiers(i).kind() != m->identifiers(i).kind() ||
          entry.identifiers(i).value() != m->identifiers(i).value()) {
        return Broken(entry, "an erasing CLOSE names other identifiers");
      }
    }
    m->clear_identifiers();
  } else if (entry.identifiers_size() != 0) {
    return Broken(entry, "a CLOSE names identifiers without erasing");
  }
  m->set_available_points(0);
  m->set_debt_points(0);
  m->clear_lots();
  m->set_tier_evaluation_ms(0);
  m->set_status(loyalty::v1::MEMBER_STATUS_CLOSED);
  return absl::OkStatus();
}

// MERGE_OUT: the source gives everything it owns to the target and becomes
// its alias. Lifetime totals stay, as the history of this id; the state
// that moved (buckets, lots, holds, counts, identifiers) is cleared so
// nothing is counted twice.
absl::Status FoldMergeOut(const LedgerEntry& entry, MemberRecord* m) {
  if (m->status() != loyalty::v1::MEMBER_STATUS_ACTIVE ||
      entry.counterparty_member_id().empty() ||
      entry.counterparty_member_id() == entry.member_id()) {
    return Broken(entry, "a MERGE_OUT of an inactive member or into itself");
  }
  if (entry.points_delta() != -m->available_points() ||
      entry.merged_pending_points() != m->pending_points() ||
      entry.merged_held_points() != m->held_points()) {
    return Broken(entry, "a MERGE_OUT leaves points behind");
  }
  m->set_available_points(0);
  m->set_debt_points(0);
  m->clear_lots();
  m->set_pending_points(0);
  m->clear_pending_lots();
  m->set_held_points(0);
  m->clear_holds();
  m->clear_coupon_reservations();
  m->clear_identifiers();
  m->clear_qualifying_months();
  m->clear_campaign_points();
  m->clear_event_counts();
  m->clear_merged_member_ids();
  m->clear_voucher_dues();
  m->set_transfer_day(0);
  m->set_transferred_out_on_day(0);
  m->clear_offline_redeem_days();
  m->set_tier_evaluation_ms(0);
  m->set_status(loyalty::v1::MEMBER_STATUS_MERGED);
  m->set_merged_into_member_id(entry.counterparty_member_id());
  return absl::OkStatus();
}

// Sums the source's per-month qualifying amounts into the member's, keeping
// the newest kQualifyingMonthsKept months.
absl::Status MergeQualifyingMonths(const LedgerEntry& entry,
                                   const MemberRecord& source,
                                   MemberRecord* m) {
  absl::btree_map<int64_t, int64_t> months;
  for (const auto* list : {&m->qualifying_months(), &source.qualifying_months()}) {
    for (const loyalty::storage::v1::QualifyingMonth& month : *list) {
      int64_t& amount = months[month.month()];
      LEDGER_RETURN_IF_ERROR(AddTo(entry, month.amount(), &amount));
    }
  }
  m->clear_qualifying_months();
  if (months.empty()) return absl::OkStatus();
  const int64_t oldest_kept = months.rbegin()->first - (kQualifyingMonthsKept - 1);
  for (const auto& [month, amount] : months) {
    if (month < oldest_kept) continue;
    loyalty::storage::v1::QualifyingMonth* kept = m->add_qualifying_months();
    kept->set_month(month);
    kept->set_amount(amount);
  }
  return absl::OkStatus();
}

// Adds the source's campaign points and event counts to the member's: caps
// and limits count what the person earned under either id.
absl::Status MergeCounts(const LedgerEntry& entry, const MemberRecord& source,
                         MemberRecord* m) {
  for (const loyalty::storage::v1::RulePoints& rule : source.campaign_points()) {
    bool inserted = false;
    loyalty::storage::v1::RulePoints* at = FindOrInsertSorted(
        m->mutable_campaign_points(), rule.rule_id(),
        [](const loyalty::storage::v1::RulePoints& item) -> const std::string& {
          return item.rule_id();
        },
        [](loyalty::storage::v1::RulePoints* item, const std::string& id) {
          item->set_rule_id(id);
        },
        &inserted);
    int64_t points = at->points();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, rule.points(), &points));
    at->set_points(points);
  }
  for (const loyalty::storage::v1::EventCount& event : source.event_counts()) {
    bool inserted = false;
    loyalty::storage::v1::EventCount* at = FindOrInsertSorted(
        m->mutable_event_counts(), event.event_id(),
        [](const loyalty::storage::v1::EventCount& item) -> const std::string& {
          return item.event_id();
        },
        [](loyalty::storage::v1::EventCount* item, const std::string& id) {
          item->set_event_id(id);
        },
        &inserted);
    int64_t count = at->count();
    LEDGER_RETURN_IF_ERROR(AddTo(entry, event.count(), &count));
    at->set_count(count);
    // Today's count is the sum when both counted on the same latest day.
    if (inserted || event.last_day() > at->last_day()) {
      at->set_last_day(event.last_day());
      at->set_count_on_last_day(event.count_on_last_day());
    } else if (event.last_day() == at->last_day()) {
      at->set_count_on_last_day(at->count_on_last_day() +
                                event.count_on_last_day());
    }
  }
  if (source.transfer_day() > m->transfer_day()) {
    m->set_transfer_day(source.transfer_day());
    m->set_transferred_out_on_day(source.transferred_out_on_day());
  } else if (source.transfer_day() == m->transfer_day()) {
    LEDGER_RETURN_IF_ERROR(AddToTotal(
        entry, source.transferred_out_on_day(),
        &MemberRecord::transferred_out_on_day,
        &MemberRecord::set_transferred_out_on_day, m));
  }
  // Offline redemptions per sale day, summed, the newest days kept: the
  // day's allowance counts what the person redeemed offline under either id.
  absl::btree_map<int64_t, int64_t> offline_days;
  for (const auto* list :
       {&m->offline_redeem_days(), &source.offline_redeem_days()}) {
    for (const loyalty::storage::v1::OfflineRedeemDay& day : *list) {
      LEDGER_RETURN_IF_ERROR(
          AddTo(entry, day.points(), &offline_days[day.day()]));
    }
  }
  m->clear_offline_redeem_days();
  int skipped = static_cast<int>(offline_days.size()) -
                fold::kOfflineRedeemDaysKept;
  for (const auto& [day, points] : offline_days) {
    if (skipped-- > 0) continue;
    loyalty::storage::v1::OfflineRedeemDay* kept =
        m->add_offline_redeem_days();
    kept->set_day(day);
    kept->set_points(points);
  }
  return absl::OkStatus();
}

absl::Status MergeTotals(const LedgerEntry& entry, const MemberRecord& source,
                         MemberRecord* m) {
  using Getter = int64_t (MemberRecord::*)() const;
  using Setter = void (MemberRecord::*)(int64_t);
  static constexpr std::pair<Getter, Setter> kTotals[] = {
      {&MemberRecord::earned_points_total,
       &MemberRecord::set_earned_points_total},
      {&MemberRecord::redeemed_points_total,
       &MemberRecord::set_redeemed_points_total},
      {&MemberRecord::adjusted_points_total,
       &MemberRecord::set_adjusted_points_total},
      {&MemberRecord::opening_points_total,
       &MemberRecord::set_opening_points_total},
      {&MemberRecord::transferred_out_points_total,
       &MemberRecord::set_transferred_out_points_total},
      {&MemberRecord::transferred_in_points_total,
       &MemberRecord::set_transferred_in_points_total},
  };
  for (const auto& [get, set] : kTotals) {
    LEDGER_RETURN_IF_ERROR(AddToTotal(entry, (source.*get)(), get, set, m));
  }
  // A lifetime figure that stops at INT64_MAX (see FoldExpire).
  int64_t expired = 0;
  if (__builtin_add_overflow(m->expired_points_total(),
                             source.expired_points_total(), &expired)) {
    expired = std::numeric_limits<int64_t>::max();
  }
  m->set_expired_points_total(expired);
  return absl::OkStatus();
}

// MERGE_IN: the target receives the source's state as the entry carries it.
// Available lots keep their expiry (paying the target's debt first), a
// source's debt takes from the target's lots, pending lots keep their
// maturity and EARN sequence (their orders move too), holds keep their ids.
absl::Status FoldMergeIn(const LedgerEntry& entry,
                         const loyalty::storage::v1::EntryStorageFields& storage,
                         MemberRecord* m) {
  MemberRecord source;
  if (!source.ParseFromString(storage.merged_member_record())) {
    return Broken(entry, "a MERGE_IN's member record cannot be decoded");
  }
  if (source.member_id() != entry.counterparty_member_id() ||
      source.member_id() == entry.member_id() ||
      source.status() != loyalty::v1::MEMBER_STATUS_ACTIVE) {
    return Broken(entry, "a MERGE_IN from another or an inactive member");
  }
  if (entry.points_delta() != source.available_points() ||
      entry.merged_pending_points() != source.pending_points() ||
      entry.merged_held_points() != source.held_points()) {
    return Broken(entry, "a MERGE_IN's points differ from its member record");
  }
  if (entry.identifiers_size() != source.identifiers_size() ||
      m->identifiers_size() + source.identifiers_size() >
          kIdentifiersPerMemberMax) {
    return Broken(entry, "a MERGE_IN's identifiers differ or are too many");
  }
  int64_t available = m->available_points();
  int64_t pending = m->pending_points();
  int64_t held = m->held_points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, source.available_points(), &available));
  LEDGER_RETURN_IF_ERROR(AddTo(entry, source.pending_points(), &pending));
  LEDGER_RETURN_IF_ERROR(AddTo(entry, source.held_points(), &held));
  int64_t lots_before = SumOf(m->lots());
  int64_t lots_incoming = SumOf(source.lots());
  if (lots_before < 0 || lots_incoming < 0 ||
      __builtin_add_overflow(lots_before, lots_incoming, &lots_before)) {
    return Broken(entry, "merged lots overflow int64");
  }
  m->set_available_points(available);
  m->set_pending_points(pending);
  m->set_held_points(held);
  for (const Lot& lot : source.lots()) {
    Credit(m, lot.sequence(), lot.points(), lot.expires_at_ms());
  }
  if (source.debt_points() > 0) {
    const int64_t repaid = std::min(source.debt_points(), SumOf(m->lots()));
    TakeFromLots(m, repaid, nullptr);
    m->set_debt_points(m->debt_points() + source.debt_points() - repaid);
  }
  for (const Lot& lot : source.pending_lots()) *m->add_pending_lots() = lot;
  std::sort(m->mutable_pending_lots()->begin(),
            m->mutable_pending_lots()->end(),
            [](const Lot& a, const Lot& b) { return a.sequence() < b.sequence(); });
  for (const Hold& hold : source.holds()) {
    if (FindHold(*m, hold.hold_id()) >= 0) {
      return Broken(entry, "a MERGE_IN brings a hold id the member has");
    }
    *m->add_holds() = hold;
  }
  std::sort(m->mutable_holds()->begin(), m->mutable_holds()->end(),
            [](const Hold& a, const Hold& b) { return a.sequence() < b.sequence(); });
  // Coupon reservations keep their ids too (they are entry sequences, so
  // two members never share one).
  for (const loyalty::storage::v1::CouponReservation& reservation :
       source.coupon_reservations()) {
    *m->add_coupon_reservations() = reservation;
  }
  std::sort(m->mutable_coupon_reservations()->begin(),
            m->mutable_coupon_reservations()->end(),
            [](const auto& a, const auto& b) { return a.sequence() < b.sequence(); });
  LEDGER_RETURN_IF_ERROR(MergeTotals(entry, source, m));
  LEDGER_RETURN_IF_ERROR(MergeQualifyingMonths(entry, source, m));
  LEDGER_RETURN_IF_ERROR(MergeCounts(entry, source, m));
  LEDGER_RETURN_IF_ERROR(MergeVoucherDues(entry, source.voucher_dues(), m));
  for (const loyalty::v1::MemberIdentifier& identifier : entry.identifiers()) {
    *m->add_identifiers() = identifier;
  }
  m->add_merged_member_ids(source.member_id());
  for (const std::string& alias : source.merged_member_ids()) {
    m->add_merged_member_ids(alias);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsMemberEntry(loyalty::v1::EntryKind kind) {
  switch (kind) {
    case loyalty::v1::ENTRY_KIND_LINK:
    case loyalty::v1::ENTRY_KIND_UNLINK:
    case loyalty::v1::ENTRY_KIND_CLOSE:
    case loyalty::v1::ENTRY_KIND_MERGE_OUT:
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
    case loyalty::v1::ENTRY_KIND_TRANSFER_OUT:
    case loyalty::v1::ENTRY_KIND_TRANSFER_IN:
      return true;
    default:
      return false;
  }
}

absl::Status FoldEnroll(const LedgerEntry& entry, MemberRecord* m) {
  if (!m->member_id().empty()) {
    return Broken(entry, "ENROLL of a member that already exists");
  }
  if (entry.points_delta() != 0) {
    return Broken(entry, "ENROLL carries points");
  }
  m->set_member_id(entry.member_id());
  m->set_status(loyalty::v1::MEMBER_STATUS_ACTIVE);
  m->set_enrolled_at_ms(entry.recorded_at_ms());
  *m->mutable_identifiers() = entry.identifiers();
  m->set_tier_id(entry.tier_to());
  if (!entry.tier_to().empty()) m->set_tier_since_ms(entry.recorded_at_ms());
  return absl::OkStatus();
}

absl::Status FoldMemberEntry(const LedgerEntry& entry,
                             const loyalty::storage::v1::EntryStorageFields& storage,
                             MemberRecord* m) {
  const int64_t delta = entry.points_delta();
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_LINK:
    case loyalty::v1::ENTRY_KIND_UNLINK:
      return FoldIdentifierEntry(entry, m);
    case loyalty::v1::ENTRY_KIND_CLOSE:
      LEDGER_RETURN_IF_ERROR(ExpectBucket(entry, loyalty::v1::BUCKET_AVAILABLE));
      return FoldClose(entry, m);
    case loyalty::v1::ENTRY_KIND_MERGE_OUT:
      LEDGER_RETURN_IF_ERROR(ExpectBucket(entry, loyalty::v1::BUCKET_AVAILABLE));
      return FoldMergeOut(entry, m);
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
      LEDGER_RETURN_IF_ERROR(ExpectBucket(entry, loyalty::v1::BUCKET_AVAILABLE));
      return FoldMergeIn(entry, storage, m);
    case loyalty::v1::ENTRY_KIND_TRANSFER_OUT:
      LEDGER_RETURN_IF_ERROR(ExpectBucket(entry, loyalty::v1::BUCKET_AVAILABLE));
      if (delta >= 0) return Broken(entry, "a TRANSFER_OUT has no negative delta");
      return FoldTransferOut(entry, m);
    case loyalty::v1::ENTRY_KIND_TRANSFER_IN:
      LEDGER_RETURN_IF_ERROR(ExpectBucket(entry, loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "a TRANSFER_IN has no positive delta");
      return FoldTransferIn(entry, m);
    default:
      return Broken(entry, "not an entry of the members domain");
  }
}

}  // namespace loyalty::fold
