// File: tests/fuzz/validation_fuzz.cc
//
// Fuzzes request validation (ledger/common/validation.h), the identifier codec
// behind it (ledger/members/identifiers.h) and the earn computation
// (ledger/points/earn_rules.h). Input:
//
//   u8 selector | serialized request
//
// selector % 15 picks EarnRequest, RedeemRequest, AdjustRequest,
// EnrollMemberRequest, ListEntriesRequest, RecordEventRequest,
// HoldPointsRequest, SettleHoldRequest, ReturnRequest,
// LinkIdentifierRequest, UnlinkIdentifierRequest, TransferPointsRequest,
// ImportMemberRequest, MergeMembersRequest or CloseMemberRequest; bytes
// that do not parse as that message are skipped (libprotobuf's parser is
// not what we fuzz).
//
// The oracle is differential: each request is judged a second time by the
// rules below, written from ledger/common/limits.h, validation.h's and
// identifiers.h's contracts independently of validation.cc and
// identifiers.cc, and the two must agree both ways. An OK the rules call
// invalid means a field past its limit reaches the ledger; a rejection they
// call valid means a good request bounces. Every rejection must be
// INVALID_ARGUMENT "field: problem" with reason INVALID_FIELD.
//
// Requests with identifiers are checked as the Ledger checks them before
// queueing: the shape (Validate*), then every identifier through an
// IdentifierCodec with a key and the default region "TW" (StoreAll for an
// enroll, which also refuses one identifier listed twice after
// normalising; Stored for a link or unlink; the row's phone of an import,
// with CheckEarnedOn for its date). Cards, app user ids, partner accounts
// and emails are judged here in full. Whether a phone number exists is
// libphonenumber's knowledge, which is not restated: the rules only demand
// what any number needs (1..64 bytes), that the notations of a small table
// are read as their numbers, and that what the codec accepts is stored as
// HMAC-SHA256(key, "PHONE:" E.164) with a well-formed E.164 that normalises
// to itself. Every stored phone or email must be that HMAC, computed here
// with OpenSSL.
//
// For a valid earn, ComputeEarn runs against a fixed program and must match
// an exact 128-bit computation: the same spend and points (both >= 0), or
// INVALID_ARGUMENT exactly when the exact result does not fit in int64 or the
// currency is not the program's.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "ledger/points/earn_rules.h"
#include "ledger/members/identifiers.h"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {
namespace {

using v1::AdjustRequest;
using v1::BasketLine;
using v1::EarnRequest;
using v1::EnrollMemberRequest;
using v1::ListEntriesRequest;
using v1::RedeemRequest;
using v1::RequestContext;

// The server's clock, fixed so a run is deterministic.
constexpr int64_t kNowMs = 1'700'000'000'000;

// Rates chosen to reach every branch of ComputeEarn: an ordinary rate, the
// largest points_per_step with the smallest step (points overflow first),
// a zero-point rate, and a step so large no basket completes one. The time
// zone dates an import's earned_on: UTC+5:30 all year since 1945 (and half
// an hour off any whole-hour arithmetic).
constexpr absl::string_view kProgramText = R"pb(
  program_id: "fuzz"
  time_zone: "Asia/Kolkata"
  earn_rates {
    rule_id: "base-eur"
    currency: "EUR"
    spend_minor_per_step: 100
    points_per_step: 1
  }
  earn_rates {
    rule_id: "max-usd"
    currency: "USD"
    spend_minor_per_step: 1
    points_per_step: 1000000
  }
  earn_rates {
    rule_id: "none-jpy"
    currency: "JPY"
    spend_minor_per_step: 1000
    points_per_step: 0
  }
  earn_rates {
    rule_id: "huge-kwd"
    currency: "KWD"
    spend_minor_per_step: 9223372036854775807
    points_per_step: 7
  }
)pb";

const v1::ProgramConfig& Program() {
  static const v1::ProgramConfig* const kProgram = [] {
    auto parsed = ParseProgram(kProgramText, ProgramFormat::kTextProto,
                               "validation_fuzz");
    LEDGER_CHECK(parsed.ok());
    return new v1::ProgramConfig(*std::move(parsed));
  }();
  return *kProgram;
}

