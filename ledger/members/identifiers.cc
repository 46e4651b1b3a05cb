#include "ledger/members/identifiers.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "phonenumbers/phonenumberutil.h"

namespace loyalty {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;
using loyalty::v1::MemberIdentifier;

// Longer than any notation of a real number; keeps the parser's work small.
constexpr size_t kPhoneInputLengthMax = 64;
constexpr size_t kEmailLengthMax = 254;
constexpr absl::string_view kKeyCheckText =
    "loyalty-ledger identifier key check";

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  LEDGER_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), digest, &length) != nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

bool IsKnownPhoneRegion(absl::string_view region) {
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  return regions.count(std::string(region)) > 0;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view raw,
                                           absl::string_view default_region,
                                           absl::string_view field) {
  if (raw.empty()) return InvalidField(field, "is required");
  if (raw.size() > kPhoneInputLengthMax || !IsValidUtf8(raw)) {
    return InvalidField(field, absl::StrCat("is not a phone number (at most ",
                                            kPhoneInputLengthMax,
                                            " characters of UTF-8)"));
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // "ZZ" is libphonenumber's unknown region: only "+..." parses.
  const std::string region =
      default_region.empty() ? "ZZ" : std::string(default_region);
  PhoneNumberUtil::ErrorType parsed =
      util->Parse(std::string(raw), region, &number);
  if (parsed == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR) {
    return InvalidField(
        field, default_region.empty()
                   ? "a phone number needs + and its country code (the "
                     "program has no default_phone_region)"
                   : "is not a phone number: unknown country code");
  }
  if (parsed != PhoneNumberUtil::NO_PARSING_ERROR) {
    return InvalidField(field, "is not a phone number");
  }
  if (!util->IsValidNumber(number)) {
    return InvalidField(field,
                        "is not a phone number in use in its country (wrong "
                        "length or number range)");
  }
  std::string e164;
  util->Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

absl::StatusOr<std::string> NormalizeEmail(absl::string_view raw,
                                           absl::string_view field) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (email.empty()) return InvalidField(field, "is required");
  if (email.size() > kEmailLengthMax) {
    return InvalidField(field, absl::StrCat("an email address is at most ",
                                            kEmailLengthMax, " characters"));
  }
  for (char c : email) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField(field,
                          "an email address is printable ASCII without "
                          "spaces");
    }
  }
  const size_t at = email.find('@');
  const size_t dot = email.rfind('.');
  if (at == std::string::npos || at == 0 ||
      email.find('@', at + 1) != std::string::npos || dot == std::string::npos ||
      dot < at + 2 || dot + 1 == email.size()) {
    return InvalidField(field, "is not an email address (local@domain.tld)");
  }
  return email;
}

absl::StatusOr<IdentifierCodec> IdentifierCodec::Create(
    std::string key, std::string default_region) {
  if (!key.empty() && key.size() < kIdentifierKeyBytesMin) {
    return absl::InvalidArgumentError(
        absl::StrCat("the identifier key has ", key.size(),
                     " bytes; it needs at least ", kIdentifierKeyBytesMin));
  }
  if (!default_region.empty() && !IsKnownPhoneRegion(default_region)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "default_phone_region: \"", default_region,
        "\" is not an ISO 3166 region the phone rules know"));
  }
  std::string key_check =
      key.empty() ? std::string() : HmacSha256(key, kKeyCheckText);
  return IdentifierCodec(std::move(key), std::move(default_region),
                         std::move(key_check));
}

absl::StatusOr<MemberIdentifier> IdentifierCodec::Stored(
    const MemberIdentifier& identifier, absl::string_view field) const {
  const std::string value_field = absl::StrCat(field, ".value");
  MemberIdentifier stored;
  stored.set_kind(identifier.kind());
  std::string normalized;
  switch (identifier.kind()) {
    case loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER:
      LEDGER_RETURN_IF_ERROR(ValidateCardNumber(identifier.value(), value_field));
      stored.set_value(identifier.value());
      return stored;
    case loyalty::v1::IDENTIFIER_KIND_APP_USER_ID:
    case loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT:
      LEDGER_RETURN_IF_ERROR(
          ValidateToken(identifier.value(), value_field, kIdLengthMax, true));
      stored.set_value(identifier.value());
      return stored;
    case loyalty::v1::IDENTIFIER_KIND_PHONE: {
      LEDGER_ASSIGN_OR_RETURN(
          normalized,
          NormalizePhone(identifier.value(), default_region_, value_field));
      break;
    }
    case loyalty::v1::IDENTIFIER_KIND_EMAIL: {
      LEDGER_ASSIGN_OR_RETURN(normalized,
                              NormalizeEmail(identifier.value(), value_field));
      break;
    }
    default:
      return InvalidField(
          absl::StrCat(field, ".kind"),
          "must be CARD_NUMBER, APP_USER_ID, PHONE, EMAIL or PARTNER_ACCOUNT");
  }
  if (key_.empty()) {
    return InvalidField(value_field,
                        "phone numbers and email addresses need loyaltyd's "
                        "identifier key (--identifier-key-file)");
  }
  stored.set_value(HexEncode(HmacSha256(
      key_, absl::StrCat(IdentifierKindName(identifier.kind()), ":",
                         normalized))));
  return stored;
}

absl::Status IdentifierCodec::StoreOne(MemberIdentifier* identifier) const {
  LEDGER_ASSIGN_OR_RETURN(MemberIdentifier stored,
                          Stored(*identifier, "identifier"));
  *identifier = std::move(stored);
  return absl::OkStatus();
}

absl::Status IdentifierCodec::StoreAll(
    google::protobuf::RepeatedPtrField<MemberIdentifier>* identifiers) const {
  for (int i = 0; i < identifiers->size(); ++i) {
    const std::string field = absl::StrCat("identifiers[", i, "]");
    LEDGER_ASSIGN_OR_RETURN(MemberIdentifier stored,
                            Stored(identifiers->Get(i), field));
    for (int j = 0; j < i; ++j) {
      if (identifiers->Get(j).kind() == stored.kind() &&
          identifiers->Get(j).value() == stored.value()) {
        return InvalidField(absl::StrCat(field, ".value"),
                            absl::StrCat("is identifiers[", j, "] again"));
      }
    }
    *identifiers->Mutable(i) = std::move(stored);
  }
  return absl::OkStatus();
}

bool IsHashedKind(loyalty::v1::IdentifierKind kind) {
  return kind == loyalty::v1::IDENTIFIER_KIND_PHONE ||
         kind == loyalty::v1::IDENTIFIER_KIND_EMAIL;
}

absl::string_view IdentifierKindName(loyalty::v1::IdentifierKind kind) {
  switch (kind) {
    case loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER:
      return "CARD_NUMBER";
    case loyalty::v1::IDENTIFIER_KIND_APP_USER_ID:
      return "APP_USER_ID";
    case loyalty::v1::IDENTIFIER_KIND_PHONE:
      return "PHONE";
    case loyalty::v1::IDENTIFIER_KIND_EMAIL:
      return "EMAIL";
    case loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT:
      return "PARTNER_ACCOUNT";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace loyalty
