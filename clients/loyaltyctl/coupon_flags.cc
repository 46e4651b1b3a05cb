// File: clients/loyaltyctl/coupon_flags.cc

#include "clients/loyaltyctl/coupon_flags.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/basket_line.h"
#include "loyalty/v1/coupon_code.h"

namespace loyalty::ctl {

absl::Status CheckCouponCodeOffline(absl::string_view flag,
                                    absl::string_view code) {
  const std::optional<std::string> problem = contract::CouponCodeProblem(
      std::string_view(code.data(), code.size()), /*canonical=*/nullptr);
  if (!problem.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", *problem));
}

absl::Status AddCouponCodes(const std::vector<std::string>& codes,
                            loyalty::v1::EarnRequest* request) {
  if (codes.size() > static_cast<size_t>(kCouponCodesPerOrderMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--coupon: at most ", kCouponCodesPerOrderMax,
                     " coupons per order, got ", codes.size()));
  }
  // Each code's canonical form, to find two spellings of one coupon.
  std::vector<std::string> canonical(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    const std::optional<std::string> problem =
        contract::CouponCodeProblem(codes[i], &canonical[i]);
    if (problem.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--coupon: \"", codes[i], "\": ", *problem));
    }
    for (size_t earlier = 0; earlier < i; ++earlier) {
      if (canonical[earlier] != canonical[i]) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("--coupon: \"", codes[i], "\" is the same coupon as \"",
                       codes[earlier], "\""));
    }
  }
  for (const std::string& code : codes) request->add_coupon_codes(code);
  return absl::OkStatus();
}

absl::Status AddValidationBasket(const std::string& currency,
                                 const std::vector<std::string>& lines,
                                 loyalty::v1::ValidateCouponRequest* request) {
  if (currency.empty() && lines.empty()) return absl::OkStatus();
  if (lines.empty()) {
    return absl::InvalidArgumentError(
        "--line: a basket needs at least one --line with --currency (or "
        "neither, to validate without a basket)");
  }
  if (currency.empty()) {
    return absl::InvalidArgumentError(
        "--currency: a basket needs --currency with --line (or neither, to "
        "validate without a basket)");
  }
  google::protobuf::RepeatedPtrField<loyalty::v1::BasketLine> parsed;
  absl::Status parse = AddBasketLines(lines, &parsed);
  if (!parse.ok()) return parse;
  request->set_currency(currency);
  *request->mutable_lines() = std::move(parsed);
  return absl::OkStatus();
}

}  // namespace loyalty::ctl
