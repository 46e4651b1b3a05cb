// File: clients/loyaltyctl/exit_code.h
//
// The exit codes of loyaltyctl. Each tells a script what to do next, so they
// follow the caller's next step rather than the error's origin.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_EXIT_CODE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_EXIT_CODE_H_

namespace loyalty::ctl {

enum class ExitCode : int {
  // The command did what it was asked.
  kOk = 0,
  // verify ran and the ledger failed its checks.
  kLedgerNotOk = 1,
  // A flag is missing or malformed. Nothing was sent, so fix the flags.
  kBadInput = 2,
  // The server rejected the request (validation, business rule, auth, or its
  // own failure) or sent an unusable answer. Retrying it unchanged gives the
  // same result.
  kRejected = 3,
  // UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED. A retry may work;
  // retry a write with the same --request-id so it applies at most once.
  kTransient = 4,
};

// The exit-code table shown at the end of every --help.
inline constexpr char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  verify: the ledger failed its checks\n"
    "  2  bad flags or values; nothing was sent\n"
    "  3  the server rejected the request; retrying it unchanged won't help\n"
    "  4  transient failure (UNAVAILABLE, DEADLINE_EXCEEDED,\n"
    "     RESOURCE_EXHAUSTED); retry, with the same --request-id for writes";

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_EXIT_CODE_H_
