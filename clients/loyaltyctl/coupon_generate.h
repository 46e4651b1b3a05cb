// File: clients/loyaltyctl/coupon_generate.h
//
// `loyaltyctl coupon generate --template T --count N --batch-id B --out F`:
// a batch of bearer coupon codes (AdminService.GenerateCoupons), written to
// the CSV F as they stream in (codes_csv.h), with a progress line on
// stderr like import's. Run it again with the same batch id (and the same
// template and count) after a failure: the server streams the codes it
// already wrote and then writes the rest, and F is written anew, whole.
#ifndef LOYALTY_CLIENTS_LOYALTYCTL_COUPON_GENERATE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_COUPON_GENERATE_H_

#include <CLI/CLI.hpp>

#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/global_flags.h"

namespace loyalty::ctl {

Command DefineCouponGenerate(CLI::App* coupon, const GlobalFlags* global);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_COUPON_GENERATE_H_
