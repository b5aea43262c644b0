#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the RouterOS simulator with an independent client, Debian's python3-librouteros, so the
simulator is not merely agreeing with our own client: both logins, .proplist and queries, traps,
!empty, add/update/remove, monitor-traffic once and streamed with tags and /cancel (through
librouteros' own protocol layer: it has no tag API), API-SSL with a verified certificate, /quit.

    librouteros_check.py PATH/TO/routeros_sim
Exit 77 (skipped) when librouteros is not installed.
"""
import os
import ssl
import subprocess
import sys
import tempfile

try:
    import librouteros
    from librouteros.exceptions import FatalError, TrapError
    from librouteros.login import plain, token
    from librouteros.query import Key
except ImportError:
    print("python3-librouteros is not installed: skipped")
    sys.exit(77)

SIM = sys.argv[1]
failures = []
passes = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (passes if cond else failures).append(what)


class Sim:
    def __init__(self, *args):
        self.proc = subprocess.Popen([SIM, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.port = None
        self.cert = None
        for _ in range(2 if "--tls" in args else 1):
            key, value = self.proc.stdout.readline().split()
            if key == "PORT":
                self.port = int(value)
            elif key == "CERT":
                self.cert = value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()  # the simulator stops when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def read_raw(proto):
    """One sentence through librouteros' protocol layer, as (reply word, attributes). Its Api
    layer cannot parse ".tag=x" (it expects "=name=value"), so the words are split here."""
    word, words = proto.readSentence()
    attrs = {}
    for w in words:
        if w.startswith(".tag="):
            attrs[".tag"] = w[5:]
        else:
            _, key, value = w.split("=", 2)
            attrs[key] = value
    return word, attrs


with Sim("--ppp", "20", "--monitor-ms", "30") as sim:
    api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port, login_method=plain)
    rows = list(api.path("ppp", "active").select(Key("name"), Key("address")))
    check(len(rows) == 20, "plain login and a print of 20 PPP sessions")
    check(all(set(r) == {"name", "address"} for r in rows), ".proplist honoured: only name, address")
    check(rows[4] == {"name": "user0005", "address": "10.64.0.5"}, "row values")
    one = list(api.path("ppp", "active").select(Key("name")).where(Key("name") == "user0007"))
    check(one == [{"name": "user0007"}], "?name= query")
    try:
        api.path("ppp", "active").remove("*FFFF")
        check(False, "trap for a missing item")
    except TrapError as e:
        check("no such item" in str(e), "trap for a missing item: " + str(e))
    lists = api.path("ip", "firewall", "address-list")
    new_id = lists.add(list="isolir", address="192.0.2.7", comment="t")
    check(new_id.startswith("*"), "add returns the new .id")
    lists.update(**{".id": new_id, "comment": "changed"})
    got = list(lists.select(Key(".id"), Key("comment")))
    check(got == [{".id": new_id, "comment": "changed"}], "update")
    lists.remove(new_id)
    check(list(lists.select(Key(".id"))) == [], "remove")
    res = list(api.path("system", "resource").select(Key("version"), Key("cpu-load")))
    check(res and res[0]["version"] == "7.18.2 (stable)" and res[0]["cpu-load"] == 7,
          "system resource")
    once = tuple(api("/interface/monitor-traffic", interface="ether1,ether2", once=True))
    check(len(once) == 2 and once[0]["name"] == "ether1" and
          isinstance(once[0]["rx-bits-per-second"], int), "monitor-traffic once")

    # Two commands on one connection, told apart by their tags.
    proto = api.protocol
    proto.writeSentence("/interface/monitor-traffic", "=interface=ether3", ".tag=mon")
    proto.writeSentence("/ppp/active/print", "=.proplist=name", "?name=user0002", ".tag=p")
    seen = {"mon": 0, "p": 0}
    p_done = False
    while seen["mon"] < 3 or not p_done:
        word, attrs = read_raw(proto)
        if attrs.get(".tag") == "p":
            if word == "!re":
                check(attrs.get("name") == "user0002", "tagged print row amid a stream")
                seen["p"] += 1
            p_done = p_done or word == "!done"
        elif attrs.get(".tag") == "mon" and word == "!re":
            seen["mon"] += 1
    check(seen["p"] == 1, "tagged print answered while the stream runs")
    proto.writeSentence("/cancel", "=tag=mon", ".tag=c")
    trap = done_mon = done_c = False
    while not (done_mon and done_c):
        word, attrs = read_raw(proto)
        tag = attrs.get(".tag")
        if word == "!trap" and tag == "mon":
            trap = attrs.get("category") == "2" and attrs.get("message") == "interrupted"
        done_mon = done_mon or (word == "!done" and tag == "mon")
        done_c = done_c or (word == "!done" and tag == "c")
    check(trap, "/cancel: the stream ends with !trap category 2 'interrupted', then !done")
    try:
        tuple(api("/quit"))
        check(False, "/quit ends with !fatal")
    except FatalError as e:
        check("session terminated" in str(e), "/quit ends with !fatal: " + str(e))

    try:
        librouteros.connect("127.0.0.1", "admin", "wrong", port=sim.port)
        check(False, "wrong password refused")
    except TrapError as e:
        check("invalid user name or password" in str(e), "wrong password refused")

with Sim("--legacy-login") as sim:
    api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port, login_method=token)
    check(len(list(api.path("ppp", "active").select(Key("name")))) == 10,
          "pre-6.43 challenge login")

with Sim("--empty") as sim:
    api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port)
    none = list(api.path("ppp", "active").select(Key("name")).where(Key("name") == "nobody"))
    check(none == [], "!empty (7.18+) read as no rows")
    check(len(list(api.path("ppp", "active").select(Key("name")))) == 10, "and the next print works")

with tempfile.TemporaryDirectory() as d, Sim("--tls", d) as sim:
    ctx = ssl.create_default_context(cafile=sim.cert)
    api = librouteros.connect("127.0.0.1", "admin", "secret", port=sim.port,
                              ssl_wrapper=lambda s: ctx.wrap_socket(s, server_hostname="127.0.0.1"))
    check(len(list(api.path("interface").select(Key("name")))) == 20,
          "API-SSL with the certificate verified")

print(f"{len(passes)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
