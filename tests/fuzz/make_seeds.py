#!/usr/bin/env python3
"""Regenerates the seed corpora under tests/fuzz/corpus/.

Run from anywhere: tests/fuzz/make_seeds.py. Needs protoc (Debian's
protobuf-compiler) and nothing else: requests are written in text format here
and encoded with `protoc --encode`, page tokens are built as
ledger/page_token.h describes them. The seeds are few and small on purpose: a
handful of valid inputs to start from and a few near-misses, one per kind of
rejection; libFuzzer finds the rest. Re-running overwrites every seed this
script owns and leaves other files alone.
"""

import base64
import hashlib
import pathlib
import struct
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
PROTO_DIR = ROOT / "proto"
SERVICE_PROTO = "loyalty/v1/loyalty_service.proto"

# ---- validation: u8 selector | serialized request ----
(EARN, REDEEM, ADJUST, ENROLL, LIST, EVENT, HOLD, SETTLE, RETURN, LINK, UNLINK,
 TRANSFER, IMPORT, MERGE, CLOSE) = range(15)

CTX_POS = ('context { request_id: "req-1" channel: CHANNEL_POS store_id: "s-1" '
           'terminal_id: "t-1" occurred_at_ms: 1699999999000 }')
CTX_APP = 'context { request_id: "req-2" channel: CHANNEL_APP }'
CTX_ADMIN = 'context { request_id: "req-3" channel: CHANNEL_ADMIN }'
LINES = ('lines { sku: "sku-1" category: "Dairy & eggs" quantity: 2 '
         'unit_price_minor: 1299 } '
         'lines { sku: "sku-2" quantity: 1 unit_price_minor: 500 }')