// The identifier codec as loyaltyd runs it: with a key and a default region.
constexpr absl::string_view kIdentifierKey = "validation-fuzz identifier key";
constexpr absl::string_view kPhoneRegion = "TW";
constexpr int64_t kUtcOffsetMs = (5 * 60 + 30) * 60 * 1000;  // Asia/Kolkata.

const IdentifierCodec& Codec() {
  static const IdentifierCodec* const kCodec = [] {
    auto codec = IdentifierCodec::Create(std::string(kIdentifierKey),
                                         std::string(kPhoneRegion));
    LEDGER_CHECK(codec.ok());
    return new IdentifierCodec(*std::move(codec));
  }();
  return *kCodec;
}

absl::TimeZone ProgramZone() {
  static const absl::TimeZone kZone = [] {
    auto zone = ProgramTimeZone(Program());
    LEDGER_CHECK(zone.ok());
    return *zone;
  }();
  return kZone;
}

// ---- The rules, restated from ledger/common/limits.h and validation.h. ----
// Each returns nullopt for a valid value, else why it is not.
using Verdict = std::optional<std::string>;

#define FUZZ_RETURN_IF_INVALID(expr)           \
  do {                                         \
    Verdict verdict_ = (expr);                 \
    if (verdict_.has_value()) return verdict_; \
  } while (false)

Verdict Invalid(absl::string_view field, absl::string_view problem) {
  return absl::StrCat(field, ": ", problem);
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::StrContains("._:@-", c);
}

// Ids: 1..64 of [A-Za-z0-9._:@-].
Verdict JudgeId(absl::string_view value, absl::string_view field) {
  if (value.empty() || value.size() > size_t{kIdLengthMax}) {
    return Invalid(field, "length");
  }
  for (char c : value) {
    if (!IsIdChar(c)) return Invalid(field, "character");
  }
  return std::nullopt;
}

// Tokens (request, order, store, terminal, sku ids): printable ASCII, no space.
Verdict JudgeToken(absl::string_view value, absl::string_view field,
                   size_t length_max, bool required) {
  if (value.empty()) return required ? Invalid(field, "missing") : std::nullopt;
  if (value.size() > length_max) return Invalid(field, "length");
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) return Invalid(field, "character");
  }
  return std::nullopt;
}

// Free text (category, note): at most `length_max` bytes, no C0 control
// character and no DEL. Bytes >= 0x80 (UTF-8) pass, as validation.cc has it.
Verdict JudgeText(absl::string_view value, absl::string_view field,
                  size_t length_max) {
  if (value.size() > length_max) return Invalid(field, "length");
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return Invalid(field, "control");
  }
  return std::nullopt;
}

Verdict JudgeCommonContext(const RequestContext& context) {
  FUZZ_RETURN_IF_INVALID(JudgeToken(context.request_id(), "request_id",
                                    kRequestIdLengthMax, true));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(context.store_id(), "store_id", kIdLengthMax, false));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(context.terminal_id(), "terminal_id", kIdLengthMax, false));
  if (context.occurred_at_ms() < 0 ||
      context.occurred_at_ms() > kNowMs + kOccurredAtFutureSkewMsMax) {
    return Invalid("occurred_at_ms", "range");
  }
  return std::nullopt;
}

Verdict JudgeChannelContext(const RequestContext& context) {
  switch (context.channel()) {
    case v1::CHANNEL_POS:
      if (context.store_id().empty()) return Invalid("store_id", "POS");
      break;
    case v1::CHANNEL_APP:
    case v1::CHANNEL_WEB:
    case v1::CHANNEL_PARTNER:
      break;
    default:
      return Invalid("channel", "not a channel's");
  }
  return JudgeCommonContext(context);
}

Verdict JudgeAdminContext(const RequestContext& context) {
  if (context.channel() != v1::CHANNEL_UNSPECIFIED &&
      context.channel() != v1::CHANNEL_ADMIN) {
    return Invalid("channel", "not admin");
  }
  return JudgeCommonContext(context);
}

