// File: tests/ledger/coupon_test_util.h
//
// What the coupon tests share (coupons_test, coupon_checkout_test):
// template and request builders and synchronous wrappers of the coupon
// commands.
#ifndef LOYALTY_TESTS_LEDGER_COUPON_TEST_UTIL_H_
#define LOYALTY_TESTS_LEDGER_COUPON_TEST_UTIL_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ledger/commands.h"
#include "member_test_util.h"

namespace loyalty::testing {

// A percent-off template valid for 30 days after issue.
inline v1::CouponTemplate PercentTemplate(std::string id, int32_t percent) {
  v1::CouponTemplate t;
  t.set_template_id(std::move(id));
  t.set_display_name("Welcome offer");
  t.set_percent_off(percent);
  t.set_valid_days_after_issue(30);
  return t;
}

inline v1::IssueCouponRequest IssueRequest(std::string request_id,
                                           std::string member_id,
                                           std::string template_id) {
  v1::IssueCouponRequest request;
  *request.mutable_context() = testing::AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_template_id(std::move(template_id));
  return request;
}

inline absl::StatusOr<v1::IssueCouponResponse> Issue(
    Ledger& ledger, v1::IssueCouponRequest request) {
  return CallLedger<IssueCouponCommand>(ledger, kApp, std::move(request));
}

inline v1::RedeemCouponRequest CouponRedeemRequest(std::string request_id,
                                             std::string member_id,
                                             std::string code,
                                             v1::RequestContext context) {
  v1::RedeemCouponRequest request;
  *request.mutable_context() = std::move(context);
  request.mutable_context()->set_request_id(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  request.set_order_id("order-1");
  return request;
}

inline absl::StatusOr<v1::RedeemCouponResponse> RedeemAtTill(
    Ledger& ledger, std::string request_id, std::string member_id,
    std::string code) {
  return CallLedger<RedeemCouponCommand>(
      ledger, kPos,
      CouponRedeemRequest(std::move(request_id), std::move(member_id),
                    std::move(code), testing::PosContext("")));
}

inline std::string IssueOk(TestLedger& t, const std::string& request_id,
                           const std::string& member_id,
                           const std::string& template_id) {
  auto issued =
      Issue(t.ledger(), IssueRequest(request_id, member_id, template_id));
  REQUIRE_OK(issued);
  return issued->coupon().code();
}

// Tills racing for one coupon: `tills` threads each make `calls_per_till`
// calls of `use(request_id)`; how many succeeded and how many were told
// COUPON_USED_UP.
struct CouponRace {
  int succeeded = 0;
  int used_up = 0;
};
template <typename UseFn>
CouponRace RaceForCoupon(int tills, int calls_per_till, UseFn use) {
  std::atomic<int> succeeded{0};
  std::atomic<int> used_up{0};
  std::vector<std::thread> threads;
  for (int till = 0; till < tills; ++till) {
    threads.emplace_back([&, till] {
      for (int i = 0; i < calls_per_till; ++i) {
        auto result = use(absl::StrCat("t", till, "-", i));
        if (result.ok()) {
          ++succeeded;
        } else if (ReasonOfResult(result) == v1::ERROR_REASON_COUPON_USED_UP) {
          ++used_up;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return {succeeded.load(), used_up.load()};
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_LEDGER_COUPON_TEST_UTIL_H_
