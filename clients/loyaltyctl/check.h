// File: clients/loyaltyctl/check.h
//
// LOYALTYCTL_CHECK(condition): states an invariant of loyaltyctl's own code.
// A false condition is a bug, not bad input, so it prints where and aborts.
// Unlike assert() it stays on under NDEBUG. Bad input never reaches a check;
// it becomes an absl::Status with a message for the user.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_CHECK_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define LOYALTYCTL_CHECK(condition)                                           \
  do {                                                                        \
    if (!(condition)) {                                                       \
      std::fprintf(stderr, "loyaltyctl: %s:%d: check failed: %s\n", __FILE__, \
                   __LINE__, #condition);                                     \
      std::abort();                                                           \
    }                                                                         \
  } while (false)

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_CHECK_H_
