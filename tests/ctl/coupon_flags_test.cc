// Tests of the coupon flags of `loyaltyctl earn`, `quote` and `coupon
// validate` (clients/loyaltyctl/coupon_flags.h): codes are checked offline
// with the contract's check, at most five per order and no coupon twice,
// and a validation basket is --currency and --line together or neither.
// Every refusal names its flag and leaves the request as it was.
#include "clients/loyaltyctl/coupon_flags.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "catch2/catch.hpp"
#include "loyalty/v1/coupon_code.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::EarnRequest;
using loyalty::v1::ValidateCouponRequest;

// A printed code of 16 base32 characters and its check character.
std::string PrintedCode(const std::string& digits) {
  REQUIRE(digits.size() == 16);
  return digits.substr(0, 4) + "-" + digits.substr(4, 4) + "-" +
         digits.substr(8, 4) + "-" + digits.substr(12, 4) + "-" +
         contract::CouponCheckCharacter(digits);
}

// `code` with its first character changed: the check character no longer
// matches.
std::string Mistyped(std::string code) {
  code[0] = code[0] == 'A' ? 'B' : 'A';
  return code;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

TEST_CASE("coupon codes are added as typed, in their order", "[ctl][coupon]") {
  const std::string first = PrintedCode("S04HW92F53F1DKD1");
  const std::string second = PrintedCode("0000111122223333");
  std::string second_typed = second;
  for (char& c : second_typed) c = static_cast<char>(std::tolower(c));
  EarnRequest request;
  REQUIRE(AddCouponCodes({first, second_typed}, &request).ok());
  REQUIRE(request.coupon_codes_size() == 2);
  CHECK(request.coupon_codes(0) == first);
  CHECK(request.coupon_codes(1) == second_typed);  // The server canonicalizes.
}

TEST_CASE("no --coupon adds no codes", "[ctl][coupon]") {
  EarnRequest request;
  REQUIRE(AddCouponCodes({}, &request).ok());
  CHECK(request.coupon_codes().empty());
}

TEST_CASE("a mistyped --coupon is refused naming the flag and the value",
          "[ctl][coupon]") {
  const std::string good = PrintedCode("S04HW92F53F1DKD1");
  const std::string typo = Mistyped(good);
  EarnRequest request;
  const absl::Status status = AddCouponCodes({good, typo}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) == "--coupon: \"" + typo +
                               "\": check character does not match: a "
                               "character is mistyped");
  CHECK(request.coupon_codes().empty());  // Not even the good one.
}

TEST_CASE("a --coupon that is no code at all is refused", "[ctl][coupon]") {
  EarnRequest request;
  const absl::Status status = AddCouponCodes({"WELCOME10"}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status),
             Catch::StartsWith("--coupon: \"WELCOME10\": is not a coupon code"));
}

TEST_CASE("five coupons are allowed and a sixth is refused", "[ctl][coupon]") {
  std::vector<std::string> codes;
  for (const char* digits :
       {"0000000000000001", "0000000000000002", "0000000000000003",
        "0000000000000004", "0000000000000005"}) {
    codes.push_back(PrintedCode(digits));
  }
  EarnRequest five;
  REQUIRE(AddCouponCodes(codes, &five).ok());
  CHECK(five.coupon_codes_size() == kCouponCodesPerOrderMax);

  codes.push_back(PrintedCode("0000000000000006"));
  EarnRequest six;
  const absl::Status status = AddCouponCodes(codes, &six);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) == "--coupon: at most 5 coupons per order, got 6");
  CHECK(six.coupon_codes().empty());
}

TEST_CASE("one coupon in two spellings is refused", "[ctl][coupon]") {
  const std::string code = PrintedCode("S04HW92F53F1DKD1");
  std::string undashed;
  for (char c : code) {
    if (c != '-') undashed.push_back(static_cast<char>(std::tolower(c)));
  }
  EarnRequest request;
  const absl::Status status = AddCouponCodes({code, undashed}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) == "--coupon: \"" + undashed +
                               "\" is the same coupon as \"" + code + "\"");
  CHECK(request.coupon_codes().empty());
}

TEST_CASE("the --code flag is checked with the same contract check", "[ctl][coupon]") {
  const std::string good = PrintedCode("S04HW92F53F1DKD1");
  CHECK(CheckCouponCodeOffline("--code", good).ok());
  const absl::Status status = CheckCouponCodeOffline("--code", Mistyped(good));
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) ==
        "--code: check character does not match: a character is mistyped");
}

TEST_CASE("validation without a basket sends none", "[ctl][coupon]") {
  ValidateCouponRequest request;
  REQUIRE(AddValidationBasket("", {}, &request).ok());
  CHECK(request.currency().empty());
  CHECK(request.lines().empty());
}

TEST_CASE("a validation basket carries the currency and every line",
          "[ctl][coupon]") {
  ValidateCouponRequest request;
  REQUIRE(AddValidationBasket("EUR", {"CHIPS,snacks,2,350", "MUG,,1,899"},
                              &request)
              .ok());
  CHECK(request.currency() == "EUR");
  REQUIRE(request.lines_size() == 2);
  CHECK(request.lines(0).sku() == "CHIPS");
  CHECK(request.lines(0).category() == "snacks");
  CHECK(request.lines(0).quantity() == 2);
  CHECK(request.lines(0).unit_price_minor() == 350);
  CHECK(request.lines(1).sku() == "MUG");
  CHECK(request.lines(1).category().empty());
}

TEST_CASE("a basket with only --currency is refused naming --line",
          "[ctl][coupon]") {
  ValidateCouponRequest request;
  const absl::Status status = AddValidationBasket("EUR", {}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith("--line: "));
  CHECK(request.currency().empty());
}

TEST_CASE("a basket with only --line is refused naming --currency",
          "[ctl][coupon]") {
  ValidateCouponRequest request;
  const absl::Status status =
      AddValidationBasket("", {"CHIPS,snacks,2,350"}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith("--currency: "));
  CHECK(request.lines().empty());
}

TEST_CASE("a malformed basket line is refused and nothing is set",
          "[ctl][coupon]") {
  ValidateCouponRequest request;
  const absl::Status status =
      AddValidationBasket("EUR", {"CHIPS,snacks,2,350", "MUG,1"}, &request);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith("--line: \"MUG,1\": expected 4"));
  CHECK(request.currency().empty());
  CHECK(request.lines().empty());
}

}  // namespace
}  // namespace loyalty::ctl
