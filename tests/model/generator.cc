// Random commands: the kind table and the retry mix (see generator.h).
//
// The limits below are the contract's (loyalty_service.proto, common.proto),
// restated here rather than taken from ledger/limits.h, so the test checks
// the ledger against the contract.
#include "generator.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace loyalty::model {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int kIdLengthMax = 64;
constexpr int kRequestIdLengthMax = 128;
constexpr int kBasketLinesMax = 200;
constexpr int kIdentifiersMax = 8;
constexpr int64_t kQuantityMax = 1'000'000;
constexpr int64_t kUnitPriceMinorMax = 1'000'000'000'000;
constexpr int64_t kPointsPerRequestMax = 1'000'000'000'000'000;
constexpr int64_t kDayMs = 24ll * 3600 * 1000;

using v1::AdjustRequest;
using v1::BasketLine;
using v1::EarnRequest;
using v1::EnrollMemberRequest;
using v1::HoldPointsRequest;
using v1::MemberIdentifier;
using v1::RecordEventRequest;
using v1::RedeemRequest;
using v1::RequestContext;

template <typename T>
const T& PickFrom(Generator& g, const std::vector<T>& values) {
  return values[static_cast<size_t>(
      g.Uniform(0, static_cast<int64_t>(values.size()) - 1))];
}

// What the member can spend now: the balance a read shows, with what fell
// due since its last write (matured, expired, released) counted; 0 for a
// member in debt (a negative balance after a return).
int64_t Available(Generator& g, const std::string& member_id) {
  std::optional<PointsState> points =
      g.model().Projected(g.model().Resolve(member_id));
  return points.has_value() ? std::max<int64_t>(points->totals.available, 0)
                            : 0;
}

bool IsActive(Generator& g, const std::string& member_id) {
  const MemberState* member = g.model().FindMember(member_id);
  return member != nullptr && member->status == v1::MEMBER_STATUS_ACTIVE;
}

// A recent alias (a merge's source), if any.
std::optional<std::string> PickAlias(Generator& g) {
  const auto& aliases = g.model().aliases();
  if (aliases.empty()) return std::nullopt;
  const int64_t size = static_cast<int64_t>(aliases.size());
  return aliases[g.Uniform(std::max<int64_t>(0, size - 24), size - 1)];
}

std::optional<std::string> PickClosed(Generator& g) {
  const auto& closed = g.model().closed();
  if (closed.empty()) return std::nullopt;
  return PickFrom(g, closed);
}

