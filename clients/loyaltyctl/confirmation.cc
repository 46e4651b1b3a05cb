// File: clients/loyaltyctl/confirmation.cc

#include "clients/loyaltyctl/confirmation.h"

#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace loyalty::ctl {

absl::Status CheckOperatorCanAnswer(absl::string_view why_asked) {
  if (::isatty(STDIN_FILENO)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(why_asked, " and ", kNeedsYesWithoutTerminal));
}

absl::Status AskOperator(std::istream& in, std::ostream& out,
                         absl::string_view question,
                         absl::string_view declined) {
  // Flushed: the operator must see the question before we wait for them.
  out << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(in, answer)) {
    // The input ended (Ctrl-D) without a newline: end the question's line,
    // so the refusal that follows starts on its own.
    out << '\n';
    return absl::InvalidArgumentError(declined);
  }
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (answer == "y" || answer == "yes") return absl::OkStatus();
  return absl::InvalidArgumentError(declined);
}

}  // namespace loyalty::ctl