Verdict JudgeLine(const BasketLine& line) {
  FUZZ_RETURN_IF_INVALID(JudgeToken(line.sku(), "sku", kIdLengthMax, true));
  FUZZ_RETURN_IF_INVALID(
      JudgeText(line.category(), "category", kCategoryLengthMax));
  if (line.quantity() < 1 || line.quantity() > kQuantityMax) {
    return Invalid("quantity", "range");
  }
  if (line.unit_price_minor() < 0 ||
      line.unit_price_minor() > kUnitPriceMinorMax) {
    return Invalid("unit_price_minor", "range");
  }
  return std::nullopt;
}

Verdict JudgeEarn(const EarnRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(request.order_id(), "order_id", kIdLengthMax, true));
  const std::string& currency = request.currency();
  if (currency.size() != 3) return Invalid("currency", "length");
  for (char c : currency) {
    if (c < 'A' || c > 'Z') return Invalid("currency", "character");
  }
  if (request.lines_size() < 1 || request.lines_size() > kBasketLinesMax) {
    return Invalid("lines", "count");
  }
  for (const BasketLine& line : request.lines()) {
    FUZZ_RETURN_IF_INVALID(JudgeLine(line));
  }
  return std::nullopt;
}

Verdict JudgeRedeem(const RedeemRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(request.order_id(), "order_id", kIdLengthMax, true));
  if (request.points() < 1 || request.points() > kPointsPerRequestMax) {
    return Invalid("points", "range");
  }
  return std::nullopt;
}

Verdict JudgeRecordEvent(const v1::RecordEventRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.event_id(), "event_id"));
  if (request.reference().empty()) return std::nullopt;
  return JudgeToken(request.reference(), "reference", kIdLengthMax, true);
}

Verdict JudgeHold(const v1::HoldPointsRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(request.order_id(), "order_id", kIdLengthMax, false));
  if (request.points() < 1 || request.points() > kPointsPerRequestMax) {
    return Invalid("points", "range");
  }
  // The fuzzed program has no hold_timeout_max_ms: the default applies.
  if (request.timeout_ms() < kHoldTimeoutMinMs ||
      request.timeout_ms() > kHoldTimeoutDefaultMaxMs) {
    return Invalid("timeout_ms", "range");
  }
  return std::nullopt;
}

// "H" then a decimal sequence: no leading zero, at least 1, fits uint64.
Verdict JudgeSettleHold(const v1::SettleHoldRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  const std::string& id = request.hold_id();
  if (id.size() < 2 || id[0] != 'H' || id[1] == '0') {
    return Invalid("hold_id", "shape");
  }
  absl::uint128 value = 0;
  for (size_t i = 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return Invalid("hold_id", "digit");
    value = value * 10 + static_cast<unsigned>(id[i] - '0');
    if (value > std::numeric_limits<uint64_t>::max()) {
      return Invalid("hold_id", "too large");
    }
  }
  return std::nullopt;
}

Verdict JudgeReturn(const v1::ReturnRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  FUZZ_RETURN_IF_INVALID(
      JudgeToken(request.order_id(), "order_id", kIdLengthMax, true));
  const bool has_lines = request.lines_size() > 0;
  if (has_lines == (request.amount_minor() != 0)) {
    return Invalid("lines", "exactly one of lines and amount");
  }
  if (request.lines_size() > kBasketLinesMax) return Invalid("lines", "count");
  std::set<std::string> skus;
  for (const v1::ReturnLine& line : request.lines()) {
    FUZZ_RETURN_IF_INVALID(JudgeToken(line.sku(), "sku", kIdLengthMax, true));
    if (!skus.insert(line.sku()).second) return Invalid("sku", "duplicate");
    if (line.quantity() < 1 || line.quantity() > kQuantityMax) {
      return Invalid("quantity", "range");
    }
  }
  if (request.amount_minor() < 0 ||
      request.amount_minor() > kPointsPerRequestMax) {
    return Invalid("amount_minor", "range");
  }
  return std::nullopt;
}

