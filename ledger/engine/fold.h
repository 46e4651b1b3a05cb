// File: ledger/engine/fold.h
//
// A member's state is a fold of its entries (promise 2). FoldEntry is that
// fold's step; the writer uses it to update state after appending an entry,
// and VerifyLedger uses it to re-derive every member from the ledger, so the
// two can only agree. Rules *decide* which entries to write; folds only
// *apply* them, and never fail for a valid ledger.
//
// FoldEntry checks what holds for every entry (the member exists and is
// open, no bucket below zero, buckets equal their lots, the entry's
// *_after_points) and hands the kind to its domain's fold:
// points/points_fold.h, members/members_fold.h.
#ifndef LOYALTY_LEDGER_ENGINE_FOLD_H_
#define LOYALTY_LEDGER_ENGINE_FOLD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ledger/points/points_fold.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Applies `entry` to `member` (an empty record before the member's ENROLL).
// Internal when the entry cannot follow the state: an ENROLL of an existing
// member, any other entry before ENROLL, an overflow, a balance below zero,
// a lot or hold the member does not have, a bucket total that differs from
// its lots, or *_after_points that disagree with the fold. `member` is
// unchanged on error.
// `storage` is what the stored entry carries beyond the contract (a
// MERGE_IN's source record); the two-argument form is for entries without.
absl::Status FoldEntry(const loyalty::v1::LedgerEntry& entry,
                       const loyalty::storage::v1::EntryStorageFields& storage,
                       loyalty::storage::v1::MemberRecord* member);
absl::Status FoldEntry(const loyalty::v1::LedgerEntry& entry,
                       loyalty::storage::v1::MemberRecord* member);

// The same fold without the copy that keeps `member` unchanged on error: on
// error it is left part-way. For callers that abort on any error (the
// writer, whose rules checked every condition before appending; a read's
// projection of what is due), where copying the whole record per entry
// was the writer's largest avoidable cost.
absl::Status FoldEntryInPlace(
    const loyalty::v1::LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& storage,
    loyalty::storage::v1::MemberRecord* member);

// The soonest time something happens to the member by itself: a hold times
// out, a pending lot matures, a lot expires, a voucher's units expire, a
// gift goes back unclaimed. 0 = nothing scheduled.
int64_t NextDueMs(const loyalty::storage::v1::MemberRecord& member);

// What spending `points` of the available points takes from each lot, in
// the order spending takes them (soonest expiry first): the lots a
// TRANSFER_OUT names. The member must have that many in its lots.
google::protobuf::RepeatedPtrField<loyalty::v1::TransferredLot> LotsTakenBy(
    const loyalty::storage::v1::MemberRecord& member, int64_t points);

// The public view of a member's balances, as of its last entry.
loyalty::v1::Balance BalanceOf(const loyalty::storage::v1::MemberRecord& member);
// The same, stamped as of `as_of_ms` (the member must be settled up to it).
loyalty::v1::Balance BalanceOf(const loyalty::storage::v1::MemberRecord& member,
                               int64_t as_of_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_FOLD_H_
