// File: loyalty/v1/coupon_code.h
//
// How a coupon code is written, defined once for the server and every C++
// client, so a till can catch a typo before any call. A code is 16
// characters of Crockford's base32 (0-9 and A-Z without I, L, O, U) and a
// check character, the Luhn mod 32 check over the 16 (rightmost doubled
// first): any single mistyped character, and any swap of two neighbours
// except of a 0 and a Z, fails it. Printed in groups of four with dashes
// ("S04H-W92F-53F1-DKD1-K"); read in any case, with or without dashes and
// spaces, with I and L as 1 and O as 0.
//
// Header-only, standard C++ only: no gRPC, protobuf or Abseil types.
#ifndef LOYALTY_V1_COUPON_CODE_H_
#define LOYALTY_V1_COUPON_CODE_H_

#include <optional>
#include <string>
#include <string_view>

namespace loyalty::contract {

inline constexpr int kCouponCodeCharacters = 16;  // 80 bits.
inline constexpr std::string_view kCouponCodeAlphabet =
    "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// Longer input is refused without being read.
inline constexpr size_t kCouponCodeInputMax = 64;

// The value of an input character, or -1 for one outside the alphabet.
constexpr int CouponCodeDigitValue(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') return 1;
  if (c == 'O') return 0;
  const size_t at = kCouponCodeAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// The check character of 16 canonical characters.
inline char CouponCheckCharacter(std::string_view canonical) {
  int sum = 0;
  bool doubled = true;
  for (size_t i = canonical.size(); i-- > 0;) {
    int value = CouponCodeDigitValue(canonical[i]);
    if (doubled) {
      value *= 2;
      value = value / 32 + value % 32;
    }
    sum += value;
    doubled = !doubled;
  }
  return kCouponCodeAlphabet[static_cast<size_t>((32 - sum % 32) % 32)];
}

// Why `input` is not a code, or nullopt when it is one; `canonical` (may
// be null) then gets its 16 characters.
inline std::optional<std::string> CouponCodeProblem(
    std::string_view input, std::string* canonical) {
  if (input.size() > kCouponCodeInputMax) {
    return "is not a coupon code (too long)";
  }
  std::string characters;
  for (char c : input) {
    if (c == '-' || c == ' ') continue;
    const int value = CouponCodeDigitValue(c);
    if (value < 0) {
      return "is not a coupon code (only Crockford base32 characters, "
             "dashes and spaces)";
    }
    characters.push_back(kCouponCodeAlphabet[static_cast<size_t>(value)]);
  }
  if (characters.size() != kCouponCodeCharacters + 1) {
    return "is not a coupon code (17 characters with the check character)";
  }
  const std::string_view digits =
      std::string_view(characters).substr(0, kCouponCodeCharacters);
  if (CouponCheckCharacter(digits) != characters.back()) {
    return "check character does not match: a character is mistyped";
  }
  if (canonical != nullptr) canonical->assign(digits);
  return std::nullopt;
}

}  // namespace loyalty::contract

#endif  // LOYALTY_V1_COUPON_CODE_H_
