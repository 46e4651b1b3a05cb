// The unknown-code limiter (server/unknown_code_limiter.h) on a clock that
// moves only when told: each principal's allowance, its refill, independence
// of principals, which outcomes charge, forgetting full buckets and the cap.
#include "server/unknown_code_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z.

absl::Status CouponNotFound() {
  return WithReason(absl::NotFoundError("no such coupon"),
                    loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND);
}

// One lookup of an unknown code by `principal`: admitted, then charged.
absl::Status LookUpUnknownCode(UnknownCodeLimiter& limiter,
                               const std::string& principal) {
  absl::Status admitted = limiter.Admit(principal);
  if (admitted.ok()) limiter.Settle(principal, CouponNotFound());
  return admitted;
}

// How many unknown codes `principal` gets through before the first refusal
// (at most `tries`).
int UnknownLookupsAllowed(UnknownCodeLimiter& limiter,
                          const std::string& principal, int tries = 1000) {
  for (int i = 0; i < tries; ++i) {
    if (!LookUpUnknownCode(limiter, principal).ok()) return i;
  }
  return tries;
}

TEST_CASE(
    "a principal looks up its allowance of unknown codes, then every lookup "
    "is refused with a reason and a message naming the limit",
    "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 3);
  for (int i = 0; i < 3; ++i) {
    INFO("lookup " << i);
    REQUIRE(LookUpUnknownCode(limiter, "pos-terminal").ok());
  }
  absl::Status refused = limiter.Admit("pos-terminal");
  REQUIRE(refused.code() == absl::StatusCode::kResourceExhausted);
  CHECK(ReasonOf(refused) ==
        loyalty::v1::ERROR_REASON_UNKNOWN_CODE_LOOKUPS_LIMITED);
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("principal pos-terminal") &&
                 Catch::Contains("the limit is 3 a minute") &&
                 Catch::Contains("--unknown-coupon-lookups-per-minute") &&
                 Catch::Contains("allowed in 20000 ms"));
  // A refusal charges nothing: the wait it names does not grow.
  for (int i = 0; i < 10; ++i) {
    CHECK(limiter.Admit("pos-terminal").code() ==
          absl::StatusCode::kResourceExhausted);
  }
  CHECK_THAT(std::string(limiter.Admit("pos-terminal").message()),
             Catch::Contains("allowed in 20000 ms"));
}

