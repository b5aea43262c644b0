#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A UDP relay in front of an SNMP agent that misbehaves like real OLTs do (tests only).

  snmp_fault_proxy.py --listen PORT --agent PORT --stats FILE [--hang-on-maxrep0]
                      [--vanish-after N]

--hang-on-maxrep0  never answers a GETBULK with max-repetitions 0 (a ZTE C300 V2.1.0 hangs on
                   it, olt-oids.md section 1)
--vanish-after N   relays N requests, then drops everything (an OLT gone mid-poll)

Counts go to --stats after every packet: "requests=N maxrep0=M dropped=D". SNMPv1/v2c only (the
PDU must be readable). Python 3 standard library only.
"""

import argparse
import select
import socket


def tlv(buf, i):
    tag = buf[i]
    ln = buf[i + 1]
    i += 2
    if ln & 0x80:
        n = ln & 0x7F
        ln = int.from_bytes(buf[i:i + n], "big")
        i += n
    return tag, i, ln


def bulk_max_repetitions(pkt):
    """max-repetitions of a v1/v2c GETBULK, or None for anything else."""
    try:
        tag, i, _ = tlv(pkt, 0)  # Message SEQUENCE
        if tag != 0x30:
            return None
        tag, i, ln = tlv(pkt, i)  # version
        i += ln
        tag, i, ln = tlv(pkt, i)  # community
        i += ln
        tag, i, _ = tlv(pkt, i)  # PDU
        if tag != 0xA5:
            return None
        for _ in range(2):  # request-id, non-repeaters
            _, i, ln = tlv(pkt, i)
            i += ln
        _, i, ln = tlv(pkt, i)
        return int.from_bytes(pkt[i:i + ln], "big", signed=True)
    except (IndexError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--agent", type=int, required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--hang-on-maxrep0", action="store_true")
    ap.add_argument("--vanish-after", type=int, default=-1)
    a = ap.parse_args()
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", a.listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    last_client = None  # one client at a time is enough for the tests
    requests = maxrep0 = dropped = 0

    def stats():
        with open(a.stats + ".tmp", "w") as f:
            f.write(f"requests={requests} maxrep0={maxrep0} dropped={dropped}\n")
        __import__("os").replace(a.stats + ".tmp", a.stats)

    stats()
    while True:
        ready, _, _ = select.select([front, back], [], [])
        for s in ready:
            pkt, addr = s.recvfrom(65535)
            if s is front:
                requests += 1
                last_client = addr
                mr = bulk_max_repetitions(pkt)
                if mr == 0:
                    maxrep0 += 1
                if (a.hang_on_maxrep0 and mr == 0) or (
                        0 <= a.vanish_after < requests):
                    dropped += 1
                else:
                    back.sendto(pkt, ("127.0.0.1", a.agent))
                stats()
            elif last_client is not None:
                front.sendto(pkt, last_client)


if __name__ == "__main__":
    main()
