// The reference model's rules (see model.h). Plain integer arithmetic with
// explicit overflow checks in Int128, so the model cannot wrap where the
// ledger must refuse.
#include "model.h"

#include <algorithm>
#include <limits>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace loyalty::model {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

bool FitsInt64(Int128 value) {
  return value >= kInt64Min && value <= kInt64Max;
}

Expected Rejected(absl::StatusCode code, v1::ErrorReason reason) {
  Expected expected;
  expected.code = code;
  expected.reason = reason;
  return expected;
}

Expected MemberNotFound() {
  return Rejected(absl::StatusCode::kNotFound,
                  v1::ERROR_REASON_MEMBER_NOT_FOUND);
}
Expected InsufficientPoints() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_INSUFFICIENT_POINTS);
}
Expected BalanceOverflow() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_BALANCE_OVERFLOW);
}
Expected InvalidArgument() {
  return Rejected(absl::StatusCode::kInvalidArgument,
                  v1::ERROR_REASON_INVALID_FIELD);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace

const char* KindName(const Request& request) {
  static constexpr const char* kNames[] = {"enroll", "earn", "redeem",
                                           "adjust", "event"};
  static_assert(std::size(kNames) == kKindCount);
  return kNames[request.index()];
}

const v1::RequestContext& ContextOf(const Request& request) {
  return std::visit(
      [](const auto& r) -> const v1::RequestContext& { return r.context(); },
      request);
}

v1::RequestContext* MutableContextOf(Request* request) {
  return std::visit(
      [](auto& r) -> v1::RequestContext* { return r.mutable_context(); },
      *request);
}

const std::string& MemberIdOf(const Request& request) {
  return std::visit(
      [](const auto& r) -> const std::string& { return r.member_id(); },
      request);
}

std::string ContentOf(const Request& request) {
  std::string content(1, static_cast<char>('0' + request.index()));
  content.push_back('\0');
  std::visit([&](const auto& r) { content += DeterministicBytes(r); }, request);
  return content;
}

std::string Describe(const Request& request) {
  std::string text = KindName(request);
  text += " ";
  std::string body =
      std::visit([](const auto& r) { return r.ShortDebugString(); }, request);
  if (body.size() > 600) body = body.substr(0, 600) + "...";
  return text + body;
}

Model::Model(std::vector<EarnRateRule> rates, CampaignRule campaign,
             std::vector<EventRule> events)
    : rates_(std::move(rates)),
      campaign_(std::move(campaign)),
      events_(std::move(events)) {}

const EventRule* Model::FindEvent(const std::string& event_id) const {
  for (const EventRule& event : events_) {
    if (event.event_id == event_id) return &event;
  }
  return nullptr;
}

const MemberState* Model::FindMember(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

bool Model::IdentifierTaken(v1::IdentifierKind kind,
                            const std::string& value) const {
  return identifiers_.count({static_cast<int>(kind), value}) > 0;
}

bool Model::RequestRemembered(const std::string& principal,
                              const std::string& request_id) const {
  return requests_.count({principal, request_id}) > 0;
}

std::optional<Model::EarnPoints> Model::ComputeEarn(
    const v1::EarnRequest& request) const {
  const EarnRateRule* rate = nullptr;
  for (const EarnRateRule& candidate : rates_) {
    if (candidate.currency == request.currency()) rate = &candidate;
  }
  if (rate == nullptr) return std::nullopt;  // Not a program currency.
  // Line totals are summed first; any int64 overflow is INVALID_ARGUMENT.
  Int128 total = 0;
  for (const v1::BasketLine& line : request.lines()) {
    Int128 line_total =
        static_cast<Int128>(line.quantity()) * line.unit_price_minor();
    if (!FitsInt64(line_total)) return std::nullopt;
    total += line_total;
    if (!FitsInt64(total)) return std::nullopt;
  }
  Int128 points = (total / rate->spend_minor_per_step) *
                  static_cast<Int128>(rate->points_per_step);
  int64_t campaign_points = 0;
  if (campaign_.bonus_points > 0 &&
      request.context().channel() == campaign_.channel) {
    campaign_points = campaign_.bonus_points;
    points += campaign_points;
  }
  if (!FitsInt64(points)) return std::nullopt;
  return EarnPoints{static_cast<int64_t>(total), static_cast<int64_t>(points),
                    campaign_points};
}

int64_t Model::GrantedPoints(const MemberState& member,
                             const EarnPoints& earn) const {
  int64_t bonus = std::min({earn.campaign_points,
                            campaign_.member_cap_points - member.campaign_points,
                            campaign_.budget_points - campaign_points_total_});
  bonus = std::max<int64_t>(bonus, 0);
  return earn.points - earn.campaign_points + bonus;
}

Expected Model::Apply(const Command& command,
                      const std::string& assigned_member_id) {
  // Malformed requests are refused before anything is looked up.
  if (command.malformed) return InvalidArgument();
  if (const auto* earn = std::get_if<v1::EarnRequest>(&command.request)) {
    if (!ComputeEarn(*earn).has_value()) return InvalidArgument();
  }
  if (const auto* event =
          std::get_if<v1::RecordEventRequest>(&command.request)) {
    // An event the program lacks, or one this channel may not record.
    const EventRule* rule = FindEvent(event->event_id());
    if (rule == nullptr) return InvalidArgument();
    if (rule->only_channel != v1::CHANNEL_UNSPECIFIED &&
        event->context().channel() != rule->only_channel) {
      return InvalidArgument();
    }
  }

  const std::pair<std::string, std::string> key{
      command.principal, ContextOf(command.request).request_id()};
  std::string content = ContentOf(command.request);
  auto earlier = requests_.find(key);
  if (earlier != requests_.end()) {
    if (earlier->second.content != content) {
      return Rejected(absl::StatusCode::kAlreadyExists,
                      v1::ERROR_REASON_REQUEST_ID_REUSED);
    }
    Expected replay = earlier->second.outcome;
    replay.replayed = true;
    replay.effect = Effect::kNothing;
    replay.identifiers_added = 0;
    replay.orders_added = 0;
    return replay;
  }

  Expected outcome = std::visit(
      [&](const auto& r) { return ApplyRules(r, assigned_member_id); },
      command.request);
  outcome.effect = outcome.code == absl::StatusCode::kOk ? Effect::kApplied
                                                         : Effect::kRemembered;
  requests_[key] = Remembered{std::move(content), outcome};
  return outcome;
}

Expected Model::Append(MemberState& member, int64_t delta) {
  member.totals.available += delta;
  member.totals.entry_count += 1;
  member.totals.last_sequence = ++last_sequence_;
  Expected ok;
  ok.member_id = member.member_id;
  ok.points_delta = delta;
  ok.sequence = member.totals.last_sequence;
  ok.totals = member.totals;
  return ok;
}

Expected Model::ApplyRules(const v1::EnrollMemberRequest& request,
                           const std::string& assigned_member_id) {
  if (!request.member_id().empty() && members_.count(request.member_id())) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_MEMBER_EXISTS);
  }
  for (const v1::MemberIdentifier& identifier : request.identifiers()) {
    if (IdentifierTaken(identifier.kind(), identifier.value())) {
      return Rejected(absl::StatusCode::kAlreadyExists,
                      v1::ERROR_REASON_IDENTIFIER_TAKEN);
    }
  }
  const std::string member_id =
      request.member_id().empty() ? assigned_member_id : request.member_id();
  MemberState& member = members_[member_id];
  member.member_id = member_id;
  order_.push_back(member_id);
  for (const v1::MemberIdentifier& identifier : request.identifiers()) {
    member.identifiers.emplace_back(identifier.kind(), identifier.value());
    identifiers_[{static_cast<int>(identifier.kind()), identifier.value()}] =
        member_id;
  }
  Expected ok = Append(member, 0);
  ok.identifiers_added = request.identifiers_size();
  return ok;
}

