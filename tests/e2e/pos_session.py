#!/usr/bin/env python3
"""End-to-end: a cashier's session at loyalty-pos, typed on a pseudo-terminal,
against a real loyaltyd over TLS that is stopped and restarted mid-session.

alice's card is scanned, a basket is quoted and paid (points earned), part of
the next sale is paid with points (held, then captured); then loyaltyd stops:
the till keeps selling (the card from its cache), shows "offline — N queued",
lets alice pay 30 points within its offline allowance (not 250), and records
the redemption, the sale and a return in its journal; loyaltyd comes back on
the same port and the journal syncs by itself: the offline sale is applied
once, dated by the sale's time, its points redeemed once, marked offline,
and the return after it. The till is then quit and started again: nothing is sent twice.

Usage: pos_session.py LOYALTYD LOYALTYCTL LOYALTY_POS PROGRAM
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LOYALTYD, LOYALTYCTL, POS, PROGRAM = sys.argv[1:5]
CARD = "4000123412341234"
work = tempfile.mkdtemp(prefix="pos-e2e-")
children = []
checks = 0


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


def ok(what):
    global checks
    checks += 1
    print(f"ok: {what}")


def cleanup():
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()
    if os.environ.get("POS_E2E_KEEP"):
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_loyaltyd(port):
    log = open(os.path.join(work, "loyaltyd.log"), "a")
    server = subprocess.Popen(
        [LOYALTYD, "--listen", f"127.0.0.1:{port}", "--data-dir",
         os.path.join(work, "data"), "--program", PROGRAM, "--keys-file",
         os.path.join(os.path.dirname(PROGRAM), "keys.sample.textproto"),
         "--tls-cert",
         os.path.join(work, "cert.pem"), "--tls-key",
         os.path.join(work, "key.pem")],
        stdout=log, stderr=subprocess.STDOUT)
    children.append(server)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(os.path.join(work, "loyaltyd.log")) as text:
            if text.read().count("listening on") > len(
                    [c for c in children if c is not server and c.args[0] == LOYALTYD]):
                return server
        if server.poll() is not None:
            fail("loyaltyd died: " + open(os.path.join(work, "loyaltyd.log")).read())
        time.sleep(0.05)
    fail("loyaltyd did not start")


def ctl(*args, key="demo-admin-key"):
    env = dict(os.environ, LOYALTY_SERVER=f"127.0.0.1:{port}",
               LOYALTY_API_KEY=key,
               LOYALTY_TLS_CA=os.path.join(work, "cert.pem"))
    done = subprocess.run([LOYALTYCTL, *args], env=env, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        fail(f"loyaltyctl {' '.join(args)}: {done.stdout} {done.stderr}")
    return done.stdout


class Till:
    """loyalty-pos on a pseudo-terminal: type a line, read up to the prompt."""

    def __init__(self):
        self.controller, terminal = pty.openpty()
        env = dict(os.environ, LOYALTY_API_KEY="demo-pos-key")
        self.process = subprocess.Popen(
            [POS, "--server", f"127.0.0.1:{port}", "--tls-ca",
             os.path.join(work, "cert.pem"), "--store", "S001", "--terminal",
             "till-1", "--journal", os.path.join(work, "till-1.db"),
             "--offline-allowance-points", "200",
             "--sync-interval-ms", "200", "--timeout-ms", "1500"],
            stdin=terminal, stdout=terminal, stderr=terminal, env=env)
        children.append(self.process)
        os.close(terminal)
        self.screen = ""
        self.prompt = self.read_to_prompt()

    def read_to_prompt(self, timeout_s=30):
        text = ""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            ready, _, _ = select.select([self.controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.controller, 4096).decode()
                except OSError:
                    break
                text += chunk
                self.screen += chunk
                match = re.search(r"(pos[^\n>]*> )$", text)
                if match:
                    return match.group(1)
        fail(f"no prompt; the screen so far:\n{self.screen}")

    def type(self, line):
        os.write(self.controller, (line + "\n").encode())
        out = ""
        prompt = None
        # Everything up to the next prompt is this line's answer.
        text = ""
        deadline = time.time() + 30
        while time.time() < deadline:
            ready, _, _ = select.select([self.controller], [], [], 0.1)
            if ready:
                chunk = os.read(self.controller, 4096).decode()
                text += chunk
                self.screen += chunk
                match = re.search(r"\n(pos[^\n>]*> )$", text)
                if match:
                    prompt = match.group(1)
                    out = text[: match.start() + 1]
                    break
        if prompt is None:
            fail(f"'{line}' got no prompt back; the screen:\n{self.screen}")
        self.prompt = prompt
        # The terminal echoes the typed line first.
        return out.split("\n", 1)[1] if "\n" in out else out

    def expect(self, line, *wanted):
        out = self.type(line)
        for part in wanted:
            if part not in out:
                fail(f"'{line}': expected '{part}' in:\n{out}")
        ok(f"{line} -> {wanted[0] if wanted else 'prompt'}")
        return out

    def quit(self):
        if os.environ.get("POS_E2E_SCREEN"):
            with open(os.environ["POS_E2E_SCREEN"], "a") as screen:
                screen.write(self.screen)
        os.write(self.controller, b"quit\n")
        self.process.wait(timeout=20)
        if self.process.returncode != 0:
            fail(f"loyalty-pos exited {self.process.returncode}")


def entries_of(member):
    out = ctl("history", "--member", member, "--all", "--json")
    return json.loads(out)["entries"]


try:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
         "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2", "-keyout",
         os.path.join(work, "key.pem"), "-out", os.path.join(work, "cert.pem")],
        check=True, capture_output=True)
    port = free_port()
    server = start_loyaltyd(port)
    ctl("enroll", "--member", "alice", "--card", CARD)
    ctl("adjust", "--member", "alice", "--points", "500", "--reason",
        "GOODWILL", "--operator", "support.jane")

    till = Till()
    till.expect(f"scan {CARD}", "member alice", "500 pt available")
    till.expect("add COFFEE-M 2 3.50 coffee", "total 7.00 EUR")
    till.expect("add CAKE 1 4.00 bakery", "total 11.00 EUR")
    till.expect("quote", "quote: ", "to pay: 11.00 EUR")
    out = till.expect("pay", "earned")
    first_sale = re.search(r"sale (\S+): (\d+) pt earned", out)
    if not first_sale:
        fail(f"no sale line in: {out}")

    till.expect(f"scan {CARD}", "member alice")
    till.expect("add SANDWICH 1 6.50 food", "total 6.50 EUR")
    till.expect("points 100", "held 100 pt", "400 pt left")
    till.expect("pay", "paid 100 pt", "earned")
    till.expect("add X 0 1.00", "QTY must be a whole number")
    till.expect("add X 1 1.5", "PRICE must look like 3.50")
    till.expect("frobnicate", "unknown command")

    # The server goes away mid-session.
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    till.expect(f"scan {CARD}", "offline", "member alice (offline")
    till.expect("add BAGEL 3 2.00 bakery", "total 6.00 EUR")
    till.expect("points 250", "at most 200 pt can be paid with points while offline")
    till.expect("points 30", "offline: 30 pt paid with points")
    sale_started_ms = int(time.time() * 1000)
    out = till.expect("pay", "30 pt paid with points offline",
                      "recorded offline (2 queued)")
    offline_order = re.search(r"sale (\S+) recorded offline", out).group(1)
    if "[offline — 2 queued]" not in till.prompt:
        fail(f"the prompt does not say offline: {till.prompt!r}")
    ok("the prompt says offline — 2 queued")
    till.expect(f"scan {CARD}", "member alice")
    till.expect(f"return {first_sale.group(1)} 4.00", "recorded offline (3 queued)")
    till.expect("status", "server: offline", "queue: 3 pending")

    # Back on the same port: the journal syncs by itself.
    time.sleep(1.0)
    server = start_loyaltyd(port)
    deadline = time.time() + 30
    while True:
        out = till.type("status")
        if "queue: 0 pending" in out:
            break
        if time.time() > deadline:
            fail(f"the journal did not sync: {out}")
        time.sleep(0.3)
    ok("the journal synced once the server was back")
    if "offline" in till.prompt:
        fail(f"the prompt still says offline: {till.prompt!r}")
    till.expect("refused", "nothing refused")
    till.quit()

    entries = entries_of("alice")
    earns = [e for e in entries if e["kind"] == "ENTRY_KIND_EARN"]
    offline = [e for e in earns if e.get("order_id") == offline_order]
    if len(offline) != 1:
        fail(f"the offline sale is on the statement {len(offline)} times")
    occurred = int(offline[0]["occurred_at_ms"])
    if not sale_started_ms - 5000 <= occurred <= sale_started_ms + 5000:
        fail(f"the offline sale is dated {occurred}, the sale was at {sale_started_ms}")
    ok("the offline sale is applied once, dated by the sale")
    returns = [e for e in entries if e["kind"] == "ENTRY_KIND_RETURN"]
    if len(returns) != 1 or returns[0].get("order_id") != first_sale.group(1):
        fail(f"the offline return: {returns}")
    ok("the offline return is applied once, after the sales")
    redeems = [e for e in entries if e["kind"] == "ENTRY_KIND_REDEEM"
               and e.get("order_id") == offline_order]
    if (len(redeems) != 1 or int(redeems[0]["points_delta"]) != -30 or
            redeems[0].get("offline_redemption", {}).get("outcome")
            != "OFFLINE_OUTCOME_APPLIED"):
        fail(f"the offline redemption: {redeems}")
    ok("the points paid offline are redeemed once, marked offline")
    out = ctl("reconciliations")
    if "No offline redemption needed reconciling" not in out:
        fail(f"reconciliations: {out}")
    ok("alice had the points: nothing to reconcile")

    # A restarted till has nothing left to send, and sends nothing twice.
    till = Till()
    till.expect("status", "queue: 0 pending", "3 applied")
    till.quit()
    if len(entries_of("alice")) != len(entries):
        fail("the restarted till changed the ledger")
    ok("a restarted till sends nothing again")
    out = ctl("verify")
    if "ok" not in out.lower():
        fail(f"verify: {out}")
    ok("verify passes")
    print(f"pos_session: {checks} checks passed")
finally:
    cleanup()
