#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates an snmpsim recording (.snmprec) of a FiberHome AN5516 OLT, and a JSON file of what
it wrote.

The OIDs, index layouts and conversions are the documented ones (../shared/research/olt-oids.md
§4, GEPON-OLT-COMMON-MIB): ONU index slot<<25 | pon<<19 | onu<<8 on the AN5516 (slot<<27 |
pon<<22 | onu<<13 on the AN5116, --layout an5116), a PON port's index being its ONU index with
ONU 0; onuStatus 1 online, 0 fibre cut, 2 power off, 3 offline; optical power in 0.01 dBm with 0
for "no reading"; management-card CPU and memory in 0.01 %. The expected JSON holds decoded
values, computed here independently of the C++ driver, so tests compare the two.

Python 3 standard library only. Deterministic for a given --seed.

  gen_fiberhome_snmprec.py --out DIR/fiberhome.snmprec --expected DIR/fiberhome.json \\
      [--cards 2] [--pons 8] [--onus 16] [--seed 1] [--layout an5516|an5116]
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_zte_snmprec import Rec  # noqa: E402

F = "1.3.6.1.4.1.5875.800.3"
STATUS = {"working": 1, "los": 0, "dying_gasp": 2, "offline": 3}
REASONS = {"los": "los", "dying_gasp": "power_off", "offline": "offline"}


