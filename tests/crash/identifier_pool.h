// File: tests/crash/identifier_pool.h
//
// The identifiers the crash load links, unlinks, imports and looks up, each
// with a name in the test ("PHONE:7") and, for phones and emails, several
// notations of one value, so that a test can link in one notation and look
// up in another:
//   - phone k (k < kPoolPhones): the Taiwanese mobile number +886 912 345 kkk
//     as "+886912345kkk", "+886 912 345 kkk", "+886-912-345-kkk",
//     "0912-345-kkk", "0912 345 kkk" and "(0912) 345-kkk" (the test program's
//     default_phone_region is TW, so the national notations need no +886);
//   - email k (k < kPoolEmails): "member.k@example.com", in lower, mixed and
//     upper case and with surrounding whitespace;
//   - link card k (k < kPoolLinkCards): "5100" and k in 12 digits, given only
//     to LinkIdentifier;
//   - a member's enrolment card "4000..." (CardOf), and import cards
//     "6000..." that ImportMembers rows bring; cards have one notation.
//   - app user ids "app-user-<k>" that EnrollMember gives.
// Every name maps to one clear value per notation; IdentifierName maps a
// clear value in any notation back to its name.
#ifndef LOYALTY_TESTS_CRASH_IDENTIFIER_POOL_H_
#define LOYALTY_TESTS_CRASH_IDENTIFIER_POOL_H_

#include <optional>
#include <string>

#include "loyalty/v1/common.pb.h"

namespace loyalty::crash {

inline constexpr int kPoolPhones = 24;
inline constexpr int kPoolEmails = 24;
inline constexpr int kPoolLinkCards = 24;
inline constexpr int kPhoneNotations = 6;
inline constexpr int kEmailNotations = 4;

// The card EnrollMember gives pool member "m-<member_index>".
std::string CardOf(int member_index);
// A card no one has had before: ImportMembers rows bring them.
std::string ImportCard(int cycle, int client, uint64_t counter);

// Phone `index` in notation `notation` (both wrap around).
loyalty::v1::MemberIdentifier PoolPhone(int index, int notation);
loyalty::v1::MemberIdentifier PoolEmail(int index, int notation);
loyalty::v1::MemberIdentifier PoolLinkCard(int index);

// How many notations identifiers of `kind` have in the pool (1 for cards
// and app user ids).
int NotationCount(loyalty::v1::IdentifierKind kind);

// The name of a clear identifier: "PHONE:<k>" and "EMAIL:<k>" for the pool's
// phones and emails in any of their notations, and "<KIND>:<value>" for
// every other kind (cards, app user ids); nullopt for a phone or email that
// is not one of the pool's.
std::optional<std::string> IdentifierName(
    const loyalty::v1::MemberIdentifier& clear);

// The clear identifier a name stands for, in notation `notation` (wraps
// around); nullopt for a name IdentifierName never gives.
std::optional<loyalty::v1::MemberIdentifier> IdentifierOfName(
    const std::string& name, int notation);

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_IDENTIFIER_POOL_H_
