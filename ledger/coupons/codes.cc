#include "ledger/coupons/codes.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"

namespace loyalty {
namespace {

constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static_assert(kAlphabet.size() == 32);

// The value of an input character, Crockford's way; -1 if it has none.
int ValueOf(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') return 1;
  if (c == 'O') return 0;
  size_t at = kAlphabet.find(c);
  return at == absl::string_view::npos ? -1 : static_cast<int>(at);
}

// Luhn mod 32 over values, rightmost first doubled (the check character
// goes to the right of them).
int CheckValue(absl::string_view canonical) {
  int sum = 0;
  bool doubled = true;
  for (size_t i = canonical.size(); i-- > 0;) {
    int value = ValueOf(canonical[i]);
    if (doubled) {
      value *= 2;
      value = value / 32 + value % 32;
    }
    sum += value;
    doubled = !doubled;
  }
  return (32 - sum % 32) % 32;
}

}  // namespace

std::string NewCouponCode() {
  std::array<unsigned char, 10> random_bytes{};  // 80 bits.
  // Invariant: the system's random source works.
  LEDGER_CHECK(RAND_bytes(random_bytes.data(), random_bytes.size()) == 1);
  std::string code;
  code.reserve(kCouponCodeCharacters);
  // 80 bits = 16 groups of 5.
  uint64_t high = 0;
  for (int i = 0; i < 5; ++i) high = (high << 8) | random_bytes[i];
  uint64_t low = 0;
  for (int i = 5; i < 10; ++i) low = (low << 8) | random_bytes[i];
  for (uint64_t half : {high, low}) {
    for (int shift = 35; shift >= 0; shift -= 5) {
      code.push_back(kAlphabet[(half >> shift) & 31]);
    }
  }
  return code;
}

char CouponCheckCharacter(absl::string_view canonical) {
  return kAlphabet[CheckValue(canonical)];
}

std::string FormatCouponCode(absl::string_view canonical) {
  std::string printed;
  for (size_t i = 0; i < canonical.size(); i += 4) {
    absl::StrAppend(&printed, canonical.substr(i, 4), "-");
  }
  printed.push_back(CouponCheckCharacter(canonical));
  return printed;
}

absl::StatusOr<std::string> ParseCouponCode(absl::string_view input,
                                            absl::string_view field) {
  if (input.size() > 64) {
    return InvalidField(field, "is not a coupon code (too long)");
  }
  std::string characters;
  for (char c : input) {
    if (c == '-' || c == ' ') continue;
    int value = ValueOf(c);
    if (value < 0) {
      return InvalidField(
          field, "is not a coupon code (only Crockford base32 characters, "
                 "dashes and spaces)");
    }
    characters.push_back(kAlphabet[value]);
  }
  if (characters.size() != kCouponCodeCharacters + 1) {
    return InvalidField(field,
                        absl::StrCat("is not a coupon code (",
                                     kCouponCodeCharacters + 1,
                                     " characters with the check character)"));
  }
  std::string canonical = characters.substr(0, kCouponCodeCharacters);
  if (CouponCheckCharacter(canonical) != characters.back()) {
    return InvalidField(field,
                        "check character does not match: a character is "
                        "mistyped");
  }
  return canonical;
}

}  // namespace loyalty