VALIDATION_SEEDS = {
    "earn_valid_eur": (EARN, "EarnRequest",
        f'{CTX_POS} member_id: "alice" order_id: "o-1" currency: "EUR" {LINES}'),
    "earn_valid_usd_points_overflow": (EARN, "EarnRequest",
        f'{CTX_APP} member_id: "bob@x" order_id: "o-2" currency: "USD" '
        'lines { sku: "big" quantity: 1000000 unit_price_minor: 1000000000000 } '
        'lines { sku: "big2" quantity: 1000000 unit_price_minor: 1000000000000 }'),
    "earn_currency_not_in_program": (EARN, "EarnRequest",
        f'{CTX_APP} member_id: "alice" order_id: "o-3" currency: "GBP" {LINES}'),
    "earn_quantity_zero": (EARN, "EarnRequest",
        f'{CTX_APP} member_id: "alice" order_id: "o-4" currency: "EUR" '
        'lines { sku: "s" quantity: 0 unit_price_minor: 1 }'),
    "redeem_valid": (REDEEM, "RedeemRequest",
        f'{CTX_APP} member_id: "alice" order_id: "o-5" points: 250'),
    "redeem_points_too_many": (REDEEM, "RedeemRequest",
        f'{CTX_POS} member_id: "alice" order_id: "o-6" '
        'points: 1000000000000001'),
    "adjust_valid": (ADJUST, "AdjustRequest",
        f'{CTX_ADMIN} member_id: "alice" points_delta: -40 '
        'reason_code: "GOODWILL_2" operator_id: "ops:jane" note: "late parcel"'),
    "adjust_reason_lower_case": (ADJUST, "AdjustRequest",
        'context { request_id: "req-4" } member_id: "alice" points_delta: 5 '
        'reason_code: "goodwill" operator_id: "ops"'),
    "enroll_valid": (ENROLL, "EnrollMemberRequest",
        f'{CTX_APP} member_id: "m-1" '
        'identifiers { kind: IDENTIFIER_KIND_CARD_NUMBER value: "4000123412341234" } '
        'identifiers { kind: IDENTIFIER_KIND_APP_USER_ID value: "app-user-9" }'),
    "enroll_identifier_twice": (ENROLL, "EnrollMemberRequest",
        f'{CTX_APP} '
        'identifiers { kind: IDENTIFIER_KIND_CARD_NUMBER value: "1234" } '
        'identifiers { kind: IDENTIFIER_KIND_CARD_NUMBER value: "1234" }'),
    "enroll_every_kind": (ENROLL, "EnrollMemberRequest",
        f'{CTX_APP} '
        'identifiers { kind: IDENTIFIER_KIND_CARD_NUMBER value: "0042" } '
        'identifiers { kind: IDENTIFIER_KIND_APP_USER_ID value: "u/1~x" } '
        'identifiers { kind: IDENTIFIER_KIND_PHONE value: "0912-345-678" } '
        'identifiers { kind: IDENTIFIER_KIND_EMAIL value: " Mei.Lin@Example.COM\t" } '
        'identifiers { kind: IDENTIFIER_KIND_PARTNER_ACCOUNT value: "airline:AB123456" }'),
    "enroll_phone_twice_in_two_notations": (ENROLL, "EnrollMemberRequest",
        f'{CTX_APP} '
        'identifiers { kind: IDENTIFIER_KIND_PHONE value: "(02) 2345 6789" } '
        'identifiers { kind: IDENTIFIER_KIND_PHONE value: "+886-2-2345-6789" }'),
    "enroll_email_twice_in_two_cases": (ENROLL, "EnrollMemberRequest",
        f'{CTX_APP} '
        'identifiers { kind: IDENTIFIER_KIND_EMAIL value: "amy@example.com" } '
        'identifiers { kind: IDENTIFIER_KIND_EMAIL value: "AMY@example.com " }'),
    "link_valid_phone": (LINK, "LinkIdentifierRequest",
        f'{CTX_POS} member_id: "alice" '
        'identifier { kind: IDENTIFIER_KIND_PHONE value: "+886 912 345 678" }'),
    "link_email_without_tld": (LINK, "LinkIdentifierRequest",
        f'{CTX_APP} member_id: "alice" '
        'identifier { kind: IDENTIFIER_KIND_EMAIL value: "amy@example" }'),
    "link_identifier_missing": (LINK, "LinkIdentifierRequest",
        f'{CTX_APP} member_id: "alice"'),
    "unlink_valid_email": (UNLINK, "UnlinkIdentifierRequest",
        f'{CTX_APP} member_id: "alice" '
        'identifier { kind: IDENTIFIER_KIND_EMAIL value: "Amy@Example.com" }'),
    "unlink_phone_unknown_country": (UNLINK, "UnlinkIdentifierRequest",
        f'{CTX_APP} member_id: "alice" '
        'identifier { kind: IDENTIFIER_KIND_PHONE value: "+999 912 345 678" }'),
    "unlink_kind_unspecified": (UNLINK, "UnlinkIdentifierRequest",
        f'{CTX_APP} member_id: "alice" identifier {{ value: "12345678" }}'),
    "transfer_valid": (TRANSFER, "TransferPointsRequest",
        f'{CTX_APP} from_member_id: "alice" to_member_id: "bob" points: 400 '
        'note: "for the coffee"'),
    "transfer_to_self": (TRANSFER, "TransferPointsRequest",
        f'{CTX_APP} from_member_id: "alice" to_member_id: "alice" points: 1'),
    "transfer_points_too_many": (TRANSFER, "TransferPointsRequest",
        f'{CTX_POS} from_member_id: "alice" to_member_id: "bob" '
        'points: 1000000000000001'),
    "import_valid": (IMPORT, "ImportMemberRequest",
        f'{CTX_ADMIN} card_number: "4000123412341234" phone: "02-2345-6789" '
        'opening_points: 1000000000000 earned_on: "2023-11-14"'),
    "import_earned_on_1970": (IMPORT, "ImportMemberRequest",
        'context { request_id: "import-1:0042" } card_number: "0042" '
        'opening_points: 5 earned_on: "1970-01-01"'),
    "import_earned_on_tomorrow": (IMPORT, "ImportMemberRequest",
        f'{CTX_ADMIN} card_number: "4000123412341234" opening_points: 5 '
        'earned_on: "2023-11-16"'),
    "import_earned_on_february_30": (IMPORT, "ImportMemberRequest",
        f'{CTX_ADMIN} card_number: "4000123412341234" opening_points: 5 '
        'earned_on: "2024-02-30"'),
    "import_phone_too_short": (IMPORT, "ImportMemberRequest",
        f'{CTX_ADMIN} card_number: "4000123412341234" phone: "0912-345"'),
    "import_channel_app": (IMPORT, "ImportMemberRequest",
        f'{CTX_APP} card_number: "4000123412341234"'),
    "list_page_size_too_big": (LIST, "ListEntriesRequest",
        'member_id: "alice" page_size: 501'),
    "hold_valid": (HOLD, "HoldPointsRequest",
        f'{CTX_APP} member_id: "alice" order_id: "w-1" points: 300 '
        'timeout_ms: 600000'),
    "hold_timeout_too_long": (HOLD, "HoldPointsRequest",
        f'{CTX_APP} member_id: "alice" points: 300 timeout_ms: 86400001'),
    "settle_valid": (SETTLE, "SettleHoldRequest",
        f'{CTX_APP} member_id: "alice" hold_id: "H18446744073709551615"'),
    "settle_hold_id_leading_zero": (SETTLE, "SettleHoldRequest",
        f'{CTX_APP} member_id: "alice" hold_id: "H012"'),
    "return_lines_valid": (RETURN, "ReturnRequest",
        f'{CTX_POS} member_id: "alice" order_id: "o-1" '
        'lines { sku: "sku-1" quantity: 1 } lines { sku: "sku-2" quantity: 2 }'),
    "return_amount_valid": (RETURN, "ReturnRequest",
        f'{CTX_APP} member_id: "alice" order_id: "o-1" amount_minor: 899'),
    "return_lines_and_amount": (RETURN, "ReturnRequest",
        f'{CTX_APP} member_id: "alice" order_id: "o-1" amount_minor: 1 '
        'lines { sku: "sku-1" quantity: 1 }'),
    "merge_valid": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "card-only" target_member_id: "app:77" '
        'reason_code: "SAME_PERSON" operator_id: "support.jane" '
        'note: "same phone, same address"'),
    "merge_valid_unset_channel_longest_reason": (MERGE, "MergeMembersRequest",
        'context { request_id: "merge-1" } source_member_id: "a" '
        'target_member_id: "b" reason_code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ_01234" '
        'operator_id: "ops@hq"'),
    "merge_into_itself": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "alice" target_member_id: "alice" '
        'reason_code: "SAME_PERSON" operator_id: "ops"'),
    "merge_reason_lower_case": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "a" target_member_id: "b" '
        'reason_code: "same_person" operator_id: "ops"'),
    "merge_operator_missing": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "a" target_member_id: "b" '
        'reason_code: "SAME_PERSON"'),
    "merge_target_with_space": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "a" target_member_id: "b c" '
        'reason_code: "SAME_PERSON" operator_id: "ops"'),
    "merge_note_control_character": (MERGE, "MergeMembersRequest",
        f'{CTX_ADMIN} source_member_id: "a" target_member_id: "b" '
        'reason_code: "SAME_PERSON" operator_id: "ops" note: "line\\nbreak"'),
    "merge_channel_pos": (MERGE, "MergeMembersRequest",
        f'{CTX_POS} source_member_id: "a" target_member_id: "b" '
        'reason_code: "SAME_PERSON" operator_id: "ops"'),
    "close_valid_erasing": (CLOSE, "CloseMemberRequest",
        f'{CTX_ADMIN} member_id: "alice" reason_code: "MEMBER_REQUEST" '
        'operator_id: "support.jane" note: "asked by phone" '
        'erase_personal_data: true'),
    "close_reason_too_long": (CLOSE, "CloseMemberRequest",
        f'{CTX_ADMIN} member_id: "alice" '
        'reason_code: "ABCDEFGHIJKLMNOPQRSTUVWXYZ_012345" operator_id: "ops"'),
}


