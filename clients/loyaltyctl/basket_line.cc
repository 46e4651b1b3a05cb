// File: clients/loyaltyctl/basket_line.cc

#include "clients/loyaltyctl/basket_line.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace loyalty::ctl {
namespace {

constexpr int kBasketLineFieldCount = 4;

// Parses a decimal int64 field of the line; `field_name` is for the message.
absl::StatusOr<int64_t> ParseIntegerField(absl::string_view field_name,
                                          absl::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field_name, " \"", text, "\" is not a whole number"));
  }
  return value;
}

}  // namespace

absl::StatusOr<loyalty::v1::BasketLine> ParseBasketLine(
    absl::string_view text) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, ',');
  if (fields.size() != kBasketLineFieldCount) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", kBasketLineFieldCount,
        " comma-separated fields SKU,CATEGORY,QTY,UNIT_PRICE_MINOR, got ",
        fields.size()));
  }
  for (absl::string_view& field : fields) {
    field = absl::StripAsciiWhitespace(field);
  }
  if (fields[0].empty()) {
    return absl::InvalidArgumentError("SKU is empty");
  }
  absl::StatusOr<int64_t> quantity = ParseIntegerField("QTY", fields[2]);
  if (!quantity.ok()) return quantity.status();
  absl::StatusOr<int64_t> unit_price_minor =
      ParseIntegerField("UNIT_PRICE_MINOR", fields[3]);
  if (!unit_price_minor.ok()) return unit_price_minor.status();

  loyalty::v1::BasketLine line;
  line.set_sku(std::string(fields[0]));
  line.set_category(std::string(fields[1]));
  line.set_quantity(*quantity);
  line.set_unit_price_minor(*unit_price_minor);
  return line;
}

absl::Status AddBasketLines(
    const std::vector<std::string>& texts,
    google::protobuf::RepeatedPtrField<loyalty::v1::BasketLine>* lines) {
  for (const std::string& text : texts) {
    absl::StatusOr<loyalty::v1::BasketLine> line = ParseBasketLine(text);
    if (!line.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--line: \"", text, "\": ", line.status().message()));
    }
    *lines->Add() = *std::move(line);
  }
  return absl::OkStatus();
}

}  // namespace loyalty::ctl
