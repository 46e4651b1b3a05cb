// File: ledger/vouchers/voucher_rules.h
//
// What the voucher commands share: the refusals they answer with, finding
// a member's voucher through the batch, and whether units can be taken
// from it now. Writer thread (the batch), except the pure checks.
#ifndef LOYALTY_LEDGER_VOUCHERS_VOUCHER_RULES_H_
#define LOYALTY_LEDGER_VOUCHERS_VOUCHER_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/engine/batch.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// NOT_FOUND VOUCHER_NOT_FOUND: one message for every code that is not the
// caller's to use, so it tells nothing about which codes exist.
absl::Status VoucherNotFound();
// FAILED_PRECONDITION with `reason`.
absl::Status VoucherRefused(loyalty::v1::ErrorReason reason,
                            absl::string_view message);

// The voucher with canonical `code` when `member_id` (resolved) owns it:
// its owner, or the member its owner was merged into since. NotFound
// (VOUCHER_NOT_FOUND) otherwise, whether the code is unknown or another
// member's.
absl::StatusOr<loyalty::storage::v1::VoucherRecord*> LoadOwnedVoucher(
    const std::string& code, const std::string& member_id, Batch& batch);

// Whether `units` may be taken from `voucher` at `now_ms`: before its
// expiry (VOUCHER_EXPIRED), and no more than are left
// (VOUCHER_UNITS_TOO_FEW), in that order.
absl::Status CheckUnitsTakeable(
    const loyalty::storage::v1::VoucherRecord& voucher, int64_t units,
    int64_t now_ms);

// Request checks: units 1..kVoucherUnitsMax, naming `field`.
absl::Status ValidateVoucherUnits(int64_t units, absl::string_view field);

// A fresh canonical code no voucher has (drawn again on the rare
// collision), with its empty record loaded in the batch.
absl::StatusOr<std::string> NewVoucherCode(
    Batch& batch, loyalty::storage::v1::VoucherRecord** record);
// The same for a gift's claim code.
absl::StatusOr<std::string> NewClaimCode(
    Batch& batch, loyalty::storage::v1::VoucherGiftRecord** record);

// NOT_FOUND VOUCHER_NOT_FOUND for a claim code: one message for every
// claim code that is not a gift.
absl::Status GiftNotFound();

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_VOUCHER_RULES_H_
