// File: ledger/vouchers/vouchers_fold.h
//
// The vouchers domain's folds. A voucher entry is a member's entry (in the
// member's statement and chain) that moves no points. It changes:
//   - the voucher's record (family vouchers) and, for the gift kinds, the
//     gift's record (family voucher_gifts): FoldVoucherEntry;
//   - the member's voucher_dues (what falls due by itself: a voucher's
//     expiry, a gift's return), so next_due_ms, the schedule, the sweep and
//     settling see them: FoldVoucherDues, called by FoldEntry.
// The rules and VerifyLedger call the same functions, so they cannot
// disagree.
//
// Each entry names exactly one voucher (VoucherCodeOf): a transfer writes
// two entries, the OUT folded into the giver's voucher and the IN into the
// receiver's new one; a claim writes GIFT_CLAIMED (the giver's voucher)
// and CLAIM (the claimer's new one).
//
// Invariant, checked after every fold (units are conserved, per voucher):
//   units_bought = units_redeemed + units_transferred_out +
//                  units_gifted_claimed + units_gifted_pending +
//                  units_refunded + units_expired + units_left,
//   every term >= 0.
#ifndef LOYALTY_LEDGER_VOUCHERS_VOUCHERS_FOLD_H_
#define LOYALTY_LEDGER_VOUCHERS_VOUCHERS_FOLD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

bool IsVoucherEntry(loyalty::v1::EntryKind kind);
// VOUCHER_GIFT, VOUCHER_GIFT_CLAIMED, VOUCHER_GIFT_RETURN, VOUCHER_CLAIM:
// entries that also change a gift's record.
bool IsVoucherGiftEntry(loyalty::v1::EntryKind kind);

// The code of the voucher a voucher entry changes (canonical).
const std::string& VoucherCodeOf(const loyalty::v1::LedgerEntry& entry);

// What a voucher entry must be: no points moved, and the details of its
// own kind.
absl::Status CheckVoucherEntryShape(const loyalty::v1::LedgerEntry& entry);

// Whether the voucher's units add up (the invariant above).
bool VoucherUnitsConserved(const loyalty::storage::v1::VoucherRecord& voucher);

// The refund due for `units` more units of `voucher` (bought, with a
// price): floor(price * refunded_after / bought) - floor(price *
// refunded_before / bought), so all units' refunds sum to the price.
int64_t RefundMinorFor(const loyalty::storage::v1::VoucherRecord& voucher,
                       int64_t units);

// Applies a voucher entry to its voucher's record (an empty one for an
// ISSUE, TRANSFER_IN or CLAIM, which create it) and, for the gift kinds,
// to the gift's record `gift` (required then; an empty one for a GIFT).
// Refused (Internal): a code created twice, an entry of a voucher or gift
// never created, units taken beyond those left or at or after the expiry,
// a claim of a gift not pending or after its claim code expired, a return
// before it, a refund of a voucher not refundable or of another amount
// than RefundMinorFor, an expiry before the voucher's, a units_left_after
// that is not the fold's, and anything that breaks the invariant. Both
// records are unchanged on error.
absl::Status FoldVoucherEntry(const loyalty::v1::LedgerEntry& entry,
                              loyalty::storage::v1::VoucherRecord* voucher,
                              loyalty::storage::v1::VoucherGiftRecord* gift);

// Applies a voucher entry to its member's voucher_dues (sorted; see
// records.proto): a voucher with units left is due at its expiry, a
// pending gift at its claim code's expiry. Refused (Internal): adding an
// item the member has, or removing one it lacks.
absl::Status FoldVoucherDues(const loyalty::v1::LedgerEntry& entry,
                             loyalty::storage::v1::MemberRecord* member);

// MERGE_IN: the source's voucher_dues join the target's (the source's
// vouchers and gifts are the target's now: their owner resolves to it).
absl::Status MergeVoucherDues(
    const loyalty::v1::LedgerEntry& entry,
    const google::protobuf::RepeatedPtrField<loyalty::storage::v1::VoucherDue>&
        source_dues,
    loyalty::storage::v1::MemberRecord* member);

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_VOUCHERS_VOUCHERS_FOLD_H_
