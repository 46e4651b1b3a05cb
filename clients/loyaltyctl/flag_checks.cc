// File: clients/loyaltyctl/flag_checks.cc

#include "clients/loyaltyctl/flag_checks.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace loyalty::ctl {
namespace {

// An optional sign and decimal digits only: a number, if perhaps too large.
bool LooksLikeInteger(absl::string_view text) {
  absl::string_view digits = absl::StripAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&digits, "-")) absl::ConsumePrefix(&digits, "+");
  return !digits.empty() &&
         std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit);
}

}  // namespace

CLI::Validator DecimalIntegerCheck(int64_t value_min, int64_t value_max) {
  auto check = [value_min, value_max](std::string& text) -> std::string {
    const std::string out_of_range = absl::StrCat(
        "\"", text, "\" is out of range ", value_min, "..", value_max);
    int64_t value = 0;
    // SimpleAtoi reads base 10 only, and fails on int64 overflow too.
    if (!absl::SimpleAtoi(text, &value)) {
      if (LooksLikeInteger(text)) return out_of_range;
      return absl::StrCat("\"", text, "\" is not a whole number");
    }
    if (value < value_min || value > value_max) return out_of_range;
    text = absl::StrCat(value);
    return "";
  };
  return CLI::Validator(check, /*validator_desc=*/"", "DecimalInteger");
}

CLI::Validator MetadataValueCheck() {
  auto check = [](const std::string& text) -> std::string {
    for (const char c : text) {
      if (c < 0x20 || c > 0x7e) {
        return "must be printable ASCII (it is sent as gRPC metadata)";
      }
    }
    return "";
  };
  return CLI::Validator(check, /*validator_desc=*/"", "MetadataValue");
}

CLI::Validator NotEmptyCheck() {
  auto check = [](const std::string& text) -> std::string {
    return text.empty() ? "must not be empty" : "";
  };
  return CLI::Validator(check, /*validator_desc=*/"", "NotEmpty");
}

}  // namespace loyalty::ctl
