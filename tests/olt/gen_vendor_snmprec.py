#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates an snmpsim recording (.snmprec) of a V-SOL, BDCOM or C-Data OLT, and a JSON file of
what it wrote.

The OIDs, index encodings, value formats and sentinels are the documented ones
(../shared/research/olt-oids.md §5-§7 and the vendors' MIBs): V-SOL {pon}.{onu} rows with display
string optics ("0.03 mW (-14.61 dBm)", "na"); BDCOM ONUs as IF-MIB interfaces ("GPON0/2:1") whose
ifIndex indexes NMS-GPON-MIB / NMS-EPON-ONU; C-Data's 32-bit EPON device index and the
CDATA-GPON-MIB {device}.{card}.{port}.{onu} rows. The expected JSON holds decoded values (dBm,
metres, phases, Unix times, ispbox's slot numbering), computed here independently of the C++
drivers; a key that is absent means the vendor does not report it, null means "no reading".

Python 3 standard library only; deterministic for a given --seed. The recording writer is the ZTE
generator's (gen_zte_snmprec.Rec).

  gen_vendor_snmprec.py --vendor vsol-epon|vsol-gpon|bdcom-gpon|bdcom-epon|cdata-epon|cdata-gpon
      --out DIR/community.snmprec --expected DIR/community.json [--pons 4] [--onus 8] [--seed 1]
      [--delay-ms N]
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_zte_snmprec import Rec  # noqa: E402

NOW = 1767225600  # 2026-01-01T00:00:00Z, as in the ZTE generator
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_IN_ERR = "1.3.6.1.2.1.2.2.1.14"
IF_OUT_ERR = "1.3.6.1.2.1.2.2.1.20"


def stamp(ts, fmt):
    return time.strftime(fmt, time.gmtime(ts))


def system(r, exp, descr, object_id, name):
    r.s("1.3.6.1.2.1.1.1.0", descr)
    r.add("1.3.6.1.2.1.1.2.0", "6", object_id)
    r.add("1.3.6.1.2.1.1.3.0", "67", "566843939")
    r.s("1.3.6.1.2.1.1.5.0", name)
    exp["system"] = {"descr": descr, "object_id": object_id, "name": name,
                     "uptime_ticks": 566843939}


class Onu:
    """One generated ONU's fate: phase and whether it has optics, from the seeded generator."""

    def __init__(self, rnd, slot, port, onu):
        self.slot, self.port, self.onu = slot, port, onu
        roll = rnd.random()
        self.phase = ("working" if roll < 0.8 else "los" if roll < 0.9 else
                      "dying_gasp" if roll < 0.95 else "offline")
        self.online = self.phase == "working"
        self.k = (slot * 100 + port) * 1000 + onu
        self.distance = rnd.randint(300, 19000)
        self.rx = round(rnd.uniform(-27.5, -14.0), 2)
        self.tx = round(rnd.uniform(1.0, 4.5), 2)
        self.temp = round(rnd.uniform(30.0, 60.0), 2)
        self.volt = round(rnd.uniform(3.20, 3.40), 2)
        self.bias = round(rnd.uniform(6.0, 18.0), 2)
        self.last_on = NOW - rnd.randint(3600, 86400 * 30)
        self.last_off = (self.last_on - rnd.randint(60, 86400)) if self.online else \
            NOW - rnd.randint(60, 3600)
        self.up = self.k * 7919 * 1000
        self.down = self.k * 104729 * 1000
        self.mac = bytes([0x24, 0xFD, 0x0D, slot, port, onu])
        self.sn_tail = rnd.getrandbits(32)

    def base(self):
        return {"slot": self.slot, "port": self.port, "onu": self.onu}

    def mac_text(self):
        return ":".join("%02X" % b for b in self.mac)


def vsol_ddm(r, exp_onu, o, entry, idx, none):
    """V-SOL's ONU DDM display strings (temperature, voltage, bias, Tx, Rx in columns 3..7), or
    the `none` string in each when the ONU is down."""
    def mw(dbm):
        return 10 ** (dbm / 10)

    if o.online:
        r.s(f"{entry}.3.{idx}", f"{o.temp:.2f} C")
        r.s(f"{entry}.4.{idx}", f"{o.volt:.2f} V")
        r.s(f"{entry}.5.{idx}", f"{o.bias:.2f} mA")
        r.s(f"{entry}.6.{idx}", f"{mw(o.tx):.2f} mW ({o.tx:.2f} dBm)")
        r.s(f"{entry}.7.{idx}", f"{mw(o.rx):.2f} mW ({o.rx:.2f} dBm)")
        exp_onu.update({"temperature_c": o.temp, "voltage_v": o.volt, "bias_ma": o.bias,
                        "tx_dbm": o.tx, "rx_dbm": o.rx})
    else:
        for c in range(3, 8):
            r.s(f"{entry}.{c}.{idx}", none)
        exp_onu.update({"temperature_c": None, "voltage_v": None, "bias_ma": None,
                        "tx_dbm": None, "rx_dbm": None})


def ids(onus):
    # ONU ids 1..n with id 3 left free (a gap, like the ZTE generator).
    return [i for i in range(1, onus + 2) if i != 3][:onus]


# ---------------------------------------------------------------------------------------------
def vsol_epon(r, exp, rnd, a):
    V = "1.3.6.1.4.1.37950.1.1.5"
    system(r, exp, "V1600D", "1.3.6.1.4.1.37950.1.1.5.10.14.1", "pop-v1600d")
    r.i(f"{V}.10.12.3.0", 26)
    r.i(f"{V}.10.12.4.0", 18)
    r.s(f"{V}.10.12.5.4.0", "V2.03.74R")
    r.i(f"{V}.10.12.5.9.0", 40)
    r.s(f"{V}.10.12.5.15.0", "EPON-OLT")
    exp["system"].update({"model": "EPON-OLT", "firmware": "V2.03.74R", "temperature_c": 40})
    exp["cards"].append({"slot": 1, "type": "V1600D", "cpu_pct": 26, "mem_pct": 18,
                         "temperature_c": 40})
    r.s(f"{V}.10.12.21.4.1.2.1", "Normal")
    r.s(f"{V}.10.12.21.4.1.2.2", "Power Off")
    exp["power"] = [{"slot": 1, "status": "normal"}, {"slot": 2, "status": "off"}]
    for p in range(1, a.pons + 1):
        up = p != a.pons
        r.s(f"{V}.10.1.2.1.1.2.{p}", f"EPON0/{p}")
        r.i(f"{V}.10.1.2.1.1.3.{p}", 1)
        r.i(f"{V}.10.1.2.3.1.2.{p}", 1 if up else 0)
        r.add(f"{V}.10.1.2.2.1.2.{p}", "65", str(10**9 + p))
        r.add(f"{V}.10.1.2.2.1.23.{p}", "65", str(3 * 10**9 + p))
        t, v, b, tx = 27.5 + p, 3.2, 7.0 + p / 10, 6.5 + p / 100
        r.s(f"{V}.10.13.1.1.2.{p}", f"{t:.2f} .C")
        r.s(f"{V}.10.13.1.1.3.{p}", f"{v:.2f} V")
        r.s(f"{V}.10.13.1.1.4.{p}", f"{b:.2f} mA")
        r.s(f"{V}.10.13.1.1.5.{p}", f"{tx:.2f} dbm")
        exp["pons"].append({"slot": 1, "port": p, "name": f"EPON0/{p}", "admin_up": True,
                            "oper_up": up, "temperature_c": round(t, 2), "voltage_v": v,
                            "bias_ma": round(b, 2), "tx_dbm": round(tx, 2),
                            "up_octets": 10**9 + p, "down_octets": 3 * 10**9 + p})
        for n in ids(a.onus):
            o = Onu(rnd, 1, p, n)
            i = f"{p}.{n}"
            e = o.base()
            r.i(f"{V}.12.1.25.1.4.{i}", 1 if o.online else 0)
            r.hexs(f"{V}.12.1.25.1.5.{i}", o.mac)
            r.s(f"{V}.12.1.25.1.6.{i}", "ONU-1GE")
            r.s(f"{V}.12.1.25.1.9.{i}", f"cust-{p}-{n}")
            # onuAuthInfo2DeregReason: wire-down(0) power-off(1)
            r.i(f"{V}.12.1.25.1.15.{i}", 1 if o.phase == "dying_gasp" else 0)
            r.add(f"{V}.12.1.25.1.17.{i}", "66", str(o.distance))
            r.s(f"{V}.12.1.25.1.18.{i}", stamp(o.last_on, "%Y/%m/%d %H:%M:%S"))
            r.s(f"{V}.12.1.25.1.19.{i}", stamp(o.last_off, "%Y/%m/%d %H:%M:%S"))
            r.s(f"{V}.12.2.1.2.1.3.{i}", "VSOL")
            r.s(f"{V}.12.2.1.2.1.4.{i}", "V2801D")
            r.s(f"{V}.12.2.1.2.1.7.{i}", "V1.0.2")
            phase = "working" if o.online else ("dying_gasp" if o.phase == "dying_gasp"
                                                else "los")
            e.update({"name": f"cust-{p}-{n}", "serial": o.mac_text(), "type": "ONU-1GE",
                      "model": "V2801D", "firmware": "V1.0.2", "phase": phase,
                      "online": o.online, "distance_m": o.distance, "last_online": o.last_on,
                      "last_offline": o.last_off})
            if not o.online:
                e["offline_reason"] = "power_off" if phase == "dying_gasp" else "los"
            vsol_ddm(r, e, o, f"{V}.12.2.1.8.1", i, "na")  # "na": no DDM from an ONU that is down
            r.add(f"{V}.12.1.20.1.3.{i}", "70", str(o.up))
            r.add(f"{V}.12.1.20.1.10.{i}", "70", str(o.down))
            r.add(f"{V}.12.1.20.1.18.{i}", "66", str(o.k % 7))
            e.update({"up_octets": o.up, "down_octets": o.down, "up_errors": o.k % 7})
            exp["onus"].append(e)
    for n, p in ((1, 1), (2, min(2, a.pons))):
        mac = bytes([0xC4, 0x70, 0x0B, 0x26, 0x1B, n])
        r.i(f"{V}.12.1.13.1.2.{n}", p)
        r.hexs(f"{V}.12.1.13.1.3.{n}", mac)
        exp["unconfigured"].append({"slot": 1, "port": p,
                                    "serial": ":".join("%02X" % b for b in mac)})


def vsol_gpon(r, exp, rnd, a):
    G = "1.3.6.1.4.1.37950.1.1.6.1"
    system(r, exp, "V1600G1", "1.3.6.1.4.1.37950.1.1.6", "pop-v1600g")
    phases = {"logging": 0, "los": 1, "sync_mib": 2, "working": 3, "dying_gasp": 4,
              "auth_failed": 5, "offline": 6}
    for p in range(1, a.pons + 1):
        for n in ids(a.onus):
            o = Onu(rnd, 1, p, n)
            i = f"{p}.{n}"
            e = o.base()
            sn = "VSOL%08X" % o.sn_tail
            r.i(f"{G}.1.1.1.3.{i}", 1)
            r.i(f"{G}.1.1.1.4.{i}", 1)
            r.i(f"{G}.1.1.1.5.{i}", phases[o.phase])
            r.s(f"{G}.1.2.1.3.{i}", f"onu-{p}-{n}")
            r.i(f"{G}.1.2.1.4.{i}", 1)  # sn(1): the auth info is the serial
            r.s(f"{G}.1.2.1.5.{i}", sn)
            r.s(f"{G}.1.2.1.6.{i}", "HGU-1GE")
            if o.online:  # detail rows exist for ONUs that came up; others fall back to auth
                r.s(f"{G}.1.4.1.5.{i}", sn)
                r.s(f"{G}.1.4.1.17.{i}", "V2802GWT")
                r.s(f"{G}.1.4.1.24.{i}", f"customer {o.k}")
                r.s(f"{G}.1.4.1.25.{i}", "V2.1.3")
                e.update({"model": "V2802GWT", "description": f"customer {o.k}",
                          "firmware": "V2.1.3"})
            r.i(f"{G}.1.12.1.3.{i}", o.distance)
            e.update({"name": f"onu-{p}-{n}", "serial": sn, "type": "HGU-1GE",
                      "phase": o.phase, "online": o.online, "distance_m": o.distance})
            if not o.online:
                e["offline_reason"] = o.phase
            vsol_ddm(r, e, o, f"{G}.1.3.1", i, "N/A")
            r.add(f"{G}.1.17.1.13.{i}", "70", str(o.up))
            r.add(f"{G}.1.17.1.15.{i}", "70", str(o.down))
            e.update({"up_octets": o.up, "down_octets": o.down})
            exp["onus"].append(e)
        exp["pons"].append({"slot": 1, "port": p})
    for n in (1, 2):
        sn = "VSOLFEED%04X" % n
        r.s(f"{G}.2.2.1.3.1.{n}", sn)
        r.s(f"{G}.2.2.1.7.1.{n}", "V2802GWT")
        exp["unconfigured"].append({"slot": 1, "port": 1, "serial": sn, "type": "V2802GWT"})


# ---------------------------------------------------------------------------------------------
def bdcom(r, exp, rnd, a, gpon):
    B = "1.3.6.1.4.1.3320"
    if gpon:
        system(r, exp, "BDCOM(tm) GP3600-16B Software, Version 10.3.0D Build 74104",
               "1.3.6.1.4.1.3320.1.390.0", "pop-gp3600")
    else:
        system(r, exp, "BDCOM(tm) P3310C Software, Version 10.1.0E Build 53220",
               "1.3.6.1.4.1.3320.1.165.0", "pop-p3310")
    kind = "GPON" if gpon else "EPON"
    # Uplinks, then PON ports, then ONUs with ifIndexes handed out at registration (not in order).
    for n in (1, 2):
        r.s(f"{IF_NAME}.{96 + n}", f"GigaEthernet0/{n}")
        r.i(f"{IF_ADMIN}.{96 + n}", 1)
        r.i(f"{IF_OPER}.{96 + n}", 1)
    onus = []
    for p in range(1, a.pons + 1):
        onus += [Onu(rnd, 1, p, n) for n in ids(a.onus)]
    free = list(range(1179, 1179 + 3 * len(onus)))
    rnd.shuffle(free)
    for p in range(1, a.pons + 1):
        x = 109 + p
        up = p != a.pons
        r.s(f"{IF_NAME}.{x}", f"{kind}0/{p}")
        r.s(f"{IF_ALIAS}.{x}", "")
        r.i(f"{IF_ADMIN}.{x}", 1)
        r.i(f"{IF_OPER}.{x}", 1 if up else 2)
        r.add(f"{IF_HC_IN}.{x}", "70", str(10**12 + p))
        r.add(f"{IF_HC_OUT}.{x}", "70", str(3 * 10**12 + p))
        r.add(f"{IF_IN_ERR}.{x}", "65", "0")
        r.add(f"{IF_OUT_ERR}.{x}", "65", "0")
        pon = {"slot": 1, "port": p, "name": f"{kind}0/{p}", "admin_up": True, "oper_up": up,
               "up_octets": 10**12 + p, "down_octets": 3 * 10**12 + p}
        if gpon:
            r.i(f"{B}.10.2.1.1.1.{x}", x)
            r.i(f"{B}.10.2.1.1.2.{x}", 1)
            r.i(f"{B}.10.2.2.1.2.{x}", 385 + p)   # 0.1 °C
            r.i(f"{B}.10.2.2.1.3.{x}", 33)        # 0.1 V
            r.i(f"{B}.10.2.2.1.4.{x}", 150 + p)   # 0.1 mA
            r.i(f"{B}.10.2.2.1.5.{x}", 45 + p)    # 0.1 dBm
            r.i(f"{B}.10.2.3.1.2.{x}", 1)
            r.i(f"{B}.10.2.3.1.3.{x}", -65535 if not up else -215 - p)
            pon.update({"temperature_c": (385 + p) / 10, "voltage_v": 3.3,
                        "bias_ma": (150 + p) / 10, "tx_dbm": (45 + p) / 10,
                        "rx_dbm": None if not up else (-215 - p) / 10})
        else:
            r.i(f"{B}.101.6.1.1.1.{x}", x)
            r.i(f"{B}.101.6.1.1.9.{x}", 1)
        exp["pons"].append(pon)
    for o in onus:
        x = free.pop()
        i = str(x)
        e = o.base()
        name = f"{kind}0/{o.port}:{o.onu}"
        r.s(f"{IF_NAME}.{x}", name)
        label = f"cust-{o.k}" if o.onu % 2 else ""
        r.s(f"{IF_ALIAS}.{x}", label)
        r.i(f"{IF_ADMIN}.{x}", 1)
        r.i(f"{IF_OPER}.{x}", 1 if o.online else 2)
        r.add(f"{IF_HC_IN}.{x}", "70", str(o.up))
        r.add(f"{IF_HC_OUT}.{x}", "70", str(o.down))
        r.add(f"{IF_IN_ERR}.{x}", "65", str(o.k % 5))
        r.add(f"{IF_OUT_ERR}.{x}", "65", str(o.k % 3))
        if label:
            e["name"] = label
        e.update({"up_octets": o.up, "down_octets": o.down, "up_errors": o.k % 5,
                  "down_errors": o.k % 3, "distance_m": o.distance})
        # status: authenticated(0) registered(1) deregistered(2) auto-config(3) lost(4)
        status, phase = {"working": (3, "working"), "los": (4, "los"),
                         "dying_gasp": (2, "offline"), "offline": (2, "offline")}[o.phase]
        e.update({"phase": phase, "online": o.online})
        if not o.online:
            e["offline_reason"] = phase
        if gpon:
            sn = b"BDCM" + o.sn_tail.to_bytes(4, "big")
            r.s(f"{B}.10.3.1.1.2.{i}", "BDCM")
            r.hexs(f"{B}.10.3.1.1.4.{i}", sn)
            r.i(f"{B}.10.3.1.1.7.{i}", 1)
            r.i(f"{B}.10.3.1.1.8.{i}", 1 if o.online else 2)
            r.s(f"{B}.10.3.1.1.9.{i}", "GP1704-4F")
            r.s(f"{B}.10.3.1.1.20.{i}", "10.0.1.5")
            r.i(f"{B}.10.3.1.1.33.{i}", o.distance)
            r.i(f"{B}.10.3.3.1.4.{i}", status)
            rx = int(round(o.rx * 10)) if o.online else -65535
            tx = int(round(o.tx * 10)) if o.online else -65535
            r.i(f"{B}.10.3.4.1.2.{i}", rx)
            r.i(f"{B}.10.3.4.1.3.{i}", tx)
            e.update({"serial": "BDCM%08X" % o.sn_tail, "type": "GP1704-4F",
                      "model": "GP1704-4F", "firmware": "10.0.1.5",
                      "rx_dbm": rx / 10 if o.online else None,
                      "tx_dbm": tx / 10 if o.online else None})
        else:
            r.s(f"{B}.101.10.1.1.1.{i}", "BDCM")
            r.s(f"{B}.101.10.1.1.2.{i}", "P1501C1")
            r.hexs(f"{B}.101.10.1.1.3.{i}", o.mac)
            r.s(f"{B}.101.10.1.1.5.{i}", "10.0.22B")
            r.i(f"{B}.101.10.1.1.26.{i}", status)
            r.i(f"{B}.101.10.1.1.27.{i}", o.distance)
            e.update({"serial": o.mac_text(), "type": "P1501C1", "model": "P1501C1",
                      "firmware": "10.0.22B"})
            if o.online:
                t, v, b = int(o.temp * 256), int(o.volt * 10000), int(o.bias / 0.002)
                rx, tx = int(round(o.rx * 10)), int(round(o.tx * 10))
                for c, val in ((2, t), (3, v), (4, b), (5, rx), (6, tx)):
                    r.i(f"{B}.101.10.5.1.{c}.{i}", val)
                e.update({"temperature_c": t / 256, "voltage_v": v / 10000, "bias_ma": b * 0.002,
                          "rx_dbm": rx / 10, "tx_dbm": tx / 10})
            else:
                e.update({"rx_dbm": None})  # no optical module row from an ONU that is down
        exp["onus"].append(e)
    # Chassis: the card table (index from 0) and fans.
    for c, (descr, serial, sw, cpu, mem, temp, volt) in enumerate(
            [("GP3600-16B mother card" if gpon else "P3310C mother card", "00321000156",
              "10.3.0D Build 74104", 4, 26, 33, 12)]):
        for col, val in ((3, descr), (4, serial), (6, sw)):
            r.s(f"{B}.3.6.10.1.{col}.{c}", val)
        r.i(f"{B}.3.6.10.1.9.{c}", 2)
        for col, val in ((11, cpu), (12, mem), (13, temp), (14, volt)):
            r.i(f"{B}.3.6.10.1.{col}.{c}", val)
        exp["cards"].append({"slot": c + 1, "type": descr, "serial": serial, "firmware": sw,
                             "status": "in_service", "cpu_pct": cpu, "mem_pct": mem,
                             "temperature_c": temp, "voltage_v": volt})
    exp["system"]["temperature_c"] = 33
    for f in range(4):
        ok = f != 2
        r.i(f"{B}.9.187.4.1.2.{f}", 1 if ok else 3)
        r.i(f"{B}.9.187.4.1.3.{f}", 3029 + f if ok else 0)
        exp["fans"].append({"index": f + 1, "status": "ok" if ok else "unknown",
                            "rpm": 3029 + f if ok else 0})


# ---------------------------------------------------------------------------------------------
def cdata_epon(r, exp, rnd, a):
    C = "1.3.6.1.4.1.17409.2.3.4"
    system(r, exp, "FD1108SN EPON OLT", "1.3.6.1.4.1.17409.1.10", "pop-fd1108")
    r.s(f"{IF_DESCR}.1", "ge 0/0/1")
    r.i(f"{IF_ADMIN}.1", 1)
    r.i(f"{IF_OPER}.1", 1)
    for p in range(1, a.pons + 1):
        x = 100 + p
        up = p != a.pons
        r.s(f"{IF_DESCR}.{x}", f"epon 0/1/{p}")
        r.i(f"{IF_ADMIN}.{x}", 1)
        r.i(f"{IF_OPER}.{x}", 1 if up else 2)
        r.add(f"{IF_HC_IN}.{x}", "70", str(10**11 + p))
        r.add(f"{IF_HC_OUT}.{x}", "70", str(4 * 10**11 + p))
        exp["pons"].append({"slot": 1, "port": p, "name": f"epon 0/1/{p}", "admin_up": True,
                            "oper_up": up, "up_octets": 10**11 + p,
                            "down_octets": 4 * 10**11 + p})
        for n in ids(a.onus):
            o = Onu(rnd, 1, p, n)
            idx = (1 << 24) | (((p - 1) * 16) << 8) | n  # slot 1, encoded port, onu
            e = o.base()
            name = f"epon 0/1/{p} onu {n} cust{o.k}"
            r.s(f"{C}.1.1.2.{idx}", name)
            r.hexs(f"{C}.1.1.7.{idx}", o.mac)
            r.i(f"{C}.1.1.8.{idx}", 1 if o.online else 2)
            r.s(f"{C}.1.1.13.{idx}", "V1.2.3")
            r.i(f"{C}.1.1.15.{idx}", o.distance if o.online else 0)
            r.s(f"{C}.1.1.25.{idx}", "CDTC")
            r.s(f"{C}.1.1.26.{idx}", "25AR")
            serial = "CDTC%08X" % o.sn_tail if n % 2 else ""  # some firmware leave it empty
            r.s(f"{C}.1.1.28.{idx}", serial)
            rx = int(round(o.rx * 100)) if o.online else 0
            tx = int(round(o.tx * 100)) if o.online else 0
            r.i(f"{C}.2.1.4.{idx}.0.0", rx)
            r.i(f"{C}.2.1.5.{idx}.0.0", tx)
            e.update({"name": name, "serial": serial or o.mac_text(), "type": "25AR",
                      "model": "25AR", "firmware": "V1.2.3",
                      "phase": "working" if o.online else "offline", "online": o.online,
                      "rx_dbm": rx / 100 if o.online else None,
                      "tx_dbm": tx / 100 if o.online else None})
            if o.online:
                e["distance_m"] = o.distance
            else:
                e["offline_reason"] = "offline"
            exp["onus"].append(e)


def cdata_gpon(r, exp, rnd, a):
    G = "1.3.6.1.4.1.34592.1.5.1.1.2"
    system(r, exp, "FD1616GS GPON OLT", "1.3.6.1.4.1.34592.1.3.100", "pop-fd1616")
    for p in range(1, a.pons + 1):
        pi = f"1.0.{p}"  # device 1, card 0 (shown as slot 1), port p
        up = p != a.pons
        r.i(f"{G}.17.1.1.5.{pi}", 1)
        r.i(f"{G}.17.1.1.6.{pi}", 1 if up else 2)
        for c, val in ((1, "41.50"), (2, "3.30"), (3, "15.20"), (4, f"{4 + p / 10:.2f}"),
                       (5, "N/A")):
            r.s(f"{G}.17.2.1.{c}.{pi}", val)
        exp["pons"].append({"slot": 1, "port": p, "admin_up": True, "oper_up": up,
                            "temperature_c": 41.5, "voltage_v": 3.3, "bias_ma": 15.2,
                            "tx_dbm": round(4 + p / 10, 2), "rx_dbm": None})
        for n in ids(a.onus):
            o = Onu(rnd, 1, p, n)
            i = f"{pi}.{n}"
            e = o.base()
            sn = "CDTC%08X" % o.sn_tail
            r.i(f"{G}.18.1.1.2.{i}", 1)
            r.s(f"{G}.18.1.1.4.{i}", sn)
            r.s(f"{G}.18.1.1.8.{i}", f"cust-{o.k}")
            r.i(f"{G}.18.2.1.1.{i}", 1 if o.online else 2)
            r.i(f"{G}.18.2.1.4.{i}", o.distance)
            r.s(f"{G}.18.2.1.6.{i}", stamp(o.last_on, "%Y-%m-%d %H:%M:%S"))
            r.s(f"{G}.18.2.1.7.{i}", stamp(o.last_off, "%Y-%m-%d %H:%M:%S"))
            r.s(f"{G}.18.7.1.1.{i}", "V3.2.5")
            if o.online:
                for c, val in ((1, f"{o.volt:.2f}"), (2, f"{o.tx:.2f}"), (4, f"{o.rx:.2f}"),
                               (5, f"{o.bias:.2f}"), (6, f"{o.temp:.2f}")):
                    r.s(f"{G}.18.6.1.{c}.{i}", val)
                e.update({"voltage_v": o.volt, "tx_dbm": o.tx, "rx_dbm": o.rx,
                          "bias_ma": o.bias, "temperature_c": o.temp})
            else:
                for c in (1, 2, 4, 5, 6):
                    r.s(f"{G}.18.6.1.{c}.{i}", "N/A")
                e.update({"voltage_v": None, "tx_dbm": None, "rx_dbm": None, "bias_ma": None,
                          "temperature_c": None})
            e.update({"name": f"cust-{o.k}", "description": f"cust-{o.k}", "serial": sn,
                      "firmware": "V3.2.5", "phase": "working" if o.online else "offline",
                      "online": o.online, "distance_m": o.distance, "last_online": o.last_on,
                      "last_offline": o.last_off})
            if not o.online:
                e["offline_reason"] = "offline"
            exp["onus"].append(e)
    for n in (1, 2):
        sn = "CDTCBEEF%04X" % n
        r.s(f"{G}.18.5.1.3.1.0.1.{n}", sn)
        r.s(f"{G}.18.5.1.7.1.0.1.{n}", "FD511G-X")
        exp["unconfigured"].append({"slot": 1, "port": 1, "serial": sn, "type": "FD511G-X"})


VENDORS = {
    "vsol-epon": ("vsol", "epon", vsol_epon),
    "vsol-gpon": ("vsol", "gpon", vsol_gpon),
    "bdcom-gpon": ("bdcom", "gpon", lambda r, e, rnd, a: bdcom(r, e, rnd, a, True)),
    "bdcom-epon": ("bdcom", "epon", lambda r, e, rnd, a: bdcom(r, e, rnd, a, False)),
    "cdata-epon": ("cdata", "epon", cdata_epon),
    "cdata-gpon": ("cdata", "gpon", cdata_gpon),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vendor", required=True, choices=sorted(VENDORS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected")
    ap.add_argument("--pons", type=int, default=4)
    ap.add_argument("--onus", type=int, default=8, help="ONUs per PON port (1..60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delay-ms", type=int, default=0,
                    help="agent delay per full GETBULK answer (snmpsim delay module)")
    a = ap.parse_args()
    if not 1 <= a.onus <= 60 or not 1 <= a.pons <= 16:
        sys.exit("out of range: pons 1..16, onus 1..60")
    vendor, variant, fn = VENDORS[a.vendor]
    r = Rec(False, a.delay_ms)
    exp = {"vendor": vendor, "variant": variant, "system": {}, "cards": [], "fans": [],
           "power": [], "pons": [], "onus": [], "unconfigured": []}
    fn(r, exp, random.Random(a.seed), a)
    r.write(a.out)
    if a.expected:
        with open(a.expected, "w") as f:
            json.dump(exp, f, indent=1)
    print(f"wrote {len(r.rows)} objects, {len(exp['onus'])} ONUs to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
