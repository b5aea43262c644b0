#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates an snmpsim recording (.snmprec) of a Huawei SmartAX GPON OLT, and a JSON file of what
it wrote.

The OIDs, index encodings and conversions are the documented ones (../shared/research/olt-oids.md
§3, HUAWEI-XPON-MIB, HUAWEI-DEVICE-MIB, HWMUSA-DEV-MIB): GPON port ifIndex 0xFA000000 + slot *
0x2000 + port * 0x100 (frame 0, 0-based slot and port as on the CLI), ONT tables indexed
{ifIndex}.{ONT id 0..127}, optics in 0.01 dBm with 2147483647 for "no reading", the OLT-side Rx
in both forms seen (0.01 dBm, and offset by 10000), boards indexed {frame}.{slot}. The expected
JSON holds decoded values, computed here independently of the C++ driver, so tests compare the two.

Python 3 standard library only. Deterministic for a given --seed.

  gen_huawei_snmprec.py --out DIR/huawei.snmprec --expected DIR/huawei.json \\
      [--boards 2] [--pons 16] [--onus 32] [--seed 1] [--writable]
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_zte_snmprec import Rec, date_and_time  # noqa: E402

H = "1.3.6.1.4.1.2011"
XPON = H + ".6.128.1.1"
CAUSES = {"los": 1, "dying_gasp": 13, "offline": 9}
REASONS = {"los": "los", "dying_gasp": "power_off", "offline": "reboot"}


def if_index(slot, port):
    return 0xFA000000 + slot * 0x2000 + port * 0x100


def implied(name):
    return ".".join(str(ord(c)) for c in name)


