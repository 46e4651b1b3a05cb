#!/usr/bin/env python3
"""Writes a realistic legacy balance file for `loyaltyctl import`.

    tests/bench/make_import_csv.py ROWS OUT.csv [--seed N] [--card-prefix P]

The file has the columns card_number, phone, balance_points, earned_on, as
an export of an older loyalty system might: distinct 16-digit cards in a
shuffled order; about half the rows with a phone, which is distinct across
the file, half of those in German national notation ("030 12345678") and
half international ("+49 30 12345678"), a few with spaces or dashes;
balances 0..50,000, skewed towards small ones; about half with the day the
balance was earned within the last two years, the rest empty. Every row is
valid for the sample program (deploy/program.sample.textproto, phone region
DE), so an import of it reports no problems.

The same seed gives the same file. Prints the row count and the sum of the
balances, which an import's "points credited" must equal.
"""

import argparse
import datetime
import random
import sys

# Berlin area numbers: 030 and 8 subscriber digits, all in use per the
# numbering plan, so libphonenumber takes them as valid.
BERLIN_SUBSCRIBER_FIRST = 20_000_000


def phone_for(index, rng):
    """A distinct Berlin number per index, in one of several notations."""
    subscriber = BERLIN_SUBSCRIBER_FIRST + index
    digits = f"{subscriber:08d}"
    style = rng.randrange(4)
    if style == 0:
        return f"030 {digits}"
    if style == 1:
        return f"030-{digits[:4]}-{digits[4:]}"
    if style == 2:
        return f"+49 30 {digits}"
    return f"+4930{digits}"


def balance(rng):
    """0..50,000, most of them small, as balances of a real program are."""
    if rng.random() < 0.05:
        return 0
    return min(50_000, int(rng.expovariate(1 / 4000)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--card-prefix", default="4000",
                        help="first digits of every card (default 4000)")
    args = parser.parse_args()
    if args.rows < 0 or args.rows > 10**9:
        sys.exit("make_import_csv: ROWS must be 0..10^9")

    rng = random.Random(args.seed)
    today = datetime.date.today()
    # Shuffled card serials: a legacy export is rarely sorted by card.
    serial_width = 16 - len(args.card_prefix)
    order = list(range(args.rows))
    rng.shuffle(order)
    phones = 0
    total = 0
    with open(args.out, "w", newline="") as out:
        out.write("card_number,phone,balance_points,earned_on\r\n")
        for index, serial in enumerate(order):
            card = f"{args.card_prefix}{serial:0{serial_width}d}"
            phone = ""
            if rng.random() < 0.5:
                phone = phone_for(phones, rng)
                phones += 1
            points = balance(rng)
            total += points
            earned_on = ""
            if rng.random() < 0.5:
                earned_on = (today - datetime.timedelta(
                    days=rng.randrange(1, 730))).isoformat()
            out.write(f"{card},{phone},{points},{earned_on}\r\n")
    print(f"{args.rows} rows, {phones} phones, balances sum {total}")


if __name__ == "__main__":
    main()
