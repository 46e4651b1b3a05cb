#!/usr/bin/env python3
"""Same answer in every client: one scripted session (enrol, credit 100
points, quote and earn a basket, redeem 30, return 4.00 of the order, read
the balance) through loyaltyctl, the C++ client library and the TypeScript
client, each for its own member, against one loyaltyd over TLS. Every client
must see the same points, balances and answers, and the three statements
must hold the same entries (kind, points, bucket, balances after).

Usage: parity_test.py LOYALTYD LOYALTYCTL CPP_SESSION TS_PACKAGE_DIR PROGRAM
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LOYALTYD, LOYALTYCTL, CPP_SESSION, TS_DIR, PROGRAM = sys.argv[1:6]
HERE = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="parity-")
server = None


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


def run(args, env=None, what="", cwd=None):
    done = subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)
    if done.returncode != 0:
        fail(f"{what or args[0]}: exit {done.returncode}: {done.stdout} {done.stderr}")
    return done.stdout


def ctl(*args, key="demo-pos-key"):
    env = dict(os.environ, LOYALTY_SERVER=address, LOYALTY_API_KEY=key,
               LOYALTY_TLS_CA=os.path.join(work, "cert.pem"))
    return run([LOYALTYCTL, *args], env=env, what=f"loyaltyctl {args[0]}")


def ctl_json(*args, key="demo-pos-key"):
    return json.loads(ctl(*args, "--json", key=key))


POS = ["--channel", "pos", "--store", "store-12", "--terminal", "till-parity"]


def loyaltyctl_session(member):
    ctl("enroll", "--member", member, *POS)
    ctl("adjust", "--member", member, "--points", "100", "--reason",
        "GOODWILL", "--operator", "parity", key="demo-admin-key")
    basket = ["--member", member, "--order", "parity-1", "--currency", "EUR",
              "--line", "COFFEE-M,coffee,2,350", "--line", "CAKE,bakery,1,400",
              *POS]
    quote = ctl_json("quote", *basket)
    earned = ctl_json("earn", *basket)
    redeemed = ctl_json("redeem", "--member", member, "--order", "parity-2",
                        "--points", "30", *POS)
    reversed_ = ctl_json("return", "--member", member, "--order", "parity-1",
                         "--amount", "400", *POS)
    balance = ctl_json("balance", "--member", member)
    number = lambda value: int(value or 0)
    return (f"quote={number(quote.get('points'))} "
            f"earned={number(earned.get('points_earned'))} "
            f"after_redeem={number(redeemed['balance'].get('available_points'))} "
            f"reversed={number(reversed_.get('points_reversed'))} "
            f"available={number(balance.get('available_points'))} "
            f"pending={number(balance.get('pending_points'))}")


def statement(member):
    entries = ctl_json("history", "--member", member, "--all")["entries"]
    keep = ("kind", "points_delta", "bucket", "available_after_points",
            "pending_after_points", "order_id", "spend_minor")
    return [tuple(str(entry.get(field, "")) for field in keep)
            for entry in reversed(entries)]


try:
    # The package as it is built from this tree's protos (a second or two).
    run(["npm", "run", "build"], cwd=TS_DIR, what="npm run build")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
         "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2", "-keyout",
         os.path.join(work, "key.pem"), "-out", os.path.join(work, "cert.pem")])
    log_path = os.path.join(work, "loyaltyd.log")
    log = open(log_path, "w")
    server = subprocess.Popen(
        [LOYALTYD, "--listen", "127.0.0.1:0", "--data-dir",
         os.path.join(work, "data"), "--program", PROGRAM, "--keys-file",
         os.path.join(os.path.dirname(PROGRAM), "keys.sample.textproto"),
         "--tls-cert",
         os.path.join(work, "cert.pem"), "--tls-key",
         os.path.join(work, "key.pem")], stdout=log, stderr=subprocess.STDOUT)
    address = None
    for _ in range(200):
        found = re.search(r"listening on (127\.0\.0\.1:\d+)", open(log_path).read())
        if found:
            address = found.group(1)
            break
        if server.poll() is not None:
            fail("loyaltyd died: " + open(log_path).read())
        time.sleep(0.05)
    if address is None:
        fail("loyaltyd did not start")

    seen = {
        "loyaltyctl": loyaltyctl_session("p-ctl"),
        "C++ library": run([CPP_SESSION, address, os.path.join(work, "cert.pem"),
                            "p-cpp"], what="parity-cpp-session").strip(),
        "TypeScript": run(["node", os.path.join(HERE, "ts_session.mjs"),
                           os.path.join(TS_DIR, "dist", "src", "index.js"),
                           address, os.path.join(work, "cert.pem"), "p-ts"],
                          what="ts_session.mjs").strip(),
    }
    for client, line in seen.items():
        print(f"{client}: {line}")
    if len(set(seen.values())) != 1:
        fail(f"the clients saw different answers: {seen}")
    if "earned=0" in seen["loyaltyctl"] or "reversed=0" in seen["loyaltyctl"]:
        fail(f"the session earned or reversed nothing: {seen['loyaltyctl']}")
    print("ok: every client saw the same points and balances")

    statements = {member: statement(member) for member in ("p-ctl", "p-cpp", "p-ts")}
    if len({tuple(s) for s in statements.values()}) != 1:
        fail(f"the statements differ: {json.dumps(statements, indent=1)}")
    kinds = [entry[0] for entry in statements["p-ctl"]]
    if kinds != ["ENTRY_KIND_ENROLL", "ENTRY_KIND_ADJUST", "ENTRY_KIND_EARN",
                 "ENTRY_KIND_REDEEM", "ENTRY_KIND_RETURN"]:
        fail(f"unexpected entries: {kinds}")
    print("ok: the three statements hold the same entries")
    ctl("verify", key="demo-admin-key")
    print("parity_test: passed")
finally:
    if server is not None and server.poll() is None:
        server.kill()
        server.wait()
    shutil.rmtree(work, ignore_errors=True)
