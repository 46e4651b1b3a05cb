// Tests of how loyaltyctl shows a wallet (clients/loyaltyctl/wallet_view.h):
// one row per coupon or voucher with what it is worth, what it applies to,
// when it expires and its state; "no coupons or vouchers" for none; the
// next page token when there is one.
#include "clients/loyaltyctl/wallet_view.h"

#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Coupon;
using loyalty::v1::ListWalletResponse;
using loyalty::v1::Voucher;
using loyalty::v1::WalletItem;

WalletItem FreeCoffee() {
  WalletItem item;
  Coupon& coupon = *item.mutable_coupon();
  coupon.set_code("S04H-W92F-53F1-DKD1-K");
  coupon.set_template_id("free-coffee");
  coupon.set_display_name("Free coffee");
  coupon.set_free_item_sku("COFFEE-S");
  coupon.mutable_min_spend()->set_amount_minor(2000);
  coupon.mutable_min_spend()->set_currency("EUR");
  coupon.add_eligible_categories("drinks");
  coupon.add_eligible_categories("bakery");
  coupon.set_valid_until_ms(1'702'598'400'000);
  coupon.set_state(loyalty::v1::COUPON_STATE_USABLE);
  return item;
}

WalletItem Coffees() {
  WalletItem item;
  Voucher& voucher = *item.mutable_voucher();
  voucher.set_code("7K2M-9QXD-4HBA-T0CE-Z");
  voucher.set_product_id("coffee-12");
  voucher.set_sku("COFFEE-M");
  voucher.set_units_bought(12);
  voucher.set_units_left(0);
  voucher.set_expires_at_ms(1'702'598'400'000);
  voucher.set_state(loyalty::v1::VOUCHER_STATE_USED_UP);
  return item;
}

TEST_CASE(
    "a wallet coupon shows its benefit, its checkout rules, its end and its "
    "state",
    "[ctl][wallet]") {
  CHECK(WalletItemCells(FreeCoffee()) ==
        std::vector<std::string>{
            "coupon", "S04H-W92F-53F1-DKD1-K", "Free coffee", "free COFFEE-S",
            "min spend 2000 EUR minor units; categories drinks, bakery",
            "2023-12-15T00:00:00.000Z", "usable"});
}

TEST_CASE("a coupon without checkout rules applies to any order",
          "[ctl][wallet]") {
  WalletItem item = FreeCoffee();
  item.mutable_coupon()->clear_min_spend();
  item.mutable_coupon()->clear_eligible_categories();
  item.mutable_coupon()->add_eligible_skus("COFFEE-S");
  CHECK(WalletItemCells(item)[4] == "skus COFFEE-S");
  item.mutable_coupon()->clear_eligible_skus();
  CHECK(WalletItemCells(item)[4] == "any order");
  // Without a display name, the template names it.
  item.mutable_coupon()->clear_display_name();
  CHECK(WalletItemCells(item)[2] == "free-coffee");
}

TEST_CASE(
    "a wallet voucher shows its units left of bought, its SKU and expiry; "
    "one given away entirely is used up",
    "[ctl][wallet]") {
  CHECK(WalletItemCells(Coffees()) ==
        std::vector<std::string>{"voucher", "7K2M-9QXD-4HBA-T0CE-Z",
                                 "coffee-12", "0 of 12 units left",
                                 "sku COFFEE-M", "2023-12-15T00:00:00.000Z",
                                 "used up"});
}

TEST_CASE(
    "a wallet prints a table in the order given, then its next page "
    "token",
    "[ctl][wallet]") {
  ListWalletResponse wallet;
  *wallet.add_items() = Coffees();
  *wallet.add_items() = FreeCoffee();
  wallet.set_next_page_token("AbC_123");
  std::ostringstream out;
  PrintWallet(out, wallet);
  const std::string text = out.str();
  CHECK(text.rfind("KIND", 0) == 0);
  const size_t voucher_at = text.find("7K2M-9QXD-4HBA-T0CE-Z");
  const size_t coupon_at = text.find("S04H-W92F-53F1-DKD1-K");
  REQUIRE(voucher_at != std::string::npos);
  REQUIRE(coupon_at != std::string::npos);
  CHECK(voucher_at < coupon_at);
  CHECK(text.find("next page token: AbC_123\n") != std::string::npos);
}

TEST_CASE("an empty wallet page says so, and the last page prints no token",
          "[ctl][wallet]") {
  std::ostringstream out;
  PrintWallet(out, ListWalletResponse());
  CHECK(out.str() == "no coupons or vouchers\n");
}

}  // namespace
}  // namespace loyalty::ctl
