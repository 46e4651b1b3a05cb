// File: clients/loyaltyctl/voucher_view.h
//
// How loyaltyctl shows vouchers to people: a voucher as GetVoucher and the
// voucher commands answer it (`voucher show`, `issue`, `redeem`,
// `transfer`, `claim`, `refund`), and a gift (`voucher gift`, `claim`).
// Money is in minor units, as the contract carries it. --json prints the
// responses themselves.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_VOUCHER_VIEW_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_VOUCHER_VIEW_H_

#include <string>
#include <vector>

#include "clients/loyaltyctl/table.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// "usable", "used up", "expired".
std::string VoucherStateText(loyalty::v1::VoucherState state);

// The voucher as fields: code, product, name, sku, member, units left of
// bought, where the others went (picked up, transferred, gifted, refunded,
// expired: only those above zero), price paid and what refunds paid back (a
// bought voucher), order or source, expiry, refundable and state.
std::vector<Field> VoucherFields(const loyalty::v1::Voucher& voucher);

// The gift as fields: claim code (what the giver passes on), product,
// units, claimable until, state, giver and claimer.
std::vector<Field> VoucherGiftFields(const loyalty::v1::VoucherGift& gift);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_VOUCHER_VIEW_H_