// What every admin record carries: a reason code of 1..32 of [A-Z0-9_], an
// operator id (an id), and a note (free text, at most 500 bytes).
Verdict JudgeOperatorRecord(const std::string& reason,
                            const std::string& operator_id,
                            const std::string& note) {
  if (reason.empty() || reason.size() > size_t{kReasonCodeLengthMax}) {
    return Invalid("reason_code", "length");
  }
  for (char c : reason) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) return Invalid("reason_code", "character");
  }
  FUZZ_RETURN_IF_INVALID(JudgeId(operator_id, "operator_id"));
  return JudgeText(note, "note", kNoteLengthMax);
}

Verdict JudgeAdjust(const AdjustRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeAdminContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  int64_t delta = request.points_delta();
  if (delta == 0 || delta > kPointsPerRequestMax ||
      delta < -kPointsPerRequestMax) {
    return Invalid("points_delta", "range");
  }
  return JudgeOperatorRecord(request.reason_code(), request.operator_id(),
                             request.note());
}

// Admin only; two well-formed member ids that differ as written (whether
// one is an alias of the other is the ledger's business, not validation's).
Verdict JudgeMerge(const v1::MergeMembersRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeAdminContext(request.context()));
  FUZZ_RETURN_IF_INVALID(
      JudgeId(request.source_member_id(), "source_member_id"));
  FUZZ_RETURN_IF_INVALID(
      JudgeId(request.target_member_id(), "target_member_id"));
  if (request.source_member_id() == request.target_member_id()) {
    return Invalid("target_member_id", "the source");
  }
  return JudgeOperatorRecord(request.reason_code(), request.operator_id(),
                             request.note());
}

Verdict JudgeClose(const v1::CloseMemberRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeAdminContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  return JudgeOperatorRecord(request.reason_code(), request.operator_id(),
                             request.note());
}

// ---- Identifiers (identifiers.h). ----

std::string HmacHex(absl::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  LEDGER_CHECK(HMAC(EVP_sha256(), kIdentifierKey.data(),
                    static_cast<int>(kIdentifierKey.size()),
                    reinterpret_cast<const unsigned char*>(message.data()),
                    message.size(), digest, &length) != nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0xf]);
  }
  return hex;
}

// Notations of Taiwanese numbers (read in the default region "TW"), and
// what they are in E.164; each was checked against libphonenumber once.
struct KnownPhone {
  absl::string_view notation;
  absl::string_view e164;
};
constexpr KnownPhone kKnownPhones[] = {
    {"0912-345-678", "+886912345678"},
    {"+886 912 345 678", "+886912345678"},
    {"(0912) 345 678", "+886912345678"},
    {"+886 (0) 912 345 678", "+886912345678"},
    {"02-2345-6789", "+886223456789"},
    {"(02) 2345 6789", "+886223456789"},
    {"+886.2.2345.6789", "+886223456789"},
};

// "+", a first digit 1-9, then 6..14 more digits (E.164: at most 15).
bool IsE164(absl::string_view number) {
  if (number.size() < 8 || number.size() > 16 || number[0] != '+' ||
      number[1] < '1' || number[1] > '9') {
    return false;
  }
  for (char c : number.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An identifier's verdict and, when valid, what makes two identifiers the
// same one (its kind and normalised value).
struct IdentifierVerdict {
  Verdict invalid;
  std::string identity;
};

// Trimmed (ASCII white space) and lower-cased; then printable ASCII without
// spaces, at most 254 characters, local@domain.tld: one '@', not first, and
// the domain's last '.' neither its first nor its last character.
IdentifierVerdict JudgeEmail(absl::string_view raw) {
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (email.empty() || email.size() > 254) {
    return {Invalid("email", "length"), ""};
  }
  for (char c : email) {
    if (c < 0x21 || c > 0x7e) return {Invalid("email", "character"), ""};
  }
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 ||
      email.find('@', at + 1) != std::string::npos) {
    return {Invalid("email", "one @ after the local part"), ""};
  }
  const absl::string_view domain = absl::string_view(email).substr(at + 1);
  const size_t dot = domain.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == domain.size()) {
    return {Invalid("email", "domain.tld"), ""};
  }
  return {std::nullopt, email};
}

