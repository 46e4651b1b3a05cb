// File: clients/loyaltyctl/basket_line.h
//
// Parses the --line flags of `loyaltyctl earn`, `quote` and `coupon
// validate` into BasketLines.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_BASKET_LINE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_BASKET_LINE_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {

// Parses "SKU,CATEGORY,QTY,UNIT_PRICE_MINOR", e.g. "A-1,food,2,1999" or, with
// no category, "A-1,,2,1999". Blanks around each field are dropped. SKU must
// not be empty; QTY and UNIT_PRICE_MINOR must be decimal integers, and their
// ranges are the server's to check. Returns kInvalidArgument naming the field
// at fault; the message does not repeat `text`, so the caller can prefix the
// flag and the value.
absl::StatusOr<loyalty::v1::BasketLine> ParseBasketLine(absl::string_view text);

// Parses every --line value and appends it to `lines`. The first that does
// not parse is the error, kInvalidArgument as `--line: "TEXT": problem`;
// `lines` then holds the ones before it.
absl::Status AddBasketLines(
    const std::vector<std::string>& texts,
    google::protobuf::RepeatedPtrField<loyalty::v1::BasketLine>* lines);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_BASKET_LINE_H_
