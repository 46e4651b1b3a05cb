// Tests of how loyaltyctl shows vouchers (clients/loyaltyctl/voucher_view.h):
// units left of bought, where the others went (only the ways some did),
// the price and order of a bought voucher or the source of a received one,
// and a gift's claim code and state.
#include "clients/loyaltyctl/voucher_view.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Voucher;

std::string FieldValue(const std::vector<Field>& fields,
                       const std::string& label) {
  for (const Field& field : fields) {
    if (field.label == label) return field.value;
  }
  return "(absent)";
}

Voucher Bought() {
  Voucher voucher;
  voucher.set_code("S04H-W92F-53F1-DKD1-K");
  voucher.set_product_id("coffee-12");
  voucher.set_display_name("12 coffees");
  voucher.set_sku("COFFEE-M");
  voucher.set_member_id("alice");
  voucher.set_units_bought(12);
  voucher.set_units_left(4);
  voucher.set_units_redeemed(5);
  voucher.set_units_refunded(3);
  voucher.mutable_price_paid()->set_amount_minor(3000);
  voucher.mutable_price_paid()->set_currency("EUR");
  voucher.mutable_refunded()->set_amount_minor(750);
  voucher.mutable_refunded()->set_currency("EUR");
  voucher.set_order_id("web-1");
  voucher.set_refundable(true);
  voucher.set_expires_at_ms(1'702'598'400'000);
  voucher.set_state(loyalty::v1::VOUCHER_STATE_USABLE);
  return voucher;
}

TEST_CASE(
    "a bought voucher shows units left of bought, where the rest went, "
    "its price and what refunds paid back",
    "[ctl][voucher]") {
  const std::vector<Field> fields = VoucherFields(Bought());
  CHECK(FieldValue(fields, "units left") == "4 of 12");
  CHECK(FieldValue(fields, "picked up") == "5 units");
  CHECK(FieldValue(fields, "refunded") == "3 units");
  CHECK(FieldValue(fields, "paid back") == "750 EUR minor units");
  CHECK(FieldValue(fields, "price paid") == "3000 EUR minor units");
  CHECK(FieldValue(fields, "order") == "web-1");
  CHECK(FieldValue(fields, "expires") == "2023-12-15T00:00:00.000Z");
  CHECK(FieldValue(fields, "state") == "usable");
  // No unit went these ways: they are not shown.
  CHECK(FieldValue(fields, "transferred") == "(absent)");
  CHECK(FieldValue(fields, "expired") == "(absent)");
  CHECK(FieldValue(fields, "received from voucher") == "(absent)");
}

TEST_CASE("a received voucher shows its source instead of a price",
          "[ctl][voucher]") {
  Voucher received = Bought();
  received.clear_price_paid();
  received.clear_order_id();
  received.set_units_refunded(0);
  received.set_source_code("0000-0000-0000-0001-Y");
  received.set_state(loyalty::v1::VOUCHER_STATE_USED_UP);
  const std::vector<Field> fields = VoucherFields(received);
  CHECK(FieldValue(fields, "received from voucher") == "0000-0000-0000-0001-Y");
  CHECK(FieldValue(fields, "price paid") == "(absent)");
  CHECK(FieldValue(fields, "state") == "used up");
}

TEST_CASE("a gift shows its claim code, units, deadline and who claimed it",
          "[ctl][voucher]") {
  loyalty::v1::VoucherGift gift;
  gift.set_claim_code("0000-0000-0000-0002-W");
  gift.set_product_id("coffee-12");
  gift.set_units(3);
  gift.set_claim_expires_at_ms(1'700'611'200'000);
  gift.set_state(loyalty::v1::VOUCHER_GIFT_STATE_PENDING);
  gift.set_giver_member_id("alice");
  std::vector<Field> fields = VoucherGiftFields(gift);
  CHECK(FieldValue(fields, "claim code") == "0000-0000-0000-0002-W");
  CHECK(FieldValue(fields, "claimable until") == "2023-11-22T00:00:00.000Z");
  CHECK(FieldValue(fields, "state") == "waiting to be claimed");
  CHECK(FieldValue(fields, "claimed by") == "-");
  gift.set_state(loyalty::v1::VOUCHER_GIFT_STATE_CLAIMED);
  gift.set_claimed_by_member_id("friend");
  fields = VoucherGiftFields(gift);
  CHECK(FieldValue(fields, "state") == "claimed");
  CHECK(FieldValue(fields, "claimed by") == "friend");
}

}  // namespace
}  // namespace loyalty::ctl
