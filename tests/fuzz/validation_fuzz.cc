// File: tests/fuzz/validation_fuzz.cc
//
// Fuzzes request validation (ledger/validation.h) and, behind it, the earn
// computation (ledger/earn_rules.h). Input:
//
//   u8 selector | serialized request
//
// selector % 9 picks EarnRequest, RedeemRequest, AdjustRequest,
// EnrollMemberRequest, ListEntriesRequest, RecordEventRequest,
// HoldPointsRequest, SettleHoldRequest or ReturnRequest; bytes that
// do not parse as that message are skipped (libprotobuf's parser is not what
// we fuzz).
//
// The oracle is differential: each request is judged a second time by the
// rules below, written from ledger/limits.h and validation.h's contract
// independently of validation.cc, and the two must agree both ways. An OK
// the rules call invalid means a field past its limit reaches the ledger; a
// rejection they call valid means a good request bounces. Every rejection must
// be INVALID_ARGUMENT "field: problem" with reason INVALID_FIELD.
//
// For a valid earn, ComputeEarn runs against a fixed program and must match
// an exact 128-bit computation: the same spend and points (both >= 0), or
// INVALID_ARGUMENT exactly when the exact result does not fit in int64 or the
// currency is not the program's.
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
#include "google/protobuf/stubs/logging.h"
#include "ledger/earn_rules.h"
#include "ledger/limits.h"
#include "ledger/page_token.h"
#include "ledger/program.h"
#include "ledger/status_util.h"
#include "ledger/validation.h"
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
// a zero-point rate, and a step so large no basket completes one.
constexpr absl::string_view kProgramText = R"pb(
  program_id: "fuzz"
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
  api_keys {
    principal: "pos"
    key_sha256_hex: "0000000000000000000000000000000000000000000000000000000000000000"
    roles: [ ROLE_CHANNEL ]
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

// ---- The rules, restated from ledger/limits.h and validation.h. ----
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

Verdict JudgeAdjust(const AdjustRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeAdminContext(request.context()));
  FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  int64_t delta = request.points_delta();
  if (delta == 0 || delta > kPointsPerRequestMax ||
      delta < -kPointsPerRequestMax) {
    return Invalid("points_delta", "range");
  }
  const std::string& reason = request.reason_code();
  if (reason.empty() || reason.size() > size_t{kReasonCodeLengthMax}) {
    return Invalid("reason_code", "length");
  }
  for (char c : reason) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) return Invalid("reason_code", "character");
  }
  FUZZ_RETURN_IF_INVALID(JudgeId(request.operator_id(), "operator_id"));
  return JudgeText(request.note(), "note", kNoteLengthMax);
}

Verdict JudgeEnroll(const EnrollMemberRequest& request) {
  FUZZ_RETURN_IF_INVALID(JudgeChannelContext(request.context()));
  if (!request.member_id().empty()) {
    FUZZ_RETURN_IF_INVALID(JudgeId(request.member_id(), "member_id"));
  }
  if (request.identifiers_size() > kIdentifiersPerMemberMax) {
    return Invalid("identifiers", "count");
  }
  std::set<std::pair<int, std::string>> seen;
  for (const v1::MemberIdentifier& identifier : request.identifiers()) {
    const std::string& value = identifier.value();
    if (identifier.kind() == v1::IDENTIFIER_KIND_CARD_NUMBER) {
      if (value.size() < size_t{kCardNumberDigitsMin} ||
          value.size() > size_t{kCardNumberDigitsMax}) {
        return Invalid("card", "length");
      }
      for (char c : value) {
        if (c < '0' || c > '9') return Invalid("card", "character");
      }
    } else if (identifier.kind() == v1::IDENTIFIER_KIND_APP_USER_ID) {
      FUZZ_RETURN_IF_INVALID(JudgeToken(value, "app id", kIdLengthMax, true));
    } else {
      return Invalid("kind", "unknown");
    }
    if (!seen.insert({identifier.kind(), value}).second) {
      return Invalid("identifiers", "duplicate");
    }
  }
  return std::nullopt;
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

void FuzzOne(uint8_t selector, const uint8_t* data, size_t size) {
  switch (selector % 9) {
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
      CheckAgreement(request, ValidateEnroll(request, kNowMs),
                     JudgeEnroll(request));
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
