// File: ledger/vouchers/transfer_voucher_units.h
//
// TransferVoucherUnits: units of a member's voucher given to another
// member (a friend, family), both sides in one batch.
#ifndef LOYALTY_LEDGER_VOUCHERS_TRANSFER_VOUCHER_UNITS_H_
#define LOYALTY_LEDGER_VOUCHERS_TRANSFER_VOUCHER_UNITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a VOUCHER_TRANSFER_OUT on the giver (units leave the voucher) and
// a VOUCHER_TRANSFER_IN on the receiver, who gets a new voucher (a fresh
// code) of the same product and expiry holding those units. A received
// voucher carries no price (it is not the receiver's purchase). Refusals in
// this order: the giver's own (member_id: MEMBER_NOT_FOUND, MEMBER_CLOSED),
// the receiver's (to_member_id: the same, and MEMBER_MERGED when both ids
// are one member), then VOUCHER_NOT_FOUND, VOUCHER_EXPIRED,
// VOUCHER_UNITS_TOO_FEW as RedeemVoucherUnits.
struct TransferVoucherUnitsCommand {
  static constexpr CommandInfo kInfo{.name = "TransferVoucherUnits",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::TransferVoucherUnitsRequest;
  using Response = loyalty::v1::TransferVoucherUnitsResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<TransferVoucherUnitsCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_TRANSFER_VOUCHER_UNITS_H_
