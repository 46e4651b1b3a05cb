#include "ledger/coupons/codes.h"

#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "loyalty/v1/coupon_code.h"

namespace loyalty {

namespace {

constexpr size_t kCodeBytes = 10;  // 80 bits.

// The canonical code of 10 random bytes.
std::string CodeOfBytes(const unsigned char* random_bytes) {
  std::string code;
  code.reserve(kCouponCodeCharacters);
  // 80 bits = 16 groups of 5.
  uint64_t high = 0;
  for (int i = 0; i < 5; ++i) high = (high << 8) | random_bytes[i];
  uint64_t low = 0;
  for (int i = 5; i < 10; ++i) low = (low << 8) | random_bytes[i];
  for (uint64_t half : {high, low}) {
    for (int shift = 35; shift >= 0; shift -= 5) {
      code.push_back(contract::kCouponCodeAlphabet[(half >> shift) & 31]);
    }
  }
  return code;
}

}  // namespace

std::string NewCouponCode(RandomSource& random) {
  std::array<unsigned char, kCodeBytes> random_bytes{};
  random.Fill(absl::MakeSpan(random_bytes));
  return CodeOfBytes(random_bytes.data());
}

std::vector<std::string> NewCouponCodes(RandomSource& random, int count) {
  LEDGER_CHECK(count >= 0);
  std::vector<unsigned char> random_bytes(static_cast<size_t>(count) *
                                          kCodeBytes);
  random.Fill(absl::MakeSpan(random_bytes));
  std::vector<std::string> codes;
  codes.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    codes.push_back(CodeOfBytes(random_bytes.data() + i * kCodeBytes));
  }
  return codes;
}

char CouponCheckCharacter(absl::string_view canonical) {
  return contract::CouponCheckCharacter(
      std::string_view(canonical.data(), canonical.size()));
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
  std::string canonical;
  std::optional<std::string> problem = contract::CouponCodeProblem(
      std::string_view(input.data(), input.size()), &canonical);
  if (problem.has_value()) return InvalidField(field, *problem);
  return canonical;
}

}  // namespace loyalty