// What every phone number needs, and the table; whether any other number
// exists is the codec's call (see the file comment), whose E.164 the caller
// checks with CheckStoredPhone.
IdentifierVerdict JudgePhone(absl::string_view raw) {
  if (raw.empty() || raw.size() > 64) return {Invalid("phone", "length"), ""};
  for (const KnownPhone& known : kKnownPhones) {
    if (raw == known.notation) return {std::nullopt, std::string(known.e164)};
  }
  absl::StatusOr<std::string> e164 = NormalizePhone(raw, kPhoneRegion, "phone");
  if (!e164.ok()) return {Invalid("phone", "no such number"), ""};
  return {std::nullopt, *e164};
}

IdentifierVerdict JudgeIdentifier(const v1::MemberIdentifier& identifier) {
  const std::string& value = identifier.value();
  IdentifierVerdict verdict;
  switch (identifier.kind()) {
    case v1::IDENTIFIER_KIND_CARD_NUMBER:
      if (value.size() < size_t{kCardNumberDigitsMin} ||
          value.size() > size_t{kCardNumberDigitsMax}) {
        return {Invalid("card", "length"), ""};
      }
      for (char c : value) {
        if (c < '0' || c > '9') return {Invalid("card", "character"), ""};
      }
      verdict.identity = value;
      break;
    case v1::IDENTIFIER_KIND_APP_USER_ID:
    case v1::IDENTIFIER_KIND_PARTNER_ACCOUNT:
      verdict.invalid = JudgeToken(value, "account", kIdLengthMax, true);
      verdict.identity = value;
      break;
    case v1::IDENTIFIER_KIND_EMAIL:
      verdict = JudgeEmail(value);
      break;
    case v1::IDENTIFIER_KIND_PHONE:
      verdict = JudgePhone(value);
      break;
    default:
      return {Invalid("kind", "unknown"), ""};
  }
  verdict.identity = absl::StrCat(identifier.kind(), ":", verdict.identity);
  return verdict;
}

// The stored form of an identifier the rules call valid: as given, or the
// HMAC of "PHONE:" / "EMAIL:" and the normalised value.
std::string StoredForm(const v1::MemberIdentifier& identifier,
                       const IdentifierVerdict& verdict) {
  const std::string normalised =
      verdict.identity.substr(verdict.identity.find(':') + 1);
  switch (identifier.kind()) {
    case v1::IDENTIFIER_KIND_PHONE:
      // Invariant: a number the codec accepts is E.164 and stays itself.
      LEDGER_CHECK(IsE164(normalised));
      LEDGER_CHECK(*NormalizePhone(normalised, kPhoneRegion, "phone") ==
                   normalised);
      return HmacHex(absl::StrCat("PHONE:", normalised));
    case v1::IDENTIFIER_KIND_EMAIL:
      return HmacHex(absl::StrCat("EMAIL:", normalised));
    default:
      return identifier.value();
  }
}

void CheckStored(const v1::MemberIdentifier& sent,
                 const v1::MemberIdentifier& stored) {
  LEDGER_CHECK(stored.kind() == sent.kind());
  LEDGER_CHECK(stored.value() == StoredForm(sent, JudgeIdentifier(sent)));
}

Verdict JudgeEnroll(const EnrollMemberRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  if (!request.member_id().empty()) {
    FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  }
  if (request.identifiers_size() > kIdentifiersPerMemberMax) {
    return Invalid("identifiers", "count");
  }
  std::set<std::string> seen;
  for (const v1::MemberIdentifier& identifier : request.identifiers()) {
    IdentifierVerdict verdict = JudgeIdentifier(identifier);
    if (verdict.invalid.has_value()) return verdict.invalid;
    // Two notations of one number or address are one identifier.
    if (!seen.insert(verdict.identity).second) {
      return Invalid("identifiers", "duplicate");
    }
  }
  return std::nullopt;
}

template <typename IdentifierRequest>
Verdict JudgeIdentifierRequest(const IdentifierRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  if (!request.has_identifier()) return Invalid("identifier", "missing");
  return JudgeIdentifier(request.identifier()).invalid;
}

