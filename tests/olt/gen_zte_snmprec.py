#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates an snmpsim recording (.snmprec) of a ZTE C320 OLT, and a JSON file of what it wrote.

The OIDs, index encodings and conversions are the documented ones (../shared/research/olt-oids.md
§2): index form A (0x10000000 | slot<<16 | port<<8) for the .1012/.1015 trees, form B
(0x11010000 | slot<<8 | port) for the .1082.500 tree, the IF-MIB ifIndex of a C320 V2.1 (form C)
with ifName "gpon_1/S/P". The expected JSON holds the decoded values (dBm, metres, phase names,
Unix times), computed here independently of the C++ driver, so tests compare the two.

Python 3 standard library only. Deterministic for a given --seed.

  gen_zte_snmprec.py --out DIR/public.snmprec --expected DIR/expected.json \\
      [--cards 2] [--pons 16] [--onus 64] [--tree both|1082|1012] [--writable] [--delay-ms N [--delay-every N]]
"""

import argparse
import calendar
import json
import random
import sys

Z = "1.3.6.1.4.1.3902"
PHASES_1082 = {"logging": 1, "los": 2, "sync_mib": 3, "working": 4, "dying_gasp": 5,
               "auth_failed": 6, "offline": 7}
REASONS_1082 = {"los": 2, "power_off": 9, "reboot": 12}


def index_a(slot, port):
    return 0x10000000 | slot << 16 | port << 8


def index_b(slot, port):
    return 0x11010000 | slot << 8 | port


def index_c(slot, port):
    # C320 V2.1 IF-MIB ifIndex: zero-based slot and port (olt-oids.md §2.2 (C)).
    return 0x10000000 + (slot - 1) * 0x10000 + (port - 1) * 0x100


class Rec:
    def __init__(self, writable, delay_ms, delay_every=1):
        self.rows = {}
        self.writable = writable
        self.delay_ms = delay_ms
        self.delay_every = delay_every

    def add(self, oid, tag, value, writable=False):
        self.rows[oid] = (tag, value, writable)

    def s(self, oid, text, writable=False):
        self.add(oid, "4x", text.encode().hex(), writable)

    def hexs(self, oid, raw, writable=False):
        self.add(oid, "4x", raw.hex(), writable)

    def i(self, oid, v, writable=False):
        self.add(oid, "2", str(int(v)), writable)

    def write(self, path):
        def key(o):
            return tuple(int(x) for x in o.split("."))

        with open(path, "w") as f:
            for n, oid in enumerate(sorted(self.rows, key=key)):
                tag, value, writable = self.rows[oid]
                if writable and self.writable:
                    field = "hexvalue" if tag == "4x" else "value"
                    base = "4" if tag == "4x" else tag
                    f.write(f"{oid}|{base}:writecache|{field}={value}\n")
                elif self.delay_ms and n % self.delay_every == 0:
                    # snmpsim's delay module sleeps per object it serves: every delay_every-th
                    # object waits delay_every/60 of the delay, so a full GETBULK answer (60
                    # objects) waits about --delay-ms. Spreading it thin (every object) costs the
                    # simulator far more CPU than the same wait on one object in 60.
                    field = "hexvalue" if tag == "4x" else "value"
                    base = "4" if tag == "4x" else tag
                    wait = self.delay_ms * self.delay_every / 60.0
                    f.write(f"{oid}|{base}:delay|{field}={value},wait={wait:.4f}\n")
                else:
                    f.write(f"{oid}|{tag}|{value}\n")

    def save(self, out, expected_path, expected, what):
        """Writes the recording, and the expected JSON when asked for."""
        self.write(out)
        if expected_path:
            with open(expected_path, "w") as f:
                json.dump(expected, f, indent=1)
        print(f"wrote {len(self.rows)} objects, {len(expected['onus'])} {what} to {out}",
              file=sys.stderr)


def date_and_time(ts):
    t = __import__("time").gmtime(ts)
    return bytes([t.tm_year >> 8, t.tm_year & 0xFF, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min,
                  t.tm_sec, 0])


def text_time(ts):
    return __import__("time").strftime("%Y-%m-%d %H:%M:%S", __import__("time").gmtime(ts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected")
    ap.add_argument("--cards", type=int, default=2)
    ap.add_argument("--pons", type=int, default=16)
    ap.add_argument("--onus", type=int, default=64, help="ONUs per PON port (1..128)")
    ap.add_argument("--tree", choices=["both", "1082", "1012"], default="both")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--writable", action="store_true",
                    help="ONU names and RowStatus answer SET (snmpsim writecache)")
    ap.add_argument("--delay-ms", type=int, default=0,
                    help="agent delay per full GETBULK answer (snmpsim delay module, 1/60 "
                         "of it on every object)")
    ap.add_argument("--delay-every", type=int, default=1,
                    help="with --delay-ms: put the delay on one object in N (N/60 of the delay "
                         "each), not on every object")
    ap.add_argument("--counter-base", type=int, default=0,
                    help="added to every traffic counter (counter-wrap tests)")
    ap.add_argument("--counter32", action="store_true",
                    help="PON port counters as 32-bit ifInOctets/ifOutOctets only")
    ap.add_argument("--partial", action="store_true",
                    help="leave some optical and state rows out (partial tables)")
    ap.add_argument("--name-prefix", default="onu")
    a = ap.parse_args()
    if not 1 <= a.onus <= 128 or not 1 <= a.cards <= 14 or not 1 <= a.pons <= 16:
        sys.exit("out of range: cards 1..14, pons 1..16, onus 1..128")

    rnd = random.Random(a.seed)
    r = Rec(a.writable, a.delay_ms, a.delay_every)
    an = a.tree in ("both", "1082")
    gp = a.tree in ("both", "1012")
    now = 1767225600  # 2026-01-01T00:00:00Z: fixed, so outputs are reproducible
    exp = {"system": {}, "cards": [], "fans": [], "power": [], "pons": [], "onus": [],
           "unconfigured": [], "tree": a.tree}

    # ---- system ----
    descr = "C320 Version V2.1.0 Software, Copyright (c) by ZTE Corporation Compiled"
    r.s("1.3.6.1.2.1.1.1.0", descr)
    r.add("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.3902.1082.1001.320.2.1")
    r.add("1.3.6.1.2.1.1.3.0", "67", "651080000")
    r.s("1.3.6.1.2.1.1.5.0", "demo-c320")
    exp["system"] = {"descr": descr, "object_id": "1.3.6.1.4.1.3902.1082.1001.320.2.1",
                     "name": "demo-c320", "uptime_ticks": 651080000, "temperature_c": 42}

    # ---- cards, environment (index rack.shelf.slot = 1.1.slot) ----
    card_slots = list(range(1, a.cards + 1)) + [a.cards + 1, a.cards + 2]
    for n, slot in enumerate(card_slots):
        pon_card = n < a.cards
        ctype = "GTGH" if pon_card else ("PRAM" if slot == a.cards + 1 else "SMXA")
        idx = f"1.1.{slot}"
        cpu, mem, temp = (11 + slot, 26 + slot, 38 + slot) if ctype != "PRAM" else (0, 0, 37)
        r.s(f"{Z}.1082.10.1.2.4.1.4.{idx}", ctype)
        r.i(f"{Z}.1082.10.1.2.4.1.5.{idx}", 1)
        r.i(f"{Z}.1082.10.1.2.4.1.7.{idx}", 16 if pon_card else 2)
        r.i(f"{Z}.1082.10.1.2.4.1.9.{idx}", cpu)
        r.i(f"{Z}.1082.10.1.2.4.1.11.{idx}", mem)
        r.s(f"{Z}.1082.10.1.2.4.1.14.{idx}", f"7319463000{slot:02d}")
        r.s(f"{Z}.1082.10.1.2.4.1.27.{idx}", "V2.1.0" if ctype == "SMXA" else "")
        r.i(f"{Z}.1082.10.10.2.1.6.1.2.{idx}", temp)
        r.i(f"{Z}.1082.10.10.2.1.6.1.4.{idx}", 50938 if pon_card else 0)
        exp["cards"].append({"slot": slot, "type": ctype, "status": "in_service", "cpu_pct": cpu,
                             "mem_pct": mem, "temperature_c": temp,
                             "serial": f"7319463000{slot:02d}",
                             "voltage_v": 50.938 if pon_card else None})
    r.i(f"{Z}.1082.10.10.2.1.5.1.3.1.1", 42)
    for fan in range(1, 5):
        failed = fan == 3
        r.i(f"{Z}.1082.10.10.2.4.11.1.5.1.1.{fan}", 2 if failed else 1)
        r.i(f"{Z}.1082.10.10.2.4.11.1.6.1.1.{fan}", 1)
        r.i(f"{Z}.1082.10.10.2.4.11.1.7.1.1.{fan}", 0 if failed else 3200 + fan * 10)
        exp["fans"].append({"index": fan, "status": "failed" if failed else "ok",
                            "rpm": 0 if failed else 3200 + fan * 10})
    psu = a.cards + 1
    r.i(f"{Z}.1082.10.10.2.3.11.1.1.1.1.{psu}", 1)
    r.i(f"{Z}.1082.10.10.2.3.11.1.2.1.1.{psu}", 59)
    r.i(f"{Z}.1082.10.10.2.3.11.1.3.1.1.{psu}", 1)
    r.i(f"{Z}.1082.10.10.2.3.11.1.6.1.1.{psu}", 2)
    exp["power"].append({"slot": psu, "status": "normal", "voltage_v": 59, "current_a": 2})

    # ---- DBA profiles (.1012.3.26) ----
    profiles = {1: ("default", 1024, 2048), 2: ("100M", 51200, 102400),
                3: ("50M", 25600, 51200)}
    if gp:
        for pid, (name, assured, mx) in profiles.items():
            r.s(f"{Z}.1012.3.26.1.1.2.{pid}", name)
            r.i(f"{Z}.1012.3.26.1.1.4.{pid}", assured)
            r.i(f"{Z}.1012.3.26.1.1.5.{pid}", mx)

    # ---- PON ports ----
    for slot in range(1, a.cards + 1):
        for port in range(1, a.pons + 1):
            ifx = index_c(slot, port)
            A = index_a(slot, port)
            up = not (slot == a.cards and port == a.pons)  # the last port is down
            up_oct = 10**12 + slot * 10**9 + port * 10**6 + a.counter_base
            down_oct = 3 * 10**12 + slot * 10**9 + port * 10**6 + a.counter_base
            r.s(f"1.3.6.1.2.1.31.1.1.1.1.{ifx}", f"gpon_1/{slot}/{port}")
            r.i(f"1.3.6.1.2.1.2.2.1.7.{ifx}", 1)
            r.i(f"1.3.6.1.2.1.2.2.1.8.{ifx}", 1 if up else 2)
            if a.counter32:
                up_oct %= 2**32
                down_oct %= 2**32
                r.add(f"1.3.6.1.2.1.2.2.1.10.{ifx}", "65", str(up_oct))
                r.add(f"1.3.6.1.2.1.2.2.1.16.{ifx}", "65", str(down_oct))
            else:
                r.add(f"1.3.6.1.2.1.31.1.1.1.6.{ifx}", "70", str(up_oct))
                r.add(f"1.3.6.1.2.1.31.1.1.1.10.{ifx}", "70", str(down_oct))
            pon = {"slot": slot, "port": port, "name": f"gpon_1/{slot}/{port}", "oper_up": up,
                   "admin_up": True, "up_octets": None if a.counter32 else up_oct,
                   "down_octets": None if a.counter32 else down_oct}
            if gp:
                r.s(f"{Z}.1012.3.13.1.1.1.{A}", f"OLT-{port}")
                r.i(f"{Z}.1015.1010.11.1.1.2.{A}", 40 * 256)
                r.i(f"{Z}.1015.1010.11.1.1.3.{A}", 3300)
                r.i(f"{Z}.1015.1010.11.1.1.4.{A}", 20000)
                r.i(f"{Z}.1015.1010.11.1.1.5.{A}", 4000 + port * 10)
                r.i(f"{Z}.1015.1010.11.1.1.6.{A}", 0x7FFFFFFF)  # no Rx reading on the OLT port
                pon.update({"temperature_c": 40.0, "voltage_v": 3.3, "bias_ma": 20.0,
                            "tx_dbm": (4000 + port * 10) / 1000.0, "rx_dbm": None})
            exp["pons"].append(pon)
    # Uplinks: in IF-MIB but not PON ports.
    for n, name in enumerate(["gei_1/4/1", "xgei_1/4/2"]):
        ifx = 0x10030000 + n * 0x100
        r.s(f"1.3.6.1.2.1.31.1.1.1.1.{ifx}", name)
        r.i(f"1.3.6.1.2.1.2.2.1.7.{ifx}", 1)
        r.i(f"1.3.6.1.2.1.2.2.1.8.{ifx}", 1)

    # ---- ONUs ----
    types = [("ZTE-F660", "F660V7.0"), ("ZTE-F609", "F609V5.3"), ("ALL-ONT", "F670LV7.1")]
    for slot in range(1, a.cards + 1):
        for port in range(1, a.pons + 1):
            A, B = index_a(slot, port), index_b(slot, port)
            # ONU ids 1..n with id 3 left free on every port (a gap for free-ids tests).
            ids = [i for i in range(1, a.onus + 2) if i != 3][: a.onus]
            ids = [i for i in ids if i <= 128]
            for onu in ids:
                k = (slot * 100 + port) * 1000 + onu
                name = f"{a.name_prefix}-{slot}-{port}-{onu}"
                desc = f"customer {k}"
                sn_tail = rnd.getrandbits(32)
                serial_bin = b"ZTEG" + sn_tail.to_bytes(4, "big")
                serial = "ZTEG%08X" % sn_tail
                ctype, model = types[k % len(types)]
                roll = rnd.random()
                phase = ("working" if roll < 0.85 else "los" if roll < 0.92 else
                         "dying_gasp" if roll < 0.96 else "offline")
                online = phase == "working"
                last_on = now - rnd.randint(3600, 86400 * 30)
                last_off = (last_on - rnd.randint(60, 86400)) if online else now - rnd.randint(60, 3600)
                reason = None if online else {"los": "los", "dying_gasp": "power_off",
                                              "offline": "reboot"}[phase]
                distance = rnd.randint(400, 19000)
                profile = (k % 3) + 1
                o = {"slot": slot, "port": port, "onu": onu, "name": name, "description": desc,
                     "serial": serial, "type": ctype, "phase": phase, "online": online,
                     "last_online": last_on, "last_offline": last_off, "distance_m": distance}
                # Optics: online ONUs read, offline ones answer the sentinels.
                if online and onu % 17 != 5:
                    rx = round(rnd.uniform(-27.0, -15.0), 3)
                    rx_raw = int(round((rx + 30.0) / 0.002))
                    tx_raw = int(round((2.1 + 30.0) / 0.002))
                    olt_rx_raw = int(round(rnd.uniform(-30.0, -18.0) * 1000))
                else:
                    # Sentinels: 65535 (ONU side), -80000 (no signal) / 65535000 (not in service).
                    rx_raw, tx_raw = 65535, 65535
                    olt_rx_raw = -80000 if phase == "los" else 65535000
                o["rx_dbm"] = None if rx_raw == 65535 else rx_raw * 0.002 - 30.0
                o["tx_dbm"] = None if tx_raw == 65535 else tx_raw * 0.002 - 30.0
                o["olt_rx_dbm"] = (None if olt_rx_raw in (-80000, 65535000)
                                   else olt_rx_raw / 1000.0)
                up_oct = (k * 7919 * 1000 + a.counter_base) % 2**64
                down_oct = (k * 104729 * 1000 + a.counter_base) % 2**64
                drop_optics = a.partial and onu % 10 == 7
                drop_state = a.partial and onu % 10 == 8
                if an:
                    r.s(f"{Z}.1082.500.10.2.3.3.1.1.{B}.{onu}", ctype)
                    r.s(f"{Z}.1082.500.10.2.3.3.1.2.{B}.{onu}", name, writable=not gp)
                    r.s(f"{Z}.1082.500.10.2.3.3.1.3.{B}.{onu}", desc)
                    if gp:
                        r.s(f"{Z}.1082.500.10.2.3.3.1.18.{B}.{onu}",
                            ("1," if onu % 2 else "") + serial)
                    else:
                        r.hexs(f"{Z}.1082.500.10.2.3.3.1.6.{B}.{onu}", serial_bin)
                    if not drop_state:
                        r.i(f"{Z}.1082.500.10.2.3.8.1.1.{B}.{onu}", 1)
                        r.i(f"{Z}.1082.500.10.2.3.8.1.4.{B}.{onu}", PHASES_1082[phase])
                        r.hexs(f"{Z}.1082.500.10.2.3.8.1.5.{B}.{onu}", date_and_time(last_on))
                        r.hexs(f"{Z}.1082.500.10.2.3.8.1.6.{B}.{onu}", date_and_time(last_off))
                        r.i(f"{Z}.1082.500.10.2.3.8.1.7.{B}.{onu}",
                            REASONS_1082.get(reason, 1) if reason else 1)
                    r.i(f"{Z}.1082.500.10.2.3.10.1.2.{B}.{onu}", distance)
                    if not drop_optics:
                        r.i(f"{Z}.1082.500.20.2.2.2.1.10.{B}.{onu}.1", rx_raw)
                        r.i(f"{Z}.1082.500.1.2.4.2.1.2.{B}.{onu}", olt_rx_raw)
                    r.add(f"{Z}.1082.500.4.2.2.2.1.1.{B}.{onu}", "70", str(up_oct))
                    r.add(f"{Z}.1082.500.4.2.2.2.1.12.{B}.{onu}", "70", str(k % 5))
                    r.add(f"{Z}.1082.500.4.2.2.2.1.44.{B}.{onu}", "70", str(down_oct))
                    r.add(f"{Z}.1082.500.4.2.2.2.1.55.{B}.{onu}", "70", str(k % 3))
                    o.update({"up_octets": up_oct, "down_octets": down_oct,
                              "up_errors": k % 5, "down_errors": k % 3})
                if gp:
                    r.s(f"{Z}.1012.3.28.1.1.1.{A}.{onu}", ctype)
                    r.s(f"{Z}.1012.3.28.1.1.2.{A}.{onu}", name, writable=True)
                    r.s(f"{Z}.1012.3.28.1.1.3.{A}.{onu}", desc)
                    r.hexs(f"{Z}.1012.3.28.1.1.5.{A}.{onu}", serial_bin)
                    r.i(f"{Z}.1012.3.28.1.1.9.{A}.{onu}", 1, writable=True)
                    if not drop_state:
                        r.i(f"{Z}.1012.3.28.2.1.1.{A}.{onu}", 1)
                        r.i(f"{Z}.1012.3.28.2.1.4.{A}.{onu}", PHASES_1082[phase] - 1)
                        r.s(f"{Z}.1012.3.28.2.1.5.{A}.{onu}", text_time(last_on))
                        r.s(f"{Z}.1012.3.28.2.1.6.{A}.{onu}", text_time(last_off))
                    r.i(f"{Z}.1012.3.11.4.1.2.{A}.{onu}", distance)
                    r.s(f"{Z}.1012.3.50.11.2.1.17.{A}.{onu}", model)
                    r.i(f"{Z}.1012.3.30.1.1.3.{A}.{onu}.1", profile)
                    if not drop_optics:
                        r.i(f"{Z}.1012.3.50.12.1.1.10.{A}.{onu}.1", rx_raw)
                        r.i(f"{Z}.1012.3.50.12.1.1.14.{A}.{onu}.1", tx_raw)
                        r.i(f"{Z}.1012.3.50.12.1.1.17.{A}.{onu}.1", 165 if online else 65535)
                        r.i(f"{Z}.1012.3.50.12.1.1.18.{A}.{onu}.1", 5000 if online else 65535)
                        r.i(f"{Z}.1012.3.50.12.1.1.19.{A}.{onu}.1",
                            40 * 256 if online else 65535)
                        r.i(f"{Z}.1015.1010.11.2.1.2.{A}.{onu}", olt_rx_raw)
                    o.update({"model": model, "bandwidth_profile": profiles[profile][0],
                              "bandwidth_max_kbps": profiles[profile][2]})
                if drop_optics:
                    o["rx_dbm"] = o["tx_dbm"] = o["olt_rx_dbm"] = None
                    o["optics_missing"] = True
                if drop_state:
                    o["state_missing"] = True
                if not gp:
                    o["tx_dbm"] = None  # no ONU Tx column on the .1082-only tree
                if a.tree == "1012":
                    o["reason_from_phase"] = True
                exp["onus"].append(o)
            # Unconfigured ONUs waiting on the first port of each card.
            if port == 1:
                for n in (1, 2):
                    tail = rnd.getrandbits(32)
                    sn_bin = b"ZTEG" + tail.to_bytes(4, "big")
                    if an:
                        r.hexs(f"{Z}.1082.500.2.2.11.2.1.2.{B}.{n}", sn_bin)
                        r.s(f"{Z}.1082.500.2.2.11.2.1.8.{B}.{n}", "ZTE-F660")
                    else:
                        r.hexs(f"{Z}.1012.3.13.3.1.2.{A}.{n}", sn_bin)
                    exp["unconfigured"].append({"slot": slot, "port": port,
                                                "serial": "ZTEG%08X" % tail,
                                                "type": "ZTE-F660" if an else ""})
    r.save(a.out, a.expected, exp, "ONUs")


if __name__ == "__main__":
    main()
