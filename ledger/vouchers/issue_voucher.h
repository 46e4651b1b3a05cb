// File: ledger/vouchers/issue_voucher.h
//
// IssueVoucher: a voucher of one of the program's products, bought online.
#ifndef LOYALTY_LEDGER_VOUCHERS_ISSUE_VOUCHER_H_
#define LOYALTY_LEDGER_VOUCHERS_ISSUE_VOUCHER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a VOUCHER_ISSUE with a fresh code drawn by the writer (coupon
// codes' generator and spelling; unused by construction), the product's
// sku, the units and price paid, and the expiry the product gives a
// voucher bought now. Vouchers are sold online: context.channel must be
// CHANNEL_APP or CHANNEL_WEB (admin keys call it on those channels too).
// NOT_FOUND for an unknown product (VOUCHER_PRODUCT_NOT_FOUND) or member;
// MEMBER_CLOSED for a closed one; FAILED_PRECONDITION VOUCHER_EXPIRED for a
// product whose fixed end has passed.
struct IssueVoucherCommand {
  static constexpr CommandInfo kInfo{.name = "IssueVoucher",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::IssueVoucherRequest;
  using Response = loyalty::v1::IssueVoucherResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<IssueVoucherCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_ISSUE_VOUCHER_H_
