// File: clients/loyaltyctl/member_view.cc

#include "clients/loyaltyctl/member_view.h"

#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "clients/loyaltyctl/format.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Balance;
using loyalty::v1::Member;
using loyalty::v1::MemberIdentifier;

// "IDENTIFIER_KIND_PHONE" -> "phone"; an unknown value shows its number.
std::string LowerEnumLabel(absl::string_view enum_name,
                           absl::string_view prefix, int value) {
  if (enum_name.empty()) return absl::StrCat(value);
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

bool IsHashedKind(loyalty::v1::IdentifierKind kind) {
  return kind == loyalty::v1::IDENTIFIER_KIND_PHONE ||
         kind == loyalty::v1::IDENTIFIER_KIND_EMAIL;
}

// "Silver (silver) since <time>; 1200 qualifying, 3800 more for gold".
std::string TierLabel(const loyalty::v1::TierStatus& tier) {
  std::string label =
      absl::StrCat(OrDash(tier.display_name()), " (", tier.tier_id(),
                   ") since ", FormatTimeUtc(tier.since_ms()), "; ",
                   tier.qualifying_amount(), " qualifying");
  if (tier.next_tier_id().empty()) {
    absl::StrAppend(&label, ", top tier");
  } else {
    absl::StrAppend(&label, ", ", tier.to_next_tier(), " more for ",
                    tier.next_tier_id());
  }
  return label;
}

std::string NextExpiringLabel(const Balance& balance) {
  std::vector<std::string> expiring;
  for (const loyalty::v1::ExpiringPoints& next : balance.next_expiring()) {
    expiring.push_back(absl::StrCat(FormatPoints(next.points()), " at ",
                                    FormatTimeUtc(next.expires_at_ms())));
  }
  return expiring.empty() ? "nothing" : absl::StrJoin(expiring, "; ");
}

}  // namespace

std::string MemberStatusLabel(loyalty::v1::MemberStatus status) {
  return LowerEnumLabel(loyalty::v1::MemberStatus_Name(status),
                        "MEMBER_STATUS_", status);
}

std::string IdentifierKindLabel(loyalty::v1::IdentifierKind kind) {
  return LowerEnumLabel(loyalty::v1::IdentifierKind_Name(kind),
                        "IDENTIFIER_KIND_", kind);
}

std::string IdentifierValueLabel(const MemberIdentifier& identifier) {
  if (!IsHashedKind(identifier.kind())) return identifier.value();
  return absl::StrCat("(hashed) ",
                      absl::string_view(identifier.value())
                          .substr(0, kHashedIdentifierDigitsShown));
}

std::string IdentifiersLabel(const Identifiers& identifiers) {
  std::vector<std::string> labels;
  for (const MemberIdentifier& identifier : identifiers) {
    labels.push_back(absl::StrCat(IdentifierKindLabel(identifier.kind()), " ",
                                  IdentifierValueLabel(identifier)));
  }
  return OrDash(absl::StrJoin(labels, ", "));
}

void PrintIdentifiers(std::ostream& out, const Identifiers& identifiers) {
  if (identifiers.empty()) {
    out << "identifiers: none\n";
    return;
  }
  Table table({{"KIND", Table::Align::kLeft}, {"VALUE", Table::Align::kLeft}});
  for (const MemberIdentifier& identifier : identifiers) {
    table.AddRow({IdentifierKindLabel(identifier.kind()),
                  IdentifierValueLabel(identifier)});
  }
  table.Print(out);
}

std::vector<Field> BalanceFields(const Balance& balance) {
  return {
      {"available", FormatPoints(balance.available_points())},
      {"pending",
       FormatPoints(balance.pending_points()) + " (inside the return window)"},
      {"held", FormatPoints(balance.held_points())},
      {"debt", FormatPoints(balance.debt_points())},
      {"expiring", NextExpiringLabel(balance)},
      {"earned", FormatPoints(balance.earned_points_total()) + " in total"},
      {"redeemed", FormatPoints(balance.redeemed_points_total()) + " in total"},
      {"adjusted", FormatPoints(balance.adjusted_points_total()) + " net"},
      {"expired", FormatPoints(balance.expired_points_total()) + " in total"},
      {"opening", FormatPoints(balance.opening_points_total()) + " in total"},
      {"transferred out",
       FormatPoints(balance.transferred_out_points_total()) + " in total"},
      {"transferred in",
       FormatPoints(balance.transferred_in_points_total()) + " in total"},
      {"forfeited",
       FormatPoints(balance.forfeited_points_total()) + " in total"},
      {"entries", absl::StrCat(balance.entry_count(), ", newest sequence ",
                               balance.last_sequence())},
  };
}

void PrintMember(const Member& member) {
  std::vector<Field> fields = {
      {"member", member.member_id()},
      {"status", MemberStatusLabel(member.status())},
  };
  // Asked for by an alias: say so, so nobody mistakes the answer's id.
  if (!member.requested_member_id().empty()) {
    fields.push_back({"asked for", absl::StrCat(member.requested_member_id(),
                                                " (merged into ",
                                                member.member_id(), ")")});
  }
  // Aliases: ids that were merged into this member and now resolve here.
  if (!member.merged_member_ids().empty()) {
    fields.push_back(
        {"merged", absl::StrJoin(member.merged_member_ids(), ", ")});
  }
  fields.push_back({"enrolled", FormatTimeUtc(member.enrolled_at_ms())});
  if (member.has_tier()) fields.push_back({"tier", TierLabel(member.tier())});
  for (Field& field : BalanceFields(member.balance())) {
    fields.push_back(std::move(field));
  }
  PrintFields(std::cout, fields);
  std::cout << '\n';
  PrintIdentifiers(std::cout, member.identifiers());
}

}  // namespace loyalty::ctl
