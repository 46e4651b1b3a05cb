// File: clients/loyaltyctl/member_view.h
//
// How loyaltyctl shows a member to people: `member show`, `member lookup`,
// `member link`, `member unlink`, `member close` and `balance` print through
// these, so a member looks the same whichever command found it. Phone
// numbers and emails arrive as HMAC-SHA256 hex; they are shown as "(hashed)"
// and the hash's first digits, enough to tell two apart, never as if they
// were the number itself.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_VIEW_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_VIEW_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <ostream>
#include <string>
#include <vector>

#include "clients/loyaltyctl/table.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// Hex digits of a hashed identifier shown: 48 bits tell a few identifiers
// apart at a glance without filling the line.
inline constexpr size_t kHashedIdentifierDigitsShown = 12;

using Identifiers =
    google::protobuf::RepeatedPtrField<loyalty::v1::MemberIdentifier>;

// "active", "closed", "merged"; a status newer than this client is its
// number.
std::string MemberStatusLabel(loyalty::v1::MemberStatus status);

// "card_number", "phone", ...; a kind newer than this client is its number.
std::string IdentifierKindLabel(loyalty::v1::IdentifierKind kind);

// The value as people should see it: cards, app users and partner accounts
// as stored; phones and emails as "(hashed) " and the first
// kHashedIdentifierDigitsShown hex digits of their hash.
std::string IdentifierValueLabel(
    const loyalty::v1::MemberIdentifier& identifier);

// "card_number 4000111122223333, phone (hashed) 3f2a9c01b2d4" on one line,
// or "-" for none: the identifiers an entry linked, unlinked or erased.
std::string IdentifiersLabel(const Identifiers& identifiers);

// A KIND / VALUE table of `identifiers`, or "identifiers: none".
void PrintIdentifiers(std::ostream& out, const Identifiers& identifiers);

// "label: value" lines of a balance: available, pending, held, debt, what
// expires next, and the totals.
std::vector<Field> BalanceFields(const loyalty::v1::Balance& balance);

// The member's id, status, the members merged into it (when there are),
// enrolment, tier (when the program has tiers), balance and identifiers, on
// stdout.
void PrintMember(const loyalty::v1::Member& member);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_MEMBER_VIEW_H_
