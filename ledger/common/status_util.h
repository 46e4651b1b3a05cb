// File: ledger/common/status_util.h
//
// The project's few macros for absl::Status plumbing and invariant checks,
// defined once. Debian 12's Abseil (20220623) has neither status_macros.h nor
// ABSL_CHECK, so these stand in for them.
//
//   LEDGER_RETURN_IF_ERROR(store_->Write(batch));
//   LEDGER_ASSIGN_OR_RETURN(MemberRecord member, LoadMember(id));
//   LEDGER_CHECK(balance >= floor);  // Aborts with file:line on a broken invariant.
//
// Errors the service produces carry a loyalty.v1.ErrorReason as a status
// payload (WithReason / ReasonOf) so the server can send a machine-readable
// reason without parsing messages.
#ifndef LOYALTY_LEDGER_COMMON_STATUS_UTIL_H_
#define LOYALTY_LEDGER_COMMON_STATUS_UTIL_H_

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// Aborts the process: a broken invariant is a bug, and continuing could write
// a wrong balance. Stays on in release builds, unlike assert().
[[noreturn]] inline void CheckFailed(const char* file, int line,
                                     const char* condition) {
  std::fprintf(stderr, "%s:%d: LEDGER_CHECK failed: %s\n", file, line,
               condition);
  std::fflush(stderr);
  std::abort();
}

#define LEDGER_CHECK(condition)                                  \
  do {                                                           \
    if (!(condition)) {                                          \
      ::loyalty::CheckFailed(__FILE__, __LINE__, #condition);    \
    }                                                            \
  } while (false)

#define LEDGER_STATUS_CONCAT_INNER_(a, b) a##b
#define LEDGER_STATUS_CONCAT_(a, b) LEDGER_STATUS_CONCAT_INNER_(a, b)

#define LEDGER_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status ledger_status_ = (expr);          \
    if (!ledger_status_.ok()) return ledger_status_; \
  } while (false)

#define LEDGER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#define LEDGER_ASSIGN_OR_RETURN(lhs, expr)                                    \
  LEDGER_ASSIGN_OR_RETURN_IMPL_(                                              \
      LEDGER_STATUS_CONCAT_(ledger_statusor_, __LINE__), lhs, expr)

// Returns `status` with `reason` attached. `status` must not be OK.
absl::Status WithReason(absl::Status status, loyalty::v1::ErrorReason reason);

// The reason attached by WithReason, or a default derived from the code.
loyalty::v1::ErrorReason ReasonOf(const absl::Status& status);

// Shorthands for the errors the core produces most.
absl::Status InvalidField(absl::string_view field, absl::string_view problem);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_STATUS_UTIL_H_
