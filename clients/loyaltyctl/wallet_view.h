// File: clients/loyaltyctl/wallet_view.h
//
// How loyaltyctl shows a member's wallet (LoyaltyService.ListWallet,
// `loyaltyctl wallet`): one row per coupon or voucher with what it is worth,
// what it applies to, when it expires and its state. Money is in minor
// units, as the contract carries it. --json prints the responses
// themselves.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_WALLET_VIEW_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_WALLET_VIEW_H_

#include <ostream>
#include <string>
#include <vector>

#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// The cells of one item, in the table's column order: KIND ("coupon" or
// "voucher"), CODE, NAME (the display name, else the template or product),
// WORTH (a coupon's benefit; a voucher's units left of bought), APPLIES_TO
// (a coupon's min spend, categories and SKUs, "any order" without them; a
// voucher's SKU), EXPIRES_UTC (a coupon's valid_until, a voucher's expiry;
// both exclusive), STATE.
std::vector<std::string> WalletItemCells(const loyalty::v1::WalletItem& item);

// The items in the order given as an aligned table, or "no coupons or
// vouchers", then the next page token when there is one.
void PrintWallet(std::ostream& out,
                 const loyalty::v1::ListWalletResponse& wallet);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_WALLET_VIEW_H_