Verdict JudgeTransfer(const v1::TransferPointsRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.from_member_id(), "from_member_id"));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.to_member_id(), "to_member_id"));
  if (request.to_member_id() == request.from_member_id()) {
    return Invalid("to_member_id", "the sender");
  }
  if (request.points() < 1 || request.points() > kPointsPerRequestMax) {
    return Invalid("points", "range");
  }
  return JudgeText(request.note(), "note", kNoteLengthMax);
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year =
      (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// earned_on: exactly YYYY-MM-DD, a real day whose midnight in the program's
// time zone (UTC+5:30) lies neither before the Unix epoch (so 1970-01-01
// itself is refused there) nor after now. Sets the midnight when valid.
Verdict JudgeEarnedOn(absl::string_view date, int64_t* midnight_ms) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') {
    return Invalid("earned_on", "shape");
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return Invalid("earned_on", "digit");
  }
  auto number = [&](size_t from, size_t length) {
    int64_t value = 0;
    for (size_t i = from; i < from + length; ++i)
      value = value * 10 + (date[i] - '0');
    return value;
  };
  const int64_t year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0)) {
    return Invalid("earned_on", "no such day");
  }
  *midnight_ms = DaysFromCivil(year, month, day) * 86'400'000 - kUtcOffsetMs;
  if (*midnight_ms < 0) return Invalid("earned_on", "before the epoch");
  if (*midnight_ms > kNowMs) return Invalid("earned_on", "future");
  return std::nullopt;
}

Verdict JudgeImport(const v1::ImportMemberRequest& request,
                    int64_t* midnight_ms) {
  FUZZ_RETURN_IF_INVALID(JudgeAdminContext(request.context()));
  const std::string& card = request.card_number();
  if (card.size() < size_t{kCardNumberDigitsMin} ||
      card.size() > size_t{kCardNumberDigitsMax}) {
    return Invalid("card_number", "length");
  }
  for (char c : card) {
    if (c < '0' || c > '9') return Invalid("card_number", "character");
  }
  if (request.opening_points() < 0 ||
      request.opening_points() > kOpeningPointsMax) {
    return Invalid("opening_points", "range");
  }
  if (!request.phone().empty()) {
    FUZZ_RETURN_IF_INVALID(JudgePhone(request.phone()).invalid);
  }
  if (request.earned_on().empty()) return std::nullopt;
  return JudgeEarnedOn(request.earned_on(), midnight_ms);
}

Verdict JudgeListEntries(const ListEntriesRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  if (request.page_size() < 0 || request.page_size() > kPageSizeMax) {
    return Invalid("page_size", "range");
  }
  return std::nullopt;
}

// ---- Checks. ----

// Validation and the rules must agree; a rejection must name a field.
void CheckAgreement(const google::protobuf::Message& request,
                    const absl::Status& status, const Verdict& verdict) {
  if (status.ok() != !verdict.has_value()) {
    std::fprintf(stderr,
                 "validation_fuzz: validation says \"%s\", the rules say "
                 "\"%s\", for %s { %s }\n",
                 status.ToString().c_str(), verdict.value_or("valid").c_str(),
                 request.GetTypeName().c_str(),
                 request.ShortDebugString().c_str());
  }
  LEDGER_CHECK(status.ok() == !verdict.has_value());
  if (status.ok()) return;
  LEDGER_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  LEDGER_CHECK(ReasonOf(status) == v1::ERROR_REASON_INVALID_FIELD);
  // "field: problem", with a non-empty field.
  size_t colon = status.message().find(": ");
  LEDGER_CHECK(colon != absl::string_view::npos);
  LEDGER_CHECK(colon > 0);
}

