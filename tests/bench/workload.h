// File: tests/bench/workload.h
//
// What loyalty-bench sends: preloaded members "bm-<i>", earns with 1-5 line
// baskets, redemptions, balance and statement reads, and the gRPC health
// check as the trivial call every report compares against.
//
// Default mix weights (per 100 calls): earn 35, coupon 5, quote 5, redeem
// 10, return 5, balance 25, statement 15. A return gives back 1.00 EUR of
// one of the last 1024 orders earned (any member): partial returns, until
// the order is used up. A coupon call issues a 10%-off coupon to a member
// (IssueCoupon) or, when an issued one is waiting, sends that member's next
// earn with its code (an Earn at checkout, "earn_coupon"): about half each.
// A voucher call (weight 5) sells a member twelve coffees
// (IssueVoucher, "voucher_issue") when none with units is waiting, or one
// time in six; otherwise a till picks one unit up from a waiting voucher
// ("voucher_pickup", RedeemVoucherUnits), so mostly pickups.
#ifndef LOYALTY_TESTS_BENCH_WORKLOAD_H_
#define LOYALTY_TESTS_BENCH_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/bench/async_driver.h"

namespace loyalty::bench {

// The coupon template the bench program has (loyalty_bench.cc).
inline constexpr char kBenchCouponTemplate[] = "bench-10-off";
// The voucher product the bench program has (loyalty_bench.cc).
inline constexpr char kBenchVoucherProduct[] = "bench-coffee-12";
inline constexpr int kBenchVoucherUnits = 12;

struct MixWeights {
  int earn = 35;
  int coupon = 5;
  int quote = 5;
  int redeem = 10;
  int return_ = 5;
  int balance = 25;
  int statement = 15;
  int health = 0;
  int voucher = 5;
};

// Parses "earn=50,redeem=10,..." into weights; false on a bad spec.
bool ParseMix(const std::string& spec, MixWeights* weights);

class Workload {
 public:
  Workload(uint64_t members, uint64_t seed);

  std::string MemberId(uint64_t index) const;
  // A fresh earn for a random preloaded member (unique order and request id).
  loyalty::v1::EarnRequest NextEarn();
  loyalty::v1::EarnRequest EarnFor(const std::string& member_id,
                                   const std::string& key);

  void IssueEarn(Connection& connection, int channel);
  void IssueQuote(Connection& connection, int channel);
  void IssueRedeem(Connection& connection, int channel);
  void IssueReturn(Connection& connection, int channel);
  void IssueBalance(Connection& connection, int channel);
  void IssueStatement(Connection& connection, int channel);
  void IssueEnroll(Connection& connection, int channel, uint64_t index);
  void IssueEarnBatch(Connection& connection, int channel, int events);
  void IssueMix(Connection& connection, int channel, const MixWeights& mix);
  // An IssueCoupon, or an Earn with a coupon issued earlier (see above).
  void IssueCouponCall(Connection& connection, int channel);
  // An IssueVoucher, or a pickup of one unit of a voucher sold earlier.
  void IssueVoucherCall(Connection& connection, int channel);

  // Events the batch calls carried (for events/s).
  uint64_t batch_events_sent() const { return batch_events_sent_; }

 private:
  uint64_t RandomMember();
  // (member id, order id) of the latest earns sent, a ring.
  std::vector<std::pair<std::string, std::string>> recent_orders_;
  size_t next_recent_ = 0;
  uint64_t members_;
  std::string nonce_;
  std::mt19937_64 random_;
  uint64_t counter_ = 0;
  uint64_t batch_events_sent_ = 0;
  // Issued coupons not used yet: (member id, code), oldest first. Calls
  // complete on the driver's one thread, so no lock.
  std::vector<std::pair<std::string, std::string>> coupons_waiting_;
  // Sold vouchers with units not yet asked for: member id, code, units.
  struct WaitingVoucher {
    std::string member_id;
    std::string code;
    int units_left = 0;
  };
  std::vector<WaitingVoucher> vouchers_waiting_;
};

}  // namespace loyalty::bench

#endif  // LOYALTY_TESTS_BENCH_WORKLOAD_H_