def encode(message: str, text: str) -> bytes:
    return subprocess.run(
        ["protoc", f"--encode=loyalty.v1.{message}", f"-I{PROTO_DIR}",
         SERVICE_PROTO],
        input=text.encode(), check=True, capture_output=True).stdout


def page_token(member_id: str, sequence: int) -> str:
    """EncodePageToken: u8 1 | BE64 sequence | SHA-256 tag[:8], base64url."""
    be64 = struct.pack(">Q", sequence)
    tag = hashlib.sha256(
        b"page-token\x1f" + member_id.encode() + b"\x1f" + be64).digest()[:8]
    return base64.urlsafe_b64encode(b"\x01" + be64 + tag).decode().rstrip("=")


# ---- page_token: u8 n | member id (n bytes) | token ----
def token_seed(member_id: str, token: str) -> bytes:
    return bytes([len(member_id)]) + member_id.encode() + token.encode()


PAGE_TOKEN_SEEDS = {
    "valid_alice_42": token_seed("alice", page_token("alice", 42)),
    "valid_empty_member_max": token_seed("", page_token("", 2**64 - 1)),
    "valid_padded": token_seed("m-1", page_token("m-1", 7) + "="),
    "other_member": token_seed("bob", page_token("alice", 42)),
    "wrong_version": token_seed("alice", base64.urlsafe_b64encode(
        b"\x02" + bytes(16)).decode()),
    "not_base64": token_seed("alice", "not a token!"),
}

