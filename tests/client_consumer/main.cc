// File: tests/client_consumer/main.cc
//
// Earns points for a basket with the installed client library. With no
// loyaltyd at the address, every attempt fails UNAVAILABLE and the earn's
// outcome is unknown: the program prints the request id to resend it under
// and exits 0; any other outcome exits 1.
//
//   till_demo [ADDRESS]    (default 127.0.0.1:1, where nothing listens)
#include <cstdio>
#include <string>

#include "loyalty/client/client.h"

int main(int argc, char** argv) {
  loyalty::client::ClientOptions options;
  options.address = argc > 1 ? argv[1] : "127.0.0.1:1";
  options.tls = false;  // Loopback only.
  options.api_key = "pos-key";
  options.call_timeout_ms = 2000;
  options.retry.attempts_max = 2;
  options.retry.initial_backoff_ms = 10;
  options.retry.backoff_max_ms = 50;
  auto client = loyalty::client::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }

  loyalty::v1::EarnRequest earn;
  earn.mutable_context()->set_channel(loyalty::v1::CHANNEL_POS);
  earn.mutable_context()->set_store_id("store-7");
  earn.set_member_id("alice");
  earn.set_order_id("receipt-1");
  earn.set_currency("EUR");
  loyalty::v1::BasketLine* line = earn.add_lines();
  line->set_sku("COFFEE-S");
  line->set_quantity(2);
  line->set_unit_price_minor(350);

  const absl::StatusOr<loyalty::v1::EarnResponse> earned =
      (*client)->Earn(earn);
  if (loyalty::client::IsOutcomeUnknown(earned.status())) {
    std::printf(
        "outcome unknown; resend under request id %s\n",
        loyalty::client::OutcomeUnknownRequestId(earned.status()).c_str());
    return 0;
  }
  std::fprintf(stderr, "unexpected: %s\n", earned.status().ToString().c_str());
  return 1;
}