Expected Model::ApplyRules(const v1::EarnRequest& request, const std::string&) {
  auto it = members_.find(request.member_id());
  if (it == members_.end()) return MemberNotFound();
  MemberState& member = it->second;
  if (member.orders.count(request.order_id())) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // Apply checked ComputeEarn already.
  const EarnPoints earn = *ComputeEarn(request);
  const int64_t points = GrantedPoints(member, earn);
  if (!FitsInt64(static_cast<Int128>(member.totals.available) + points) ||
      !FitsInt64(static_cast<Int128>(member.totals.earned_total) + points)) {
    return BalanceOverflow();
  }
  const int64_t bonus = points - (earn.points - earn.campaign_points);
  member.campaign_points += bonus;
  campaign_points_total_ += bonus;
  member.totals.earned_total += points;
  member.orders.insert(request.order_id());
  ++orders_total_;
  Expected ok = Append(member, points);
  ok.spend_minor = earn.spend_minor;
  ok.orders_added = 1;
  return ok;
}

Expected Model::ApplyRules(const v1::RecordEventRequest& request,
                           const std::string&) {
  auto it = members_.find(request.member_id());
  if (it == members_.end()) return MemberNotFound();
  MemberState& member = it->second;
  const EventRule& rule = *FindEvent(request.event_id());  // Apply checked.
  const int64_t at_ms = request.context().occurred_at_ms() != 0
                            ? request.context().occurred_at_ms()
                            : now_ms_;
  if (at_ms < rule.starts_at_ms ||
      (rule.ends_at_ms != 0 && at_ms >= rule.ends_at_ms)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  }
  // The harness's clock only moves forward, so "today" is simply today.
  const int64_t day_ms = 24 * 3600 * 1000;
  const int64_t today = (now_ms_ + kModelUtcOffsetMs) / day_ms;
  const std::pair<std::string, int64_t> day_key{rule.event_id, today};
  if ((rule.max_per_member != 0 &&
       member.event_count[rule.event_id] >= rule.max_per_member) ||
      (rule.max_per_day != 0 &&
       member.event_count_by_day[day_key] >= rule.max_per_day)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  }
  if (!FitsInt64(static_cast<Int128>(member.totals.available) + rule.points) ||
      !FitsInt64(static_cast<Int128>(member.totals.earned_total) +
                 rule.points)) {
    return BalanceOverflow();
  }
  member.event_count[rule.event_id] += 1;
  member.event_count_by_day[day_key] += 1;
  member.totals.earned_total += rule.points;
  return Append(member, rule.points);
}

Expected Model::ApplyRules(const v1::RedeemRequest& request,
                           const std::string&) {
  auto it = members_.find(request.member_id());
  if (it == members_.end()) return MemberNotFound();
  MemberState& member = it->second;
  if (request.points() > member.totals.available) return InsufficientPoints();
  if (!FitsInt64(static_cast<Int128>(member.totals.redeemed_total) +
                 request.points())) {
    return BalanceOverflow();
  }
  member.totals.redeemed_total += request.points();
  return Append(member, -request.points());
}

Expected Model::ApplyRules(const v1::AdjustRequest& request,
                           const std::string&) {
  auto it = members_.find(request.member_id());
  if (it == members_.end()) return MemberNotFound();
  MemberState& member = it->second;
  const Int128 after =
      static_cast<Int128>(member.totals.available) + request.points_delta();
  if (after < 0) return InsufficientPoints();
  if (!FitsInt64(after) ||
      !FitsInt64(static_cast<Int128>(member.totals.adjusted_total) +
                 request.points_delta())) {
    return BalanceOverflow();
  }
  member.totals.adjusted_total += request.points_delta();
  return Append(member, request.points_delta());
}

}  // namespace loyalty::model
