// File: clients/loyaltyctl/format.cc

#include "clients/loyaltyctl/format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace loyalty::ctl {
namespace {

// Turns a generated enum name such as "ENTRY_KIND_EARN" into "earn". An empty
// name means the value is unknown to this client, so its number is shown.
std::string EnumLabel(absl::string_view enum_name, absl::string_view prefix,
                      int value) {
  if (enum_name.empty()) return absl::StrCat(value);
  return absl::AsciiStrToLower(absl::StripPrefix(enum_name, prefix));
}

absl::string_view PointsUnit(int64_t points) {
  return points == 1 || points == -1 ? " point" : " points";
}

}  // namespace

std::string FormatTimeUtc(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string FormatPoints(int64_t points) {
  return absl::StrCat(points, PointsUnit(points));
}

std::string FormatPointsDelta(int64_t points_delta) {
  if (points_delta > 0) return absl::StrCat("+", points_delta);
  return absl::StrCat(points_delta);
}

std::string FormatPointsChange(int64_t points_delta) {
  return absl::StrCat(FormatPointsDelta(points_delta),
                      PointsUnit(points_delta));
}

std::string FormatMinorUnits(int64_t amount_minor,
                             absl::string_view currency) {
  if (currency.empty()) return absl::StrCat(amount_minor, " minor units");
  return absl::StrCat(amount_minor, " ", currency, " minor units");
}

std::string EntryKindLabel(loyalty::v1::EntryKind kind) {
  return EnumLabel(loyalty::v1::EntryKind_Name(kind), "ENTRY_KIND_", kind);
}

std::string ChannelLabel(loyalty::v1::Channel channel) {
  return EnumLabel(loyalty::v1::Channel_Name(channel), "CHANNEL_", channel);
}

std::string IdentifierLabel(const loyalty::v1::MemberIdentifier& identifier) {
  const std::string kind =
      EnumLabel(loyalty::v1::IdentifierKind_Name(identifier.kind()),
                "IDENTIFIER_KIND_", identifier.kind());
  return absl::StrCat(kind, " ", identifier.value());
}

std::string FormatEntryPlace(const loyalty::v1::LedgerEntry& entry) {
  return absl::StrCat("sequence ", entry.sequence(), ", recorded ",
                      FormatTimeUtc(entry.recorded_at_ms()));
}

std::string OrDash(absl::string_view text) {
  return text.empty() ? "-" : std::string(text);
}

std::string OfflineOutcomeText(const loyalty::v1::OfflineRedemption& offline) {
  const std::string head = absl::StrCat("offline ", offline.points(), ": ");
  switch (offline.outcome()) {
    case loyalty::v1::OFFLINE_OUTCOME_APPLIED:
      return absl::StrCat(head, "applied");
    case loyalty::v1::OFFLINE_OUTCOME_DEBT:
      return absl::StrCat(head, offline.debt_points(), " into debt, ",
                          offline.written_off_points(), " written off");
    case loyalty::v1::OFFLINE_OUTCOME_REFUSED_SHORT:
      return absl::StrCat(head, "refused, the member had ",
                          offline.available_points());
    case loyalty::v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE:
      return absl::StrCat(head, "refused, ", offline.allowance_left_points(),
                          " left of the day's allowance");
    default:
      return absl::StrCat(head, "outcome ",
                          static_cast<int>(offline.outcome()));
  }
}

}  // namespace loyalty::ctl