# ---- program: the same bytes are parsed as text format and as JSON ----
PROGRAM_SEEDS = {
    "valid.textproto": f"""program_id: "demo"
display_name: "Demo"
earn_rates {{ rule_id: "base-eur" currency: "EUR" spend_minor_per_step: 100 points_per_step: 1 }}
earn_rates {{ rule_id: "base-jpy" currency: "JPY" spend_minor_per_step: 1000 points_per_step: 10 }}
""",
    "valid.json": f"""{{"programId": "demo", "earnRates": [
  {{"ruleId": "base-kwd", "currency": "KWD", "spendMinorPerStep": "1000", "pointsPerStep": "3"}}],
 "categories": ["food", "drinks"]}}
""",
    "bad_currency.textproto": f"""program_id: "demo"
earn_rates {{ rule_id: "r" currency: "EURO" spend_minor_per_step: 1 points_per_step: 1 }}
""",
    "duplicate_rule_id.json": f"""{{"programId": "demo",
 "earnRates": [{{"ruleId": "r", "currency": "USD", "spendMinorPerStep": 1, "pointsPerStep": 1}},
               {{"ruleId": "r", "currency": "EUR", "spendMinorPerStep": 1, "pointsPerStep": 1}}]}}
""",
    "syntax_error.textproto": 'program_id: "demo"\nearn_rates { rule_id: \n',
}


# ---- request_guard: u8 selector | request bytes off the wire ----
# The selector indexes the methods of LoyaltyService then AdminService in
# declaration order, as request_guard_fuzz.cc's RequestTypes() does.
def request_types() -> list:
    import re
    text = (PROTO_DIR / SERVICE_PROTO).read_text()
    types = []
    for service in ("LoyaltyService", "AdminService"):
        body = text[text.index(f"service {service} {{"):]
        body = body[:body.index("\n}")]
        types += re.findall(r"rpc \w+\((\w+)\)", body)
    return types


def guard_seed(message: str, text: str, replace=(b"", b"")) -> bytes:
    wire = encode(message, text)
    if replace[0]:
        assert len(replace[0]) == len(replace[1]) and replace[0] in wire
        wire = wire.replace(replace[0], replace[1])
    return bytes([request_types().index(message)]) + wire


EARN_TEXT = (CTX_POS + ' member_id: "alice" order_id: "o-1" currency: "EUR" '
             'lines { sku: "SKU-A" quantity: 1 unit_price_minor: 1000 } '
             'lines { sku: "SKU-B" category: "food" quantity: 2 '
             'unit_price_minor: 250 } coupon_codes: "CODE-ONE"')
GUARD_SEEDS = {
    "earn_valid": ("EarnRequest", EARN_TEXT, (b"", b"")),
    "earn_sku_not_utf8": ("EarnRequest", EARN_TEXT, (b"SKU-B", b"SK\xff-B")),
    "earn_store_surrogate": ("EarnRequest", EARN_TEXT,
                             (b"s-1", b"\xed\xa0\x80")),
    "watch_kinds_packed": ("WatchEntriesRequest",
                           'from_sequence: 5 member_ids: "alice" '
                           'kinds: [ENTRY_KIND_EARN, ENTRY_KIND_REDEEM] '
                           'channels: CHANNEL_POS heartbeat_interval_ms: 1000',
                           (b"", b"")),
    "redeem_valid": ("RedeemRequest",
                     CTX_APP + ' member_id: "bob" points: 100',
                     (b"", b"")),
}


def write(target: str, name: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main() -> None:
    for name, (selector, message, text) in VALIDATION_SEEDS.items():
        write("validation", name, bytes([selector]) + encode(message, text))
    # A list request whose page token is valid for its member.
    write("validation", "list_valid_with_token", bytes([LIST]) + encode(
        "ListEntriesRequest",
        f'member_id: "alice" page_size: 20 page_token: "{page_token("alice", 42)}"'))
    for name, data in PAGE_TOKEN_SEEDS.items():
        write("page_token", name, data)
    for name, text in PROGRAM_SEEDS.items():
        write("program", name, text.encode())
    for name, (message, text, replace) in GUARD_SEEDS.items():
        write("request_guard", name, guard_seed(message, text, replace))
    # Cut short: a length prefix running past the end.
    write("request_guard", "earn_truncated",
          guard_seed("EarnRequest", EARN_TEXT)[:-3])


if __name__ == "__main__":
    main()
