// File: clients/loyaltyctl/confirmation.h
//
// Asking the operator before a write that is large or cannot be undone
// (`adjust` beyond --confirm-above, `member close`). Only someone at a
// terminal can answer, so without one such a write needs --yes instead; that
// is checked before anything is sent. The question goes to stderr, so that
// stdout keeps only the result, and only "y" or "yes" (any case) agrees:
// anything else, an empty line or the end of input declines.
//
//   absl::Status asked = CheckOperatorCanAnswer(
//       "member close: closing member ann cannot be undone");
//   if (asked.ok()) {
//     asked = AskOperator(std::cin, std::cerr,
//                         "Close member ann for good?", "not closed");
//   }
//   if (!asked.ok()) return ReportBadInput(asked);  // Exit 2, nothing sent.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CONFIRMATION_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CONFIRMATION_H_

#include <istream>
#include <ostream>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::ctl {

// The words every refusal without a terminal ends with, so that scripts and
// people see the same advice whichever command refused.
inline constexpr absl::string_view kNeedsYesWithoutTerminal =
    "needs --yes when stdin is not a terminal";

// OK when stdin is a terminal, so AskOperator can ask there. Otherwise
// kInvalidArgument "<why_asked> and needs --yes when stdin is not a
// terminal"; `why_asked` says which command and what makes it ask, e.g.
// "adjust: --points 20000 is beyond --confirm-above 10000".
absl::Status CheckOperatorCanAnswer(absl::string_view why_asked);

// Writes `question` and " [y/N] " to `out`, then reads one line of `in`.
// Returns OK for "y" or "yes" (any case, surrounding blanks ignored), and
// kInvalidArgument with the message `declined` (e.g. "not adjusted") for
// any other answer or when `in` ends first.
absl::Status AskOperator(std::istream& in, std::ostream& out,
                         absl::string_view question,
                         absl::string_view declined);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CONFIRMATION_H_
