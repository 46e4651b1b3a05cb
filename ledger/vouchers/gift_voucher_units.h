// File: ledger/vouchers/gift_voucher_units.h
//
// GiftVoucherUnits and ClaimVoucherGift: units of a member's voucher set
// aside under a claim code for a friend, and the friend's claim.
#ifndef LOYALTY_LEDGER_VOUCHERS_GIFT_VOUCHER_UNITS_H_
#define LOYALTY_LEDGER_VOUCHERS_GIFT_VOUCHER_UNITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a VOUCHER_GIFT on the giver: the units leave the voucher's units
// left for its pending gifts, under a fresh claim code (the coupon codes'
// generator and spelling) that lives the product's gift_claim_days, never
// past the voucher's expiry. Unclaimed then, the ledger writes a
// VOUCHER_GIFT_RETURN (vouchers/voucher_time.h) and the units are the
// giver's again. Refusals in this order: the member's own, then
// VOUCHER_NOT_FOUND, VOUCHER_GIFTS_NOT_ALLOWED, VOUCHER_EXPIRED,
// VOUCHER_UNITS_TOO_FEW.
struct GiftVoucherUnitsCommand {
  static constexpr CommandInfo kInfo{.name = "GiftVoucherUnits",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::GiftVoucherUnitsRequest;
  using Response = loyalty::v1::GiftVoucherUnitsResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `code` to its canonical form.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<GiftVoucherUnitsCommand>& command);
};

// Writes a VOUCHER_GIFT_CLAIMED on the giver (the gift's units count as
// claimed in the giver's voucher) and a VOUCHER_CLAIM on the claimer, who
// gets a new voucher (a fresh code) of the gift's units, product and
// expiry: both in one batch. Any member may claim, the giver too (taking
// the gift back). The giver is settled first, so a gift whose claim code
// has expired is returned, not claimed. Refusals in this order: the
// claimer's own (member_id), NOT_FOUND VOUCHER_NOT_FOUND for an unknown
// claim code, FAILED_PRECONDITION VOUCHER_GIFT_NOT_CLAIMABLE once claimed
// or returned.
struct ClaimVoucherGiftCommand {
  static constexpr CommandInfo kInfo{.name = "ClaimVoucherGift",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::ClaimVoucherGiftRequest;
  using Response = loyalty::v1::ClaimVoucherGiftResponse;
  using Prepared = NothingPrepared;

  // Also rewrites `claim_code` to its canonical form.
  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ClaimVoucherGiftCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_GIFT_VOUCHER_UNITS_H_
