#include "ledger/common/currency.h"

#include <cstdint>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

// Active ISO 4217 codes by minor-unit digits (codes with 2 digits are the
// default list; the others are listed apart).
constexpr absl::string_view kTwoDigitCodes =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL "
    "BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP "
    "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS "
    "INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
    "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD "
    "SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES "
    "WST XCD YER ZAR ZMW ZWL";
constexpr absl::string_view kZeroDigitCodes =
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";
constexpr absl::string_view kThreeDigitCodes = "BHD IQD JOD KWD LYD OMR TND";

const absl::flat_hash_map<std::string, int>& Table() {
  static const auto* const kTable = [] {
    auto* table = new absl::flat_hash_map<std::string, int>();
    for (auto [codes, digits] :
         {std::pair{kTwoDigitCodes, 2}, std::pair{kZeroDigitCodes, 0},
          std::pair{kThreeDigitCodes, 3}}) {
      for (absl::string_view code :
           absl::StrSplit(codes, ' ', absl::SkipEmpty())) {
        (*table)[std::string(code)] = digits;
      }
    }
    return table;
  }();
  return *kTable;
}

}  // namespace

std::optional<int> CurrencyMinorDigits(absl::string_view code) {
  auto it = Table().find(std::string(code));
  if (it == Table().end()) return std::nullopt;
  return it->second;
}

std::string FormatMinorAmount(int64_t amount_minor, absl::string_view code) {
  std::optional<int> digits = CurrencyMinorDigits(code);
  LEDGER_CHECK(digits.has_value());
  if (*digits == 0) return absl::StrCat(amount_minor, " ", code);
  int64_t scale = 1;
  for (int i = 0; i < *digits; ++i) scale *= 10;
  // Magnitude in unsigned so INT64_MIN cannot overflow on negation.
  uint64_t magnitude = amount_minor < 0
                           ? 0 - static_cast<uint64_t>(amount_minor)
                           : static_cast<uint64_t>(amount_minor);
  return absl::StrFormat("%s%d.%0*d %s", amount_minor < 0 ? "-" : "",
                         magnitude / scale, *digits, magnitude % scale, code);
}

}  // namespace loyalty
