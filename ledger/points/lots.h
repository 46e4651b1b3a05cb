// File: ledger/points/lots.h
//
// A member's points as lots (records.proto has the invariants): the steps
// every fold that moves points takes, whichever domain its entry belongs to
// (an earn, a transfer, a merge, a close). Internal to the folds.
#ifndef LOYALTY_LEDGER_POINTS_LOTS_H_
#define LOYALTY_LEDGER_POINTS_LOTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

using LotList = google::protobuf::RepeatedPtrField<loyalty::storage::v1::Lot>;

// Sort key of available lots: soonest expiry first, never-expiring last.
uint64_t ExpiryOrder(int64_t expires_at_ms);
// Adds `points` to the available lot expiring at `expires_at_ms`, creating
// it (named by `sequence`) in its sorted place if there is none.
void AddToLot(loyalty::storage::v1::MemberRecord* m, uint64_t sequence,
              int64_t points, int64_t expires_at_ms);
// Puts `points` into the member's available lots, after paying off any
// debt with them first (a return under ALLOW_NEGATIVE_BALANCE).
void Credit(loyalty::storage::v1::MemberRecord* m, uint64_t sequence,
            int64_t points, int64_t expires_at_ms);
// Takes `points` from the available lots, soonest expiry first; what each
// lot gave goes to `taken` when not null.
void TakeFromLots(loyalty::storage::v1::MemberRecord* m, int64_t points,
                  LotList* taken);
int64_t SumOf(const LotList& lots);
// The index of the member's open hold `hold_id`, or -1.
int FindHold(const loyalty::storage::v1::MemberRecord& m,
             absl::string_view hold_id);
// Adds `delta` to `*total`; Broken on overflow or a total below zero.
absl::Status AddTo(const loyalty::v1::LedgerEntry& entry, int64_t delta,
                   int64_t* total);
// The entry's positive delta as a new available lot (after any debt).
absl::Status GrantAvailable(const loyalty::v1::LedgerEntry& entry,
                            loyalty::storage::v1::MemberRecord* m);
// Spends `points` of the available points (soonest expiry first).
absl::Status Spend(const loyalty::v1::LedgerEntry& entry, int64_t points,
                   loyalty::storage::v1::MemberRecord* m, LotList* taken);
// Adds `delta` to the lifetime total that `get`/`set` name.
absl::Status AddToTotal(
    const loyalty::v1::LedgerEntry& entry, int64_t delta,
    int64_t (loyalty::storage::v1::MemberRecord::*get)() const,
    void (loyalty::storage::v1::MemberRecord::*set)(int64_t),
    loyalty::storage::v1::MemberRecord* m);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_POINTS_LOTS_H_