def prefixed(name):
    return f"{len(name)}." + implied(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected")
    ap.add_argument("--boards", type=int, default=2, help="GPON boards, in slots 0..N-1")
    ap.add_argument("--pons", type=int, default=16)
    ap.add_argument("--onus", type=int, default=32, help="ONTs per PON port (1..127)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--writable", action="store_true",
                    help="ONT descriptions and RowStatus answer SET (snmpsim writecache)")
    a = ap.parse_args()
    if not 1 <= a.onus <= 127 or not 1 <= a.boards <= 6 or not 1 <= a.pons <= 16:
        sys.exit("out of range: boards 1..6, pons 1..16, onus 1..127")

    rnd = random.Random(a.seed)
    r = Rec(a.writable, 0)
    now = 1767225600  # 2026-01-01T00:00:00Z
    exp = {"system": {}, "cards": [], "pons": [], "onus": [], "unconfigured": []}

    # ---- system ----
    descr = "Huawei Integrated Access Software"
    r.s("1.3.6.1.2.1.1.1.0", descr)
    r.add("1.3.6.1.2.1.1.2.0", "6", H + ".2.248")
    r.add("1.3.6.1.2.1.1.3.0", "67", "111404777")
    r.s("1.3.6.1.2.1.1.5.0", "demo-smartax")
    exp["system"] = {"descr": descr, "object_id": H + ".2.248", "name": "demo-smartax",
                     "uptime_ticks": 111404777}

    # ---- boards: hwSlotTable {frame}.{slot} and hwMusaBoardTable ----
    boards = [(s, "H805GPFD", 2, 10 + s, 40 + s, 30 + s) for s in range(a.boards)]
    boards += [(7, "H802SCUN", 2, 17, 75, 22),     # control board
               (8, "H802X2CS", 2, -1, -1, 20),     # uplink board: no CPU/RAM figures (-1)
               (9, "H802CAGA", 3, -1, -1, 0x7FFFFFF),  # faulty, invalid temperature
               (5, "", 1, -1, -1, 0x7FFFFFF)]      # null(1): an empty slot
    for slot, name, status, cpu, mem, temp in boards:
        idx = f"0.{slot}"
        r.i(f"{H}.6.3.3.2.1.8.{idx}", status)
        r.s(f"{H}.6.3.3.2.1.21.{idx}", name)
        r.s(f"{H}.6.3.3.2.1.11.{idx}", f"020LGJ10{slot:08d}" if name else "")
        r.i(f"{H}.2.6.7.1.1.2.1.5.{idx}", cpu)
        r.i(f"{H}.2.6.7.1.1.2.1.6.{idx}", mem)
        r.s(f"{H}.2.6.7.1.1.2.1.7.{idx}", name)
        r.i(f"{H}.2.6.7.1.1.2.1.10.{idx}", temp)
        if status == 1:
            continue
        exp["cards"].append({"slot": slot, "type": name,
                             "status": "in_service" if status == 2 else "fault",
                             "serial": f"020LGJ10{slot:08d}",
                             "cpu_pct": cpu if cpu >= 0 else None,
                             "mem_pct": mem if mem >= 0 else None,
                             "temperature_c": temp if temp != 0x7FFFFFF else None})
    # A board of another frame: not read (its slot number would collide).
    r.i(f"{H}.6.3.3.2.1.8.1.0", 2)
    r.s(f"{H}.6.3.3.2.1.21.1.0", "H805GPFD")
    exp["cards"].sort(key=lambda c: c["slot"])

    # ---- DBA profiles (IMPLIED name index) and line profiles (length-prefixed name, T-CONT) ----
    dba = {"dba-omci": (0, 1024), "dba-50M": (25600, 51200), "dba-100M": (51200, 102400)}
    for name, (assured, mx) in dba.items():
        r.i(f"{XPON}.3.21.1.4.{implied(name)}", assured)
        r.i(f"{XPON}.3.21.1.5.{implied(name)}", mx)
    lines = {"line-50M": "dba-50M", "line-100M": "dba-100M"}
    for line, service in lines.items():
        r.s(f"{XPON}.3.62.1.3.{prefixed(line)}.0", "dba-omci")  # T-CONT 0 carries OMCI
        r.s(f"{XPON}.3.62.1.3.{prefixed(line)}.4", service)

    # ---- PON ports: IF-MIB and the XPON port tables ----
    for slot in range(a.boards):
        for port in range(a.pons):
            ifx = if_index(slot, port)
            up = not (slot == a.boards - 1 and port == a.pons - 1)  # the last port is down
            up_oct = 10**12 + slot * 10**9 + port * 10**6
            down_oct = 3 * 10**12 + slot * 10**9 + port * 10**6
            name = f"GPON 0/{slot}/{port}"
            r.s(f"1.3.6.1.2.1.2.2.1.2.{ifx}", "Huawei-MA5600-V800R018-GPON_UNI")
            r.i(f"1.3.6.1.2.1.2.2.1.7.{ifx}", 1)
            r.i(f"1.3.6.1.2.1.2.2.1.8.{ifx}", 1 if up else 2)
            r.s(f"1.3.6.1.2.1.31.1.1.1.1.{ifx}", name)
            r.add(f"1.3.6.1.2.1.31.1.1.1.6.{ifx}", "70", str(up_oct))
            r.add(f"1.3.6.1.2.1.31.1.1.1.10.{ifx}", "70", str(down_oct))
            r.i(f"{XPON}.2.21.1.16.{ifx}", a.onus)
            r.i(f"{XPON}.2.23.1.1.{ifx}", 40 + port)
            r.i(f"{XPON}.2.23.1.2.{ifx}", 322)
            r.i(f"{XPON}.2.23.1.3.{ifx}", 32)
            r.i(f"{XPON}.2.23.1.4.{ifx}", 700 + port)
            r.i(f"{XPON}.2.23.1.5.{ifx}", 2147483647)  # no Rx reading on a GPON OLT port
            exp["pons"].append({"slot": slot, "port": port, "name": name, "oper_up": up,
                                "up_octets": up_oct, "down_octets": down_oct,
                                "temperature_c": 40 + port, "voltage_v": 3.22, "bias_ma": 32,
                                "tx_dbm": (700 + port) / 100.0, "rx_dbm": None})
    # An uplink: in IF-MIB but not a PON port.
    r.s("1.3.6.1.2.1.2.2.1.2.234946560", "Huawei-MA5600-V800R018-ETHERNET")
    r.i("1.3.6.1.2.1.2.2.1.8.234946560", 1)
    r.s("1.3.6.1.2.1.31.1.1.1.1.234946560", "ethernet0/8/0")
    r.add("1.3.6.1.2.1.31.1.1.1.6.234946560", "70", "538440087903")

    # ---- ONTs ----
    models = ["HG8245H", "EG8145V5", "HG8310M"]
    for slot in range(a.boards):
        for port in range(a.pons):
            ifx = if_index(slot, port)
            # ONT ids from 0 with id 2 left free on every port (a gap for free-ids tests).
            ids = [i for i in range(0, a.onus + 1) if i != 2][: a.onus]
            for ont in ids:
                idx = f"{ifx}.{ont}"
                k = (slot * 100 + port) * 1000 + ont
                name = f"ont-{slot}-{port}-{ont}"
                tail = rnd.getrandbits(32)
                serial = "HWTC%08X" % tail
                model = models[k % len(models)]
                line = "line-100M" if k % 2 else "line-50M"
                roll = rnd.random()
                phase = ("working" if roll < 0.8 else "los" if roll < 0.9 else
                         "dying_gasp" if roll < 0.95 else "offline")
                online = phase == "working"
                last_on = now - rnd.randint(3600, 86400 * 30)
                last_off = (last_on - rnd.randint(60, 86400)) if online else now - rnd.randint(60, 3600)
                distance = rnd.randint(300, 19000)
                r.hexs(f"{XPON}.2.43.1.3.{idx}", b"HWTC" + tail.to_bytes(4, "big"))
                r.s(f"{XPON}.2.43.1.7.{idx}", line)
                r.s(f"{XPON}.2.43.1.9.{idx}", name, writable=True)
                r.i(f"{XPON}.2.43.1.10.{idx}", 1, writable=True)
                r.s(f"{XPON}.2.45.1.4.{idx}", model)
                r.i(f"{XPON}.2.46.1.1.{idx}", 1)
                r.i(f"{XPON}.2.46.1.15.{idx}", 1 if online else 2)
                r.i(f"{XPON}.2.46.1.20.{idx}", distance if online else -1)
                r.hexs(f"{XPON}.2.46.1.22.{idx}", date_and_time(last_on))
                r.hexs(f"{XPON}.2.46.1.23.{idx}", date_and_time(last_off))
                r.i(f"{XPON}.2.46.1.24.{idx}", 9 if online else CAUSES[phase])
                o = {"slot": slot, "port": port, "onu": ont, "name": name, "serial": serial,
                     "type": model, "phase": phase, "online": online,
                     "reason": None if online else REASONS[phase],
                     "last_online": last_on, "last_offline": last_off,
                     "distance_m": distance if online else None,
                     "bandwidth_profile": lines[line],
                     "bandwidth_max_kbps": dba[lines[line]][1]}
                if online:
                    rx = round(rnd.uniform(-27.0, -15.0), 2)
                    olt_rx = round(rnd.uniform(-30.0, -18.0), 2)
                    rx_raw, tx_raw = int(round(rx * 100)), 210
                    # Both OLT-Rx forms: 0.01 dBm (MIB) and offset by 10000 (field firmware).
                    olt_raw = int(round(olt_rx * 100)) + (10000 if ont % 2 == 0 else 0)
                    temp, volt, bias = 40, 3300, 12
                    o.update({"rx_dbm": rx_raw / 100.0, "tx_dbm": 2.1, "olt_rx_dbm": olt_rx,
                              "temperature_c": 40, "voltage_v": 3.3, "bias_ma": 12})
                else:
                    rx_raw = tx_raw = olt_raw = temp = volt = bias = 2147483647
                    o.update({"rx_dbm": None, "tx_dbm": None, "olt_rx_dbm": None,
                              "temperature_c": None, "voltage_v": None, "bias_ma": None})
                r.i(f"{XPON}.2.51.1.1.{idx}", temp)
                r.i(f"{XPON}.2.51.1.2.{idx}", bias)
                r.i(f"{XPON}.2.51.1.3.{idx}", tx_raw)
                r.i(f"{XPON}.2.51.1.4.{idx}", rx_raw)
                r.i(f"{XPON}.2.51.1.5.{idx}", volt)
                r.i(f"{XPON}.2.51.1.6.{idx}", olt_raw)
                up_oct, down_oct = k * 7919 * 1000, k * 104729 * 1000
                r.add(f"{XPON}.4.23.1.3.{idx}", "70", str(up_oct))
                r.add(f"{XPON}.4.23.1.4.{idx}", "70", str(down_oct))
                o.update({"up_octets": up_oct, "down_octets": down_oct})
                exp["onus"].append(o)
            # ONTs found by auto-find on the first port of each board, not yet added.
            if port == 0:
                for n in (1, 2):
                    tail = rnd.getrandbits(32)
                    r.hexs(f"{XPON}.2.48.1.2.{ifx}.{n}", b"HWTC" + tail.to_bytes(4, "big"))
                    r.s(f"{XPON}.2.48.1.7.{ifx}.{n}", "HG8245H")
                    exp["unconfigured"].append({"slot": slot, "port": port,
                                                "serial": "HWTC%08X" % tail, "type": "HG8245H"})
    r.save(a.out, a.expected, exp, "ONTs")


if __name__ == "__main__":
    main()
