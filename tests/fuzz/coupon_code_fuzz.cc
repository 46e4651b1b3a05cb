// File: tests/fuzz/coupon_code_fuzz.cc
//
// Fuzzes coupon codes (ledger/coupons/codes.h), which tills type and every
// coupon call takes. Input: any bytes, read as a code as typed.
//
// The oracle is differential: the rules below, written from codes.h's
// contract independently of codes.cc, judge the same input, and the two
// must agree both ways. A code is, after dropping dashes and spaces, 17
// characters of Crockford's base32 (any case; I and L read as 1, O as 0; no
// U), the last the Luhn mod 32 check character of the first 16. A
// rejection must be INVALID_ARGUMENT naming the field. An accepted code must
// print (FormatCouponCode) as four groups of four and its check character,
// and parse back to itself. Independently, the first 10 input bytes, taken
// as a code's 80 bits, must print and parse back the same way.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"

namespace loyalty {
namespace {

constexpr char kDigits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::optional<int> DigitValue(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  if (c == 'I' || c == 'L') return 1;
  if (c == 'O') return 0;
  for (int v = 0; v < 32; ++v) {
    if (kDigits[v] == c) return v;
  }
  return std::nullopt;
}

// Luhn mod 32: from the right, every other value (starting with the
// rightmost) doubled, its base-32 digits summed; the check value makes the
// sum a multiple of 32.
int CheckValueOf(const std::string& canonical) {
  int sum = 0;
  for (size_t k = 0; k < canonical.size(); ++k) {
    int value = *DigitValue(canonical[canonical.size() - 1 - k]);
    if (k % 2 == 0) {
      value *= 2;
      value = value / 32 + value % 32;
    }
    sum += value;
  }
  return (32 - sum % 32) % 32;
}

// The canonical code of `input` by the contract, or nullopt.
std::optional<std::string> Oracle(absl::string_view input) {
  if (input.size() > 64) return std::nullopt;
  std::string digits;
  for (char c : input) {
    if (c == '-' || c == ' ') continue;
    std::optional<int> value = DigitValue(c);
    if (!value.has_value()) return std::nullopt;
    digits.push_back(kDigits[*value]);
  }
  if (digits.size() != 17) return std::nullopt;
  std::string canonical = digits.substr(0, 16);
  if (kDigits[CheckValueOf(canonical)] != digits[16]) return std::nullopt;
  return canonical;
}

void CheckPrintsAndParsesBack(const std::string& canonical) {
  const std::string printed = FormatCouponCode(canonical);
  LEDGER_CHECK(printed.size() == 21);
  for (size_t i : {4, 9, 14, 19}) LEDGER_CHECK(printed[i] == '-');
  absl::StatusOr<std::string> again = ParseCouponCode(printed, "code");
  LEDGER_CHECK(again.ok() && *again == canonical);
  LEDGER_CHECK(Oracle(printed) == canonical);
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using loyalty::Oracle;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> parsed = loyalty::ParseCouponCode(input, "code");
  const std::optional<std::string> expected = Oracle(input);
  LEDGER_CHECK(parsed.ok() == expected.has_value());
  if (parsed.ok()) {
    LEDGER_CHECK(*parsed == *expected);
    loyalty::CheckPrintsAndParsesBack(*parsed);
  } else {
    LEDGER_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    LEDGER_CHECK(absl::StartsWith(parsed.status().message(), "code"));
  }
  if (size >= 10) {
    // 80 bits -> 16 base-32 digits, high bits first.
    std::string canonical;
    for (int digit = 0; digit < 16; ++digit) {
      int value = 0;
      for (int bit = 0; bit < 5; ++bit) {
        const int at = digit * 5 + bit;
        value = value * 2 + ((data[at / 8] >> (7 - at % 8)) & 1);
      }
      canonical.push_back(loyalty::kDigits[value]);
    }
    loyalty::CheckPrintsAndParsesBack(canonical);
  }
  return 0;
}
