// File: ledger/common/currency.h
//
// ISO 4217 currency codes the ledger accepts, with their minor-unit digits
// (2 for EUR: amounts are cents; 0 for JPY; 3 for KWD).
#ifndef LOYALTY_LEDGER_COMMON_CURRENCY_H_
#define LOYALTY_LEDGER_COMMON_CURRENCY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty {

// Minor-unit digits of an active ISO 4217 code; nullopt for anything else
// (lower case, unknown, funds codes).
std::optional<int> CurrencyMinorDigits(absl::string_view code);

// "12.99 EUR" for 1299 minor units of EUR. `code` must be known.
std::string FormatMinorAmount(int64_t amount_minor, absl::string_view code);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_CURRENCY_H_
