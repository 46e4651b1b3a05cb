#include "ledger/engine/fold.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/points/tiers.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::storage::v1::MemberRecord;

absl::Status Broken(const LedgerEntry& entry, absl::string_view problem) {
  return absl::InternalError(absl::StrCat("entry ", entry.sequence(), " (",
                                          entry.member_id(), "): ", problem));
}

// The item of `list` (sorted by the id `id_of` returns) whose id is `id`;
// a new one, with that id and every other field zero, is inserted in its
// sorted place when there is none. `*inserted` says which.
template <typename Item, typename IdOf, typename SetId>
Item* FindOrInsertSorted(google::protobuf::RepeatedPtrField<Item>* list,
                         const std::string& id, IdOf id_of, SetId set_id,
                         bool* inserted) {
  auto at = std::lower_bound(
      list->begin(), list->end(), id,
      [&](const Item& item, const std::string& key) { return id_of(item) < key; });
  int index = static_cast<int>(at - list->begin());
  *inserted = at == list->end() || id_of(*at) != id;
  if (*inserted) {
    set_id(list->Add(), id);
    // Move the new item from the end to its sorted place.
    for (int i = list->size() - 1; i > index; --i) list->SwapElements(i, i - 1);
  }
  return list->Mutable(index);
}

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

using loyalty::storage::v1::Hold;
using loyalty::storage::v1::Lot;
using LotList = google::protobuf::RepeatedPtrField<Lot>;

// Sort key of available lots: soonest expiry first, never-expiring last.
uint64_t ExpiryOrder(int64_t expires_at_ms) {
  return expires_at_ms == 0 ? std::numeric_limits<uint64_t>::max()
                            : static_cast<uint64_t>(expires_at_ms);
}

// Adds `points` to the available lot expiring at `expires_at_ms`, creating
// it (named by `sequence`) in its sorted place if there is none.
void AddToLot(MemberRecord* m, uint64_t sequence, int64_t points,
              int64_t expires_at_ms) {
  LotList* lots = m->mutable_lots();
  auto at = std::lower_bound(
      lots->begin(), lots->end(), ExpiryOrder(expires_at_ms),
      [](const Lot& lot, uint64_t key) {
        return ExpiryOrder(lot.expires_at_ms()) < key;
      });
  if (at != lots->end() && at->expires_at_ms() == expires_at_ms) {
    at->set_points(at->points() + points);  // Sums are checked by the caller.
    return;
  }
  int index = static_cast<int>(at - lots->begin());
  Lot* lot = lots->Add();
  lot->set_sequence(sequence);
  lot->set_points(points);
  lot->set_expires_at_ms(expires_at_ms);
  for (int i = lots->size() - 1; i > index; --i) lots->SwapElements(i, i - 1);
}

// Puts `points` into the member's available lots, after paying off any
// debt with them first (a return under ALLOW_NEGATIVE_BALANCE).
void Credit(MemberRecord* m, uint64_t sequence, int64_t points,
            int64_t expires_at_ms) {
  const int64_t repaid = std::min(points, m->debt_points());
  m->set_debt_points(m->debt_points() - repaid);
  if (points > repaid) {
    AddToLot(m, sequence, points - repaid, expires_at_ms);
  }
}

// Takes `points` from the available lots, soonest expiry first; what it
// took from each lot is appended to `taken` when given. The caller checked
// available_points >= points, which the lots add up to.
void TakeFromLots(MemberRecord* m, int64_t points, LotList* taken) {
  LotList* lots = m->mutable_lots();
  int emptied = 0;
  for (Lot& lot : *lots) {
    if (points == 0) break;
    int64_t take = std::min(points, lot.points());
    if (taken != nullptr) {
      Lot* piece = taken->Add();
      piece->set_sequence(lot.sequence());
      piece->set_points(take);
      piece->set_expires_at_ms(lot.expires_at_ms());
    }
    lot.set_points(lot.points() - take);
    points -= take;
    if (lot.points() == 0) ++emptied;
  }
  LEDGER_CHECK(points == 0);
  // Emptied lots are a prefix: the loop only moves on from an empty lot.
  lots->DeleteSubrange(0, emptied);
}

