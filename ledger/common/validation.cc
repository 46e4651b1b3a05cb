#include "ledger/common/validation.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::RequestContext;

bool IsIdChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' ||
         c == '@' || c == '-';
}

}  // namespace

absl::Status ValidateToken(absl::string_view value, absl::string_view field,
                           size_t length_max, bool required) {
  if (value.empty()) {
    return required ? InvalidField(field, "is required") : absl::OkStatus();
  }
  if (value.size() > length_max) {
    return InvalidField(field, absl::StrCat("is longer than ", length_max,
                                            " characters"));
  }
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField(
          field, "may hold only printable ASCII characters without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCardNumber(absl::string_view value,
                                absl::string_view field) {
  bool digits_only = !value.empty();
  for (char c : value) digits_only = digits_only && absl::ascii_isdigit(c);
  if (!digits_only || value.size() < kCardNumberDigitsMin ||
      value.size() > kCardNumberDigitsMax) {
    return InvalidField(field, absl::StrCat("a card number is ",
                                            kCardNumberDigitsMin, "..",
                                            kCardNumberDigitsMax, " digits"));
  }
  return absl::OkStatus();
}

namespace {

absl::Status ValidateCommonContext(const RequestContext& context,
                                   int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateToken(context.request_id(),
                                       "context.request_id",
                                       kRequestIdLengthMax, true));
  LEDGER_RETURN_IF_ERROR(ValidateToken(context.store_id(), "context.store_id",
                                       kIdLengthMax, false));
  LEDGER_RETURN_IF_ERROR(ValidateToken(
      context.terminal_id(), "context.terminal_id", kIdLengthMax, false));
  if (context.occurred_at_ms() < 0) {
    return InvalidField("context.occurred_at_ms", "must not be negative");
  }
  if (context.occurred_at_ms() > now_ms + kOccurredAtFutureSkewMsMax) {
    return InvalidField("context.occurred_at_ms",
                        "lies more than a day in the future");
  }
  return absl::OkStatus();
}

// The count only: each identifier's shape depends on its kind and is
// checked, with phones and emails normalised, by IdentifierCodec.
absl::Status ValidateIdentifierCount(
    const google::protobuf::RepeatedPtrField<loyalty::v1::MemberIdentifier>&
        identifiers) {
  if (identifiers.size() > kIdentifiersPerMemberMax) {
    return InvalidField("identifiers", absl::StrCat("at most ",
                                                    kIdentifiersPerMemberMax,
                                                    " identifiers"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBasketLine(const loyalty::v1::BasketLine& line, int index) {
  std::string prefix = absl::StrCat("lines[", index, "]");
  LEDGER_RETURN_IF_ERROR(
      ValidateToken(line.sku(), prefix + ".sku", kIdLengthMax, true));
  LEDGER_RETURN_IF_ERROR(
      ValidateText(line.category(), prefix + ".category", kCategoryLengthMax));
  if (line.quantity() < 1 || line.quantity() > kQuantityMax) {
    return InvalidField(prefix + ".quantity",
                        absl::StrCat("must be between 1 and ", kQuantityMax));
  }
  if (line.unit_price_minor() < 0 ||
      line.unit_price_minor() > kUnitPriceMinorMax) {
    return InvalidField(prefix + ".unit_price_minor",
                        absl::StrCat("must be between 0 and ",
                                     kUnitPriceMinorMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateCurrencyShape(absl::string_view currency) {
  if (currency.size() != 3 || !absl::ascii_isupper(currency[0]) ||
      !absl::ascii_isupper(currency[1]) || !absl::ascii_isupper(currency[2])) {
    return InvalidField("currency",
                        "must be an ISO 4217 code of three upper-case letters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "is required");
  if (value.size() > static_cast<size_t>(kIdLengthMax)) {
    return InvalidField(field, absl::StrCat("is longer than ", kIdLengthMax,
                                            " characters"));
  }
  for (char c : value) {
    if (!IsIdChar(c)) {
      return InvalidField(field, "may hold only letters, digits and ._:@-");
    }
  }
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    int continuation = 0;
    uint32_t code_point = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xe0) == 0xc0) {
      continuation = 1;
      code_point = byte & 0x1f;
    } else if ((byte & 0xf0) == 0xe0) {
      continuation = 2;
      code_point = byte & 0x0f;
    } else if ((byte & 0xf8) == 0xf0) {
      continuation = 3;
      code_point = byte & 0x07;
    } else {
      return false;
    }
    if (i + continuation >= text.size()) return false;  // Truncated.
    for (int k = 1; k <= continuation; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kSmallestOfLength[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallestOfLength[continuation] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += continuation + 1;
  }
  return true;
}

absl::Status ValidateText(absl::string_view value, absl::string_view field,
                          size_t length_max) {
  if (value.size() > length_max) {
    return InvalidField(field, absl::StrCat("is longer than ", length_max,
                                            " bytes"));
  }
  if (!IsValidUtf8(value)) return InvalidField(field, "is not valid UTF-8");
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidField(field, "may not hold control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateChannelContext(const RequestContext& context,
                                    int64_t now_ms) {
  switch (context.channel()) {
    case loyalty::v1::CHANNEL_POS:
      if (context.store_id().empty()) {
        return InvalidField("context.store_id", "is required for CHANNEL_POS");
      }
      break;
    case loyalty::v1::CHANNEL_APP:
    case loyalty::v1::CHANNEL_WEB:
    case loyalty::v1::CHANNEL_PARTNER:
      break;
    default:
      return InvalidField("context.channel",
                          "must be CHANNEL_POS, CHANNEL_APP, CHANNEL_WEB or "
                          "CHANNEL_PARTNER");
  }
  return ValidateCommonContext(context, now_ms);
}

absl::Status ValidateAdminContext(const RequestContext& context,
                                  int64_t now_ms) {
  if (context.channel() != loyalty::v1::CHANNEL_UNSPECIFIED &&
      context.channel() != loyalty::v1::CHANNEL_ADMIN) {
    return InvalidField("context.channel",
                        "must be CHANNEL_ADMIN (or unset) for admin requests");
  }
  return ValidateCommonContext(context, now_ms);
}

absl::Status ValidateEnroll(const loyalty::v1::EnrollMemberRequest& request,
                            int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  if (!request.member_id().empty()) {
    LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  }
  return ValidateIdentifierCount(request.identifiers());
}

absl::Status ValidateEarn(const loyalty::v1::EarnRequest& request,
                          int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_RETURN_IF_ERROR(
      ValidateToken(request.order_id(), "order_id", kIdLengthMax, true));
  LEDGER_RETURN_IF_ERROR(ValidateCurrencyShape(request.currency()));
  if (request.lines().empty()) {
    return InvalidField("lines", "a basket needs at least one line");
  }
  if (request.lines_size() > kBasketLinesMax) {
    return InvalidField("lines", absl::StrCat("at most ", kBasketLinesMax,
                                              " lines per basket"));
  }
  for (int i = 0; i < request.lines_size(); ++i) {
    LEDGER_RETURN_IF_ERROR(ValidateBasketLine(request.lines(i), i));
  }
  return absl::OkStatus();
}

int64_t OccurredAtMs(const RequestContext& context, int64_t now_ms) {
  return context.occurred_at_ms() != 0 ? context.occurred_at_ms() : now_ms;
}

absl::Status ValidateQuoteEarn(const loyalty::v1::EarnRequest& request,
                               int64_t now_ms) {
  if (!request.context().request_id().empty() && !request.order_id().empty()) {
    return ValidateEarn(request, now_ms);
  }
  // Stand-ins for the optional ids, so every other field gets exactly the
  // checks Earn gives it.
  loyalty::v1::EarnRequest checked = request;
  if (checked.context().request_id().empty()) {
    checked.mutable_context()->set_request_id("quote");
  }
  if (checked.order_id().empty()) checked.set_order_id("quote");
  return ValidateEarn(checked, now_ms);
}

absl::Status ValidateRecordEvent(
    const loyalty::v1::RecordEventRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.event_id(), "event_id"));
  if (!request.reference().empty()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(request.reference(), "reference", kIdLengthMax, true));
  }
  return absl::OkStatus();
}

absl::Status ValidateRedeem(const loyalty::v1::RedeemRequest& request,
                            int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_RETURN_IF_ERROR(
      ValidateToken(request.order_id(), "order_id", kIdLengthMax, true));
  if (request.points() <= 0 || request.points() > kPointsPerRequestMax) {
    return InvalidField("points", absl::StrCat("must be between 1 and ",
                                               kPointsPerRequestMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateHoldPoints(const loyalty::v1::HoldPointsRequest& request,
                                int64_t now_ms, int64_t timeout_max_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (!request.order_id().empty()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(request.order_id(), "order_id", kIdLengthMax, true));
  }
  if (request.points() <= 0 || request.points() > kPointsPerRequestMax) {
    return InvalidField("points", absl::StrCat("must be between 1 and ",
                                               kPointsPerRequestMax));
  }
  if (request.timeout_ms() < kHoldTimeoutMinMs ||
      request.timeout_ms() > timeout_max_ms) {
    return InvalidField("timeout_ms",
                        absl::StrCat("must be between ", kHoldTimeoutMinMs,
                                     " and ", timeout_max_ms,
                                     " (the program's hold_timeout_max_ms)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateReturn(const loyalty::v1::ReturnRequest& request,
                            int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_RETURN_IF_ERROR(
      ValidateToken(request.order_id(), "order_id", kIdLengthMax, true));
  if ((request.lines_size() > 0) == (request.amount_minor() != 0)) {
    return InvalidField("lines",
                        "give either the returned lines or amount_minor, "
                        "exactly one");
  }
  if (request.lines_size() > kBasketLinesMax) {
    return InvalidField("lines", absl::StrCat("at most ", kBasketLinesMax,
                                              " lines"));
  }
  absl::flat_hash_set<std::string> skus;
  for (int i = 0; i < request.lines_size(); ++i) {
    const loyalty::v1::ReturnLine& line = request.lines(i);
    const std::string path = absl::StrCat("lines[", i, "]");
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(line.sku(), path + ".sku", kIdLengthMax, true));
    if (!skus.insert(line.sku()).second) {
      return InvalidField(path + ".sku",
                          absl::StrCat("\"", line.sku(),
                                       "\" is listed twice; give one line "
                                       "per SKU with the total quantity"));
    }
    if (line.quantity() < 1 || line.quantity() > kQuantityMax) {
      return InvalidField(path + ".quantity",
                          absl::StrCat("must be between 1 and ", kQuantityMax));
    }
  }
  if (request.amount_minor() < 0 ||
      request.amount_minor() > kPointsPerRequestMax) {
    return InvalidField("amount_minor",
                        absl::StrCat("must be between 1 and ",
                                     kPointsPerRequestMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateSettleHold(const loyalty::v1::SettleHoldRequest& request,
                                int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (!ParseHoldId(request.hold_id()).has_value()) {
    return InvalidField("hold_id",
                        absl::StrCat("\"", absl::CHexEscape(request.hold_id()),
                                     "\" is not a hold id (\"H\" and digits, "
                                     "as HoldPoints returned it)"));
  }
  return absl::OkStatus();
}

std::string HoldIdOf(uint64_t hold_sequence) {
  return absl::StrCat("H", hold_sequence);
}

namespace {

// `prefix` and a sequence without leading zeros; nullopt otherwise.
std::optional<uint64_t> ParseSequenceId(absl::string_view id, char prefix) {
  if (id.size() < 2 || id.size() > 21 || id[0] != prefix || id[1] == '0') {
    return std::nullopt;
  }
  uint64_t sequence = 0;
  for (char c : id.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(sequence, 10u, &sequence) ||
        __builtin_add_overflow(sequence, static_cast<uint64_t>(c - '0'),
                               &sequence)) {
      return std::nullopt;
    }
  }
  return sequence;
}

}  // namespace

std::optional<uint64_t> ParseHoldId(absl::string_view hold_id) {
  return ParseSequenceId(hold_id, 'H');
}

std::string CouponReservationIdOf(uint64_t reserve_sequence) {
  return absl::StrCat("R", reserve_sequence);
}

std::optional<uint64_t> ParseCouponReservationId(
    absl::string_view reservation_id) {
  return ParseSequenceId(reservation_id, 'R');
}

namespace {

// What an operator's own action records (promise 8): a reason code, who,
// and an optional note.
absl::Status ValidateOperatorRecord(absl::string_view reason,
                                    absl::string_view operator_id,
                                    absl::string_view note) {
  if (reason.empty() || reason.size() > static_cast<size_t>(kReasonCodeLengthMax)) {
    return InvalidField("reason_code",
                        absl::StrCat("is required, 1..", kReasonCodeLengthMax,
                                     " characters"));
  }
  for (char c : reason) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') {
      return InvalidField("reason_code", "may hold only A-Z, 0-9 and _");
    }
  }
  LEDGER_RETURN_IF_ERROR(ValidateId(operator_id, "operator_id"));
  return ValidateText(note, "note", kNoteLengthMax);
}

}  // namespace

absl::Status ValidateAdjust(const loyalty::v1::AdjustRequest& request,
                            int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateAdminContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  int64_t delta = request.points_delta();
  if (delta == 0 || delta > kPointsPerRequestMax ||
      delta < -kPointsPerRequestMax) {
    return InvalidField("points_delta",
                        absl::StrCat("must be non-zero and at most ",
                                     kPointsPerRequestMax, " either way"));
  }
  return ValidateOperatorRecord(request.reason_code(), request.operator_id(),
                                request.note());
}

absl::Status ValidateCloseMember(const loyalty::v1::CloseMemberRequest& request,
                                 int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateAdminContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  return ValidateOperatorRecord(request.reason_code(), request.operator_id(),
                                request.note());
}

absl::Status ValidateMergeMembers(
    const loyalty::v1::MergeMembersRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateAdminContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(
      ValidateId(request.source_member_id(), "source_member_id"));
  LEDGER_RETURN_IF_ERROR(
      ValidateId(request.target_member_id(), "target_member_id"));
  if (request.target_member_id() == request.source_member_id()) {
    return InvalidField("target_member_id", "must differ from source_member_id");
  }
  return ValidateOperatorRecord(request.reason_code(), request.operator_id(),
                                request.note());
}

absl::Status ValidateListEntries(
    const loyalty::v1::ListEntriesRequest& request) {
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (request.page_size() < 0 || request.page_size() > kPageSizeMax) {
    return InvalidField("page_size", absl::StrCat("must be between 0 and ",
                                                  kPageSizeMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateListWallet(const loyalty::v1::ListWalletRequest& request) {
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (request.page_size() < 0 || request.page_size() > kPageSizeMax) {
    return InvalidField("page_size", absl::StrCat("must be between 0 and ",
                                                  kPageSizeMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateLinkIdentifier(
    const loyalty::v1::LinkIdentifierRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (!request.has_identifier()) return InvalidField("identifier", "is required");
  return absl::OkStatus();
}

absl::Status ValidateUnlinkIdentifier(
    const loyalty::v1::UnlinkIdentifierRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (!request.has_identifier()) return InvalidField("identifier", "is required");
  return absl::OkStatus();
}

absl::Status ValidateTransferPoints(
    const loyalty::v1::TransferPointsRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.from_member_id(), "from_member_id"));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.to_member_id(), "to_member_id"));
  if (request.to_member_id() == request.from_member_id()) {
    return InvalidField("to_member_id", "must differ from from_member_id");
  }
  if (request.points() < 1 || request.points() > kPointsPerRequestMax) {
    return InvalidField("points", absl::StrCat("must be between 1 and ",
                                               kPointsPerRequestMax));
  }
  return ValidateText(request.note(), "note", kNoteLengthMax);
}

absl::Status ValidateImportMember(
    const loyalty::v1::ImportMemberRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateAdminContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(
      ValidateCardNumber(request.card_number(), "card_number"));
  if (request.opening_points() < 0 ||
      request.opening_points() > kOpeningPointsMax) {
    return InvalidField("opening_points", absl::StrCat("must be between 0 and ",
                                                       kOpeningPointsMax));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CheckEarnedOn(absl::string_view earned_on,
                                      absl::TimeZone time_zone,
                                      int64_t now_ms) {
  absl::CivilDay day;
  // Exactly YYYY-MM-DD: ParseCivilTime alone would take "2024-1-5".
  if (earned_on.size() != 10 || !absl::ParseCivilTime(earned_on, &day) ||
      absl::FormatCivilTime(day) != earned_on) {
    return InvalidField("earned_on", "must be a date YYYY-MM-DD");
  }
  const int64_t start_ms = absl::ToUnixMillis(absl::FromCivil(day, time_zone));
  if (start_ms > now_ms) {
    return InvalidField("earned_on", "lies in the future");
  }
  // Entries never date anything before the epoch (occurred_at_ms >= 0); in
  // a zone east of UTC that rules out 1970-01-01 itself.
  if (start_ms < 0) {
    return InvalidField("earned_on",
                        "lies before 1970-01-01T00:00Z (the Unix epoch)");
  }
  return start_ms;
}

}  // namespace loyalty
