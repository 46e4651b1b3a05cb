#include "tests/crash/test_program.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "ledger/hashing.h"

namespace loyalty::crash {

loyalty::v1::ProgramConfig CrashTestProgram() {
  loyalty::v1::ProgramConfig program;
  program.set_program_id("crash-test");
  program.set_display_name("Crash test rewards");
  for (const char* currency : {"EUR", "USD"}) {
    auto* rate = program.add_earn_rates();
    rate->set_rule_id(absl::StrCat("base-", currency));
    rate->set_currency(currency);
    rate->set_spend_minor_per_step(100);
    rate->set_points_per_step(1);
  }
  auto add_key = [&](const std::string& principal, const std::string& key,
                     std::vector<loyalty::v1::Role> roles,
                     std::vector<loyalty::v1::Channel> channels) {
    auto* api_key = program.add_api_keys();
    api_key->set_principal(principal);
    api_key->set_key_sha256_hex(HexEncode(Sha256(key)));
    for (auto role : roles) api_key->add_roles(role);
    for (auto channel : channels) api_key->add_channels(channel);
  };
  add_key("pos-terminal", kPosKey, {loyalty::v1::ROLE_CHANNEL},
          {loyalty::v1::CHANNEL_POS});
  add_key("app-backend", kAppKey, {loyalty::v1::ROLE_CHANNEL},
          {loyalty::v1::CHANNEL_APP, loyalty::v1::CHANNEL_WEB});
  add_key("operator", kAdminKey,
          {loyalty::v1::ROLE_CHANNEL, loyalty::v1::ROLE_ADMIN}, {});
  return program;
}

absl::Status WriteCrashTestProgram(const std::string& path) {
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(CrashTestProgram(), &text)) {
    return absl::InternalError("cannot print the test program");
  }
  std::ofstream out(path, std::ios::trunc);
  out << "# proto-file: loyalty/v1/program.proto\n"
         "# proto-message: loyalty.v1.ProgramConfig\n"
      << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace loyalty::crash
