#include "clients/pos/till.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "loyalty/client/call_status.h"
#include "loyalty/client/request_id.h"

namespace loyalty::pos {
namespace {

namespace v1 = ::loyalty::v1;

constexpr char kHelp[] =
    "scan VALUE                      card number, phone, email or coupon code\n"
    "member ID                       the member by id\n"
    "add SKU QTY PRICE [CATEGORY]    a basket line, PRICE like 3.50\n"
    "quote                           points and discounts of the sale\n"
    "points N                        pay N points (held until pay; offline,\n"
    "                                within the offline allowance)\n"
    "pay                             finish the sale\n"
    "cancel                          drop the sale\n"
    "return ORDER AMOUNT             return AMOUNT (like 12.00) of ORDER\n"
    "pickup CODE UNITS               pick up voucher units\n"
    "wallet | status | refused | sync | help | quit\n";

std::optional<v1::IdentifierKind> IdentifierKindOf(const std::string& value) {
  if (value.find('@') != std::string::npos) return v1::IDENTIFIER_KIND_EMAIL;
  if (!value.empty() && value[0] == '+') return v1::IDENTIFIER_KIND_PHONE;
  bool digits = !value.empty();
  for (char c : value) digits = digits && absl::ascii_isdigit(c);
  if (digits) return v1::IDENTIFIER_KIND_CARD_NUMBER;
  return std::nullopt;
}

std::string Points(int64_t points) { return absl::StrCat(points, " pt"); }

}  // namespace

std::optional<int64_t> ParseAmountMinor(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  if (parts.empty() || parts.size() > 2 || parts[0].empty()) {
    return std::nullopt;
  }
  int64_t whole = 0;
  if (parts[0].size() > 10 || !absl::SimpleAtoi(parts[0], &whole) ||
      whole < 0 || parts[0][0] == '-' || parts[0][0] == '+') {
    return std::nullopt;
  }
  int64_t cents = 0;
  if (parts.size() == 2) {
    if (parts[1].size() != 2 || !absl::ascii_isdigit(parts[1][0]) ||
        !absl::ascii_isdigit(parts[1][1])) {
      return std::nullopt;
    }
    cents = (parts[1][0] - '0') * 10 + (parts[1][1] - '0');
  }
  return whole * 100 + cents;
}

std::string FormatMinor(int64_t minor) {
  const char* sign = minor < 0 ? "-" : "";
  const int64_t magnitude = minor < 0 ? -minor : minor;
  return absl::StrCat(sign, magnitude / 100, ".",
                      absl::Dec(magnitude % 100, absl::kZeroPad2));
}

Till::Till(const client::Client* client, client::OfflineJournal* journal,
           TillOptions options, std::function<void()> wake_sync)
    : client_(client),
      journal_(journal),
      options_(std::move(options)),
      wake_sync_(std::move(wake_sync)) {
  NewSale();
}

int64_t Till::NowMs() const {
  return options_.now_ms ? options_.now_ms() : absl::ToUnixMillis(absl::Now());
}

void Till::MarkOffline() {
  if (!offline_) offline_since_ms_ = NowMs();
  offline_ = true;
}

void Till::NewSale() {
  ++sales_;
  sale_ = Sale();
  sale_.order_id = absl::StrCat(
      options_.terminal_id, "-",
      absl::FormatTime("%Y%m%d%H%M%S", absl::FromUnixMillis(NowMs()),
                       absl::UTCTimeZone()),
      "-", sales_);
}

int64_t Till::QueuedCount() const {
  absl::StatusOr<client::JournalStatus> status = journal_->Status();
  return status.ok() ? status->pending : 0;
}

std::string Till::Prompt() const {
  std::string prompt = "pos";
  absl::StatusOr<client::JournalStatus> status = journal_->Status();
  const int64_t queued = status.ok() ? status->pending : 0;
  // The syncer reaching the server since the till last failed to means the
  // server is back.
  if (offline_ && status.ok() && status->last_error.empty() &&
      status->last_sync_at_ms >= offline_since_ms_) {
    offline_ = false;
  }
  if (offline_ || queued > 0) {
    absl::StrAppend(&prompt, offline_ ? " [offline — " : " [", queued,
                    " queued]");
  }
  if (!sale_.member_id.empty()) absl::StrAppend(&prompt, " ", sale_.member_id);
  return prompt + "> ";
}

v1::RequestContext Till::Context(const std::string& request_id) const {
  v1::RequestContext context;
  context.set_request_id(request_id);
  context.set_channel(v1::CHANNEL_POS);
  context.set_store_id(options_.store_id);
  context.set_terminal_id(options_.terminal_id);
  return context;
}

void Till::Report(const absl::Status& failure, std::ostream& out) {
  if (client::IsTransientFailure(failure) ||
      client::IsOutcomeUnknown(failure)) {
    MarkOffline();
    out << "offline: the server cannot be reached ("
        << absl::StatusCodeToString(failure.code()) << ")\n";
    return;
  }
  offline_ = false;
  const v1::ErrorReason reason = client::ReasonOf(failure);
  out << "refused: " << failure.message();
  if (reason != v1::ERROR_REASON_UNSPECIFIED) {
    out << " [" << v1::ErrorReason_Name(reason) << "]";
  }
  out << "\n";
}

bool Till::Handle(const std::string& line, std::ostream& out) {
  std::vector<std::string> words =
      absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (words.empty()) return true;
  const std::string& command = words[0];
  auto need = [&](size_t count, const char* usage) {
    if (words.size() == count) return true;
    out << "usage: " << usage << "\n";
    return false;
  };
  if (command == "quit" || command == "exit") return false;
  if (command == "help") {
    out << kHelp;
  } else if (command == "scan") {
    if (need(2, "scan VALUE")) Scan(words[1], out);
  } else if (command == "member") {
    if (need(2, "member ID")) {
      v1::GetMemberRequest request;
      request.set_member_id(words[1]);
      absl::StatusOr<v1::Member> member = client_->GetMember(request);
      if (member.ok()) {
        offline_ = false;
        SelectMember(*member, out);
      } else {
        Report(member.status(), out);
        if (offline_) SelectOffline(words[1], "as typed, not checked", out);
      }
    }
  } else if (command == "add") {
    Add(words, out);
  } else if (command == "quote") {
    Quote(out);
  } else if (command == "points") {
    if (need(2, "points N")) PayWithPoints(words[1], out);
  } else if (command == "pay") {
    Pay(out);
  } else if (command == "cancel") {
    Cancel(out);
  } else if (command == "return") {
    if (need(3, "return ORDER AMOUNT")) Return(words[1], words[2], out);
  } else if (command == "pickup") {
    if (need(3, "pickup CODE UNITS")) Pickup(words[1], words[2], out);
  } else if (command == "wallet") {
    ShowWallet(out);
  } else if (command == "status") {
    ShowStatus(out);
  } else if (command == "refused") {
    ShowRefused(out);
  } else if (command == "sync") {
    if (wake_sync_) wake_sync_();
    out << "sync: started (" << QueuedCount() << " queued)\n";
  } else {
    out << "unknown command '" << command << "' (help lists them)\n";
  }
  return true;
}

void Till::Scan(const std::string& value, std::ostream& out) {
  if (std::optional<v1::IdentifierKind> kind = IdentifierKindOf(value)) {
    v1::LookupMemberRequest request;
    request.mutable_identifier()->set_kind(*kind);
    request.mutable_identifier()->set_value(value);
    absl::StatusOr<v1::Member> member = client_->LookupMember(request);
    if (!member.ok()) {
      Report(member.status(), out);
      auto known = member_by_identifier_.find(value);
      if (offline_ && known != member_by_identifier_.end()) {
        SelectOffline(known->second, "scanned at this till before", out);
      }
      return;
    }
    offline_ = false;
    member_by_identifier_[value] = member->member_id();
    return SelectMember(*member, out);
  }
  ApplyCoupon(value, out);
}

void Till::SelectMember(const v1::Member& member, std::ostream& out) {
  if (!sale_.hold_id.empty() && sale_.member_id != member.member_id()) {
    out << "refused: points of " << sale_.member_id
        << " are held for this sale; cancel it first\n";
    return;
  }
  sale_.member_id = member.member_id();
  out << "member " << member.member_id();
  if (!member.tier().tier_id().empty()) {
    out << " tier "
        << (member.tier().display_name().empty()
                ? member.tier().tier_id()
                : member.tier().display_name());
  }
  out << ": " << Points(member.balance().available_points()) << " available, "
      << Points(member.balance().pending_points()) << " pending";
  if (member.balance().held_points() > 0) {
    out << ", " << Points(member.balance().held_points()) << " held";
  }
  out << "\n";
  ShowWallet(out);
}

void Till::SelectOffline(const std::string& member_id, const char* why,
                         std::ostream& out) {
  if (!sale_.hold_id.empty() && sale_.member_id != member_id) {
    out << "refused: points of " << sale_.member_id
        << " are held for this sale; cancel it first\n";
    return;
  }
  sale_.member_id = member_id;
  out << "member " << member_id << " (offline: " << why
      << "; the sale is checked when it syncs)\n";
}

void Till::ShowWallet(std::ostream& out) {
  if (sale_.member_id.empty()) {
    out << "no member: scan a card first\n";
    return;
  }
  v1::ListWalletRequest request;
  request.set_member_id(sale_.member_id);
  request.set_page_size(20);
  absl::StatusOr<v1::ListWalletResponse> wallet = client_->ListWallet(request);
  if (!wallet.ok()) return Report(wallet.status(), out);
  if (wallet->items().empty()) {
    out << "wallet: empty\n";
    return;
  }
  out << "wallet:\n";
  for (const v1::WalletItem& item : wallet->items()) {
    if (item.has_coupon()) {
      const v1::Coupon& coupon = item.coupon();
      out << "  coupon " << coupon.code() << "  " << coupon.display_name()
          << "  (" << coupon.uses_allowed() - coupon.uses() << " of "
          << coupon.uses_allowed() << " uses left)\n";
    } else {
      const v1::Voucher& voucher = item.voucher();
      out << "  voucher " << voucher.code() << "  " << voucher.sku() << "  ("
          << voucher.units_left() << " units left)\n";
    }
  }
  if (!wallet->next_page_token().empty()) out << "  ...\n";
}

void Till::Add(const std::vector<std::string>& words, std::ostream& out) {
  if (words.size() < 4 || words.size() > 5) {
    out << "usage: add SKU QTY PRICE [CATEGORY]\n";
    return;
  }
  int64_t quantity = 0;
  if (!absl::SimpleAtoi(words[2], &quantity) || quantity < 1 ||
      quantity > 1'000'000) {
    out << "refused: QTY must be a whole number 1..1000000, got '" << words[2]
        << "'\n";
    return;
  }
  std::optional<int64_t> price_minor = ParseAmountMinor(words[3]);
  if (!price_minor.has_value()) {
    out << "refused: PRICE must look like 3.50, got '" << words[3] << "'\n";
    return;
  }
  if (sale_.lines.size() >= 200) {
    out << "refused: a sale has at most 200 lines\n";
    return;
  }
  v1::BasketLine line;
  line.set_sku(words[1]);
  line.set_quantity(quantity);
  line.set_unit_price_minor(*price_minor);
  if (words.size() == 5) line.set_category(words[4]);
  sale_.lines.push_back(line);
  int64_t total_minor = 0;
  for (const v1::BasketLine& each : sale_.lines) {
    total_minor += each.quantity() * each.unit_price_minor();
  }
  out << "added " << quantity << " x " << words[1] << " at "
      << FormatMinor(*price_minor) << "; total " << FormatMinor(total_minor)
      << " " << options_.currency << "\n";
}

v1::EarnRequest Till::SaleEarn() const {
  v1::EarnRequest earn;
  *earn.mutable_context() = Context("");
  earn.set_member_id(sale_.member_id);
  earn.set_order_id(sale_.order_id);
  earn.set_currency(options_.currency);
  for (const v1::BasketLine& line : sale_.lines) *earn.add_lines() = line;
  for (const std::string& code : sale_.coupon_codes) {
    earn.add_coupon_codes(code);
  }
  return earn;
}

void Till::Quote(std::ostream& out) {
  if (sale_.member_id.empty() || sale_.lines.empty()) {
    out << "refused: a quote needs a member and a basket line\n";
    return;
  }
  absl::StatusOr<v1::QuoteEarnResponse> quote = client_->QuoteEarn(SaleEarn());
  if (!quote.ok()) return Report(quote.status(), out);
  offline_ = false;
  out << "quote: " << Points(quote->points()) << " on "
      << FormatMinor(quote->spend_minor()) << " " << options_.currency << "\n";
  for (const v1::EarnBreakdownLine& line : quote->breakdown()) {
    out << "  " << line.rule_id() << "  " << Points(line.points()) << "  "
        << line.description() << "\n";
  }
  for (const v1::AppliedCoupon& coupon : quote->coupons()) {
    out << "  coupon " << coupon.code() << "  -"
        << FormatMinor(coupon.discount_minor()) << "  " << coupon.display_name()
        << "\n";
  }
  out << "to pay: "
      << FormatMinor(quote->spend_minor() - quote->discount_minor()) << " "
      << options_.currency;
  if (sale_.held_points > 0) {
    out << " and " << Points(sale_.held_points);
  }
  out << "\n";
}

void Till::ApplyCoupon(const std::string& code, std::ostream& out) {
  if (sale_.member_id.empty()) {
    out << "refused: scan the member's card before a coupon\n";
    return;
  }
  v1::ValidateCouponRequest request;
  *request.mutable_context() = Context("");
  request.set_member_id(sale_.member_id);
  request.set_code(code);
  if (!sale_.lines.empty()) {
    request.set_currency(options_.currency);
    for (const v1::BasketLine& line : sale_.lines) *request.add_lines() = line;
  }
  absl::StatusOr<v1::ValidateCouponResponse> valid =
      client_->ValidateCoupon(request);
  if (!valid.ok()) return Report(valid.status(), out);
  offline_ = false;
  for (const std::string& applied : sale_.coupon_codes) {
    if (applied == valid->coupon().code()) {
      out << "coupon " << applied << " is already on this sale\n";
      return;
    }
  }
  sale_.coupon_codes.push_back(valid->coupon().code());
  out << "coupon " << valid->coupon().code()
      << " applied: " << valid->coupon().display_name() << "\n";
}

void Till::PayWithPoints(const std::string& points_text, std::ostream& out) {
  int64_t points = 0;
  if (!absl::SimpleAtoi(points_text, &points) || points < 1) {
    out << "refused: N must be a whole number of points, got '" << points_text
        << "'\n";
    return;
  }
  if (sale_.member_id.empty()) {
    out << "refused: scan the member's card first\n";
    return;
  }
  if (!sale_.hold_id.empty() || sale_.offline_points > 0) {
    out << "refused: "
        << Points(sale_.hold_id.empty() ? sale_.offline_points
                                        : sale_.held_points)
        << " are paid with for this sale already\n";
    return;
  }
  if (offline_ && QueuedCount() > 0) return PayWithPointsOffline(points, out);
  absl::StatusOr<std::string> request_id = client::GenerateRequestId();
  if (!request_id.ok()) return Report(request_id.status(), out);
  v1::HoldPointsRequest hold;
  *hold.mutable_context() = Context(*request_id);
  hold.set_member_id(sale_.member_id);
  hold.set_order_id(sale_.order_id);
  hold.set_points(points);
  hold.set_timeout_ms(options_.hold_timeout_ms);
  absl::StatusOr<v1::HoldPointsResponse> held = client_->HoldPoints(hold);
  if (!held.ok()) {
    if (client::IsOutcomeUnknown(held.status())) {
      // A hold that may exist times out by itself; offline, the points are
      // the allowance's instead.
      MarkOffline();
      return PayWithPointsOffline(points, out);
    }
    Report(held.status(), out);
    return;
  }
  offline_ = false;
  sale_.hold_id = held->hold_id();
  sale_.held_points = points;
  out << "held " << Points(points) << " for this sale; "
      << Points(held->balance().available_points()) << " left\n";
}

void Till::PayWithPointsOffline(int64_t points, std::ostream& out) {
  absl::StatusOr<int64_t> left =
      journal_->OfflineAllowanceLeft(sale_.member_id, NowMs());
  if (!left.ok()) return Report(left.status(), out);
  if (*left == 0) {
    out << "offline: paying with points needs the server (no offline "
           "allowance left for this member): take another payment\n";
    return;
  }
  if (points > *left) {
    out << "offline: at most " << Points(*left)
        << " can be paid with points while offline\n";
    return;
  }
  absl::StatusOr<std::string> request_id = client::GenerateRequestId();
  if (!request_id.ok()) return Report(request_id.status(), out);
  sale_.offline_points = points;
  sale_.offline_request_id = *std::move(request_id);
  sale_.offline_at_ms = NowMs();
  out << "offline: " << Points(points)
      << " paid with points, reconciled with the member's balance when the "
         "server is back\n";
}

void Till::Queue(v1::Mutation mutation, const std::string& what,
                 std::ostream& out) {
  absl::StatusOr<client::JournalEntry> recorded =
      journal_->Append(std::move(mutation), NowMs());
  if (!recorded.ok()) {
    out << "NOT RECORDED: " << recorded.status().message() << "\n";
    return;
  }
  if (wake_sync_) wake_sync_();
  out << what << " recorded offline (" << QueuedCount()
      << " queued); it is applied once the server is back\n";
}

void Till::Pay(std::ostream& out) {
  if (sale_.lines.empty()) {
    out << "refused: the sale has no lines\n";
    return;
  }
  if (!sale_.hold_id.empty()) {
    absl::StatusOr<std::string> request_id = client::GenerateRequestId();
    if (!request_id.ok()) return Report(request_id.status(), out);
    v1::SettleHoldRequest capture;
    *capture.mutable_context() = Context(*request_id);
    capture.set_member_id(sale_.member_id);
    capture.set_hold_id(sale_.hold_id);
    absl::StatusOr<v1::SettleHoldResponse> captured =
        client_->CapturePoints(capture);
    if (!captured.ok()) {
      Report(captured.status(), out);
      out << "the points are still held: pay again, or cancel\n";
      return;
    }
    out << "paid " << Points(sale_.held_points) << "\n";
  }
  if (sale_.member_id.empty()) {
    out << "sale " << sale_.order_id << " paid (no member)\n";
    NewSale();
    return;
  }
  v1::EarnRequest earn = SaleEarn();
  absl::StatusOr<std::string> request_id = client::GenerateRequestId();
  if (!request_id.ok()) return Report(request_id.status(), out);
  earn.mutable_context()->set_request_id(*request_id);
  // The sale's time, whenever it reaches the server.
  earn.mutable_context()->set_occurred_at_ms(NowMs());
  const std::string order_id = sale_.order_id;
  if (sale_.offline_points > 0) {
    // The offline redemption first, then the sale's earn after it.
    v1::Mutation redeem;
    v1::RedeemRequest* request = redeem.mutable_redeem();
    *request->mutable_context() = Context(sale_.offline_request_id);
    request->mutable_context()->set_occurred_at_ms(sale_.offline_at_ms);
    request->set_member_id(sale_.member_id);
    request->set_order_id(order_id);
    request->set_points(sale_.offline_points);
    request->set_offline(true);
    absl::StatusOr<client::JournalEntry> recorded =
        journal_->Append(std::move(redeem), NowMs());
    if (!recorded.ok()) {
      out << "NOT RECORDED: " << recorded.status().message()
          << "\n(cancel, or pay again)\n";
      return;
    }
    out << Points(sale_.offline_points) << " paid with points offline\n";
  }
  if (QueuedCount() > 0) {
    // Earlier sales are still queued: this one goes after them, in order.
    if (!earn.coupon_codes().empty()) {
      out << "refused: coupons need the server, and sales are queued; "
             "remove the coupons or wait for the sync\n";
      return;
    }
    v1::Mutation mutation;
    *mutation.mutable_earn() = std::move(earn);
    Queue(std::move(mutation), "sale " + order_id, out);
    NewSale();
    return;
  }
  absl::StatusOr<v1::EarnResponse> earned = client_->Earn(earn);
  if (earned.ok()) {
    offline_ = false;
    out << "sale " << order_id << ": " << Points(earned->points_earned())
        << " earned";
    if (earned->discount_minor() > 0) {
      out << ", " << FormatMinor(earned->discount_minor()) << " "
          << options_.currency << " off";
    }
    out << "; balance " << Points(earned->balance().available_points())
        << " available, " << Points(earned->balance().pending_points())
        << " pending\n";
    for (const v1::Coupon& issued : earned->issued_coupons()) {
      out << "  new coupon " << issued.code() << "  " << issued.display_name()
          << "\n";
    }
    NewSale();
    return;
  }
  if (!client::IsOutcomeUnknown(earned.status())) {
    return Report(earned.status(), out);
  }
  MarkOffline();
  if (!earn.coupon_codes().empty()) {
    out << "offline: coupons need the server; the sale was not recorded "
           "(remove the coupons and pay again, or wait)\n";
    return;
  }
  // Maybe applied, maybe not: the same request id makes the journal's
  // resend apply it once, or replay the answer.
  v1::Mutation mutation;
  *mutation.mutable_earn() = std::move(earn);
  Queue(std::move(mutation), "sale " + order_id, out);
  NewSale();
}

void Till::Cancel(std::ostream& out) {
  if (!sale_.hold_id.empty()) {
    absl::StatusOr<std::string> request_id = client::GenerateRequestId();
    if (!request_id.ok()) return Report(request_id.status(), out);
    v1::SettleHoldRequest release;
    *release.mutable_context() = Context(*request_id);
    release.set_member_id(sale_.member_id);
    release.set_hold_id(sale_.hold_id);
    absl::StatusOr<v1::SettleHoldResponse> released =
        client_->ReleasePoints(release);
    if (!released.ok()) {
      Report(released.status(), out);
      out << "the held points go back by themselves when the hold times "
             "out\n";
    } else {
      out << "released " << Points(sale_.held_points) << "\n";
    }
  }
  out << "sale " << sale_.order_id << " cancelled\n";
  NewSale();
}

void Till::Return(const std::string& order_id, const std::string& amount_text,
                  std::ostream& out) {
  if (sale_.member_id.empty()) {
    out << "refused: scan the member's card first\n";
    return;
  }
  std::optional<int64_t> amount_minor = ParseAmountMinor(amount_text);
  if (!amount_minor.has_value() || *amount_minor < 1) {
    out << "refused: AMOUNT must look like 12.00 and be above 0, got '"
        << amount_text << "'\n";
    return;
  }
  absl::StatusOr<std::string> request_id = client::GenerateRequestId();
  if (!request_id.ok()) return Report(request_id.status(), out);
  v1::ReturnRequest request;
  *request.mutable_context() = Context(*request_id);
  request.mutable_context()->set_occurred_at_ms(NowMs());
  request.set_member_id(sale_.member_id);
  request.set_order_id(order_id);
  request.set_amount_minor(*amount_minor);
  if (QueuedCount() > 0) {
    v1::Mutation mutation;
    *mutation.mutable_return_() = std::move(request);
    return Queue(std::move(mutation), "return of " + order_id, out);
  }
  absl::StatusOr<v1::ReturnResponse> returned = client_->Return(request);
  if (returned.ok()) {
    offline_ = false;
    out << "return of " << order_id << ": "
        << Points(returned->points_reversed()) << " taken back";
    if (returned->points_restored() > 0) {
      out << ", " << Points(returned->points_restored()) << " restored";
    }
    out << "; balance " << Points(returned->balance().available_points())
        << " available\n";
    return;
  }
  if (!client::IsOutcomeUnknown(returned.status())) {
    return Report(returned.status(), out);
  }
  MarkOffline();
  v1::Mutation mutation;
  *mutation.mutable_return_() = std::move(request);
  Queue(std::move(mutation), "return of " + order_id, out);
}

void Till::Pickup(const std::string& code, const std::string& units_text,
                  std::ostream& out) {
  int64_t units = 0;
  if (!absl::SimpleAtoi(units_text, &units) || units < 1) {
    out << "refused: UNITS must be a whole number above 0, got '" << units_text
        << "'\n";
    return;
  }
  if (sale_.member_id.empty()) {
    out << "refused: scan the member's card first\n";
    return;
  }
  absl::StatusOr<std::string> request_id = client::GenerateRequestId();
  if (!request_id.ok()) return Report(request_id.status(), out);
  v1::RedeemVoucherUnitsRequest request;
  *request.mutable_context() = Context(*request_id);
  request.set_member_id(sale_.member_id);
  request.set_code(code);
  request.set_units(units);
  request.set_order_id(sale_.order_id);
  absl::StatusOr<v1::RedeemVoucherUnitsResponse> picked =
      client_->RedeemVoucherUnits(request);
  if (!picked.ok()) {
    Report(picked.status(), out);
    if (offline_) out << "picking up voucher units needs the server\n";
    return;
  }
  offline_ = false;
  out << "picked up " << units << " x " << picked->voucher().sku() << "; "
      << picked->voucher().units_left() << " units left on "
      << picked->voucher().code() << "\n";
}

void Till::ShowStatus(std::ostream& out) {
  absl::StatusOr<client::JournalStatus> status = journal_->Status();
  if (!status.ok()) {
    out << "journal: " << status.status().message() << "\n";
    return;
  }
  out << "server: " << (offline_ ? "offline" : "online") << "\n"
      << "queue: " << status->pending << " pending, " << status->refused
      << " refused, " << status->applied << " applied\n";
  if (status->oldest_pending_occurred_at_ms.has_value()) {
    out << "oldest pending: "
        << absl::FormatTime(
               "%Y-%m-%d %H:%M:%S UTC",
               absl::FromUnixMillis(*status->oldest_pending_occurred_at_ms),
               absl::UTCTimeZone())
        << "\n";
  }
  if (!status->last_error.empty()) {
    out << "last error: " << status->last_error << "\n";
  }
}

void Till::ShowRefused(std::ostream& out) {
  absl::StatusOr<std::vector<client::JournalEntry>> refused =
      journal_->Refused(50);
  if (!refused.ok()) {
    out << "journal: " << refused.status().message() << "\n";
    return;
  }
  if (refused->empty()) {
    out << "nothing refused\n";
    return;
  }
  for (const client::JournalEntry& entry : *refused) {
    std::string order_id = entry.mutation.has_earn()
                               ? entry.mutation.earn().order_id()
                               : entry.mutation.return_().order_id();
    out << "refused " << entry.command << " " << order_id << ": "
        << entry.reason << " " << entry.message << "\n";
  }
}

}  // namespace loyalty::pos