// A valid earn's points, against the exact result in 128 bits.
void CheckEarn(const EarnRequest& request) {
  absl::StatusOr<EarnComputation> earn = ComputeEarn(Program(), request, request.context().occurred_at_ms());
  const v1::EarnRate* rate = nullptr;
  for (const v1::EarnRate& candidate : Program().earn_rates()) {
    if (candidate.currency() == request.currency()) rate = &candidate;
  }
  if (rate == nullptr) {
    LEDGER_CHECK(earn.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const absl::int128 kInt64Max = std::numeric_limits<int64_t>::max();
  absl::int128 spend = 0;  // At most 200 x 10^6 x 10^12: no overflow here.
  for (const BasketLine& line : request.lines()) {
    spend += absl::int128(line.quantity()) * line.unit_price_minor();
  }
  absl::int128 points = -1;
  if (spend <= kInt64Max) {
    points = (spend / rate->spend_minor_per_step()) * rate->points_per_step();
  }
  if (spend > kInt64Max || points > kInt64Max) {
    LEDGER_CHECK(earn.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  LEDGER_CHECK(earn.ok());
  // Invariant: a valid earn never takes points or money away.
  LEDGER_CHECK(earn->spend_minor >= 0);
  LEDGER_CHECK(earn->points >= 0);
  LEDGER_CHECK(absl::int128(earn->spend_minor) == spend);
  LEDGER_CHECK(absl::int128(earn->points) == points);
  // Invariant: the breakdown explains every point, each by a program rule.
  LEDGER_CHECK(!earn->breakdown.empty());
  int64_t breakdown_points = 0;
  for (const v1::EarnBreakdownLine& line : earn->breakdown) {
    LEDGER_CHECK(line.rule_id() == rate->rule_id());
    LEDGER_CHECK(!line.description().empty());
    breakdown_points += line.points();
  }
  LEDGER_CHECK(breakdown_points == earn->points);
}

// DecodePageToken must not crash on whatever the client sent, and a token it
// accepts must be the one EncodePageToken makes for the sequence it holds.
void CheckPageToken(const ListEntriesRequest& request) {
  absl::StatusOr<uint64_t> sequence =
      DecodePageToken(request.member_id(), request.page_token());
  if (!sequence.ok()) {
    LEDGER_CHECK(sequence.status().code() ==
                 absl::StatusCode::kInvalidArgument);
    return;
  }
  auto again = DecodePageToken(request.member_id(),
                               EncodePageToken(request.member_id(), *sequence));
  LEDGER_CHECK(again.ok());
  LEDGER_CHECK(*again == *sequence);
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  return request->ParseFromArray(data, static_cast<int>(size));
}

// A link or unlink as the Ledger checks it: the shape, then the identifier
// through the codec; what it stores is the stored form.
template <typename IdentifierRequest>
void CheckIdentifierRequest(const IdentifierRequest& request,
                            absl::Status status) {
  absl::StatusOr<v1::MemberIdentifier> stored;
  if (status.ok()) {
    stored = Codec().Stored(request.identifier(), "identifier");
    status = stored.status();
  }
  CheckAgreement(request, status, JudgeIdentifierRequest(request));
  if (status.ok()) CheckStored(request.identifier(), *stored);
}

// An import row as Ledger::ImportMember checks it: the shape, the phone
// through the codec (its message naming the row's column), the day; a
// valid day's midnight is the one the rules compute.
void CheckImport(const v1::ImportMemberRequest& request) {
  absl::Status status = ValidateImportMember(request, kNowMs);
  absl::StatusOr<v1::MemberIdentifier> stored_phone;
  v1::MemberIdentifier phone;
  phone.set_kind(v1::IDENTIFIER_KIND_PHONE);
  phone.set_value(request.phone());
  if (status.ok() && !request.phone().empty()) {
    stored_phone = Codec().Stored(phone, "phone");
    if (!stored_phone.ok()) {
      status = InvalidField(
          "phone",
          absl::StripPrefix(stored_phone.status().message(), "phone.value: "));
    }
  }
  absl::StatusOr<int64_t> midnight_ms = int64_t{0};
  if (status.ok() && !request.earned_on().empty()) {
    midnight_ms = CheckEarnedOn(request.earned_on(), ProgramZone(), kNowMs);
    status = midnight_ms.status();
  }
  int64_t judged_midnight_ms = 0;
  CheckAgreement(request, status, JudgeImport(request, &judged_midnight_ms));
  if (!status.ok()) return;
  LEDGER_CHECK(*midnight_ms == judged_midnight_ms);
  if (!request.phone().empty()) CheckStored(phone, *stored_phone);
}

void FuzzOne(uint8_t selector, const uint8_t* data, size_t size) {
  switch (selector % 15) {
    case 0: {
      EarnRequest request;
      if (!Parse(data, size, &request)) return;
      absl::Status status = ValidateEarn(request, kNowMs);
      CheckAgreement(request, status, JudgeEarn(request));
      if (status.ok()) CheckEarn(request);
      return;
    }
    case 1: {
      RedeemRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateRedeem(request, kNowMs),
                     JudgeRedeem(request));
      return;
    }
    case 2: {
      AdjustRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateAdjust(request, kNowMs),
                     JudgeAdjust(request));
      return;
    }
    case 3: {
      EnrollMemberRequest request;
      if (!Parse(data, size, &request)) return;
      // As Ledger::Enroll: the shape, then every identifier.
      EnrollMemberRequest stored = request;
      absl::Status status = ValidateEnroll(stored, kNowMs);
      if (status.ok()) status = Codec().StoreAll(stored.mutable_identifiers());
      CheckAgreement(request, status, JudgeEnroll(request));
      if (!status.ok()) return;
      LEDGER_CHECK(stored.identifiers_size() == request.identifiers_size());
      for (int i = 0; i < request.identifiers_size(); ++i) {
        CheckStored(request.identifiers(i), stored.identifiers(i));
      }
      return;
    }
    case 9: {
      v1::LinkIdentifierRequest request;
      if (!Parse(data, size, &request)) return;
      CheckIdentifierRequest(request, ValidateLinkIdentifier(request, kNowMs));
      return;
    }
    case 10: {
      v1::UnlinkIdentifierRequest request;
      if (!Parse(data, size, &request)) return;
      CheckIdentifierRequest(request,
                             ValidateUnlinkIdentifier(request, kNowMs));
      return;
    }
    case 11: {
      v1::TransferPointsRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateTransferPoints(request, kNowMs),
                     JudgeTransfer(request));
      return;
    }
    case 12: {
      v1::ImportMemberRequest request;
      if (!Parse(data, size, &request)) return;
      CheckImport(request);
      return;
    }
    case 13: {
      v1::MergeMembersRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateMergeMembers(request, kNowMs),
                     JudgeMerge(request));
      return;
    }
    case 14: {
      v1::CloseMemberRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateCloseMember(request, kNowMs),
                     JudgeClose(request));
      return;
    }
    case 5: {
      v1::RecordEventRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateRecordEvent(request, kNowMs),
                     JudgeRecordEvent(request));
      return;
    }
    case 6: {
      v1::HoldPointsRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request,
                     ValidateHoldPoints(request, kNowMs,
                                        kHoldTimeoutDefaultMaxMs),
                     JudgeHold(request));
      return;
    }
    case 7: {
      v1::SettleHoldRequest request;
      if (!Parse(data, size, &request)) return;
      absl::Status status = ValidateSettleHold(request, kNowMs);
      CheckAgreement(request, status, JudgeSettleHold(request));
      // A valid id round-trips through the ledger's own formatting.
      if (status.ok()) {
        LEDGER_CHECK(HoldIdOf(*ParseHoldId(request.hold_id())) ==
                     request.hold_id());
      }
      return;
    }
    case 8: {
      v1::ReturnRequest request;
      if (!Parse(data, size, &request)) return;
      CheckAgreement(request, ValidateReturn(request, kNowMs),
                     JudgeReturn(request));
      return;
    }
    default: {
      ListEntriesRequest request;
      if (!Parse(data, size, &request)) return;
      absl::Status status = ValidateListEntries(request);
      CheckAgreement(request, status, JudgeListEntries(request));
      if (status.ok()) CheckPageToken(request);
      return;
    }
  }
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf sizes are int; a larger input is not a request anyway.
  if (size < 1 || size > (1u << 20)) return 0;
  // Fuzz inputs teem with invalid UTF-8, which libprotobuf logs as an error
  // on every parse; the checks below say what matters.
  google::protobuf::LogSilencer quiet;
  loyalty::FuzzOne(data[0], data + 1, size - 1);
  return 0;
}