int64_t SumOf(const LotList& lots) {
  int64_t sum = 0;
  for (const Lot& lot : lots) {
    if (__builtin_add_overflow(sum, lot.points(), &sum)) return -1;
  }
  return sum;
}

int FindHold(const MemberRecord& m, absl::string_view hold_id) {
  for (int i = 0; i < m.holds_size(); ++i) {
    if (m.holds(i).hold_id() == hold_id) return i;
  }
  return -1;
}

absl::Status AddTo(const LedgerEntry& entry, int64_t delta, int64_t* total) {
  if (__builtin_add_overflow(*total, delta, total)) {
    return Broken(entry, "a total overflows int64");
  }
  return absl::OkStatus();
}

// A grant of available points (EVENT, positive ADJUST, non-pending EARN).
absl::Status GrantAvailable(const LedgerEntry& entry, MemberRecord* m) {
  int64_t available = m->available_points();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, entry.points_delta(), &available));
  m->set_available_points(available);
  if (entry.points_delta() > 0) {
    Credit(m, entry.sequence(), entry.points_delta(),
           entry.lot_expires_at_ms());
  }
  return absl::OkStatus();
}

absl::Status Spend(const LedgerEntry& entry, int64_t points, MemberRecord* m,
                   LotList* taken) {
  if (points <= 0) return Broken(entry, "spends no points");
  if (m->available_points() < points) {
    return Broken(entry, "spends more than is available");
  }
  m->set_available_points(m->available_points() - points);
  TakeFromLots(m, points, taken);
  return absl::OkStatus();
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

// Adds `delta` to a lifetime total of the member, checked.
absl::Status AddToTotal(const LedgerEntry& entry, int64_t delta,
                        int64_t (MemberRecord::*get)() const,
                        void (MemberRecord::*set)(int64_t), MemberRecord* m) {
  int64_t total = (m->*get)();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &total));
  (m->*set)(total);
  return absl::OkStatus();
}

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
  if (m->pending_points() != 0 || m->holds_size() != 0) {
    return Broken(entry, "CLOSE with pending points or open holds");
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
  m->clear_identifiers();
  m->clear_qualifying_months();
  m->clear_campaign_points();
  m->clear_event_counts();
  m->clear_merged_member_ids();
  m->set_transfer_day(0);
  m->set_transferred_out_on_day(0);
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
absl::Status FoldMergeIn(const LedgerEntry& entry, MemberRecord* m) {
  MemberRecord source;
  if (!source.ParseFromString(entry.merged_member_record())) {
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
  LEDGER_RETURN_IF_ERROR(MergeTotals(entry, source, m));
  LEDGER_RETURN_IF_ERROR(MergeQualifyingMonths(entry, source, m));
  LEDGER_RETURN_IF_ERROR(MergeCounts(entry, source, m));
  for (const loyalty::v1::MemberIdentifier& identifier : entry.identifiers()) {
    *m->add_identifiers() = identifier;
  }
  m->add_merged_member_ids(source.member_id());
  for (const std::string& alias : source.merged_member_ids()) {
    m->add_merged_member_ids(alias);
  }
  return absl::OkStatus();
}

absl::Status FoldPoints(const LedgerEntry& entry, MemberRecord* m) {
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
    case loyalty::v1::ENTRY_KIND_REDEEM: {
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
    case loyalty::v1::ENTRY_KIND_TRANSFER_OUT:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta >= 0) return Broken(entry, "a TRANSFER_OUT has no negative delta");
      return FoldTransferOut(entry, m);
    case loyalty::v1::ENTRY_KIND_TRANSFER_IN:
      LEDGER_RETURN_IF_ERROR(expect_bucket(loyalty::v1::BUCKET_AVAILABLE));
      if (delta <= 0) return Broken(entry, "a TRANSFER_IN has no positive delta");
      return FoldTransferIn(entry, m);
    case loyalty::v1::ENTRY_KIND_RESTORE: {
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

// The bucket totals equal their lots and holds (see records.proto).
absl::Status CheckBuckets(const LedgerEntry& entry, const MemberRecord& m) {
  if (m.debt_points() < 0 || (m.debt_points() > 0 && m.lots_size() > 0)) {
    return Broken(entry, "debt beside available lots");
  }
  if (SumOf(m.lots()) - m.debt_points() != m.available_points()) {
    return Broken(entry, "available points differ from their lots");
  }
  if (SumOf(m.pending_lots()) != m.pending_points()) {
    return Broken(entry, "pending points differ from their lots");
  }
  int64_t held = 0;
  for (const Hold& hold : m.holds()) held += hold.points();
  if (held != m.held_points()) {
    return Broken(entry, "held points differ from the open holds");
  }
  for (const Lot& lot : m.lots()) {
    if (lot.points() <= 0) return Broken(entry, "an empty lot is kept");
  }
  return absl::OkStatus();
}

}  // namespace

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

absl::Status FoldEntryInPlace(const LedgerEntry& entry, MemberRecord* member) {
  // Checks read `*member` before any change; the fold writes through `next`.
  MemberRecord& next = *member;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_ENROLL) {
    if (!member->member_id().empty()) {
      return Broken(entry, "ENROLL of a member that already exists");
    }
    if (entry.points_delta() != 0) {
      return Broken(entry, "ENROLL carries points");
    }
    next.set_member_id(entry.member_id());
    next.set_status(loyalty::v1::MEMBER_STATUS_ACTIVE);
    next.set_enrolled_at_ms(entry.recorded_at_ms());
    *next.mutable_identifiers() = entry.identifiers();
    next.set_tier_id(entry.tier_to());
    if (!entry.tier_to().empty()) next.set_tier_since_ms(entry.recorded_at_ms());
  } else {
    if (member->member_id() != entry.member_id()) {
      return Broken(entry, "entry for a member that was never enrolled");
    }
    if (member->status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
      return Broken(entry, "an entry after the member was closed");
    }
    if (member->status() == loyalty::v1::MEMBER_STATUS_MERGED) {
      return Broken(entry, "an entry after the member was merged");
    }
    absl::Status s;
    switch (entry.kind()) {
      case loyalty::v1::ENTRY_KIND_TIER:
        s = FoldTier(entry, &next);
        break;
      case loyalty::v1::ENTRY_KIND_LINK:
      case loyalty::v1::ENTRY_KIND_UNLINK:
        s = FoldIdentifierEntry(entry, &next);
        break;
      case loyalty::v1::ENTRY_KIND_CLOSE:
        s = entry.bucket() == loyalty::v1::BUCKET_AVAILABLE
                ? FoldClose(entry, &next)
                : Broken(entry, "the entry moves the wrong bucket");
        break;
      case loyalty::v1::ENTRY_KIND_MERGE_OUT:
      case loyalty::v1::ENTRY_KIND_MERGE_IN:
        if (entry.bucket() != loyalty::v1::BUCKET_AVAILABLE) {
          s = Broken(entry, "the entry moves the wrong bucket");
        } else {
          s = entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT
                  ? FoldMergeOut(entry, &next)
                  : FoldMergeIn(entry, &next);
        }
        break;
      default:
        s = FoldPoints(entry, &next);
        break;
    }
    if (!s.ok()) return s;
    s = AddQualifying(entry, &next);
    if (!s.ok()) return s;
    s = AddCampaignLines(entry, next.mutable_campaign_points(),
                         Accumulate::kChecked);
    if (!s.ok()) return s;
  }
  // Invariant: no entry takes a member below zero (promise 5), except a
  // return under ALLOW_NEGATIVE_BALANCE, which is debt.
  if (next.available_points() < -next.debt_points() ||
      next.pending_points() < 0 || next.held_points() < 0) {
    return Broken(entry, "a balance below zero");
  }
  LEDGER_RETURN_IF_ERROR(CheckBuckets(entry, next));
  if (next.available_points() != entry.available_after_points() ||
      next.pending_points() != entry.pending_after_points() ||
      next.held_points() != entry.held_after_points() ||
      next.debt_points() != entry.debt_after_points()) {
    return Broken(
        entry,
        absl::StrCat("the entry says available/pending/held ",
                     entry.available_after_points(), "/",
                     entry.pending_after_points(), "/",
                     entry.held_after_points(), " but replay gives ",
                     next.available_points(), "/", next.pending_points(), "/",
                     next.held_points()));
  }
  next.set_next_due_ms(NextDueMs(next));
  next.set_entry_count(next.entry_count() + 1);
  next.set_last_sequence(entry.sequence());
  return absl::OkStatus();
}

absl::Status FoldEntry(const LedgerEntry& entry, MemberRecord* member) {
  MemberRecord next = *member;
  LEDGER_RETURN_IF_ERROR(FoldEntryInPlace(entry, &next));
  *member = std::move(next);
  return absl::OkStatus();
}

int64_t NextDueMs(const MemberRecord& member) {
  int64_t due = std::numeric_limits<int64_t>::max();
  for (const Hold& hold : member.holds()) due = std::min(due, hold.expires_at_ms());
  for (const Lot& lot : member.pending_lots()) {
    due = std::min(due, lot.matures_at_ms());
  }
  if (member.tier_evaluation_ms() != 0) {
    due = std::min(due, member.tier_evaluation_ms());
  }
  // Lots are sorted by expiry: the first one expires first (0 = never).
  if (member.lots_size() > 0 && member.lots(0).expires_at_ms() != 0) {
    due = std::min(due, member.lots(0).expires_at_ms());
  }
  return due == std::numeric_limits<int64_t>::max() ? 0 : due;
}

google::protobuf::RepeatedPtrField<loyalty::v1::TransferredLot> LotsTakenBy(
    const MemberRecord& member, int64_t points) {
  google::protobuf::RepeatedPtrField<loyalty::v1::TransferredLot> taken;
  // Same order as TakeFromLots: the lots are sorted soonest expiry first.
  for (const Lot& lot : member.lots()) {
    if (points == 0) break;
    const int64_t take = std::min(points, lot.points());
    loyalty::v1::TransferredLot* piece = taken.Add();
    piece->set_points(take);
    piece->set_expires_at_ms(lot.expires_at_ms());
    points -= take;
  }
  LEDGER_CHECK(points == 0);
  return taken;
}

loyalty::v1::Balance BalanceOf(const MemberRecord& member) {
  loyalty::v1::Balance balance;
  balance.set_member_id(member.member_id());
  balance.set_available_points(member.available_points());
  balance.set_earned_points_total(member.earned_points_total());
  balance.set_redeemed_points_total(member.redeemed_points_total());
  balance.set_adjusted_points_total(member.adjusted_points_total());
  balance.set_entry_count(member.entry_count());
  balance.set_last_sequence(member.last_sequence());
  balance.set_pending_points(member.pending_points());
  balance.set_held_points(member.held_points());
  balance.set_expired_points_total(member.expired_points_total());
  balance.set_debt_points(member.debt_points());
  balance.set_opening_points_total(member.opening_points_total());
  balance.set_transferred_out_points_total(
      member.transferred_out_points_total());
  balance.set_transferred_in_points_total(member.transferred_in_points_total());
  balance.set_forfeited_points_total(member.forfeited_points_total());
  for (const Lot& lot : member.lots()) {
    if (lot.expires_at_ms() == 0 ||
        balance.next_expiring_size() >= kNextExpiringShown) {
      break;
    }
    loyalty::v1::ExpiringPoints* expiring = balance.add_next_expiring();
    expiring->set_expires_at_ms(lot.expires_at_ms());
    expiring->set_points(lot.points());
  }
  return balance;
}

loyalty::v1::Balance BalanceOf(const MemberRecord& member, int64_t as_of_ms) {
  loyalty::v1::Balance balance = BalanceOf(member);
  balance.set_as_of_ms(as_of_ms);
  return balance;
}

}  // namespace loyalty
