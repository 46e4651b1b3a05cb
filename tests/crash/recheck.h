// File: tests/crash/recheck.h
//
// What the crash tests check after loyaltyd restarts on the data it had when
// it died (promises 3 and 4):
//   - ResendAndCompare: every acknowledged request, re-sent with the same
//     request id and content, gets the first answer again: the same code,
//     reason and message, and for OK the same response (entry sequence and
//     hash, points, balance) marked replayed;
//   - CheckStatements: every acknowledged entry is in its member's statement
//     (ListEntries), byte for byte the same entry;
//   - SettleInDoubt: every request whose answer was lost (the connection
//     broke) gets a definite answer when re-sent, and the same one again.
// The caller checks VerifyLedger around these (no gaps, hash chain, balances,
// and last_sequence unchanged by re-sending acknowledged requests).
#ifndef LOYALTY_TESTS_CRASH_RECHECK_H_
#define LOYALTY_TESTS_CRASH_RECHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/crash/ledger_client.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Problems found, each a sentence naming the request id.
using Failures = std::vector<std::string>;

// Re-sends every request of `requests` (acknowledged ones) from `threads`
// clients in parallel and compares each answer with the recorded one.
void ResendAndCompare(const std::string& address,
                      const std::vector<const SentRequest*>& requests,
                      int threads, Failures* failures);

// Checks that the entry of every OK request of `requests` (both of a Return
// with a RESTORE) is in its member's statement with the same sequence and
// hash. Returns the entries checked.
uint64_t CheckStatements(LedgerClient& client,
                         const std::vector<const SentRequest*>& requests,
                         Failures* failures);

// Re-sends every in-doubt request of `requests` once: each must now be
// answered definitely (IsAcknowledged); its outcome (and answered_at) is
// replaced by that answer, and a second re-send must repeat it. Returns how
// many of them had been applied before the crash (OK and replayed).
uint64_t SettleInDoubt(const std::string& address,
                       const std::vector<SentRequest*>& requests, int threads,
                       Failures* failures);

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_RECHECK_H_
