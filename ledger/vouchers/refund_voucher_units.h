// File: ledger/vouchers/refund_voucher_units.h
//
// RefundVoucherUnits: unused units of a bought voucher returned by its
// buyer for their share of the price paid.
#ifndef LOYALTY_LEDGER_VOUCHERS_REFUND_VOUCHER_UNITS_H_
#define LOYALTY_LEDGER_VOUCHERS_REFUND_VOUCHER_UNITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a VOUCHER_REFUND on the buyer with refund_minor, the units' share
// of the price (fold::RefundMinorFor: after every refund the voucher has
// paid back floor(price * units_refunded / units_bought), so refunding all
// units, in any steps, pays back the price exactly; the odd minor units
// fall on the later refunds). Refusals in this order: the member's own,
// VOUCHER_NOT_FOUND, VOUCHER_NOT_REFUNDABLE (a product without refunds, or
// a voucher received rather than bought), VOUCHER_EXPIRED,
// VOUCHER_UNITS_TOO_FEW.
struct RefundVoucherUnitsCommand {
  static constexpr CommandInfo kInfo{.name = "RefundVoucherUnits",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::RefundVoucherUnitsRequest;
  using Response = loyalty::v1::RefundVoucherUnitsResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<RefundVoucherUnitsCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_REFUND_VOUCHER_UNITS_H_