def onu_index(layout, slot, pon, onu):
    if layout == "an5516":
        return slot << 25 | pon << 19 | onu << 8
    return slot << 27 | pon << 22 | onu << 13


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected")
    ap.add_argument("--cards", type=int, default=2, help="PON cards, in slots 1..N")
    ap.add_argument("--pons", type=int, default=8)
    ap.add_argument("--onus", type=int, default=16, help="ONUs per PON port (1..127)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=["an5516", "an5116"], default="an5516")
    a = ap.parse_args()
    if not 1 <= a.onus <= 127 or not 1 <= a.cards <= 8 or not 1 <= a.pons <= 16:
        sys.exit("out of range: cards 1..8, pons 1..16, onus 1..127")

    rnd = random.Random(a.seed)
    r = Rec(False, 0)
    exp = {"system": {}, "cards": [], "fans": [], "power": [], "pons": [], "onus": [],
           "unconfigured": [], "layout": a.layout}

    # ---- system ----
    r.s("1.3.6.1.2.1.1.1.0", "AN5516-01")
    r.add("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.5875.800.1001.11")
    r.add("1.3.6.1.2.1.1.3.0", "67", "72420617")
    r.s("1.3.6.1.2.1.1.5.0", "demo-an5516")
    r.s(f"{F}.9.4.3.0", "RP0700")
    r.s(f"{F}.9.4.4.0", "WKE2.115.331R1A")
    r.i(f"{F}.9.4.5.0", 45)
    exp["system"] = {"descr": "AN5516-01", "name": "demo-an5516", "uptime_ticks": 72420617,
                     "temperature_c": 45}

    # ---- cards: cardInfoTable (every card) and mgrCardInfoTable (control cards) ----
    for slot in range(1, a.cards + 1):
        r.i(f"{F}.9.2.1.1.2.{slot}", 765)
        r.s(f"{F}.9.2.1.1.4.{slot}", "RP0700")
        r.i(f"{F}.9.2.1.1.5.{slot}", 1)
        r.i(f"{F}.9.2.1.1.6.{slot}", a.pons)
        exp["cards"].append({"slot": slot, "type": "765", "status": "in_service",
                             "ports": a.pons, "cpu_pct": None, "mem_pct": None})
    # Slot 9 works; slot 10 is a standby control card (work status 0): no CPU or memory kept, its
    # state is cardInfoTable's. Slot 11 is in the control-card table only, not working.
    for slot, work, cpu, mem in ((9, 1, 458, 5945), (10, 0, 104, 5907)):
        r.i(f"{F}.9.2.1.1.2.{slot}", 355)
        r.i(f"{F}.9.2.1.1.5.{slot}", 1)
        r.i(f"{F}.9.8.1.1.1.{slot}", 355)
        r.s(f"{F}.9.8.1.1.3.{slot}", "RP0700")
        r.i(f"{F}.9.8.1.1.4.{slot}", work)
        r.i(f"{F}.9.8.1.1.5.{slot}", cpu)
        r.i(f"{F}.9.8.1.1.6.{slot}", mem)
        exp["cards"].append({"slot": slot, "type": "355", "status": "in_service",
                             "cpu_pct": cpu / 100.0 if work else None,
                             "mem_pct": mem / 100.0 if work else None})
    r.i(f"{F}.9.8.1.1.1.11", 356)
    r.i(f"{F}.9.8.1.1.4.11", 0)
    r.i(f"{F}.9.8.1.1.5.11", 300)
    exp["cards"].append({"slot": 11, "type": "356", "status": "not_working", "cpu_pct": None,
                         "mem_pct": None})
    for slot, state in ((21, 1), (22, 1), (23, 2)):
        r.i(f"{F}.60.2.1.1.{slot}", state)
        exp["fans"].append({"index": slot, "status": "ok" if state == 1 else "failed"})
    for slot, state in ((1, 1), (2, 3)):
        r.i(f"{F}.60.1.1.2.{slot}", state)
        exp["power"].append({"slot": slot, "status": "normal" if state == 1 else "fault"})

    # ---- PON ports (oltPonInfoTable, index = ONU index with ONU 0) ----
    for slot in range(1, a.cards + 1):
        for pon in range(1, a.pons + 1):
            idx = onu_index(a.layout, slot, pon, 0)
            up = not (slot == a.cards and pon == a.pons)  # the last port is down
            r.s(f"{F}.9.3.4.1.2.{idx}", f"PON {slot}/{pon}")
            r.i(f"{F}.9.3.4.1.4.{idx}", 1)
            r.i(f"{F}.9.3.4.1.5.{idx}", 1 if up else 0)
            r.i(f"{F}.9.3.4.1.8.{idx}", 300 + pon)
            r.i(f"{F}.9.3.4.1.9.{idx}", 330)
            r.i(f"{F}.9.3.4.1.10.{idx}", 1500)
            r.i(f"{F}.9.3.4.1.11.{idx}", 4200)
            r.i(f"{F}.9.3.4.1.12.{idx}", a.onus)
            exp["pons"].append({"slot": slot, "port": pon, "name": f"PON {slot}/{pon}",
                                "oper_up": up, "admin_up": True, "tx_dbm": (300 + pon) / 100.0,
                                "voltage_v": 3.3, "bias_ma": 15.0, "temperature_c": 42.0})

    # ---- ONUs ----
    for slot in range(1, a.cards + 1):
        for pon in range(1, a.pons + 1):
            ids = [i for i in range(1, a.onus + 2) if i != 3][: a.onus]
            for onu in ids:
                idx = onu_index(a.layout, slot, pon, onu)
                k = (slot * 100 + pon) * 1000 + onu
                name = f"fh-{slot}-{pon}-{onu}"
                serial = "FHTT%08X" % rnd.getrandbits(32)
                roll = rnd.random()
                phase = ("working" if roll < 0.8 else "los" if roll < 0.9 else
                         "dying_gasp" if roll < 0.95 else "offline")
                online = phase == "working"
                distance = rnd.randint(300, 19000)
                mac_only = onu == 4  # a MAC-authenticated ONU: no SN/LOID
                r.i(f"{F}.10.1.1.2.{idx}", slot)
                r.i(f"{F}.10.1.1.3.{idx}", pon)
                r.i(f"{F}.10.1.1.4.{idx}", onu)
                r.i(f"{F}.10.1.1.5.{idx}", 761 + k % 3)
                r.s(f"{F}.10.1.1.7.{idx}", name)
                r.s(f"{F}.10.1.1.8.{idx}", "" if mac_only else serial.lower())
                r.s(f"{F}.10.1.1.10.{idx}", "0c:37:47:aa:bb:%02x" % onu)
                r.i(f"{F}.10.1.1.11.{idx}", STATUS[phase])
                r.i(f"{F}.9.6.1.1.1.{idx}", distance if online else 0)
                o = {"slot": slot, "port": pon, "onu": onu, "name": name,
                     "serial": ("0C:37:47:AA:BB:%02X" % onu) if mac_only else serial,
                     "type": str(761 + k % 3), "phase": phase, "online": online,
                     "reason": None if online else REASONS[phase],
                     "distance_m": distance if online else None}
                invalid = onu == 5  # optical power flagged invalid (nonsupport)
                if online and not invalid:
                    rx = round(rnd.uniform(-27.0, -15.0), 2)
                    olt_rx = round(rnd.uniform(-30.0, -18.0), 2)
                    rx_raw, tx_raw, olt_raw = int(round(rx * 100)), 230, int(round(olt_rx * 100))
                    volt, cur, temp = 330, 1200, 4500
                    o.update({"rx_dbm": rx_raw / 100.0, "tx_dbm": 2.3, "olt_rx_dbm": olt_rx,
                              "voltage_v": 3.3, "bias_ma": 12.0, "temperature_c": 45.0})
                elif invalid:
                    rx_raw, tx_raw, olt_raw, volt, cur, temp = -2100, 230, 0, 330, 1200, 4500
                    o.update({"rx_dbm": None, "tx_dbm": None, "olt_rx_dbm": None,
                              "voltage_v": None, "bias_ma": None, "temperature_c": None})
                else:
                    rx_raw = tx_raw = olt_raw = volt = cur = temp = 0  # offline: zeros
                    o.update({"rx_dbm": None, "tx_dbm": None, "olt_rx_dbm": None,
                              "voltage_v": None, "bias_ma": None, "temperature_c": None})
                r.i(f"{F}.9.3.3.1.6.{idx}", rx_raw)
                r.i(f"{F}.9.3.3.1.7.{idx}", tx_raw)
                r.i(f"{F}.9.3.3.1.8.{idx}", volt)
                r.i(f"{F}.9.3.3.1.9.{idx}", cur)
                r.i(f"{F}.9.3.3.1.10.{idx}", temp)
                r.i(f"{F}.9.3.3.1.11.{idx}", 2 if invalid else 1)
                r.i(f"{F}.9.3.7.1.2.{onu_index(a.layout, slot, pon, 0)}.{onu}", olt_raw)
                exp["onus"].append(o)
            # Unauthorised ONUs on the first PON of each card.
            if pon == 1:
                for n in (1, 2):
                    uid = slot * 10 + n
                    sn = "FHTT%08X" % rnd.getrandbits(32)
                    r.i(f"{F}.11.1.1.1.{uid}", uid)
                    r.i(f"{F}.11.1.1.2.{uid}", slot)
                    r.i(f"{F}.11.1.1.3.{uid}", pon)
                    r.i(f"{F}.11.1.1.4.{uid}", 761)
                    r.s(f"{F}.11.1.1.5.{uid}", sn)
                    exp["unconfigured"].append({"slot": slot, "port": pon, "serial": sn,
                                                "type": "761"})
    r.save(a.out, a.expected, exp, "ONUs")


if __name__ == "__main__":
    main()