// A valid request id carries printable ASCII without spaces.
bool IsValidToken(const std::string& value, size_t length_max) {
  if (value.empty() || value.size() > length_max) return false;
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A past command's label for a retry's label, kept short: retries of
// retries would otherwise grow it without end.
std::string Origin(const Command& past) {
  constexpr size_t kLabelMax = 160;
  if (past.label.size() <= kLabelMax) return past.label;
  return past.label.substr(0, kLabelMax) + "...";
}

// ---------------------------------------------------------------------------
// Context malformations shared by every kind. Returns what was broken.

std::string MalformContext(Generator& g, RequestContext* context, bool admin) {
  switch (g.Uniform(0, 9)) {
    case 0:
      context->clear_request_id();
      return "context.request_id empty";
    case 1:
      context->set_request_id("rq " + context->request_id());
      return "context.request_id with a space";
    case 2:
      context->set_request_id(std::string(kRequestIdLengthMax + 1, 'r'));
      return "context.request_id 129 characters";
    case 3:
      context->set_request_id(context->request_id() + "\xc3\xa9");
      return "context.request_id not ASCII";
    case 4:
      context->set_store_id(std::string(kIdLengthMax + 1, 's'));
      return "context.store_id 65 characters";
    case 5:
      context->set_terminal_id("till 3");
      return "context.terminal_id with a space";
    case 6:
      context->set_occurred_at_ms(-1);
      return "context.occurred_at_ms negative";
    case 7:
      // A century ahead: stays invalid however far the test clock moves.
      context->set_occurred_at_ms(g.now_ms() + 36'500 * kDayMs);
      return "context.occurred_at_ms far in the future";
    case 8:
      if (admin) {
        context->set_channel(v1::CHANNEL_APP);
        return "context.channel not ADMIN on an admin request";
      }
      context->set_channel(g.Chance(0.5) ? v1::CHANNEL_UNSPECIFIED
                                         : v1::CHANNEL_ADMIN);
      return "context.channel unspecified or ADMIN on a channel request";
    default:
      if (admin) {
        context->set_channel(v1::CHANNEL_POS);
        context->set_store_id("store-001");
        return "context.channel POS on an admin request";
      }
      context->set_channel(v1::CHANNEL_POS);
      context->clear_store_id();
      return "context.store_id missing for CHANNEL_POS";
  }
}

// Changes the context's content and keeps it valid.
void MutateContext(Generator& g, RequestContext* context) {
  if (g.Chance(0.5)) {
    context->set_terminal_id(context->terminal_id() + "x");
  } else {
    context->set_occurred_at_ms(context->occurred_at_ms() == 0
                                    ? std::max<int64_t>(1, g.now_ms() - 1000)
                                    : 0);
  }
}

// ---------------------------------------------------------------------------
// Identifiers: malformed values of each kind (each checked to be refused).

const std::vector<std::string>& BadCards() {
  static const std::vector<std::string> kBad = {
      "12a4", "123", std::string(33, '7'), "", "1234 5678"};
  return kBad;
}
const std::vector<std::string>& BadAccounts() {
  static const std::vector<std::string> kBad = {
      "", "user 1", std::string(kIdLengthMax + 1, 'u'), "caf\xc3\xa9"};
  return kBad;
}
const std::vector<std::string>& BadPhones() {
  static const std::vector<std::string> kBad = {"",
                                                "0912-345",
                                                "+886 12",
                                                "phone",
                                                "+999 912 345 678",
                                                "12345",
                                                "call me",
                                                "0912 345 678 901 234"};
  return kBad;
}
const std::vector<std::string>& BadEmails() {
  static const std::vector<std::string> kBad = {
      "",
      "no-at-sign.example.com",
      "a@b",
      "@example.com",
      "a@@example.com",
      "a b@example.com",
      "a@.com",
      "a@example.",
      std::string(250, 'a') + "@x.com"};  // 256 characters.
  return kBad;
}

// An identifier malformed on purpose; says what is wrong with it.
std::string MalformIdentifier(Generator& g, MemberIdentifier* identifier) {
  switch (g.Uniform(0, 5)) {
    case 0:
      identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier->set_value(PickFrom(g, BadCards()));
      return "a malformed card number";
    case 1:
      identifier->set_kind(g.Chance(0.5) ? v1::IDENTIFIER_KIND_APP_USER_ID
                                         : v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
      identifier->set_value(PickFrom(g, BadAccounts()));
      return "a malformed app user id or partner account";
    case 2:
      identifier->set_kind(v1::IDENTIFIER_KIND_PHONE);
      identifier->set_value(PickFrom(g, BadPhones()));
      return "a malformed phone number";
    case 3:
      identifier->set_kind(v1::IDENTIFIER_KIND_EMAIL);
      identifier->set_value(PickFrom(g, BadEmails()));
      return "a malformed email address";
    case 4:
      identifier->set_kind(v1::IDENTIFIER_KIND_UNSPECIFIED);
      identifier->set_value("12345678");
      return "identifier kind unspecified";
    default:
      identifier->set_kind(static_cast<v1::IdentifierKind>(42));
      identifier->set_value("12345678");
      return "identifier kind unknown";
  }
}

// Whether `list` has `identifier` in some notation.
bool Listed(const google::protobuf::RepeatedPtrField<MemberIdentifier>& list,
            const MemberIdentifier& identifier) {
  const std::optional<std::string> canonical =
      ModelCanonical(identifier.kind(), identifier.value());
  for (const MemberIdentifier& other : list) {
    if (other.kind() == identifier.kind() &&
        ModelCanonical(other.kind(), other.value()) == canonical) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Enroll.

Request FreshEnroll(Generator& g) {
  EnrollMemberRequest request;
  *request.mutable_context() = g.ChannelContext();
  int64_t roll = g.Uniform(0, 99);
  const auto& members = g.model().member_order();
  if (roll < 35) {
    // Empty: the server assigns an id.
  } else if (roll < 47 && !members.empty()) {
    request.set_member_id(PickFrom(g, members));  // Collides.
  } else if (roll < 50) {
    std::string id = absl::StrCat("long.", g.NewMemberId(), ":");
    id.resize(kIdLengthMax, 'z');
    request.set_member_id(id);
  } else {
    request.set_member_id(g.NewMemberId());
  }
  int64_t count = g.Uniform(0, 9);
  count = count < 5 ? 0 : count < 8 ? 1 : count - 6;  // 0, 1, 2 or 3.
  for (int64_t i = 0; i < count; ++i) {
    MemberIdentifier identifier = g.PickIdentifier();
    if (!Listed(request.identifiers(), identifier)) {
      *request.add_identifiers() = identifier;
    }
  }
  return request;
}

Request BoundaryEnroll(Generator& g) {
  EnrollMemberRequest request;
  *request.mutable_context() = g.ChannelContext();
  if (g.Chance(0.5)) request.set_member_id(g.NewMemberId());
  // The most identifiers a member may have, cards at both length limits.
  for (int i = 0; i < kIdentifiersMax; ++i) {
    MemberIdentifier identifier = g.PickIdentifier();
    if (i == 0) {
      identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier.set_value(absl::StrCat(g.Uniform(1000, 9999)));
    } else if (i == 1) {
      identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
      identifier.set_value(
          absl::StrCat(g.Uniform(1'000'000'000'000'000'000ll, kInt64Max),
                       g.Uniform(1'000'000'000'000ll, 9'999'999'999'999ll)));
    }
    if (!Listed(request.identifiers(), identifier)) {
      *request.add_identifiers() = identifier;
    }
  }
  return request;
}

std::string MalformEnroll(Generator& g, Request* r) {
  auto& request = std::get<EnrollMemberRequest>(*r);
  switch (g.Uniform(0, 11)) {
    case 0:
      request.set_member_id("bad id");
      return "member_id with a space";
    case 1:
      request.set_member_id(std::string(kIdLengthMax + 1, 'm'));
      return "member_id 65 characters";
    case 2:
      request.set_member_id("m\xc3\xbc");
      return "member_id not ASCII";
    case 3: {
      request.clear_identifiers();
      for (int i = 0; i <= kIdentifiersMax; ++i) {
        MemberIdentifier* identifier = request.add_identifiers();
        identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
        identifier->set_value(absl::StrCat("too-many-", i));
      }
      return "9 identifiers";
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      if (request.identifiers_size() == kIdentifiersMax) {
        request.mutable_identifiers()->RemoveLast();
      }
      MemberIdentifier* identifier = request.add_identifiers();
      return MalformIdentifier(g, identifier);
    }
    case 8: {
      MemberIdentifier identifier = g.PickIdentifier();
      request.clear_identifiers();
      *request.add_identifiers() = identifier;
      *request.add_identifiers() = identifier;
      return "the same identifier twice";
    }
    case 9: {
      // One phone number or email in two notations: the same after
      // normalising.
      MemberIdentifier identifier;
      identifier.set_kind(g.Chance(0.5) ? v1::IDENTIFIER_KIND_PHONE
                                        : v1::IDENTIFIER_KIND_EMAIL);
      const std::string canonical =
          identifier.kind() == v1::IDENTIFIER_KIND_PHONE
              ? PickFrom(g, ModelPhoneTable()).canonical
              : PickFrom(g, EmailPool());
      identifier.set_value(
          RenderIdentifier(identifier.kind(), canonical, g.rng()));
      request.clear_identifiers();
      *request.add_identifiers() = identifier;
      if (g.Chance(0.5)) *request.add_identifiers() = g.PickIdentifier();
      // Another notation where there is one (a phone's differs for sure).
      if (identifier.kind() == v1::IDENTIFIER_KIND_PHONE) {
        for (const ModelPhone& phone : ModelPhoneTable()) {
          if (phone.canonical != canonical) continue;
          for (const std::string& notation : phone.notations) {
            if (notation != identifier.value()) identifier.set_value(notation);
          }
        }
      } else {
        identifier.set_value(
            absl::StrCat(" ", absl::AsciiStrToUpper(canonical)));
      }
      *request.add_identifiers() = identifier;
      return "one phone or email twice, in two notations";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEnroll(Generator& g, Request* r) {
  auto& request = std::get<EnrollMemberRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_member_id(request.member_id().empty() ? g.NewMemberId() : "");
      return;
    case 1:
      if (request.identifiers_size() > 0) {
        request.mutable_identifiers()->RemoveLast();
      } else {
        MemberIdentifier* identifier = request.add_identifiers();
        identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
        identifier->set_value(absl::StrCat("mutated-", g.NewOrderId()));
      }
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Earn.

// Program currencies by weight, then ones the program does not accept.
const std::vector<std::string>& EarnCurrencies() {
  static const std::vector<std::string> kCurrencies = {
      "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "GBP",
      "GBP", "GBP", "USD", "USD", "USD", "JPY", "CHF", "CHF"};
  return kCurrencies;
}
const std::vector<std::string>& ForeignCurrencies() {
  static const std::vector<std::string> kForeign = {"SEK", "NOK", "DKK", "XTS",
                                                    "AUD"};
  return kForeign;
}

BasketLine RandomLine(Generator& g) {
  BasketLine line;
  line.set_sku(absl::StrCat("sku-", g.Uniform(1, 500)));
  static const std::vector<std::string> kCategories = {
      "", "", "", "grocery", "Home & Garden", "kids' toys", "caf\xc3\xa9"};
  line.set_category(PickFrom(g, kCategories));
  int64_t roll = g.Uniform(0, 99);
  line.set_quantity(roll < 85   ? g.Uniform(1, 5)
                    : roll < 95 ? g.Uniform(1, 1000)
                                : g.Uniform(1, kQuantityMax));
  roll = g.Uniform(0, 99);
  line.set_unit_price_minor(roll < 80   ? g.Uniform(0, 20'000)
                            : roll < 95 ? g.Uniform(0, 100'000'000)
                                        : g.Uniform(0, kUnitPriceMinorMax));
  return line;
}

std::string EarnOrderId(Generator& g, const std::string& member_id) {
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(member_id));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.12)) {
    auto it = member->orders.begin();
    std::advance(it, g.Uniform(0, static_cast<int64_t>(std::min<size_t>(
                                      member->orders.size() - 1, 50))));
    return *it;  // Already earned: ALREADY_EXISTS.
  }
  const auto& members = g.model().member_order();
  if (!members.empty() && g.Chance(0.07)) {
    // An order id another member earned: fine for this one, but the two
    // cannot be merged then (ORDER_ID_CONFLICT).
    const MemberState* other = g.model().FindMember(members[g.Uniform(
        std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
        static_cast<int64_t>(members.size()) - 1)]);
    if (!other->orders.empty()) return *other->orders.rbegin();
  }
  return g.NewOrderId();
}

EarnRequest EarnBase(Generator& g) {
  EarnRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  request.set_order_id(EarnOrderId(g, request.member_id()));
  request.set_currency(g.Chance(0.06) ? PickFrom(g, ForeignCurrencies())
                                      : PickFrom(g, EarnCurrencies()));
  return request;
}

Request FreshEarn(Generator& g) {
  EarnRequest request = EarnBase(g);
  int64_t lines = g.Uniform(1, 5);
  for (int64_t i = 0; i < lines; ++i) *request.add_lines() = RandomLine(g);
  return request;
}

// Lines summing to exactly `total` (at most 4 x 10^18 + 10^12) in at most
// five lines.
void SetBasketTotal(EarnRequest* request, int64_t total) {
  request->clear_lines();
  int64_t rest = total;
  while (rest > kUnitPriceMinorMax && request->lines_size() < 4) {
    int64_t quantity = std::min(kQuantityMax, rest / kUnitPriceMinorMax);
    BasketLine* line = request->add_lines();
    line->set_sku(absl::StrCat("bulk-", request->lines_size()));
    line->set_quantity(quantity);
    line->set_unit_price_minor(kUnitPriceMinorMax);
    rest -= quantity * kUnitPriceMinorMax;
  }
  BasketLine* line = request->add_lines();
  line->set_sku("rest");
  line->set_quantity(1);
  line->set_unit_price_minor(rest);
}

Request BoundaryEarn(Generator& g) {
  EarnRequest request = EarnBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  constexpr int64_t kBasketMax = 4'000'000'000'000'000'000;
  switch (g.Uniform(0, 4)) {
    case 0:
    case 1: {
      // USD earns 1 point per cent: fill the balance to INT64_MAX, or one
      // point past it, or a big step towards it.
      request.set_currency("USD");
      Int128 headroom = kInt64Max - Available(g, request.member_id());
      Int128 target = headroom + g.Uniform(-2, 1);
      if (target > kBasketMax || target < 0) {
        target = kBasketMax - g.Uniform(0, 1'000'000);  // Most of the way.
      }
      SetBasketTotal(&request, static_cast<int64_t>(target));
      return request;
    }
    case 2: {
      // JPY earns 10^6 points per yen: big baskets overflow the points.
      request.set_currency("JPY");
      SetBasketTotal(&request, g.Uniform(1, kBasketMax));
      return request;
    }
    case 3: {
      // Six to twelve lines at the line maximum: the basket total overflows.
      request.set_currency("EUR");
      request.clear_lines();
      int64_t lines = g.Uniform(6, 12);
      for (int64_t i = 0; i < lines; ++i) {
        BasketLine* line = request.add_lines();
        line->set_sku(absl::StrCat("max-", i));
        line->set_quantity(kQuantityMax);
        line->set_unit_price_minor(kUnitPriceMinorMax - g.Uniform(0, 1));
      }
      return request;
    }
    default: {
      // EUR earns 1 point per 100 cents: a total just under, at or over a
      // step, split over lines.
      request.set_currency("EUR");
      int64_t total = g.Uniform(0, 1000) * 100 + g.Uniform(-1, 1);
      if (total < 0) total = 0;
      request.clear_lines();
      int64_t first = g.Uniform(0, total);
      BasketLine* a = request.add_lines();
      a->set_sku("part-a");
      a->set_quantity(1);
      a->set_unit_price_minor(first);
      BasketLine* b = request.add_lines();
      b->set_sku("part-b");
      b->set_quantity(1);
      b->set_unit_price_minor(total - first);
      return request;
    }
  }
}

std::string MalformEarn(Generator& g, Request* r) {
  auto& request = std::get<EarnRequest>(*r);
  BasketLine* line = request.mutable_lines(
      static_cast<int>(g.Uniform(0, request.lines_size() - 1)));
  switch (g.Uniform(0, 16)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id("a b");
      return "member_id with a space";
    case 2:
      request.clear_order_id();
      return "order_id empty";
    case 3:
      request.set_order_id(std::string(kIdLengthMax + 1, 'o'));
      return "order_id 65 characters";
    case 4: {
      static const std::vector<std::string> kBad = {"eur", "EURO", "", "E1R",
                                                    "EU"};
      request.set_currency(PickFrom(g, kBad));
      return "currency not three upper-case letters";
    }
    case 5:
      request.clear_lines();
      return "no lines";
    case 6:
      while (request.lines_size() <= kBasketLinesMax) {
        *request.add_lines() = request.lines(0);
      }
      return "201 lines";
    case 7:
      line->clear_sku();
      return "sku empty";
    case 8:
      line->set_sku("sku 1");
      return "sku with a space";
    case 9:
      line->set_category(std::string(65, 'c'));
      return "category 65 characters";
    case 10:
      line->set_category("a\tb");
      return "category with a control character";
    case 11:
      line->set_quantity(g.Chance(0.5) ? 0 : -3);
      return "quantity below 1";
    case 12:
      line->set_quantity(kQuantityMax + 1);
      return "quantity above 10^6";
    case 13:
      line->set_unit_price_minor(g.Chance(0.5) ? -1 : kInt64Min);
      return "unit_price_minor negative";
    case 14:
      line->set_unit_price_minor(kUnitPriceMinorMax + 1);
      return "unit_price_minor above 10^12";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEarn(Generator& g, Request* r) {
  auto& request = std::get<EarnRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0: {
      BasketLine* line = request.mutable_lines(0);
      line->set_unit_price_minor(line->unit_price_minor() == kUnitPriceMinorMax
                                     ? kUnitPriceMinorMax - 1
                                     : line->unit_price_minor() + 1);
      return;
    }
    case 1:
      if (request.lines_size() < kBasketLinesMax) {
        *request.add_lines() = RandomLine(g);
        return;
      }
      [[fallthrough]];
    case 2:
      request.set_order_id(g.NewOrderId());
      return;
    case 3:
      request.set_currency(request.currency() == "EUR" ? "GBP" : "EUR");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Redeem.

RedeemRequest RedeemBase(Generator& g) {
  RedeemRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  request.set_order_id(g.Chance(0.9) ? g.NewOrderId() : "shared-order");
  // Often on an order the member earned, so that returns restore points.
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.45)) {
    auto it = member->orders.end();
    std::advance(it, -g.Uniform(1, static_cast<int64_t>(std::min<size_t>(
                                       member->orders.size(), 5))));
    request.set_order_id(*it);
  }
  return request;
}

Request FreshRedeem(Generator& g) {
  RedeemRequest request = RedeemBase(g);
  int64_t available = Available(g, request.member_id());
  int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (roll < 45 && available > 0) {
    points = g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else if (roll < 60) {
    points = available < kPointsPerRequestMax
                 ? g.Uniform(available + 1,
                             std::min(available + 1000, kPointsPerRequestMax))
                 : g.Uniform(1, kPointsPerRequestMax);
  } else if (roll < 85) {
    points = g.Uniform(1, 100);
  } else {
    points = g.Uniform(1, kPointsPerRequestMax);
  }
  request.set_points(points);
  return request;
}

Request BoundaryRedeem(Generator& g) {
  RedeemRequest request = RedeemBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  int64_t available = Available(g, request.member_id());
  int64_t points = available + g.Uniform(0, 1);  // All of it, or one more.
  if (points < 1 || points > kPointsPerRequestMax) {
    points = g.Chance(0.5) ? kPointsPerRequestMax : 1;
  }
  request.set_points(points);
  return request;
}

std::string MalformRedeem(Generator& g, Request* r) {
  auto& request = std::get<RedeemRequest>(*r);
  switch (g.Uniform(0, 6)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_order_id();
      return "order_id empty";
    case 2:
      request.set_points(0);
      return "points zero";
    case 3:
      request.set_points(g.Chance(0.5) ? -5 : kInt64Min);
      return "points negative";
    case 4:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateRedeem(Generator& g, Request* r) {
  auto& request = std::get<RedeemRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_order_id(g.NewOrderId());
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Adjust.

AdjustRequest AdjustBase(Generator& g) {
  AdjustRequest request;
  *request.mutable_context() = g.AdminContext();
  request.set_member_id(g.PickMember());
  static const std::vector<std::string> kReasons = {
      "GOODWILL", "MIGRATION_2023", "FRAUD_REVERSAL", "X",
      std::string(32, 'Z')};
  static const std::vector<std::string> kOperators = {"agent.kim", "ops@hq",
                                                      "j_doe-2"};
  request.set_reason_code(PickFrom(g, kReasons));
  request.set_operator_id(PickFrom(g, kOperators));
  static const std::vector<std::string> kNotes = {
      "", "", "sorry for the wait", "caf\xc3\xa9 cr\xc3\xa8me refund",
      std::string(500, 'n')};
  request.set_note(PickFrom(g, kNotes));
  return request;
}

Request FreshAdjust(Generator& g) {
  AdjustRequest request = AdjustBase(g);
  int64_t available = Available(g, request.member_id());
  int64_t roll = g.Uniform(0, 99);
  int64_t delta = 0;
  if (roll < 45) {
    delta = g.Uniform(1, 10'000);
  } else if (roll < 55) {
    delta = g.Uniform(1, kPointsPerRequestMax);
  } else if (roll < 85 && available > 0) {
    delta = -g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else {
    delta = -g.Uniform(1, kPointsPerRequestMax);  // Often overdraws.
  }
  request.set_points_delta(delta);
  return request;
}

Request BoundaryAdjust(Generator& g) {
  AdjustRequest request = AdjustBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  const int64_t available = Available(g, request.member_id());
  const int64_t headroom = kInt64Max - available;
  int64_t delta = 0;
  switch (g.Uniform(0, 3)) {
    case 0:
      delta = -(available + g.Uniform(0, 1));  // To zero, or one below.
      break;
    case 1:
      delta = headroom + g.Uniform(0, 1);  // To INT64_MAX, or one past.
      if (headroom == kInt64Max) delta = headroom;  // Avoid the wrap.
      break;
    case 2:
      delta = kPointsPerRequestMax;
      break;
    default:
      delta = -kPointsPerRequestMax;
  }
  if (delta == 0 || delta > kPointsPerRequestMax ||
      delta < -kPointsPerRequestMax) {
    delta = g.Chance(0.5) ? kPointsPerRequestMax : -kPointsPerRequestMax;
  }
  request.set_points_delta(delta);
  return request;
}

std::string MalformAdjust(Generator& g, Request* r) {
  auto& request = std::get<AdjustRequest>(*r);
  switch (g.Uniform(0, 11)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_points_delta(0);
      return "points_delta zero";
    case 2:
      request.set_points_delta(g.Chance(0.5) ? kPointsPerRequestMax + 1
                                             : kInt64Max);
      return "points_delta above 10^15";
    case 3:
      request.set_points_delta(g.Chance(0.5) ? -kPointsPerRequestMax - 1
                                             : kInt64Min);
      return "points_delta below -10^15";
    case 4:
      request.clear_reason_code();
      return "reason_code empty";
    case 5:
      request.set_reason_code(g.Chance(0.5) ? "goodwill" : "GOOD WILL");
      return "reason_code not [A-Z0-9_]";
    case 6:
      request.set_reason_code(std::string(33, 'R'));
      return "reason_code 33 characters";
    case 7:
      request.clear_operator_id();
      return "operator_id empty";
    case 8:
      request.set_operator_id("agent kim");
      return "operator_id with a space";
    case 9:
      request.set_note(g.Chance(0.5) ? std::string(501, 'n') : "line\nbreak");
      return "note too long or with a control character";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateAdjust(Generator& g, Request* r) {
  auto& request = std::get<AdjustRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0: {
      int64_t delta = request.points_delta();
      delta = delta == kPointsPerRequestMax ? delta - 1
              : delta == -1                 ? -2
                                            : delta + 1;
      request.set_points_delta(delta);
      return;
    }
    case 1:
      if (request.note().size() < 500) {
        request.set_note(request.note() + "!");
      } else {
        request.mutable_note()->pop_back();  // Stay within 500 characters.
      }
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Engagement events.

RecordEventRequest EventBase(Generator& g) {
  RecordEventRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  // A third of the events go to the three oldest members, so daily and
  // once-ever limits are reached within a default run.
  const auto& members = g.model().member_order();
  if (!members.empty() && g.Chance(0.33)) {
    request.set_member_id(members[g.Uniform(
        0, std::min<int64_t>(2, static_cast<int64_t>(members.size()) - 1))]);
  }
  const auto& events = g.model().events();
  // Now and then an event the program lacks (INVALID_ARGUMENT).
  request.set_event_id(g.Chance(0.04)
                           ? "no-such-event"
                           : events[g.Uniform(0, events.size() - 1)].event_id);
  if (g.Chance(0.3)) request.set_reference(absl::StrCat("ref-", g.Uniform(1, 999)));
  return request;
}

Request FreshEvent(Generator& g) { return EventBase(g); }

Request BoundaryEvent(Generator& g) {
  // A rich member: the event's points may overflow a balance or a total.
  RecordEventRequest request = EventBase(g);
  request.set_member_id(g.PickRich());
  if (g.Chance(0.5)) {
    std::string reference(kIdLengthMax, 'r');  // At the length limit.
    request.set_reference(reference);
  }
  return request;
}

std::string MalformEvent(Generator& g, Request* r) {
  auto& request = std::get<RecordEventRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_event_id();
      return "event_id empty";
    case 2:
      request.set_event_id("survey now");
      return "event_id with a space";
    case 3:
      request.set_reference(std::string(kIdLengthMax + 1, 'r'));
      return "reference 65 characters";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEvent(Generator& g, Request* r) {
  auto& request = std::get<RecordEventRequest>(*r);
  request.set_reference(request.reference() + "x");
  if (request.reference().size() > kIdLengthMax) request.set_reference("y");
  (void)g;
}

// ---------------------------------------------------------------------------
// Holds. HoldPoints mostly for seconds to hours; a third of them go to one
// member (the rich one) for small amounts, so it reaches the open-holds
// limit. CapturePoints and ReleasePoints name recent holds (often still
// open), old ones (mostly closed: captured, released or timed out), another
// member's, or an id that is no hold at all.

int64_t HoldTimeout(Generator& g) {
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 35) return g.Uniform(kModelHoldTimeoutMinMs, 60'000);
  if (roll < 65) return g.Uniform(60'000, 3'600'000);
  if (roll < 90) return g.Uniform(3'600'000, kModelHoldTimeoutMaxMs);
  return g.Chance(0.5) ? kModelHoldTimeoutMinMs : kModelHoldTimeoutMaxMs;
}

HoldPointsRequest HoldBase(Generator& g, bool* busy) {
  HoldPointsRequest request;
  *request.mutable_context() = g.ChannelContext();
  *busy = g.in_burst(kHoldKind) || g.Chance(0.35);
  request.set_member_id(*busy ? g.PickRich() : g.PickMember());
  if (g.Chance(0.6)) request.set_order_id(g.NewOrderId());
  request.set_timeout_ms(*busy ? g.Uniform(3'600'000, kModelHoldTimeoutMaxMs)
                               : HoldTimeout(g));
  // Now and then a timeout that ends exactly when the member's next
  // maturity, expiry or other hold falls due: a tie the ledger must break
  // release first, then mature, then expire.
  std::optional<PointsState> points = g.model().Projected(request.member_id());
  if (points.has_value() && g.Chance(0.25)) {
    const int64_t due_ms = points->NextDueMs();
    const int64_t timeout_ms = due_ms - g.now_ms();
    if (due_ms != 0 && timeout_ms >= kModelHoldTimeoutMinMs &&
        timeout_ms <= kModelHoldTimeoutMaxMs) {
      request.set_timeout_ms(timeout_ms);
    }
  }
  return request;
}

Request FreshHold(Generator& g) {
  bool busy = false;
  HoldPointsRequest request = HoldBase(g, &busy);
  // Now and then several holds in a row on the busy member, before any
  // times out: its open-holds limit is met.
  if (busy && !g.in_burst(kHoldKind) && g.Chance(0.15)) {
    g.StartBurst(kHoldKind, 3);
  }
  const int64_t available = Available(g, request.member_id());
  const int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (busy || (roll < 25 && available > 0)) {
    points = g.Uniform(1, std::clamp<int64_t>(available / 8, 1, 1000));
  } else if (roll < 55 && available > 0) {
    points = g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else if (roll < 70) {
    points = available < kPointsPerRequestMax
                 ? g.Uniform(available + 1,
                             std::min(available + 1000, kPointsPerRequestMax))
                 : g.Uniform(1, kPointsPerRequestMax);
  } else {
    points = g.Uniform(1, 100);
  }
  request.set_points(points);
  return request;
}

Request BoundaryHold(Generator& g) {
  bool busy = false;
  HoldPointsRequest request = HoldBase(g, &busy);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  const int64_t available = Available(g, request.member_id());
  int64_t points = available + g.Uniform(0, 1);  // All of it, or one more.
  if (points < 1 || points > kPointsPerRequestMax) {
    points = g.Chance(0.5) ? kPointsPerRequestMax : 1;
  }
  request.set_points(points);
  request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMinMs
                                       : kModelHoldTimeoutMaxMs);
  return request;
}

std::string MalformHold(Generator& g, Request* r) {
  auto& request = std::get<HoldPointsRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_points(g.Chance(0.5) ? 0 : -7);
      return "points not positive";
    case 2:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    case 3: {
      static const std::vector<int64_t> kShort = {kModelHoldTimeoutMinMs - 1, 0,
                                                  -1000, kInt64Min};
      request.set_timeout_ms(PickFrom(g, kShort));
      return "timeout_ms below 1 s";
    }
    case 4:
      request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMaxMs + 1
                                           : kInt64Max);
      return "timeout_ms above the program's hold_timeout_max_ms";
    case 5:
      request.set_order_id(std::string(kIdLengthMax + 1, 'o'));
      return "order_id 65 characters";
    case 6:
      request.set_order_id("order 7");
      return "order_id with a space";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateHold(Generator& g, Request* r) {
  auto& request = std::get<HoldPointsRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_timeout_ms(request.timeout_ms() == kModelHoldTimeoutMaxMs
                                 ? request.timeout_ms() - 1
                                 : request.timeout_ms() + 1);
      return;
    case 2:
      request.set_order_id(g.NewOrderId());
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// The most recent holds still open as of now (at most 8), newest first.
std::vector<std::pair<uint64_t, std::string>> OpenHolds(Generator& g) {
  std::vector<std::pair<uint64_t, std::string>> open;
  const auto& holds = g.model().holds_made();
  for (size_t i = holds.size(), looked = 0;
       i-- > 0 && looked < 32 && open.size() < 8; ++looked) {
    // A merged member's holds are its target's now.
    std::optional<PointsState> points =
        g.model().Projected(g.model().Resolve(holds[i].second));
    for (const Hold& hold : points->holds) {
      if (hold.sequence == holds[i].first) open.push_back(holds[i]);
    }
  }
  return open;
}

v1::SettleHoldRequest SettleBase(Generator& g) {
  v1::SettleHoldRequest request;
  *request.mutable_context() = g.ChannelContext();
  const auto& holds = g.model().holds_made();
  const int64_t size = static_cast<int64_t>(holds.size());
  const int64_t roll = g.Uniform(0, 99);
  if (holds.empty() || roll < 8) {
    // No HOLD of anyone, or another kind of entry: NOT_FOUND.
    request.set_member_id(g.PickMember());
    request.set_hold_id(absl::StrCat("H", g.Uniform(1, 5'000'000)));
    return request;
  }
  std::pair<uint64_t, std::string> hold;
  if (roll < 55) {
    const auto open = OpenHolds(g);
    hold = open.empty()
               ? holds.back()
               : open[g.Uniform(0, static_cast<int64_t>(open.size()) - 1)];
  } else if (roll < 75) {
    hold = holds[size - 1 - g.Uniform(0, std::min<int64_t>(7, size - 1))];
  } else {
    hold = holds[g.Uniform(0, size - 1)];
  }
  request.set_hold_id(absl::StrCat("H", hold.first));
  // Mostly its own member (by the id that made it, or the id it resolves
  // to after a merge); else another member's id (NOT_FOUND).
  request.set_member_id(roll >= 90      ? g.PickMember()
                        : g.Chance(0.5) ? hold.second
                                        : g.model().Resolve(hold.second));
  return request;
}

template <typename SettleRequest>
Request FreshSettle(Generator& g) {
  return SettleRequest{SettleBase(g)};
}

template <typename SettleRequest>
Request BoundarySettle(Generator& g) {
  SettleRequest request{SettleBase(g)};
  // The largest well-formed hold id: never a hold.
  if (g.Chance(0.5)) request.message.set_hold_id("H18446744073709551615");
  return request;
}

template <typename SettleRequest>
std::string MalformSettle(Generator& g, Request* r) {
  auto& request = std::get<SettleRequest>(*r).message;
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_hold_id();
      return "hold_id empty";
    case 2:
    case 3: {
      static const std::vector<std::string> kBad = {
          "h12",
          "H0",
          "H012",
          "H12a",
          "H-3",
          "12",
          "H",
          "H 1",
          "H18446744073709551616",   // One past uint64.
          "H100000000000000000000",  // 21 digits.
          std::string(65, 'H')};
      request.set_hold_id(PickFrom(g, kBad));
      return "hold_id not \"H\" and a sequence";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

// Capture <-> release of the same hold with the same message: other
// content under the same request id.
template <typename SettleRequest>
void MutateSettle(Generator& g, Request* r) {
  const v1::SettleHoldRequest message = std::get<SettleRequest>(*r).message;
  switch (g.Uniform(0, 2)) {
    case 0:
      if (std::is_same_v<SettleRequest, CaptureRequest>) {
        *r = ReleaseRequest{message};
      } else {
        *r = CaptureRequest{message};
      }
      return;
    case 1: {
      auto& request = std::get<SettleRequest>(*r).message;
      request.set_hold_id(request.hold_id() == "H1" ? "H2" : "H1");
      return;
    }
    default:
      MutateContext(g, std::get<SettleRequest>(*r).mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Return.

// A member with an earned order (recent ones mostly), and that order; or
// any member and an order it did not earn.
v1::ReturnRequest ReturnBase(Generator& g, const OrderState** order) {
  v1::ReturnRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  *order = nullptr;
  // An alias's orders are its target's.
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.9)) {
    auto it = member->orders.end();
    std::advance(it, -g.Uniform(1, static_cast<int64_t>(std::min<size_t>(
                                       member->orders.size(), 6))));
    request.set_order_id(*it);
    *order = &member->order_state.at(*it);
    // Often one with points redeemed on it that a return has yet to
    // restore, if the member has one.
    if (g.Chance(0.3)) {
      for (const std::string& order_id : member->orders) {
        const OrderState& state = member->order_state.at(order_id);
        if (state.redeemed > state.restored &&
            state.returned_value < state.spend_minor) {
          request.set_order_id(order_id);
          *order = &state;
        }
      }
    }
  } else {
    request.set_order_id(g.Chance(0.5) ? g.NewOrderId() : "shared-order");
  }
  return request;
}

Request FreshReturn(Generator& g) {
  const OrderState* order = nullptr;
  v1::ReturnRequest request = ReturnBase(g, &order);
  const int64_t value_left =
      order != nullptr ? order->spend_minor - order->returned_value : 0;
  if (order != nullptr && !order->lines.empty() && g.Chance(0.6)) {
    // Lines: some SKUs of the order (up to what is left, sometimes one
    // more), sometimes one it does not have; each SKU once.
    std::set<std::string> skus;
    for (const OrderLine& line : order->lines) {
      if (!g.Chance(0.6) || !skus.insert(line.sku).second) continue;
      int64_t left = 0;
      for (const OrderLine& same : order->lines) {
        if (same.sku == line.sku) left += same.quantity - same.returned_quantity;
      }
      int64_t quantity = left > 0 ? g.Uniform(1, left) : 1;
      if (g.Chance(0.1)) quantity = left + 1;
      quantity = std::clamp<int64_t>(quantity, 1, kQuantityMax);
      v1::ReturnLine* returned = request.add_lines();
      returned->set_sku(line.sku);
      returned->set_quantity(quantity);
    }
    if (request.lines_size() == 0 || g.Chance(0.05)) {
      v1::ReturnLine* returned = request.add_lines();
      returned->set_sku("sku-not-bought");
      returned->set_quantity(1);
    }
  } else {
    int64_t amount = value_left > 0 ? g.Uniform(1, value_left) : 1;
    if (g.Chance(0.2)) amount = value_left;      // All that is left.
    if (g.Chance(0.05)) amount = value_left + 1;  // One more.
    amount = std::clamp<int64_t>(amount, 1, kPointsPerRequestMax);
    request.set_amount_minor(amount);
  }
  return request;
}

// The whole rest of the order at once, or one unit more.
Request BoundaryReturn(Generator& g) {
  const OrderState* order = nullptr;
  v1::ReturnRequest request = ReturnBase(g, &order);
  const int64_t value_left =
      order != nullptr ? order->spend_minor - order->returned_value : 0;
  request.set_amount_minor(std::clamp<int64_t>(
      value_left + g.Uniform(0, 1), 1, kPointsPerRequestMax));
  return request;
}

std::string MalformReturn(Generator& g, Request* r) {
  auto& request = std::get<v1::ReturnRequest>(*r);
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_order_id();
      return "order_id empty";
    case 2: {
      request.clear_lines();
      request.set_amount_minor(5);
      v1::ReturnLine* line = request.add_lines();
      line->set_sku("sku-1");
      line->set_quantity(1);
      return "both lines and amount";
    }
    case 3:
      request.clear_lines();
      request.set_amount_minor(g.Chance(0.5) ? 0 : -7);
      return "neither lines nor a positive amount";
    case 4: {
      request.clear_amount_minor();
      request.clear_lines();
      v1::ReturnLine* line = request.add_lines();
      line->set_sku("sku-2");
      line->set_quantity(g.Chance(0.5) ? 0 : 1);
      if (line->quantity() == 1) {
        *request.add_lines() = *line;
        return "a SKU listed twice";
      }
      return "quantity zero";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateReturn(Generator& g, Request* r) {
  auto& request = std::get<v1::ReturnRequest>(*r);
  if (request.lines_size() > 0 && g.Chance(0.5)) {
    v1::ReturnLine* line = request.mutable_lines(0);
    line->set_quantity(line->quantity() == kQuantityMax ? 1
                                                        : line->quantity() + 1);
    return;
  }
  if (request.lines_size() == 0 && g.Chance(0.5)) {
    request.set_amount_minor(request.amount_minor() == kPointsPerRequestMax
                                 ? 1
                                 : request.amount_minor() + 1);
    return;
  }
  MutateContext(g, request.mutable_context());
}

// ---------------------------------------------------------------------------
// Link and unlink. Links mostly give a member an identifier of any kind,
// sometimes one it has (taken, by itself), another member's (taken) or one
// unlinked earlier (free again, or taken again since); almost a third go
// to the member with the most identifiers, mostly with a fresh card, so
// the limit of 8 is met. Unlinks mostly name one the member has, in
// another notation.

// One of `member`'s identifiers, in a random notation.
MemberIdentifier OwnIdentifier(Generator& g, const MemberState& member) {
  const ModelIdentifier& own = PickFrom(g, member.identifiers);
  MemberIdentifier identifier;
  identifier.set_kind(own.kind);
  identifier.set_value(RenderIdentifier(own.kind, own.canonical, g.rng()));
  return identifier;
}

// An identifier some enrolled member has (recent members mostly), if any.
std::optional<MemberIdentifier> OwnedIdentifier(Generator& g) {
  const auto& members = g.model().member_order();
  for (int attempt = 0; attempt < 4 && !members.empty(); ++attempt) {
    const MemberState* member = g.model().FindMember(PickFrom(g, members));
    if (!member->identifiers.empty()) return OwnIdentifier(g, *member);
  }
  return std::nullopt;
}

// An identifier unlinked earlier (free again, or linked again since).
std::optional<MemberIdentifier> UnlinkedIdentifier(Generator& g) {
  const auto& unlinked = g.model().unlinked();
  if (unlinked.empty()) return std::nullopt;
  const IdentifierKey& key = unlinked[g.Uniform(
      std::max<int64_t>(0, static_cast<int64_t>(unlinked.size()) - 64),
      static_cast<int64_t>(unlinked.size()) - 1)];
  MemberIdentifier identifier;
  identifier.set_kind(static_cast<v1::IdentifierKind>(key.first));
  identifier.set_value(
      RenderIdentifier(identifier.kind(), key.second, g.rng()));
  return identifier;
}

// `fullest`: the share going to the member with the most identifiers.
template <typename IdentifierRequest>
IdentifierRequest IdentifierBase(Generator& g, double fullest) {
  IdentifierRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.Chance(fullest) ? g.PickFullest() : g.PickMember());
  return request;
}

Request FreshLink(Generator& g) {
  auto request = IdentifierBase<v1::LinkIdentifierRequest>(g, 0.3);
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<MemberIdentifier> identifier;
  if (request.member_id() == g.PickFullest() && g.Chance(0.7)) {
    // A fresh card: it fills the member up to the limit, or goes past it.
    identifier.emplace();
    identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
    identifier->set_value(g.NewCardNumber());
  } else if (roll < 12 && member != nullptr && !member->identifiers.empty()) {
    identifier = OwnIdentifier(g, *member);
  } else if (roll < 27) {
    identifier = OwnedIdentifier(g);
  } else if (roll < 42) {
    identifier = UnlinkedIdentifier(g);
  }
  *request.mutable_identifier() =
      identifier.has_value() ? *identifier : g.PickIdentifier();
  return request;
}

// The member with the most identifiers gets one more: its 8th, or a 9th.
Request BoundaryLink(Generator& g) {
  auto request = IdentifierBase<v1::LinkIdentifierRequest>(g, 1);
  MemberIdentifier* identifier = request.mutable_identifier();
  identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
  identifier->set_value(g.NewCardNumber());
  return request;
}

template <typename IdentifierRequest>
std::string MalformIdentifierRequest(Generator& g, Request* r) {
  auto& request = std::get<IdentifierRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id("a b");
      return "member_id with a space";
    case 2:
      request.clear_identifier();
      return "identifier missing";
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
      return MalformIdentifier(g, request.mutable_identifier());
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

// Another identifier (a fresh one: other content for sure), or another
// context.
template <typename IdentifierRequest>
void MutateIdentifierRequest(Generator& g, Request* r) {
  auto& request = std::get<IdentifierRequest>(*r);
  if (g.Chance(0.6)) {
    MemberIdentifier* identifier = request.mutable_identifier();
    identifier->set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
    identifier->set_value(absl::StrCat("mutated-", g.NewOrderId()));
    return;
  }
  MutateContext(g, request.mutable_context());
}

Request FreshUnlink(Generator& g) {
  auto request = IdentifierBase<v1::UnlinkIdentifierRequest>(g, 0.1);
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<MemberIdentifier> identifier;
  if (roll < 60 && member != nullptr && !member->identifiers.empty()) {
    identifier = OwnIdentifier(g, *member);
  } else if (roll < 75) {
    identifier = OwnedIdentifier(g);  // Mostly another member's.
  } else if (roll < 85) {
    identifier = UnlinkedIdentifier(g);
  }
  *request.mutable_identifier() =
      identifier.has_value() ? *identifier : g.PickIdentifier();
  return request;
}

// The fullest member gives up its first or its last identifier.
Request BoundaryUnlink(Generator& g) {
  auto request = IdentifierBase<v1::UnlinkIdentifierRequest>(g, 1);
  const MemberState* member = g.model().FindMember(request.member_id());
  if (member == nullptr || member->identifiers.empty()) {
    *request.mutable_identifier() = g.PickIdentifier();
    return request;
  }
  const ModelIdentifier& own =
      g.Chance(0.5) ? member->identifiers.front() : member->identifiers.back();
  request.mutable_identifier()->set_kind(own.kind);
  request.mutable_identifier()->set_value(
      RenderIdentifier(own.kind, own.canonical, g.rng()));
  return request;
}

// ---------------------------------------------------------------------------
// Transfers: mostly from one sender kept for a while (its day fills up),
// amounts around the program's limits, what the sender has, or what is left
// of its day; now and then to a member in debt (the points pay it first).

// What `member_id` may still give today (the model's day in UTC+8).
int64_t DayAllowance(Generator& g, const std::string& member_id) {
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(member_id));
  const int64_t today = (g.now_ms() + kModelUtcOffsetMs) / kModelDayMs;
  const int64_t given = member != nullptr && member->transfer_day == today
                            ? member->transferred_on_day
                            : 0;
  return kModelTransferDayMaxPoints - given;
}

v1::TransferPointsRequest TransferBase(Generator& g) {
  v1::TransferPointsRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_from_member_id(g.in_burst(kTransferKind) || g.Chance(0.5)
                                 ? g.PickSender()
                                 : g.PickMember());
  request.set_to_member_id(g.Chance(0.3) ? g.PickInDebt() : g.PickMember());
  for (int attempt = 0;
       attempt < 3 && request.to_member_id() == request.from_member_id();
       ++attempt) {
    request.set_to_member_id(g.PickMember());
  }
  if (request.to_member_id() == request.from_member_id()) {
    request.set_to_member_id(absl::StrCat("ghost-", g.Uniform(1, 20)));
    if (request.to_member_id() == request.from_member_id()) {
      request.set_to_member_id("ghost-21");
    }
  }
  std::optional<std::string> alias;
  if (g.Chance(0.04) && (alias = PickAlias(g)).has_value()) {
    // An alias and the member it resolves to: one member, named twice.
    request.set_from_member_id(*alias);
    request.set_to_member_id(g.model().Resolve(*alias));
    if (g.Chance(0.5))
      request.mutable_from_member_id()->swap(*request.mutable_to_member_id());
  }
  static const std::vector<std::string> kNotes = {
      "",
      "",
      "",
      "for the coffee",
      "Happy birthday, Mei! \xf0\x9f\x8e\x82",
      std::string(500, 'n')};
  request.set_note(PickFrom(g, kNotes));
  return request;
}

Request FreshTransfer(Generator& g) {
  v1::TransferPointsRequest request = TransferBase(g);
  // Now and then the sender goes on giving: a few transfers in a row, in
  // the same day mostly, so its day's limit is met.
  if (!g.in_burst(kTransferKind) && g.Chance(0.2)) {
    g.StartBurst(kTransferKind, 4);
  }
  const int64_t available = Available(g, request.from_member_id());
  const int64_t allowance = DayAllowance(g, request.from_member_id());
  const int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (roll < 40) {
    points = g.Uniform(
        1, std::clamp<int64_t>(available, 1, kModelTransferMaxPoints));
  } else if (roll < 50) {
    points = kModelTransferMaxPoints + g.Uniform(0, 1);  // At it, or past.
  } else if (roll < 62) {
    // The rest of the day (as much as one transfer may move), or one more.
    points = std::min(allowance, kModelTransferMaxPoints) + g.Uniform(0, 1);
  } else if (roll < 72) {
    points = available + g.Uniform(0, 1);  // All it has, or one more.
  } else if (roll < 85) {
    points = g.Uniform(1, 100);
  } else {
    points = g.Uniform(1, 5000);
  }
  request.set_points(std::clamp<int64_t>(points, 1, kPointsPerRequestMax));
  return request;
}

// The most a request may ask (far past the program's limit), or a transfer
// from a member with points to the richest one, whose balance may not hold
// it.
Request BoundaryTransfer(Generator& g) {
  v1::TransferPointsRequest request = TransferBase(g);
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 25) {
    request.set_points(kPointsPerRequestMax);
    return request;
  }
  if (roll < 60) {
    // A recent member whose soonest lot is small beside the limit.
    const auto& members = g.model().member_order();
    for (int attempt = 0; attempt < 8 && !members.empty(); ++attempt) {
      const std::string& member_id = members[g.Uniform(
          std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
          static_cast<int64_t>(members.size()) - 1)];
      std::optional<PointsState> points = g.model().Projected(member_id);
      if (points->lots.size() >= 2 &&
          points->lots[0].points < kModelTransferMaxPoints &&
          member_id != request.to_member_id()) {
        request.set_from_member_id(member_id);
        break;
      }
    }
  }
  std::optional<PointsState> from =
      g.model().Projected(request.from_member_id());
  if (roll < 60 && from.has_value() && from->lots.size() >= 2) {
    // All of the soonest lot and part of the next: a transfer of two lots
    // with two expiry dates (within the limits, if they leave room).
    request.set_points(std::clamp<int64_t>(
        from->lots[0].points + g.Uniform(1, from->lots[1].points), 1,
        std::max<int64_t>(
            1, std::min(kModelTransferMaxPoints,
                        DayAllowance(g, request.from_member_id())))));
    return request;
  }
  request.set_to_member_id(g.PickRich());
  if (request.to_member_id() == request.from_member_id()) {
    request.set_from_member_id(g.PickMember());
  }
  if (request.to_member_id() == request.from_member_id()) {
    request.set_from_member_id("ghost-1");
  }
  request.set_points(
      std::clamp<int64_t>(std::min(Available(g, request.from_member_id()),
                                   DayAllowance(g, request.from_member_id())),
                          1, kModelTransferMaxPoints));
  return request;
}

std::string MalformTransfer(Generator& g, Request* r) {
  auto& request = std::get<v1::TransferPointsRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_from_member_id();
      return "from_member_id empty";
    case 1:
      request.set_to_member_id("to whom");
      return "to_member_id with a space";
    case 2:
      request.set_to_member_id(request.from_member_id());
      return "to_member_id is from_member_id";
    case 3:
      request.set_points(g.Chance(0.5) ? 0 : -3);
      return "points not positive";
    case 4:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    case 5:
      request.set_note(std::string(501, 'n'));
      return "note 501 characters";
    case 6:
      request.set_note("line\nbreak");
      return "note with a control character";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateTransfer(Generator& g, Request* r) {
  auto& request = std::get<v1::TransferPointsRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Import (one row of ImportMembers): the card of a member, sent before, or
// new; a phone of the table or none; opening points dated by a day of the
// last weeks, of long ago (expired already), or now; a quarter dry runs.

std::string EarnedOn(Generator& g) {
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 35) return "";
  if (roll < 75)
    return ModelDateBefore(g.now_ms(), static_cast<int>(g.Uniform(0, 40)));
  if (roll < 92)
    return ModelDateBefore(g.now_ms(), static_cast<int>(g.Uniform(60, 900)));
  return ModelDateBefore(g.now_ms(), 0);  // Today.
}

ImportRequest ImportBase(Generator& g) {
  ImportRequest request;
  v1::ImportMemberRequest& row = request.message;
  *row.mutable_context() = g.AdminContext();
  const int64_t roll = g.Uniform(0, 99);
  std::string card = roll < 50 ? g.PickOwnedCard() : "";
  if (card.empty() && roll < 60) {
    std::vector<std::string> sent_cards;
    for (const MemberIdentifier& sent : g.identifiers_sent()) {
      if (sent.kind() == v1::IDENTIFIER_KIND_CARD_NUMBER) {
        sent_cards.push_back(sent.value());
      }
    }
    if (!sent_cards.empty()) card = PickFrom(g, sent_cards);
  }
  row.set_card_number(card.empty() ? g.NewCardNumber() : card);
  if (g.Chance(0.6)) {
    row.set_phone(PickFrom(g, PickFrom(g, ModelPhoneTable()).notations));
  }
  const int64_t points_roll = g.Uniform(0, 99);
  row.set_opening_points(points_roll < 15   ? 0
                         : points_roll < 75 ? g.Uniform(1, 3000)
                         : points_roll < 95 ? g.Uniform(1, 1'000'000)
                                            : kModelOpeningPointsMax);
  row.set_earned_on(EarnedOn(g));
  request.dry_run = g.Chance(0.35);
  return request;
}

Request FreshImport(Generator& g) { return ImportBase(g); }

// The richest member's card with the most opening points (its balance may
// not hold them), the fullest member's card with a free phone (its 9th
// identifier), or the earliest day allowed: 1970-01-02, because in the
// program's zone (UTC+8) the first day of 1970 starts before the Unix epoch.
Request BoundaryImport(Generator& g) {
  ImportRequest request = ImportBase(g);
  v1::ImportMemberRequest& row = request.message;
  const int64_t roll = g.Uniform(0, 2);
  const std::string member_id = roll == 0 ? g.PickRich() : g.PickFullest();
  const MemberState* member = g.model().FindMember(member_id);
  if (member != nullptr) {
    for (const ModelIdentifier& own : member->identifiers) {
      if (own.kind == v1::IDENTIFIER_KIND_CARD_NUMBER) {
        row.set_card_number(own.canonical);
      }
    }
  }
  if (roll == 0) {
    row.clear_phone();  // Whose owner would refuse the row first.
    row.set_opening_points(kModelOpeningPointsMax);
  } else if (roll == 1) {
    row.set_phone(PickFrom(g, PickFrom(g, ModelPhoneTable()).notations));
  } else {
    row.clear_phone();
    row.set_earned_on("1970-01-02");
    row.set_opening_points(g.Uniform(1, 100));
  }
  return request;
}

std::string MalformImport(Generator& g, Request* r) {
  v1::ImportMemberRequest& row = std::get<ImportRequest>(*r).message;
  switch (g.Uniform(0, 9)) {
    case 0:
    case 1:
      row.set_card_number(PickFrom(g, BadCards()));
      return "a malformed card number";
    case 2:
    case 3: {
      static const std::vector<std::string> kBadPhones = {
          "0912-345", "+886 12", "phone", "+999 912 345 678", "12345"};
      row.set_phone(PickFrom(g, kBadPhones));
      return "a malformed phone number";
    }
    case 4:
      row.set_opening_points(g.Chance(0.5) ? -1 : kModelOpeningPointsMax + 1);
      return "opening_points outside 0..10^12";
    case 5:
    case 6: {
      // Days that stay in the future however far the clock moves, and
      // shapes that are no date.
      // 1970-01-01 starts before the epoch in UTC+8.
      static const std::vector<std::string> kBadDays = {
          "9999-12-31", "2999-01-01", "1969-12-31",       "2024-1-5",
          "2024-02-30", "yesterday",  "2024-01-01T00:00", "20240101",
          "1970-01-01"};
      row.set_earned_on(PickFrom(g, kBadDays));
      return "earned_on not a past date YYYY-MM-DD";
    }
    default:
      return MalformContext(g, row.mutable_context(), /*admin=*/true);
  }
}

void MutateImport(Generator& g, Request* r) {
  v1::ImportMemberRequest& row = std::get<ImportRequest>(*r).message;
  switch (g.Uniform(0, 4)) {
    case 0:
      row.set_opening_points(row.opening_points() == kModelOpeningPointsMax
                                 ? 0
                                 : row.opening_points() + 1);
      return;
    case 1:
      row.set_earned_on(row.earned_on().empty() ? ModelDateBefore(g.now_ms(), 1)
                                                : "");
      return;
    case 2:
      if (row.phone().empty()) {
        row.set_phone(PickFrom(g, ModelPhoneTable()).notations[0]);
      } else {
        row.clear_phone();
      }
      return;
    case 3:
      row.set_card_number(g.NewCardNumber());
      return;
    default:
      MutateContext(g, row.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Close and merge (admin). Closes are rare and spare the three oldest
// members (events go to them), so the population lives on; they mostly
// name a member with nothing pending and no open hold, sometimes one with
// either (MEMBER_NOT_SETTLED), an alias (MEMBER_MERGED), a closed member
// (MEMBER_CLOSED) or nobody. Merges mostly join two members; sometimes two
// that have a record of one order id, one with many identifiers, an alias
// as the source or as a target resolving to the source (MEMBER_MERGED), an
// alias of a third member as the target (it resolves), a closed member or
// nobody; near a limit, the two richest.

const std::vector<std::string>& AdminReasons() {
  static const std::vector<std::string> kReasons = {
      "MEMBER_REQUEST", "SAME_PERSON", "FRAUD_2", "X", std::string(32, 'Z')};
  return kReasons;
}
const std::vector<std::string>& AdminOperators() {
  static const std::vector<std::string> kOperators = {"agent.kim", "ops@hq",
                                                      "j_doe-2"};
  return kOperators;
}
const std::vector<std::string>& AdminNotes() {
  static const std::vector<std::string> kNotes = {
      "", "", "asked by phone", "caf\xc3\xa9 account, same person",
      std::string(500, 'n')};
  return kNotes;
}

// The reason code, operator and note fields every admin record shares
// (AdjustRequest, CloseMemberRequest, MergeMembersRequest); what was
// broken, or "" when none of these was.
template <typename AdminRequest>
std::string MalformAdminRecord(Generator& g, AdminRequest* request) {
  switch (g.Uniform(0, 5)) {
    case 0:
      request->clear_reason_code();
      return "reason_code empty";
    case 1:
      request->set_reason_code(g.Chance(0.5) ? "same_person" : "SAME PERSON");
      return "reason_code not [A-Z0-9_]";
    case 2:
      request->set_reason_code(std::string(33, 'R'));
      return "reason_code 33 characters";
    case 3:
      request->clear_operator_id();
      return "operator_id empty";
    case 4:
      request->set_operator_id(g.Chance(0.5) ? "agent kim"
                                             : std::string(65, 'o'));
      return "operator_id with a space or 65 characters";
    default:
      request->set_note(g.Chance(0.5) ? std::string(501, 'n') : "tab\there");
      return "note too long or with a control character";
  }
}

template <typename AdminRequest>
void FillAdminRecord(Generator& g, AdminRequest* request) {
  *request->mutable_context() = g.AdminContext();
  request->set_reason_code(PickFrom(g, AdminReasons()));
  request->set_operator_id(PickFrom(g, AdminOperators()));
  request->set_note(PickFrom(g, AdminNotes()));
}

// An active member past the three oldest with nothing pending and no open
// hold as of now; "" if none of a few looked at is.
std::string PickSettled(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 8 && size > 3; ++attempt) {
    const std::string& member_id =
        g.Chance(0.5)
            ? members[g.Uniform(std::max<int64_t>(3, size - 16), size - 1)]
            : members[g.Uniform(3, size - 1)];
    if (!IsActive(g, member_id)) continue;
    std::optional<PointsState> points = g.model().Projected(member_id);
    if (points->totals.pending == 0 && points->holds.empty()) return member_id;
  }
  return "";
}

// Two active members among the recent ones that both have a record of
// one order id, if any (a random such pair).
std::optional<std::pair<std::string, std::string>> PickOrderConflict(
    Generator& g) {
  const auto& members = g.model().member_order();
  std::map<std::string, std::string> first_owner;  // Order id -> member.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = members.size() > 48 ? members.size() - 48 : 0;
       i < members.size(); ++i) {
    if (!IsActive(g, members[i])) continue;
    for (const std::string& order_id :
         g.model().FindMember(members[i])->order_records) {
      auto [owner, inserted] = first_owner.emplace(order_id, members[i]);
      if (!inserted) pairs.emplace_back(owner->second, members[i]);
    }
  }
  if (pairs.empty()) return std::nullopt;
  return PickFrom(g, pairs);
}

// An active recent member with pending points or open holds, if a few
// looked at have.
std::optional<std::string> PickUnsettled(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 6 && size > 0; ++attempt) {
    const std::string& member_id =
        members[g.Uniform(std::max<int64_t>(0, size - 8), size - 1)];
    if (!IsActive(g, member_id)) continue;
    std::optional<PointsState> points = g.model().Projected(member_id);
    if (points->totals.pending > 0 || !points->holds.empty()) return member_id;
  }
  return std::nullopt;
}

// A recent active member with at least one identifier other than
// `besides`, if a few looked at have.
std::optional<std::string> PickWithIdentifiers(Generator& g,
                                               const std::string& besides) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 8 && size > 0; ++attempt) {
    const std::string& member_id =
        members[g.Uniform(std::max<int64_t>(0, size - 24), size - 1)];
    if (member_id != besides && IsActive(g, member_id) &&
        !g.model().FindMember(member_id)->identifiers.empty()) {
      return member_id;
    }
  }
  return std::nullopt;
}

Request FreshClose(Generator& g) {
  v1::CloseMemberRequest request;
  FillAdminRecord(g, &request);
  request.set_erase_personal_data(g.Chance(0.5));
  const int64_t roll = g.Uniform(0, 99);
  std::optional<std::string> member_id;
  if (roll < 50) {
    member_id = PickSettled(g);
  } else if (roll < 75) {
    member_id = PickUnsettled(g);
  } else if (roll < 83) {
    member_id = PickAlias(g);
  } else if (roll < 90) {
    member_id = PickClosed(g);
  }
  request.set_member_id(member_id.has_value() && !member_id->empty()
                            ? *member_id
                            : g.PickMember());
  return request;
}

// A member in debt (the CLOSE writes it off), or the richest (it forfeits
// the most points there are).
Request BoundaryClose(Generator& g) {
  v1::CloseMemberRequest request;
  FillAdminRecord(g, &request);
  request.set_erase_personal_data(g.Chance(0.5));
  request.set_member_id(g.Chance(0.5) ? g.PickInDebt() : g.PickRich());
  return request;
}

std::string MalformClose(Generator& g, Request* r) {
  auto& request = std::get<v1::CloseMemberRequest>(*r);
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id(g.Chance(0.5) ? "a b" : std::string(65, 'm'));
      return "member_id with a space or 65 characters";
    case 2:
    case 3:
      return MalformAdminRecord(g, &request);
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateClose(Generator& g, Request* r) {
  auto& request = std::get<v1::CloseMemberRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_erase_personal_data(!request.erase_personal_data());
      return;
    case 1:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// An active member, a recent one mostly; PickMember() when a few looked
// at are not.
std::string PickActive(Generator& g) {
  const auto& members = g.model().member_order();
  const int64_t size = static_cast<int64_t>(members.size());
  for (int attempt = 0; attempt < 6 && size > 0; ++attempt) {
    const std::string& member_id =
        g.Chance(0.6)
            ? members[g.Uniform(std::max<int64_t>(0, size - 16), size - 1)]
            : members[g.Uniform(0, size - 1)];
    if (IsActive(g, member_id)) return member_id;
  }
  return g.PickMember();
}

Request FreshMerge(Generator& g) {
  v1::MergeMembersRequest request;
  FillAdminRecord(g, &request);
  request.set_source_member_id(g.PickMember());
  request.set_target_member_id(g.PickMember());
  const int64_t roll = g.Uniform(0, 99);
  auto either_side = [&]() -> std::string* {
    return g.Chance(0.5) ? request.mutable_source_member_id()
                         : request.mutable_target_member_id();
  };
  if (roll < 16) {
    if (auto pair = PickOrderConflict(g)) {
      request.set_source_member_id(pair->first);
      request.set_target_member_id(pair->second);
    }
  } else if (roll < 24) {
    // Many identifiers on one side: together they may pass 8.
    request.set_source_member_id(g.PickFullest());
    if (auto other = PickWithIdentifiers(g, request.source_member_id())) {
      request.set_target_member_id(*other);
    }
    if (g.Chance(0.5))
      request.mutable_source_member_id()->swap(
          *request.mutable_target_member_id());
  } else if (roll < 31) {
    if (auto alias = PickAlias(g)) request.set_source_member_id(*alias);
  } else if (roll < 36) {
    // Into an alias of the source itself.
    for (const std::string& member_id : g.model().member_order()) {
      const MemberState* member = g.model().FindMember(member_id);
      if (member->merged_member_ids.empty() || !g.Chance(0.2)) continue;
      request.set_source_member_id(member_id);
      request.set_target_member_id(PickFrom(g, member->merged_member_ids));
    }
  } else if (roll < 45) {
    // Into an alias of another member: it resolves.
    request.set_source_member_id(PickActive(g));
    if (auto alias = PickAlias(g)) request.set_target_member_id(*alias);
  } else if (roll < 53) {
    if (auto closed = PickClosed(g)) *either_side() = *closed;
  } else if (roll < 58) {
    *either_side() = absl::StrCat("ghost-", g.Uniform(1, 20));  // Nobody.
  } else if (roll < 66) {
    // A member in debt on one side: its debt nets with the other's points.
    request.set_source_member_id(PickActive(g));
    request.set_target_member_id(PickActive(g));
    *either_side() = g.PickInDebt();
  } else if (roll < 82) {
    // A source with pending points or open holds (the busy member's holds)
    // into an active member: they move, and mature or settle there later.
    request.set_source_member_id(g.Chance(0.3) ? g.PickRich() : PickActive(g));
    if (auto unsettled = PickUnsettled(g)) {
      request.set_source_member_id(*unsettled);
    }
    request.set_target_member_id(PickActive(g));
  }
  if (request.source_member_id() == request.target_member_id()) {
    request.set_target_member_id(absl::StrCat("ghost-", g.Uniform(1, 20)));
    if (request.source_member_id() == request.target_member_id()) {
      request.set_target_member_id("ghost-21");
    }
  }
  return request;
}

// The two richest recent members, or the richest and one with pending
// points or open holds: together they may pass INT64_MAX in a bucket or in
// what they own in all.
Request BoundaryMerge(Generator& g) {
  v1::MergeMembersRequest request;
  FillAdminRecord(g, &request);
  request.set_source_member_id(g.PickRich());
  const auto& members = g.model().member_order();
  std::string second;
  int64_t second_available = -1;
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    if (members[i] == request.source_member_id()) continue;
    const int64_t available = Available(g, members[i]);
    if (available > second_available) {
      second = members[i];
      second_available = available;
    }
  }
  request.set_target_member_id(second.empty() ? "ghost-1" : second);
  if (auto unsettled = PickUnsettled(g);
      unsettled.has_value() && *unsettled != request.source_member_id() &&
      g.Chance(0.5)) {
    request.set_target_member_id(*unsettled);
  }
  if (g.Chance(0.5)) {
    std::string source = request.source_member_id();
    request.set_source_member_id(request.target_member_id());
    request.set_target_member_id(source);
  }
  return request;
}

std::string MalformMerge(Generator& g, Request* r) {
  auto& request = std::get<v1::MergeMembersRequest>(*r);
  switch (g.Uniform(0, 7)) {
    case 0:
      request.set_target_member_id(request.source_member_id());
      return "target_member_id is source_member_id";
    case 1:
      if (g.Chance(0.5)) {
        request.clear_source_member_id();
        return "source_member_id empty";
      }
      request.clear_target_member_id();
      return "target_member_id empty";
    case 2:
      request.set_source_member_id(g.Chance(0.5) ? "who me" : "m\xc3\xbc");
      return "source_member_id with a space or not ASCII";
    case 3:
      request.set_target_member_id(std::string(65, 't'));
      return "target_member_id 65 characters";
    case 4:
    case 5:
      return MalformAdminRecord(g, &request);
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateMerge(Generator& g, Request* r) {
  auto& request = std::get<v1::MergeMembersRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0: {
      std::string source = request.source_member_id();
      request.set_source_member_id(request.target_member_id());
      request.set_target_member_id(source);
      return;
    }
    case 1:
      request.set_reason_code(
          request.reason_code() == "SAME_PERSON" ? "DUPLICATE" : "SAME_PERSON");
      return;
    case 2:
      request.set_note(request.note().size() < 500 ? request.note() + "!" : "");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// Every identifier of `request` in another random notation: the same
// content.
void Renotate(Generator& g, Request* request) {
  std::visit(
      [&](auto& r) {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, EnrollMemberRequest>) {
          for (MemberIdentifier& identifier : *r.mutable_identifiers()) {
            identifier = g.Renotated(identifier);
          }
        } else if constexpr (std::is_same_v<Type, v1::LinkIdentifierRequest> ||
                             std::is_same_v<Type,
                                            v1::UnlinkIdentifierRequest>) {
          *r.mutable_identifier() = g.Renotated(r.identifier());
        } else if constexpr (std::is_same_v<Type, ImportRequest>) {
          if (!r.message.phone().empty()) {
            MemberIdentifier phone;
            phone.set_kind(v1::IDENTIFIER_KIND_PHONE);
            phone.set_value(r.message.phone());
            r.message.set_phone(g.Renotated(phone).value());
          }
        }
      },
      *request);
}

bool HasIdentifiers(const Request& request) {
  return request.index() == kEnrollKind || request.index() == kLinkKind ||
         request.index() == kUnlinkKind || request.index() == kImportKind;
}

// ---------------------------------------------------------------------------
// The kind table: one row per Request alternative, in variant order.

struct KindSpec {
  const char* name;
  int weight;  // Relative frequency among fresh commands.
  Request (*fresh)(Generator&);
  Request (*boundary)(Generator&);
  std::string (*malform)(Generator&, Request*);
  void (*mutate)(Generator&, Request*);
};

constexpr KindSpec kKinds[] = {
    {"enroll", 15, FreshEnroll, BoundaryEnroll, MalformEnroll, MutateEnroll},
    {"earn", 40, FreshEarn, BoundaryEarn, MalformEarn, MutateEarn},
    {"redeem", 25, FreshRedeem, BoundaryRedeem, MalformRedeem, MutateRedeem},
    {"adjust", 20, FreshAdjust, BoundaryAdjust, MalformAdjust, MutateAdjust},
    {"event", 15, FreshEvent, BoundaryEvent, MalformEvent, MutateEvent},
    {"hold", 20, FreshHold, BoundaryHold, MalformHold, MutateHold},
    {"capture", 10, FreshSettle<CaptureRequest>, BoundarySettle<CaptureRequest>,
     MalformSettle<CaptureRequest>, MutateSettle<CaptureRequest>},
    {"release", 10, FreshSettle<ReleaseRequest>, BoundarySettle<ReleaseRequest>,
     MalformSettle<ReleaseRequest>, MutateSettle<ReleaseRequest>},
    {"return", 15, FreshReturn, BoundaryReturn, MalformReturn, MutateReturn},
    {"link", 12, FreshLink, BoundaryLink,
     MalformIdentifierRequest<v1::LinkIdentifierRequest>,
     MutateIdentifierRequest<v1::LinkIdentifierRequest>},
    {"unlink", 9, FreshUnlink, BoundaryUnlink,
     MalformIdentifierRequest<v1::UnlinkIdentifierRequest>,
     MutateIdentifierRequest<v1::UnlinkIdentifierRequest>},
    {"transfer", 20, FreshTransfer, BoundaryTransfer, MalformTransfer,
     MutateTransfer},
    {"import", 14, FreshImport, BoundaryImport, MalformImport, MutateImport},
    {"close", 4, FreshClose, BoundaryClose, MalformClose, MutateClose},
    {"merge", 9, FreshMerge, BoundaryMerge, MalformMerge, MutateMerge},
};
static_assert(std::size(kKinds) == kKindCount,
              "every Request alternative needs a row in kKinds");

}  // namespace

// ---------------------------------------------------------------------------

Generator::Generator(uint64_t seed, const Model* model, bool near_limits)
    : rng_(seed), model_(model), near_limits_(near_limits) {}

int64_t Generator::Uniform(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

bool Generator::Chance(double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

std::string Generator::NewRequestId() {
  ++request_counter_;
  int64_t roll = Uniform(0, 99);
  if (roll < 3) return absl::StrCat("rq/~#!", request_counter_);
  if (roll < 4) {
    std::string id = absl::StrCat("rq-", request_counter_, "-");
    id.resize(kRequestIdLengthMax, 'x');
    return id;
  }
  return absl::StrCat("rq-", request_counter_);
}

std::string Generator::NewOrderId() {
  return absl::StrCat("o-", ++order_counter_);
}

std::string Generator::NewMemberId() {
  ++member_counter_;
  return Chance(0.1) ? absl::StrCat("M.x:y_z-", member_counter_)
                     : absl::StrCat("m-", member_counter_);
}

std::string Generator::PickMember() {
  const auto& members = model_->member_order();
  int64_t roll = Uniform(0, 99);
  if (members.empty() || roll < 3) {
    return absl::StrCat("ghost-", Uniform(1, 20));  // Never enrolled.
  }
  if (roll < 6) {
    // An id the generator may enroll soon: an earlier NOT_FOUND must replay
    // as NOT_FOUND even once the member exists.
    return absl::StrCat("m-", member_counter_ + Uniform(1, 3));
  }
  const auto& aliases = model_->aliases();
  if (roll < 12 && !aliases.empty()) {
    // A merged member's old id (a recent one mostly): it stands for the
    // member it was merged into.
    const int64_t count = static_cast<int64_t>(aliases.size());
    return aliases[Chance(0.7)
                       ? Uniform(std::max<int64_t>(0, count - 8), count - 1)
                       : Uniform(0, count - 1)];
  }
  int64_t size = static_cast<int64_t>(members.size());
  std::string picked =
      roll < 55 ? members[Uniform(std::max<int64_t>(0, size - 8), size - 1)]
                : members[Uniform(0, size - 1)];
  // Closed members pile up over a long run: most picks of one go to
  // another member instead, so MEMBER_CLOSED stays a small share.
  if (model_->FindMember(picked)->status == v1::MEMBER_STATUS_CLOSED &&
      Chance(0.7)) {
    picked = members[Uniform(0, size - 1)];
  }
  return picked;
}

std::string Generator::PickRich() {
  const auto& members = model_->member_order();
  if (members.empty()) return PickMember();
  std::string richest = members.back();
  auto available = [&](const std::string& id) {
    std::optional<PointsState> points = model_->Projected(id);
    return points.has_value() ? points->totals.available : -1;
  };
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    if (available(members[i]) > available(richest)) richest = members[i];
  }
  // The last rich member stays in the running as the enrollments go on.
  if (!rich_.empty() && available(rich_) > available(richest)) richest = rich_;
  rich_ = richest;
  return richest;
}

std::string Generator::NewCardNumber() {
  ++identifier_counter_;
  static const std::vector<int> kLengths = {4, 8, 16, 19, 32};
  const int length = PickFrom(*this, kLengths);
  const std::string digits = absl::StrCat(identifier_counter_);
  std::string value;
  while (static_cast<int>(value.size() + digits.size()) < length) {
    value.push_back(static_cast<char>('0' + Uniform(0, 9)));
  }
  value += digits;
  return value.substr(value.size() - length);
}

MemberIdentifier Generator::Renotated(const MemberIdentifier& identifier) {
  std::optional<std::string> canonical =
      ModelCanonical(identifier.kind(), identifier.value());
  if (!canonical.has_value()) return identifier;
  MemberIdentifier renotated = identifier;
  renotated.set_value(RenderIdentifier(identifier.kind(), *canonical, rng_));
  return renotated;
}

MemberIdentifier Generator::PickIdentifier() {
  if (!identifiers_sent_.empty() && Chance(0.15)) {
    // Maybe taken already.
    return Renotated(PickFrom(*this, identifiers_sent_));
  }
  MemberIdentifier identifier;
  const int64_t roll = Uniform(0, 99);
  if (roll < 35) {
    identifier.set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
    identifier.set_value(NewCardNumber());
  } else if (roll < 50) {
    identifier.set_kind(v1::IDENTIFIER_KIND_APP_USER_ID);
    identifier.set_value(absl::StrCat("app-user-", ++identifier_counter_));
  } else if (roll < 60) {
    identifier.set_kind(v1::IDENTIFIER_KIND_PARTNER_ACCOUNT);
    std::string account = absl::StrCat("airline:AB", ++identifier_counter_);
    if (Chance(0.2)) account.resize(kIdLengthMax, '9');  // At the limit.
    identifier.set_value(account);
  } else if (roll < 80) {
    identifier.set_kind(v1::IDENTIFIER_KIND_PHONE);
    identifier.set_value(
        PickFrom(*this, PickFrom(*this, ModelPhoneTable()).notations));
  } else {
    identifier.set_kind(v1::IDENTIFIER_KIND_EMAIL);
    identifier.set_value(RenderIdentifier(v1::IDENTIFIER_KIND_EMAIL,
                                          PickFrom(*this, EmailPool()), rng_));
  }
  identifiers_sent_.push_back(identifier);
  if (identifiers_sent_.size() > 2000) {
    identifiers_sent_[Uniform(0, 1999)] = identifiers_sent_.back();
    identifiers_sent_.pop_back();
  }
  return identifier;
}

std::string Generator::PickFullest() {
  const auto& members = model_->member_order();
  if (members.empty()) return PickMember();
  std::string fullest = members.back();
  size_t most = 0;
  for (size_t i = members.size() > 16 ? members.size() - 16 : 0;
       i < members.size(); ++i) {
    // A closed member keeps its identifiers unless erased, but links to
    // it are refused before its count matters.
    const MemberState* member = model_->FindMember(members[i]);
    if (member->status != v1::MEMBER_STATUS_ACTIVE) continue;
    const size_t count = member->identifiers.size();
    if (count > most) {
      most = count;
      fullest = members[i];
    }
  }
  // The last fullest member stays in the running as enrolments go on.
  if (!fullest_.empty() &&
      model_->FindMember(fullest_)->status == v1::MEMBER_STATUS_ACTIVE &&
      model_->FindMember(fullest_)->identifiers.size() > most) {
    fullest = fullest_;
  }
  fullest_ = fullest;
  return fullest;
}

std::string Generator::PickInDebt() {
  // In debt as of its last write: points that matured or came back from a
  // hold since may have paid it off, which only makes the choice less apt.
  const auto& members = model_->member_order();
  for (int attempt = 0; attempt < 64 && !members.empty(); ++attempt) {
    const std::string& member_id = PickFrom(*this, members);
    if (model_->FindMember(member_id)->totals().debt > 0) return member_id;
  }
  return PickMember();
}

std::string Generator::PickSender() {
  std::optional<PointsState> points;
  if (!sender_.empty()) points = model_->Projected(sender_);
  if (sender_.empty() || (!in_burst(kTransferKind) &&
                          (Chance(0.08) || (points.has_value() &&
                                            points->totals.available <= 0)))) {
    // The richest recent member (its day fills up before its points run
    // out), or a recent member with points, else anyone.
    if (Chance(0.4)) {
      sender_ = PickRich();
      return sender_;
    }
    const auto& members = model_->member_order();
    sender_ = PickMember();
    for (int attempt = 0; attempt < 8 && !members.empty(); ++attempt) {
      const std::string& candidate = members[Uniform(
          std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
          static_cast<int64_t>(members.size()) - 1)];
      if (model_->Projected(candidate)->totals.available > 0) {
        sender_ = candidate;
        break;
      }
    }
  }
  return sender_;
}

std::string Generator::PickOwnedCard() {
  const auto& members = model_->member_order();
  for (int attempt = 0; attempt < 4 && !members.empty(); ++attempt) {
    const int64_t size = static_cast<int64_t>(members.size());
    const std::string& member_id =
        Chance(0.5) ? members[Uniform(std::max<int64_t>(0, size - 8), size - 1)]
                    : members[Uniform(0, size - 1)];
    for (const ModelIdentifier& own :
         model_->FindMember(member_id)->identifiers) {
      if (own.kind == v1::IDENTIFIER_KIND_CARD_NUMBER) return own.canonical;
    }
  }
  return "";
}

int64_t Generator::OccurredAt() {
  int64_t roll = Uniform(0, 99);
  if (roll < 65) return 0;  // "Now".
  if (roll < 68) {
    // Exactly one return window ago, or a millisecond either side: the
    // order's points are available at once from the window's end on.
    return std::max<int64_t>(
        1, now_ms_ - kModelReturnWindowDays * kDayMs + Uniform(-1, 1));
  }
  if (roll < 90) return std::max<int64_t>(1, now_ms_ - Uniform(0, 3 * kDayMs));
  if (roll < 95) return now_ms_ + Uniform(0, kDayMs - 3'600'000);
  return Uniform(1, 1000);  // Long ago, but valid.
}

RequestContext Generator::ChannelContext() {
  RequestContext context;
  context.set_request_id(NewRequestId());
  static const std::vector<v1::Channel> kChannels = {
      v1::CHANNEL_POS, v1::CHANNEL_APP, v1::CHANNEL_WEB, v1::CHANNEL_PARTNER};
  context.set_channel(PickFrom(*this, kChannels));
  if (context.channel() == v1::CHANNEL_POS || Chance(0.1)) {
    context.set_store_id(absl::StrCat("store-", Uniform(1, 40)));
  }
  if (Chance(0.5))
    context.set_terminal_id(absl::StrCat("till-", Uniform(1, 9)));
  context.set_occurred_at_ms(OccurredAt());
  return context;
}

RequestContext Generator::AdminContext() {
  RequestContext context;
  context.set_request_id(NewRequestId());
  if (Chance(0.5)) context.set_channel(v1::CHANNEL_ADMIN);
  if (Chance(0.2)) context.set_store_id("hq");
  if (Chance(0.2)) context.set_terminal_id("console-1");
  context.set_occurred_at_ms(OccurredAt());
  return context;
}

int Generator::PickKind() {
  int total = 0;
  for (const KindSpec& spec : kKinds) total += spec.weight;
  int64_t roll = Uniform(0, total - 1);
  for (int kind = 0; kind < kKindCount; ++kind) {
    if (roll < kKinds[kind].weight) return kind;
    roll -= kKinds[kind].weight;
  }
  return 0;
}

Command Generator::Fresh(int kind) {
  Command command;
  command.principal = PickFrom(*this, Principals());
  command.request = kKinds[kind].fresh(*this);
  command.label = kKinds[kind].name;
  return command;
}

Command Generator::Boundary(int kind) {
  Command command;
  command.principal = PickFrom(*this, Principals());
  command.request = kKinds[kind].boundary(*this);
  command.label = absl::StrCat(kKinds[kind].name, " near a limit");
  return command;
}

Command Generator::Malformed(int kind) {
  Command command = Fresh(kind);
  command.malformed = true;
  command.label = absl::StrCat("malformed ", kKinds[kind].name, ": ",
                               kKinds[kind].malform(*this, &command.request));
  return command;
}

const Command* Generator::PickPast(bool recent_bias) {
  if (recent_.empty()) return nullptr;
  if (recent_bias && Chance(0.6)) {
    return &recent_[Uniform(0, static_cast<int64_t>(recent_.size()) - 1)];
  }
  return &sample_[Uniform(0, static_cast<int64_t>(sample_.size()) - 1)];
}

void Generator::Remember(const Command& command) {
  ++sent_;
  recent_.push_back(command);
  if (recent_.size() > 24) recent_.pop_front();
  // A bounded uniform sample of every command sent (reservoir sampling).
  constexpr size_t kSampleMax = 4000;
  if (sample_.size() < kSampleMax) {
    sample_.push_back(command);
  } else {
    int64_t slot = Uniform(0, static_cast<int64_t>(sent_) - 1);
    if (slot < static_cast<int64_t>(kSampleMax)) sample_[slot] = command;
  }
  if (command.malformed && IsValidToken(ContextOf(command.request).request_id(),
                                        kRequestIdLengthMax)) {
    malformed_ids_.emplace_back(command.principal,
                                ContextOf(command.request).request_id());
    if (malformed_ids_.size() > 500)
      malformed_ids_.erase(malformed_ids_.begin());
  }
}

Command Generator::Next(int64_t now_ms, bool grouped) {
  now_ms_ = now_ms;
  Command command;
  int64_t roll = Uniform(0, 99);
  const Command* past = nullptr;
  if (burst_left_ > 0) {
    command = Fresh(static_cast<int>(burst_kind_));
    command.label += " (a burst on one member)";
    --burst_left_;
  } else if (roll < 60) {
    command = Fresh(PickKind());
  } else if (roll < 72 && (past = PickPast(true)) != nullptr) {
    command = *past;
    command.label = "retry (same id, same content) of " + Origin(*past);
    if (!past->malformed && HasIdentifiers(command.request) && Chance(0.3)) {
      Renotate(*this, &command.request);
      command.label = "retry (same id, same content in other notations) of " +
                      Origin(*past);
    }
    if (auto* import = std::get_if<ImportRequest>(&command.request);
        import != nullptr && Chance(0.4)) {
      // A dry run and a real run of one row are the same request.
      import->dry_run = !import->dry_run;
      command.label = absl::StrCat(
          "retry (same id, same content) ",
          import->dry_run ? "as a dry run" : "for real", " of ", Origin(*past));
    }
  } else if (roll < 78 && (past = PickPast(true)) != nullptr) {
    // Same principal and id, other content: the same kind changed a little,
    // or another command altogether. A malformed request is not changed
    // (the change might mend it); its id, if valid, gets a fresh command.
    const std::string& request_id = ContextOf(past->request).request_id();
    if (!past->malformed && Chance(0.6)) {
      command = *past;
      kKinds[command.request.index()].mutate(*this, &command.request);
    } else if (!past->malformed ||
               IsValidToken(request_id, kRequestIdLengthMax)) {
      command = Fresh(PickKind());
      command.principal = past->principal;
      MutableContextOf(&command.request)->set_request_id(request_id);
    } else {
      command = Fresh(PickKind());
    }
    if (command.principal == past->principal) {
      command.label = "same id, other content than " + Origin(*past);
    }
  } else if (roll < 81 && (past = PickPast(false)) != nullptr) {
    command = *past;
    while (command.principal == past->principal) {
      command.principal = PickFrom(*this, Principals());
    }
    command.label = "same id and content, other principal, as " + Origin(*past);
  } else if (roll < 88) {
    command = Malformed(PickKind());
  } else if (roll < 91 && !malformed_ids_.empty()) {
    const auto& [principal, request_id] = PickFrom(*this, malformed_ids_);
    command = Fresh(PickKind());
    command.principal = principal;
    MutableContextOf(&command.request)->set_request_id(request_id);
    command.label += " under the id of an earlier malformed request";
  } else if (near_limits_) {
    command = Boundary(PickKind());
  } else {
    command = Fresh(PickKind());
  }
  if (auto* import = std::get_if<ImportRequest>(&command.request);
      grouped && import != nullptr && import->dry_run) {
    import->dry_run = false;  // See the file comment.
    command.label += " (for real: in a group)";
  }
  Remember(command);
  return command;
}

const std::vector<std::string>& EmailPool() {
  static const std::vector<std::string>* const kPool = [] {
    static const char* const kNames[] = {"amy",         "bo.chen", "carla_r",
                                         "dev+loyalty", "eun-ji",  "farid"};
    static const char* const kDomains[] = {"example.com", "mail.example.org",
                                           "shop.example.tw"};
    auto* pool = new std::vector<std::string>;
    for (int i = 0; i < 40; ++i) {
      pool->push_back(
          absl::StrCat(kNames[i % 6], ".", i, "@", kDomains[i % 3]));
    }
    return pool;
  }();
  return *kPool;
}

std::string RenderIdentifier(v1::IdentifierKind kind,
                             const std::string& canonical,
                             std::mt19937_64& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  if (kind == v1::IDENTIFIER_KIND_PHONE) {
    for (const ModelPhone& phone : ModelPhoneTable()) {
      if (phone.canonical != canonical) continue;
      return phone.notations[uniform(0, phone.notations.size() - 1)];
    }
    return canonical;
  }
  if (kind != v1::IDENTIFIER_KIND_EMAIL) return canonical;
  static const char* const kSpaces[] = {"", "", "", " ", "  ", "\t", " \t"};
  std::string email = kSpaces[uniform(0, std::size(kSpaces) - 1)];
  for (char c : canonical) {
    email.push_back(uniform(0, 2) == 0 ? absl::ascii_toupper(c) : c);
  }
  return email + kSpaces[uniform(0, std::size(kSpaces) - 1)];
}

}  // namespace loyalty::model
