// File: clients/loyaltyctl/global_flags.cc

#include "clients/loyaltyctl/global_flags.h"

#include "clients/loyaltyctl/flag_checks.h"

namespace loyalty::ctl {

void AddGlobalFlags(CLI::App* app, GlobalFlags* flags) {
  app->add_option("--server", flags->server_address,
                  "Address of loyaltyd, host:port")
      ->envname("LOYALTY_SERVER")
      ->type_name("ADDR")
      ->capture_default_str();
  // The environment is the better place for the key: a flag shows in `ps`.
  app->add_option("--api-key", flags->api_key,
                  "API key, sent as 'authorization: Bearer KEY'")
      ->envname("LOYALTY_API_KEY")
      ->type_name("KEY")
      ->check(MetadataValueCheck());
  app->add_option("--timeout-ms", flags->timeout_ms,
                  "Deadline of each RPC in milliseconds")
      ->type_name("MS")
      ->transform(DecimalIntegerCheck(1, kTimeoutMsMax))
      ->capture_default_str();
  app->add_option("--retries", flags->retries,
                  "Times a call that failed transiently is sent again, under "
                  "the same request id (0 = never)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(0, kRetriesMax))
      ->capture_default_str();
  app->add_option("--tls-ca", flags->tls_ca_path,
                  "PEM certificate(s) to trust for loyaltyd's TLS")
      ->envname("LOYALTY_TLS_CA")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app->add_flag("--tls", flags->tls,
                "TLS trusting the system's roots (implied by --tls-ca)")
      ->envname("LOYALTY_TLS");
  app->add_option("--tls-client-cert", flags->tls_client_cert_path,
                  "PEM client certificate (chain) to present, for a loyaltyd "
                  "that requires one (mutual TLS; with --tls-client-key)")
      ->envname("LOYALTY_TLS_CLIENT_CERT")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-client-key", flags->tls_client_key_path,
                  "PEM private key of --tls-client-cert (unencrypted)")
      ->envname("LOYALTY_TLS_CLIENT_KEY")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app->add_flag("--json", flags->json,
                "Print the response as one JSON object (for scripts)");
}

}  // namespace loyalty::ctl
