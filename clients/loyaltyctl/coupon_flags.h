// File: clients/loyaltyctl/coupon_flags.h
//
// Coupon codes and baskets as flags, checked before anything is sent: the
// --code of the `coupon` subcommands, the repeatable --coupon of `earn` and
// `quote`, and the optional basket (--currency with --line) of `coupon
// validate`. A code is checked with the contract's own check
// (loyalty/v1/coupon_code.h), as a till would, so a mistyped code is bad
// input (exit 2) and never reaches the server.
//
//   absl::Status codes = AddCouponCodes(flags.coupon_codes, &request);
//   if (!codes.ok()) return ReportBadInput(codes);

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_COUPON_FLAGS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_COUPON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// EarnRequest.coupon_codes: 0..5 distinct codes per order. The server
// refuses more (INVALID_ARGUMENT); loyaltyctl refuses them before sending.
inline constexpr int kCouponCodesPerOrderMax = 5;

// Checks one code as typed. Returns kInvalidArgument "FLAG: problem" (e.g.
// "--code: check character does not match: a character is mistyped") for
// one that is not a code.
absl::Status CheckCouponCodeOffline(absl::string_view flag,
                                    absl::string_view code);

// Checks the --coupon values of an order and appends them, as typed, to
// request->coupon_codes. Returns kInvalidArgument naming --coupon, and
// appends nothing, for more than kCouponCodesPerOrderMax values, a value
// that is not a code (`--coupon: "VALUE": problem`), or two values that are
// one coupon in different spellings.
absl::Status AddCouponCodes(const std::vector<std::string>& codes,
                            loyalty::v1::EarnRequest* request);

// The optional basket of `coupon validate`: --currency and --line, both or
// neither. Sets request->currency and request->lines when both are given.
// Returns kInvalidArgument naming the missing flag when only one is, or
// naming --line for a line that does not parse (request then unchanged).
absl::Status AddValidationBasket(const std::string& currency,
                                 const std::vector<std::string>& lines,
                                 loyalty::v1::ValidateCouponRequest* request);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_COUPON_FLAGS_H_
