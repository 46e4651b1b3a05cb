// File: clients/loyaltyctl/flag_checks.cc

#include "clients/loyaltyctl/flag_checks.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace loyalty::ctl {

CLI::Validator DecimalIntegerCheck(int64_t value_min, int64_t value_max) {
  auto check = [value_min, value_max](std::string& text) -> std::string {
    int64_t value = 0;
    // SimpleAtoi reads base 10 only and fails on overflow.
    const bool is_integer = absl::SimpleAtoi(text, &value);
    if (!is_integer || value < value_min || value > value_max) {
      return absl::StrCat("\"", text, "\" is not a whole number from ",
                          value_min, " to ", value_max);
    }
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
