// File: clients/loyaltyctl/format.h
//
// How loyaltyctl writes values for people: times in UTC ISO-8601, points and
// money as plain integers with their unit, enums as short lower-case words.
// Pure functions, no I/O.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_FORMAT_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::ctl {

// "2024-05-01T12:34:56.789Z". 0, which the contract uses for "unset", is "-".
std::string FormatTimeUtc(int64_t unix_ms);

// "1200 points", "1 point", "-50 points".
std::string FormatPoints(int64_t points);

// A change of points with its sign: "+120", "-50", "0".
std::string FormatPointsDelta(int64_t points_delta);

// The same with the unit: "+120 points", "-50 points", "+1 point".
std::string FormatPointsChange(int64_t points_delta);

// Money in minor units, as the contract carries it: "1250 minor units", or
// with its currency "1250 EUR minor units" ("" leaves the currency out).
std::string FormatMinorUnits(int64_t amount_minor, absl::string_view currency);

// "earn", "redeem", ...; a kind newer than this client shows as its number.
std::string EntryKindLabel(loyalty::v1::EntryKind kind);

// "pos", "app", ...; a channel newer than this client shows as its number.
std::string ChannelLabel(loyalty::v1::Channel channel);

// "card_number 4242...", "app_user_id u-17".
std::string IdentifierLabel(const loyalty::v1::MemberIdentifier& identifier);

// Where an entry sits in the ledger: "sequence 42, recorded <UTC time>".
std::string FormatEntryPlace(const loyalty::v1::LedgerEntry& entry);

// How the ledger reconciled an offline redemption, for people:
// "offline 450: 300 into debt, 50 written off", "offline 150: refused, the
// member had 100", "offline 200: refused, 100 left of the day's allowance".
std::string OfflineOutcomeText(const loyalty::v1::OfflineRedemption& offline);

// `text`, or "-" when it is empty, so a table cell is never blank.
std::string OrDash(absl::string_view text);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_FORMAT_H_
