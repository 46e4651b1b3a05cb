// File: tests/ledger/voucher_test_util.h
//
// What the voucher tests share: a program with voucher products, request
// builders and synchronous wrappers of the voucher commands.
#ifndef LOYALTY_TESTS_LEDGER_VOUCHER_TEST_UTIL_H_
#define LOYALTY_TESTS_LEDGER_VOUCHER_TEST_UTIL_H_

#include <string>

#include "ledger/commands.h"
#include "ledger/points/sweep.h"
#include "member_test_util.h"

namespace loyalty::testing {

inline constexpr int64_t kVoucherDayMs = 24ll * 3600 * 1000;

// Coffee bundles: "coffee-12" (12 units, 30 days, refundable, gifts claim
// within 7 days), "tea-5" (not refundable, no gifts), "festival" (a fixed
// end 10 days after kStartMs).
inline v1::ProgramConfig VoucherProgram() {
  v1::ProgramConfig program = TestProgram();
  v1::VoucherProduct* coffee = program.add_voucher_products();
  coffee->set_product_id("coffee-12");
  coffee->set_display_name("12 coffees");
  coffee->set_sku("COFFEE-M");
  coffee->set_units_per_voucher_max(12);
  coffee->set_valid_days_after_issue(30);
  coffee->set_refundable(true);
  coffee->set_gift_claim_days(7);
  v1::VoucherProduct* tea = program.add_voucher_products();
  tea->set_product_id("tea-5");
  tea->set_display_name("5 teas");
  tea->set_sku("TEA");
  tea->set_units_per_voucher_max(5);
  tea->set_valid_days_after_issue(30);
  v1::VoucherProduct* festival = program.add_voucher_products();
  festival->set_product_id("festival");
  festival->set_sku("FESTIVAL-DAY");
  festival->set_units_per_voucher_max(3);
  festival->set_valid_until_ms(kStartMs + 10 * kVoucherDayMs);
  festival->set_refundable(true);
  festival->set_gift_claim_days(30);
  return program;
}

inline v1::IssueVoucherRequest IssueVoucherRequest(std::string request_id,
                                                   std::string member_id,
                                                   std::string product_id,
                                                   int64_t units,
                                                   int64_t price_minor) {
  v1::IssueVoucherRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_product_id(std::move(product_id));
  request.set_units(units);
  request.mutable_price_paid()->set_amount_minor(price_minor);
  request.mutable_price_paid()->set_currency("EUR");
  request.set_order_id("web-order-1");
  return request;
}

inline absl::StatusOr<v1::IssueVoucherResponse> IssueVoucher(
    Ledger& ledger, v1::IssueVoucherRequest request) {
  return CallLedger<IssueVoucherCommand>(ledger, kApp, std::move(request));
}

// The printed code of a fresh voucher; the test stops if it is refused.
inline std::string IssueVoucherOk(TestLedger& t, const std::string& request_id,
                                  const std::string& member_id,
                                  const std::string& product_id, int64_t units,
                                  int64_t price_minor) {
  auto issued = IssueVoucher(
      t.ledger(), IssueVoucherRequest(request_id, member_id, product_id, units,
                                      price_minor));
  REQUIRE_OK(issued);
  return issued->voucher().code();
}

inline v1::RedeemVoucherUnitsRequest PickupRequest(
    std::string request_id, std::string member_id, std::string code,
    int64_t units, std::string store_id = "store-042") {
  v1::RedeemVoucherUnitsRequest request;
  *request.mutable_context() =
      PosContext(std::move(request_id), std::move(store_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_units(units);
  return request;
}

inline absl::StatusOr<v1::RedeemVoucherUnitsResponse> Pickup(
    Ledger& ledger, v1::RedeemVoucherUnitsRequest request) {
  return CallLedger<RedeemVoucherUnitsCommand>(ledger, kPos,
                                               std::move(request));
}

inline v1::TransferVoucherUnitsRequest VoucherTransferRequest(
    std::string request_id, std::string member_id, std::string code,
    std::string to_member_id, int64_t units) {
  v1::TransferVoucherUnitsRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_to_member_id(std::move(to_member_id));
  request.set_units(units);
  return request;
}

inline absl::StatusOr<v1::TransferVoucherUnitsResponse> TransferUnits(
    Ledger& ledger, v1::TransferVoucherUnitsRequest request) {
  return CallLedger<TransferVoucherUnitsCommand>(ledger, kApp,
                                                 std::move(request));
}

inline v1::GiftVoucherUnitsRequest GiftRequest(std::string request_id,
                                               std::string member_id,
                                               std::string code,
                                               int64_t units) {
  v1::GiftVoucherUnitsRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_units(units);
  return request;
}

inline absl::StatusOr<v1::GiftVoucherUnitsResponse> GiftUnits(
    Ledger& ledger, v1::GiftVoucherUnitsRequest request) {
  return CallLedger<GiftVoucherUnitsCommand>(ledger, kApp, std::move(request));
}

inline absl::StatusOr<v1::ClaimVoucherGiftResponse> ClaimGift(
    Ledger& ledger, std::string request_id, std::string member_id,
    std::string claim_code) {
  v1::ClaimVoucherGiftRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_claim_code(std::move(claim_code));
  return CallLedger<ClaimVoucherGiftCommand>(ledger, kApp, std::move(request));
}

inline absl::StatusOr<v1::RefundVoucherUnitsResponse> RefundUnits(
    Ledger& ledger, std::string request_id, std::string member_id,
    std::string code, int64_t units) {
  v1::RefundVoucherUnitsRequest request;
  *request.mutable_context() = AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_units(units);
  return CallLedger<RefundVoucherUnitsCommand>(ledger, kApp,
                                               std::move(request));
}

inline SweepResult SweepVouchersOk(TestLedger& t) {
  auto pending = MakePending<SweepResult>();
  t.ledger().SubmitSystem<SweepCommand>(SweepRequest{100},
                                        std::move(pending.done));
  absl::StatusOr<SweepResult> result = pending.result.get();
  REQUIRE_OK(result);
  return *result;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_LEDGER_VOUCHER_TEST_UTIL_H_
