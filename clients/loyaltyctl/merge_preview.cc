// File: clients/loyaltyctl/merge_preview.cc

#include "clients/loyaltyctl/merge_preview.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Member;
using loyalty::v1::TierStatus;

// Shown for a sum that does not fit in int64.
constexpr char kTooLarge[] = "too large";

std::optional<int64_t> Sum(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// The tier that ranks higher, when the two reads tell: the same tier, a top
// tier (it has no next tier), or one tier right above the other. nullptr
// when they do not (tiers further apart); only the program knows then.
const TierStatus* HigherTier(const TierStatus& a, const TierStatus& b) {
  if (a.tier_id() == b.tier_id() || a.next_tier_id().empty()) return &a;
  if (b.next_tier_id().empty() || a.next_tier_id() == b.tier_id()) return &b;
  if (b.next_tier_id() == a.tier_id()) return &a;
  return nullptr;
}

// Whether `qualifying_amount` reaches the tier above `tier`, whose threshold
// is the tier's own qualifying amount plus what it lacks for the next one.
bool ReachesNextTier(const TierStatus& tier, int64_t qualifying_amount) {
  if (tier.next_tier_id().empty()) return false;
  const std::optional<int64_t> threshold =
      Sum(tier.qualifying_amount(), tier.to_next_tier());
  return threshold.has_value() && qualifying_amount >= *threshold;
}

std::string ForecastTierLabel(const Member& source, const Member& target,
                              std::optional<int64_t> qualifying_amount) {
  if (!source.has_tier())
    return target.has_tier() ? target.tier().tier_id() : "";
  if (!target.has_tier()) return source.tier().tier_id();
  const TierStatus* higher = HigherTier(source.tier(), target.tier());
  if (higher == nullptr) {
    return absl::StrCat("the higher of ", source.tier().tier_id(), " and ",
                        target.tier().tier_id());
  }
  if (qualifying_amount.has_value() &&
      ReachesNextTier(*higher, *qualifying_amount)) {
    return absl::StrCat("at least ", higher->next_tier_id());
  }
  return higher->tier_id();
}

std::string AmountCell(std::optional<int64_t> amount) {
  return amount.has_value() ? absl::StrCat(*amount) : kTooLarge;
}

// "silver, 1200 qualifying".
std::string TierCell(absl::string_view tier_label,
                     std::optional<int64_t> qualifying_amount) {
  return absl::StrCat(tier_label, ", ", AmountCell(qualifying_amount),
                      " qualifying");
}

std::vector<std::string> MemberRow(absl::string_view role, const Member& member,
                                   bool with_tiers) {
  const loyalty::v1::Balance& balance = member.balance();
  std::vector<std::string> row = {std::string(role),
                                  member.member_id(),
                                  MemberStatusLabel(member.status()),
                                  absl::StrCat(member.identifiers_size()),
                                  absl::StrCat(balance.available_points()),
                                  absl::StrCat(balance.pending_points()),
                                  absl::StrCat(balance.held_points())};
  if (with_tiers) {
    row.push_back(member.has_tier()
                      ? TierCell(member.tier().tier_id(),
                                 member.tier().qualifying_amount())
                      : "-");
  }
  return row;
}

std::vector<std::string> AfterRow(const Member& target,
                                  const MergeForecast& after, bool with_tiers) {
  std::vector<std::string> row = {"after",
                                  target.member_id(),
                                  MemberStatusLabel(target.status()),
                                  absl::StrCat(after.identifier_count),
                                  AmountCell(after.available_points),
                                  AmountCell(after.pending_points),
                                  AmountCell(after.held_points)};
  if (with_tiers) {
    row.push_back(TierCell(after.tier_label, after.qualifying_amount));
  }
  return row;
}

}  // namespace

MergeForecast ForecastMerge(const Member& source, const Member& target) {
  const loyalty::v1::Balance& from = source.balance();
  const loyalty::v1::Balance& to = target.balance();
  MergeForecast after;
  after.identifier_count =
      source.identifiers_size() + target.identifiers_size();
  after.available_points = Sum(from.available_points(), to.available_points());
  after.pending_points = Sum(from.pending_points(), to.pending_points());
  after.held_points = Sum(from.held_points(), to.held_points());
  after.qualifying_amount =
      Sum(source.tier().qualifying_amount(), target.tier().qualifying_amount());
  after.tier_label = ForecastTierLabel(source, target, after.qualifying_amount);
  return after;
}

void PrintMergePreview(std::ostream& out, const Member& source,
                       const Member& target) {
  out << "Everything " << source.member_id() << " has moves to "
      << target.member_id()
      << ": points with their expiry dates, pending points, holds,\n"
         "identifiers, orders and totals; "
      << source.member_id() << " stays an alias of " << target.member_id()
      << " for good.\n";
  const bool with_tiers = source.has_tier() || target.has_tier();
  std::vector<Table::Column> columns = {{"", Table::Align::kLeft},
                                        {"MEMBER", Table::Align::kLeft},
                                        {"STATUS", Table::Align::kLeft},
                                        {"IDENTIFIERS", Table::Align::kRight},
                                        {"AVAILABLE", Table::Align::kRight},
                                        {"PENDING", Table::Align::kRight},
                                        {"HELD", Table::Align::kRight}};
  if (with_tiers) columns.push_back({"TIER", Table::Align::kLeft});
  Table table(std::move(columns));
  table.AddRow(MemberRow("source", source, with_tiers));
  table.AddRow(MemberRow("target", target, with_tiers));
  table.AddRow(AfterRow(target, ForecastMerge(source, target), with_tiers));
  table.Print(out);
}

}  // namespace loyalty::ctl
