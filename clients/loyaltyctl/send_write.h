// File: clients/loyaltyctl/send_write.h
//
// Sends one LoyaltyService write and prints its answer: the request id is
// announced first (so a lost answer can be retried under it), and the
// answer is printed with `print`, or as JSON under --json.
#ifndef LOYALTY_CLIENTS_LOYALTYCTL_SEND_WRITE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_SEND_WRITE_H_

#include <string>

#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/exit_code.h"
#include "clients/loyaltyctl/global_flags.h"
#include "clients/loyaltyctl/output.h"

namespace loyalty::ctl {

template <typename Request, typename Response, typename Method>
ExitCode SendWrite(const GlobalFlags& global, const Request& request,
                   Method method, void (*print)(const Response&)) {
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);
  const Connection connection(global);
  Response response;
  const ExitCode sent = connection.Call(method, request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, print);
}

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_SEND_WRITE_H_
