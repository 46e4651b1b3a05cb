// File: ledger/read/verify.h
//
// VerifyLedger: re-derives everything from the entries (promise 2) and
// compares it with what is stored. verify.cc lists the checks.
#ifndef LOYALTY_LEDGER_READ_VERIFY_H_
#define LOYALTY_LEDGER_READ_VERIFY_H_

#include "absl/status/statusor.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Replays every entry of `snapshot` from sequence 1. Problems are in the
// response (ok=false, each named); a non-OK status means the store could
// not be read.
absl::StatusOr<loyalty::v1::VerifyLedgerResponse> VerifyLedger(
    const StoreReader& snapshot);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_VERIFY_H_
