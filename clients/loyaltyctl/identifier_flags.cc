// File: clients/loyaltyctl/identifier_flags.cc

#include "clients/loyaltyctl/identifier_flags.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/flag_checks.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::IdentifierKind;
using loyalty::v1::MemberIdentifier;

// One identifier flag: its name, the kind it names, and where CLI11 puts it.
struct IdentifierFlag {
  absl::string_view name;
  IdentifierKind kind;
  const std::optional<std::string>* value;
};

std::vector<IdentifierFlag> IdentifierFlagsOf(const IdentifierFlags& flags) {
  return {
      {"--card", loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER, &flags.card_number},
      {"--phone", loyalty::v1::IDENTIFIER_KIND_PHONE, &flags.phone},
      {"--email", loyalty::v1::IDENTIFIER_KIND_EMAIL, &flags.email},
      {"--app-user", loyalty::v1::IDENTIFIER_KIND_APP_USER_ID,
       &flags.app_user_id},
      {"--partner", loyalty::v1::IDENTIFIER_KIND_PARTNER_ACCOUNT,
       &flags.partner_account},
  };
}

std::string FlagNames(const std::vector<IdentifierFlag>& flags) {
  std::vector<absl::string_view> names;
  for (const IdentifierFlag& flag : flags) names.push_back(flag.name);
  return absl::StrJoin(names, ", ");
}

}  // namespace

void AddIdentifierFlags(CLI::App* command, IdentifierFlags* flags) {
  command->add_option("--card", flags->card_number, "Store card number")
      ->type_name("NUMBER")
      ->check(NotEmptyCheck());
  command
      ->add_option("--phone", flags->phone,
                   "Phone number in any notation; without +country code it "
                   "is read in the program's default region")
      ->type_name("PHONE")
      ->check(NotEmptyCheck());
  command
      ->add_option("--email", flags->email,
                   "Email address (any case; surrounding blanks are ignored)")
      ->type_name("EMAIL")
      ->check(NotEmptyCheck());
  command->add_option("--app-user", flags->app_user_id, "App user id")
      ->type_name("ID")
      ->check(NotEmptyCheck());
  command
      ->add_option("--partner", flags->partner_account,
                   "Partner account id, e.g. airline:AB123456")
      ->type_name("ID")
      ->check(NotEmptyCheck());
}

absl::StatusOr<MemberIdentifier> BuildIdentifier(const IdentifierFlags& flags) {
  const std::vector<IdentifierFlag> all = IdentifierFlagsOf(flags);
  std::vector<IdentifierFlag> given;
  for (const IdentifierFlag& flag : all) {
    if (flag.value->has_value()) given.push_back(flag);
  }
  if (given.size() != 1) {
    const std::string got =
        given.empty() ? "none" : absl::StrCat("got ", FlagNames(given));
    return absl::InvalidArgumentError(absl::StrCat(
        "exactly one of ", FlagNames(all), " is required (", got, ")"));
  }
  MemberIdentifier identifier;
  identifier.set_kind(given.front().kind);
  identifier.set_value(**given.front().value);
  return identifier;
}

}  // namespace loyalty::ctl
