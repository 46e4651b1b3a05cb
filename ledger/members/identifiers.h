// File: ledger/members/identifiers.h
//
// Member identifiers as the ledger stores them. Card numbers, app user ids
// and partner accounts are checked and kept as given. Phone numbers are
// normalised to E.164 and email addresses trimmed and lower-cased, then both
// are replaced by a keyed hash, HMAC-SHA256(identifier key, kind ":"
// normalised), as 64 hex digits: the same number or address in any notation
// finds the same member, and the ledger holds no contact data in clear. The
// key never leaves loyaltyd; the head stores only a check value of it
// (KeyCheck), so a ledger is never read with another key by mistake.
#ifndef LOYALTY_LEDGER_MEMBERS_IDENTIFIERS_H_
#define LOYALTY_LEDGER_MEMBERS_IDENTIFIERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// The shortest identifier key loyaltyd accepts, in bytes.
inline constexpr size_t kIdentifierKeyBytesMin = 16;

// "+<country code><number>" for a phone number in any common notation;
// numbers without a country code are read in `default_region` (ISO 3166,
// "TW"; empty = the number must start with +). InvalidArgument naming
// `field` unless it is a valid number by libphonenumber's rules for its
// country (length and allocated ranges; a range allocated after the
// installed libphonenumber was released needs a newer package).
absl::StatusOr<std::string> NormalizePhone(absl::string_view raw,
                                           absl::string_view default_region,
                                           absl::string_view field);
// Trimmed and lower-cased; InvalidArgument naming `field` unless it has the
// shape local@domain.tld in printable ASCII, at most 254 characters.
absl::StatusOr<std::string> NormalizeEmail(absl::string_view raw,
                                           absl::string_view field);
// Whether `region` is an ISO 3166 region the phone rules know.
bool IsKnownPhoneRegion(absl::string_view region);

class IdentifierCodec {
 public:
  // `key` empty: phone and email identifiers are refused (a ledger opened
  // without a key stores none). Otherwise at least kIdentifierKeyBytesMin
  // bytes, else InvalidArgument.
  static absl::StatusOr<IdentifierCodec> Create(std::string key,
                                                std::string default_region);

  // The stored form of `identifier` (see the file comment). InvalidArgument
  // naming `field` (e.g. "identifiers[2]") for a malformed value or kind.
  absl::StatusOr<loyalty::v1::MemberIdentifier> Stored(
      const loyalty::v1::MemberIdentifier& identifier,
      absl::string_view field) const;

  // Replaces a request's `identifier` by its stored form; InvalidArgument
  // naming "identifier".
  absl::Status StoreOne(loyalty::v1::MemberIdentifier* identifier) const;
  // Replaces each of a request's `identifiers` by its stored form;
  // InvalidArgument naming "identifiers[i]" for a malformed one or one
  // listed twice (after normalising: two notations of one phone number).
  absl::Status StoreAll(
      google::protobuf::RepeatedPtrField<loyalty::v1::MemberIdentifier>*
          identifiers) const;

  // HMAC of a fixed text under the key; empty without a key. Computed once,
  // at Create: reads (QuoteEarn) compare it on every call.
  const std::string& KeyCheck() const { return key_check_; }
  bool has_key() const { return !key_.empty(); }

 private:
  IdentifierCodec(std::string key, std::string default_region,
                  std::string key_check)
      : key_(std::move(key)),
        default_region_(std::move(default_region)),
        key_check_(std::move(key_check)) {}

  std::string key_;
  std::string default_region_;
  std::string key_check_;
};

// Whether phones and emails of this kind are kept hashed.
bool IsHashedKind(loyalty::v1::IdentifierKind kind);
// "CARD_NUMBER", "PHONE", ...
absl::string_view IdentifierKindName(loyalty::v1::IdentifierKind kind);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_IDENTIFIERS_H_
