#include "ledger/points/lots.h"

#include <algorithm>
#include <limits>

#include "ledger/common/status_util.h"
#include "ledger/engine/fold_support.h"

namespace loyalty::fold {

using loyalty::storage::v1::Hold;
using loyalty::storage::v1::Lot;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

uint64_t ExpiryOrder(int64_t expires_at_ms) {
  return expires_at_ms == 0 ? std::numeric_limits<uint64_t>::max()
                            : static_cast<uint64_t>(expires_at_ms);
}

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

void Credit(MemberRecord* m, uint64_t sequence, int64_t points,
            int64_t expires_at_ms) {
  const int64_t repaid = std::min(points, m->debt_points());
  m->set_debt_points(m->debt_points() - repaid);
  if (points > repaid) {
    AddToLot(m, sequence, points - repaid, expires_at_ms);
  }
}

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

absl::Status AddToTotal(const LedgerEntry& entry, int64_t delta,
                        int64_t (MemberRecord::*get)() const,
                        void (MemberRecord::*set)(int64_t), MemberRecord* m) {
  int64_t total = (m->*get)();
  LEDGER_RETURN_IF_ERROR(AddTo(entry, delta, &total));
  (m->*set)(total);
  return absl::OkStatus();
}

}  // namespace loyalty::fold
