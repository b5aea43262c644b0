#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints bench/radius/run.sh's tables from its measurements (standard library only).

  report.py WORK_DIR

WORK_DIR/results.tsv, one line per measurement:
  kind config round count units_per_s rad_user rad_system pg wall_s kthread_pct others_pct
  accepted rejected lost
(rad_user, rad_system and pg in units of 1/units_per_s seconds)
WORK_DIR/recorded.tsv, one line per accounting configuration: config ok text
WORK_DIR/header.txt: lines printed above the tables.
WORK_DIR/configs: the configurations in run order, one line.

Ratios between configurations are paired: the median over the rounds of this round's figure over
the other's, taken in the same round. Load from outside moves whole rounds, and pairing cancels
it where a ratio of two medians would not.

Exit status: 0, 1 when a measurement or a recording check failed (its figure means nothing), or 4
with --check-targets when rlm_isp misses a target.
"""
import statistics
import sys
from collections import defaultdict


def main(argv):
    check_targets = "--check-targets" in argv
    args = [a for a in argv[1:] if a != "--check-targets"]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    work = args[0]
    configs = open(work + "/configs").read().split()
    rows = defaultdict(list)  # (kind, config) -> [measurement]
    for line in open(work + "/results.tsv"):
        f = line.rstrip("\n").split("\t")
        kind, config, rnd, count, tps = f[0], f[1], int(f[2]), int(f[3]), int(f[4])
        ut, st, pg = int(f[5]), int(f[6]), int(f[7])
        wall, kt, others = float(f[8]), float(f[9]), float(f[10])
        acc, rej, lost = int(f[11]), int(f[12]), int(f[13])
        us = 1e6 / tps / count
        rows[(kind, config)].append({
            "round": rnd, "count": count, "rad": (ut + st) * us, "pg": pg * us,
            "total": (ut + st + pg) * us, "sys": st * 100.0 / (ut + st) if ut + st else 0.0,
            "rate": count / wall if wall > 0 else 0.0, "kt": kt, "others": others,
            "ok": acc == count and rej == 0 and lost == 0, "acc": acc, "rej": rej, "lost": lost})
    recorded = {}
    try:
        for line in open(work + "/recorded.tsv"):
            config, ok, text = line.rstrip("\n").split("\t", 2)
            recorded[config] = (ok == "1", text)
    except FileNotFoundError:
        pass

    def round_ratios(kind, a, b):
        """a's total / b's, round by round, over the rounds both have."""
        ra = {m["round"]: m["total"] for m in rows.get((kind, a), [])}
        rb = {m["round"]: m["total"] for m in rows.get((kind, b), [])}
        return [ra[r] / rb[r] for r in sorted(ra) if r in rb and rb[r] > 0]

    def paired(kind, a, b):
        ratios = round_ratios(kind, a, b)
        return statistics.median(ratios) if ratios else None

    def by_round(kind, a, b):
        return " ".join("%.2f" % x for x in round_ratios(kind, a, b))

    failed = False
    total = {}
    print()
    sys.stdout.write(open(work + "/header.txt").read())
    for kind in ("auth", "acct"):
        present = [c for c in configs if rows.get((kind, c))]
        if not present:
            continue
        rounds = max(len(rows[(kind, c)]) for c in present)
        print()
        if kind == "auth":
            print("Access-Request (PAP)" + (", median of %d rounds" % rounds if rounds > 1 else ""))
            last = "replies"
        else:
            print("Accounting Interim-Update" +
                  (", median of %d rounds" % rounds if rounds > 1 else ""))
            last = "recorded, and durable when it answers?"
        for c in present:
            total[(kind, c)] = statistics.median(m["total"] for m in rows[(kind, c)])
        print("%-11s %8s %5s %9s %8s %11s %12s %9s %7s %7s %7s  %s" % (
            "config", "radiusd", "sys", "postgres", "total", "range", "x floor", "sql/this",
            "req/s", "kthread", "others", last))
        for c in present:
            ms = rows[(kind, c)]
            med = lambda key: statistics.median(m[key] for m in ms)  # noqa: E731
            t = total[(kind, c)]
            lo, hi = min(m["total"] for m in ms), max(m["total"] for m in ms)
            floor = paired(kind, c, "floor")
            floor_ma = paired(kind, c, "floor-ma")
            sql = paired(kind, "sql", c)
            bad = [m for m in ms if not m["ok"]]
            if bad:
                failed = True
                b = bad[0]
                why = "INVALID: round %d: %d %s, %d rejected, %d lost of %d" % (
                    b["round"], b["acc"], "accepted" if kind == "auth" else "answered",
                    b["rej"], b["lost"], b["count"])
            elif kind == "auth":
                why = "all %d x %d Access-Accept" % (len(ms), ms[0]["count"])
            else:
                ok, why = recorded.get(c, (False, "not checked"))
                if not ok:
                    failed = True
                    why = "INVALID: " + why
            xf = "%.2f" % floor if floor else "-"
            if floor_ma:
                xf += " (%.2f)" % floor_ma
            print("%-11s %8.1f %4.0f%% %9s %8.1f %11s %12s %9s %7.0f %6.0f%% %6.0f%%  %s" % (
                c, med("rad"), med("sys"), "%.1f" % med("pg") if c == "sql" else "-", t,
                "%.0f-%.0f" % (lo, hi), xf,
                "%.2f" % sql if sql else "-", med("rate"),
                max(m["kt"] for m in ms), max(m["others"] for m in ms), why))
    print("""
