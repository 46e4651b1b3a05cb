// File: ledger/vouchers/redeem_voucher_units.h
//
// RedeemVoucherUnits: units of a member's voucher picked up at any store
// and channel.
#ifndef LOYALTY_LEDGER_VOUCHERS_REDEEM_VOUCHER_UNITS_H_
#define LOYALTY_LEDGER_VOUCHERS_REDEEM_VOUCHER_UNITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a VOUCHER_REDEEM on the presenting member. The single writer
// decides pickups one after another, so of concurrent ones exactly those
// that fit in the units left succeed and the voucher never goes below
// zero. Refusals, each remembered under the request id, in this order: the
// member's own (MEMBER_NOT_FOUND, MEMBER_CLOSED), then NOT_FOUND
// VOUCHER_NOT_FOUND (an unknown code, or another member's voucher: the
// same answer), FAILED_PRECONDITION VOUCHER_EXPIRED, VOUCHER_UNITS_TOO_FEW.
struct RedeemVoucherUnitsCommand {
  static constexpr CommandInfo kInfo{.name = "RedeemVoucherUnits",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::RedeemVoucherUnitsRequest;
  using Response = loyalty::v1::RedeemVoucherUnitsResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form, so every spelling of one
  // code is one request.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RedeemVoucherUnitsCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_REDEEM_VOUCHER_UNITS_H_
