#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ISPBOX-MIB's ONU table as a snmpd pass_persist script: what operators do today.

    pass_persist .1.3.6.1.4.1.8072.9999.9999.2718.1.5 /usr/bin/python3 onu_pass_persist.py N

Serves the same N generated rows as bench_agent (bench/agentx/bench_agent.cc, onu()), computed
on demand; GETNEXT finds the next row by bisection over the sorted row indexes, so the script
itself is O(log n) per request and the cost measured is the pass_persist protocol's.
"""
import bisect
import sys

ENTRY = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2718, 1, 5, 1)
FIRST_COL, LAST_COL = 2, 8


def row(i):
    return (1 + i // 2048, 1 + (i // 128) % 16, 1 + i % 128)


def value(col, i):
    if col == 2:
        return "string", "ZTEG%08X" % i
    if col == 3:
        return "integer", "4" if i % 50 == 0 else "2"
    if col == 4:
        return "integer", str(-1800 - i % 900)
    if col == 5:
        return "integer", str(200 + i % 50)
    if col == 6:
        return "integer", str(-2000 - i % 700)
    if col == 7:
        return "gauge", str(500 + i % 20000)
    return "string", "user%06d" % i


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rows = [row(i) for i in range(n)]  # already in index order
    out = sys.stdout
    elen = len(ENTRY)

    def answer(col, i):
        t, v = value(col, i)
        out.write(".%s\n%s\n%s\n" % (".".join(map(str, ENTRY + (col,) + rows[i])), t, v))

    def get(oid):
        if oid[:elen] != ENTRY or len(oid) != elen + 4:
            return False
        col, idx = oid[elen], tuple(oid[elen + 1:])
        i = bisect.bisect_left(rows, idx)
        if not (FIRST_COL <= col <= LAST_COL) or i >= n or rows[i] != idx:
            return False
        answer(col, i)
        return True

    def getnext(oid):
        if oid[:elen] < ENTRY:
            col, i = FIRST_COL, 0
        elif oid[:elen] > ENTRY:
            return False
        else:
            col = oid[elen] if len(oid) > elen else FIRST_COL
            if col < FIRST_COL:
                col, i = FIRST_COL, 0
            else:
                idx = tuple(oid[elen + 1:])
                i = bisect.bisect_right(rows, idx) if idx else 0
                if len(idx) < 3 and idx:  # a prefix: the first row at or after it
                    i = bisect.bisect_left(rows, idx)
                    while i < n and rows[i][: len(idx)] == idx:
                        i += 1
        if col > LAST_COL:
            return False
        if i >= n:
            col, i = col + 1, 0
            if col > LAST_COL or n == 0:
                return False
        answer(col, i)
        return True

    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            text = sys.stdin.readline().strip()
            try:
                oid = tuple(int(x) for x in text.strip(".").split("."))
            except ValueError:
                oid = ()
            if not (get(oid) if cmd == "get" else getnext(oid)):
                out.write("NONE\n")
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif cmd == "":
            break
        out.flush()


if __name__ == "__main__":
    main()
