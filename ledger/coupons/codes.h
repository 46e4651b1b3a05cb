// File: ledger/coupons/codes.h
//
// Coupon codes: 80 bits from the ledger's random source (the operating
// system's cryptographic source in the service; common/random_source.h),
// written as 16 characters of Crockford's base32 (no I, L, O or U, so
// nothing reads as another character) and one check character, the Luhn
// mod 32 check over the 16: any single mistyped character, and any swap of
// two neighbours except of a 0 and a Z, is caught before a call is made.
//
// Printed form: "7K2M-9QXD-4HBA-T0CE-Z". Accepted input: any case, with or
// without dashes and spaces, I and L read as 1 and O as 0. The canonical
// form (the key and what entries carry) is the 16 characters alone.
#ifndef LOYALTY_LEDGER_COUPONS_CODES_H_
#define LOYALTY_LEDGER_COUPONS_CODES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/common/random_source.h"
#include "loyalty/v1/coupon_code.h"

namespace loyalty {

inline constexpr int kCouponCodeCharacters = contract::kCouponCodeCharacters;

// A fresh canonical code. Aborts if the random source fails (nothing
// sensible can be issued then).
std::string NewCouponCode(RandomSource& random);
// `count` fresh canonical codes from one read of the random source (bulk
// coupon codes: one call per chunk instead of one per code). Not checked
// against each other or existing coupons: the caller does that.
std::vector<std::string> NewCouponCodes(RandomSource& random, int count);
// The check character of a canonical code.
char CouponCheckCharacter(absl::string_view canonical);
// The printed form of a canonical code, with its check character.
std::string FormatCouponCode(absl::string_view canonical);
// The canonical code of an input, or InvalidArgument naming `field`: wrong
// length, a character outside the alphabet, or a check character that does
// not match (a typo).
absl::StatusOr<std::string> ParseCouponCode(absl::string_view input,
                                            absl::string_view field);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_CODES_H_