TEST_CASE(
    "the allowance refills continuously: a lookup per 60/limit seconds, a "
    "whole bucket after a minute",
    "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 3);
  REQUIRE(UnknownLookupsAllowed(limiter, "pos-terminal") == 3);

  clock.AdvanceMs(19'999);  // One lookup refills in 20 s at 3 a minute.
  absl::Status almost = limiter.Admit("pos-terminal");
  CHECK(almost.code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(almost.message()), Catch::Contains("allowed in 1 ms"));
  clock.AdvanceMs(1);
  CHECK(UnknownLookupsAllowed(limiter, "pos-terminal") == 1);

  clock.AdvanceMs(60'000);
  CHECK(UnknownLookupsAllowed(limiter, "pos-terminal") == 3);
  // Idle far longer than a minute still fills the bucket only once.
  clock.AdvanceMs(3'600'000);
  CHECK(UnknownLookupsAllowed(limiter, "pos-terminal") == 3);
}

TEST_CASE("principals are limited independently of each other",
          "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 5);
  REQUIRE(UnknownLookupsAllowed(limiter, "pos-terminal") == 5);
  CHECK(limiter.Admit("pos-terminal").code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(UnknownLookupsAllowed(limiter, "app-backend") == 5);
  CHECK(limiter.tracked_principals() == 2);
}

TEST_CASE("found codes and every refusal but COUPON_NOT_FOUND charge nothing",
          "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 2);
  const std::vector<absl::Status> uncharged = {
      absl::OkStatus(),  // A found code.
      InvalidField("code", "check character does not match"),
      WithReason(absl::NotFoundError("no member"),
                 loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND),
      WithReason(absl::FailedPreconditionError("used up"),
                 loyalty::v1::ERROR_REASON_COUPON_USED_UP),
      absl::NotFoundError("no reason attached"),
      absl::UnavailableError("storage"),
  };
  for (int round = 0; round < 100; ++round) {
    for (const absl::Status& outcome : uncharged) {
      REQUIRE(limiter.Admit("pos-terminal").ok());
      limiter.Settle("pos-terminal", outcome);
    }
  }
  CHECK(limiter.tracked_principals() == 0);
  CHECK(UnknownLookupsAllowed(limiter, "pos-terminal") == 2);
}

TEST_CASE("an unknown voucher or claim code is charged like an unknown "
          "coupon code",
          "[server][limiter][vouchers]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 2);
  const absl::Status voucher_not_found =
      WithReason(absl::NotFoundError("code: no such voucher"),
                 loyalty::v1::ERROR_REASON_VOUCHER_NOT_FOUND);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(limiter.Admit("pos-terminal").ok());
    limiter.Settle("pos-terminal", voucher_not_found);
  }
  CHECK(limiter.Admit("pos-terminal").code() ==
        absl::StatusCode::kResourceExhausted);
  // Refusals of known vouchers charge nothing.
  REQUIRE(limiter.Admit("app").ok());
  limiter.Settle("app", WithReason(absl::FailedPreconditionError("too few"),
                                   loyalty::v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW));
  CHECK(UnknownLookupsAllowed(limiter, "app") == 2);
}

TEST_CASE("a principal whose bucket is full again is forgotten",
          "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 4);
  REQUIRE(LookUpUnknownCode(limiter, "pos-terminal").ok());
  CHECK(limiter.tracked_principals() == 1);
  clock.AdvanceMs(14'999);  // A lookup refills in 15 s at 4 a minute.
  REQUIRE(limiter.Admit("pos-terminal").ok());
  CHECK(limiter.tracked_principals() == 1);
  clock.AdvanceMs(1);
  REQUIRE(limiter.Admit("pos-terminal").ok());
  CHECK(limiter.tracked_principals() == 0);
  CHECK(UnknownLookupsAllowed(limiter, "pos-terminal") == 4);
}

TEST_CASE(
    "lookups admitted together past the last one left are waited out "
    "before the next",
    "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 1);
  // Two calls in flight at once, both admitted with one lookup left.
  REQUIRE(limiter.Admit("pos-terminal").ok());
  REQUIRE(limiter.Admit("pos-terminal").ok());
  limiter.Settle("pos-terminal", CouponNotFound());
  limiter.Settle("pos-terminal", CouponNotFound());
  CHECK_THAT(std::string(limiter.Admit("pos-terminal").message()),
             Catch::Contains("allowed in 120000 ms"));
  clock.AdvanceMs(60'000);
  CHECK(limiter.Admit("pos-terminal").code() ==
        absl::StatusCode::kResourceExhausted);
  clock.AdvanceMs(60'000);
  CHECK(limiter.Admit("pos-terminal").ok());
}

TEST_CASE(
    "at the cap, principals whose bucket refilled make room, and the rest "
    "share one allowance instead of going unlimited",
    "[server][limiter]") {
  ManualClock clock(kStartMs);
  UnknownCodeLimiter limiter(&clock, 2, /*principals_max=*/2);
  REQUIRE(LookUpUnknownCode(limiter, "a").ok());
  REQUIRE(LookUpUnknownCode(limiter, "b").ok());
  REQUIRE(limiter.tracked_principals() == 2);

  // c and d are not tracked while a and b hold the table: they share one
  // bucket of 2.
  REQUIRE(LookUpUnknownCode(limiter, "c").ok());
  REQUIRE(LookUpUnknownCode(limiter, "d").ok());
  CHECK(limiter.tracked_principals() == 2);
  absl::Status shared = limiter.Admit("c");
  CHECK(shared.code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(shared.message()),
             Catch::Contains("shares one allowance with every principal "
                             "beyond the 2 tracked"));
  CHECK(limiter.Admit("e").code() == absl::StatusCode::kResourceExhausted);
  // The tracked ones keep their own buckets.
  CHECK(UnknownLookupsAllowed(limiter, "a") == 1);

  // b has refilled after 30 s (a looked up again, so it has not): the next
  // charge of an untracked principal forgets b and gives c its own bucket.
  clock.AdvanceMs(30'000);
  REQUIRE(limiter.Admit("c").ok());  // The shared bucket refilled one.
  limiter.Settle("c", CouponNotFound());
  CHECK(limiter.tracked_principals() == 2);  // a and c.
  CHECK(UnknownLookupsAllowed(limiter, "c") == 1);
  CHECK(limiter.Admit("c").code() == absl::StatusCode::kResourceExhausted);
  // The table is full again with a and c, so e is judged by the shared
  // bucket, which has one lookup left.
  CHECK(UnknownLookupsAllowed(limiter, "e") == 1);
  CHECK(limiter.tracked_principals() == 2);
}

TEST_CASE(
    "concurrent lookups of one principal overshoot its allowance by at "
    "most the lookups in flight",
    "[server][limiter]") {
  ManualClock clock(kStartMs);
  constexpr int kLimit = 10;
  constexpr int kThreads = 8;
  UnknownCodeLimiter limiter(&clock, kLimit);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (LookUpUnknownCode(limiter, "pos-terminal").ok()) ++admitted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Each thread has at most one lookup between Admit and Settle.
  CHECK(admitted.load() >= kLimit);
  CHECK(admitted.load() <= kLimit + kThreads - 1);
  CHECK(limiter.Admit("pos-terminal").code() ==
        absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace loyalty