radiusd, postgres, total: µs of CPU per request, median (total's range over the rounds); sys:
radiusd's share in the kernel; x floor: total / floor's, the median of the rounds' ratios (in
brackets: / floor-ma's); sql/this: rlm_sql's total / this row's, likewise. kthread, others: the
highest over the rounds, in % of one CPU: kernel threads (journal and block I/O, which fsync
causes; not in total) and every process but the servers and radclient (the benchmark's own
scripts included); the configurations take turns within a round, so such load falls on all
alike.""")

    missed = False
    isp = total.get(("auth", "isp"))
    if isp:
        print("\nTargets for rlm_isp:")

        def target(text, ok):
            nonlocal missed
            missed |= not ok
            print("  %s  %s" % ("PASS" if ok else "MISS", text))
        for ref, text, limit in (
                ("floor", "Access-Request <= 1.3 x floor", 1.3),
                ("floor-ma", "Access-Request <= 1.3 x floor-ma (signing as rlm_isp does)", 1.3),
                ("files", "Access-Request <= rlm_files", 1.0),
                ("files-ma", "Access-Request <= rlm_files signing as rlm_isp does (files-ma)",
                 1.0)):
            x = paired("auth", "isp", ref)
            if x:
                target("%s: %.2f x (rounds: %s)" % (text, x, by_round("auth", "isp", ref)),
                       x <= limit)
        for kind, what in (("auth", "Access-Request"), ("acct", "Interim-Update")):
            x = paired(kind, "sql", "isp")
            if x:
                target("%s >= 10 x cheaper than rlm_sql: %.1f x" % (what, x), x >= 10)
        reply_floor = paired("auth", "floor-reply", "floor")
        isp_reply = paired("auth", "isp", "floor-reply")
        if reply_floor and isp_reply:
            print("\nWhere rlm_isp's Access-Request cost lies (floor-reply: no lookup, the same "
                  "reply, signed):")
            print("  FreeRADIUS doing what rlm_isp's reply asks of it: floor-reply / floor "
                  "%.2f x (rounds: %s)" % (reply_floor, by_round("auth", "floor-reply", "floor")))
            print("  rlm_isp's lookups, policy and post-auth log:  isp / floor-reply   "
                  "%.2f x (rounds: %s)" % (isp_reply, by_round("auth", "isp", "floor-reply")))
    if failed:
        print("\nFAILED: a run did not get the answers it must, or did not record what it "
              "answered (INVALID above): its figure means nothing")
        return 1
    return 4 if check_targets and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
