#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Small helpers for bench/radius/run.sh (standard library only).

  gen.py freeport udp|tcp            a free loopback port (bind to port 0, then release it)
  gen.py users N OUT_DIR             the subscriber set, in every form the references need:
                                       OUT_DIR/authorize     rlm_files users file
                                       OUT_DIR/radcheck.tsv  COPY input for radcheck
                                       OUT_DIR/radreply.tsv  COPY input for radreply
  gen.py auth N M SEED FILE          M Access-Requests (PAP) for random users among N
  gen.py acct-start N S TAG FILE     Accounting-Start for S sessions (users among N)
  gen.py acct-interim N S M TAG FILE FIRST_STEP
                                     M Interim-Updates spread round-robin over those S sessions;
                                     a session's k-th update in the file reports 300 s and
                                     1 MB up / 9 MB down per step, from step FIRST_STEP + k
  gen.py split FILE K                FILE cut into FILE.000, FILE.001, ... of at most K packets
                                     each (radclient's cost per packet grows with the packets in
                                     its file: it rescans its whole list), FILE removed
  gen.py cpu radiusd PID             µs "user system" of one process, threads included
  gen.py cpu pgtree PID              clock ticks of a postmaster, its live children and its
                                     reaped children (cutime+cstime)
  gen.py busy                        "BUSY KTHREADS": clock ticks all CPUs spent busy (from
                                     /proc/stat), and those of kernel threads (children of
                                     kthreadd: I/O workers such as jbd2, kworker)
  gen.py run TICKS_FILE CMD...       runs CMD, writes its CPU clock ticks (utime+stime, its
                                     children included) to TICKS_FILE, exits with its status
  gen.py stats FILE                  radclient -s summary as "accepted rejected lost"

Subscriber i is named user%06d, has password pw%06d and the reply Mikrotik-Rate-Limit 10M/20M;
fill_store.py writes the same set into an ispbox state.
"""
import os
import random
import re
import socket
import sys
import time

RATE = "10M/20M"


def username(i):
    return "user%06d" % i


def password(i):
    return "pw%06d" % i


def freeport(kind):
    t = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, t) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def users(n, out):
    with open(os.path.join(out, "authorize"), "w") as f:
        for i in range(n):
            f.write('%s Cleartext-Password := "%s"\n\tMikrotik-Rate-Limit := "%s"\n\n'
                    % (username(i), password(i), RATE))
    with open(os.path.join(out, "radcheck.tsv"), "w") as f:
        for i in range(n):
            f.write("%s\tCleartext-Password\t:=\t%s\n" % (username(i), password(i)))
    with open(os.path.join(out, "radreply.tsv"), "w") as f:
        for i in range(n):
            f.write("%s\tMikrotik-Rate-Limit\t:=\t%s\n" % (username(i), RATE))


def mac(i):
    return "02:00:%02X:%02X:%02X:%02X" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)


# What a MikroTik PPPoE concentrator sends, minus the attributes FreeRADIUS does not look at.
def auth(n, m, seed, path):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(m):
            i = rng.randrange(n)
            f.write('User-Name = "%s"\nUser-Password = "%s"\nNAS-IP-Address = 127.0.0.1\n'
                    'NAS-Identifier = "bench-nas"\nNAS-Port = %d\nNAS-Port-Type = Ethernet\n'
                    'NAS-Port-Id = "ether2"\nService-Type = Framed-User\nFramed-Protocol = PPP\n'
                    'Calling-Station-Id = "%s"\nCalled-Station-Id = "pppoe-bench"\n\n'
                    % (username(i), password(i), 15728640 + (i & 0xffff), mac(i)))


def session_user(n, s, j):
    # Sessions are spread over the whole subscriber set.
    return (j * 7919) % n if s < n else j % n


def acct_common(n, s, j, tag):
    i = session_user(n, s, j)
    return ('User-Name = "%s"\nAcct-Session-Id = "%s-%08x"\nNAS-IP-Address = 127.0.0.1\n'
            'NAS-Identifier = "bench-nas"\nNAS-Port = %d\nNAS-Port-Type = Ethernet\n'
            'NAS-Port-Id = "ether2"\nService-Type = Framed-User\nFramed-Protocol = PPP\n'
            'Calling-Station-Id = "%s"\nCalled-Station-Id = "pppoe-bench"\n'
            'Framed-IP-Address = 100.%d.%d.%d\nAcct-Authentic = RADIUS\nAcct-Delay-Time = 0\n'
            'Class = "ispbox:normal:bench"\n'
            % (username(i), tag, j, 15728640 + (j & 0xffff), mac(i),
               64 + ((j >> 16) & 63), (j >> 8) & 255, j & 255))


def acct_start(n, s, tag, path):
    with open(path, "w") as f:
        for j in range(s):
            f.write(acct_common(n, s, j, tag) + "Acct-Status-Type = Start\n\n")


def acct_interim(n, s, m, tag, path, first_step):
    with open(path, "w") as f:
        for k in range(m):
            j = k % s
            step = first_step + k // s
            f.write(acct_common(n, s, j, tag) +
                    "Acct-Status-Type = Interim-Update\nAcct-Session-Time = %d\n"
                    "Acct-Input-Octets = %d\nAcct-Output-Octets = %d\nAcct-Input-Gigawords = 0\n"
                    "Acct-Output-Gigawords = 0\nAcct-Input-Packets = %d\nAcct-Output-Packets = %d\n\n"
                    % (300 * step, 1000000 * step + j, 9000000 * step + j, 1000 * step,
                       7000 * step))


def split(path, k):
    with open(path) as f:
        packets = f.read().split("\n\n")
    packets = [p for p in packets if p.strip()]
    for n, start in enumerate(range(0, len(packets), k)):
        with open("%s.%03d" % (path, n), "w") as out:
            out.write("\n\n".join(packets[start:start + k]) + "\n\n")
    os.remove(path)


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = text[text.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): field k is rest[k - 3].
    return {"ppid": int(rest[1]), "utime": int(rest[11]), "stime": int(rest[12]),
            "cutime": int(rest[13]), "cstime": int(rest[14])}


def process_cpu_ns(pid):
    # The process's CPU clock, as clock_getcpuclockid(3) gives it (Linux: CPUCLOCK_SCHED of the
    # process, ((~pid) << 3) | 2): every thread's run time, dead ones included, in ns. /proc's
    # utime and stime come from the same count rounded to clock ticks, 10 ms: a few hundred of
    # them per round moved a ratio by several per cent on their own.
    return time.clock_gettime_ns(((~pid) << 3) | 2)


def cpu(kind, pid):
    f = stat_fields(pid)
    total = f["utime"] + f["stime"]
    if kind == "radiusd":
        ns = process_cpu_ns(pid)
        user = ns * f["utime"] // total if total else ns
        print(user // 1000, (ns - user) // 1000)
        return
    if kind == "pgtree":
        total += f["cutime"] + f["cstime"]
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == pid:
                continue
            try:
                c = stat_fields(int(name))
            except (OSError, ValueError):
                continue  # gone meanwhile: its time is in the parent's cutime now
            if c["ppid"] == pid:
                total += c["utime"] + c["stime"]
    print(total)


def busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    kthreads = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            f = stat_fields(int(name))
        except (OSError, ValueError):
            continue
        if f["ppid"] == 2:
            kthreads += f["utime"] + f["stime"]
    print(v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0), kthreads)


def run(ticks_file, cmd):
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    with open(ticks_file, "w") as f:
        f.write("%d\n" % round((ru.ru_utime + ru.ru_stime) * os.sysconf("SC_CLK_TCK")))
    return os.waitstatus_to_exitcode(status)


def stats(path):
    text = open(path, errors="replace").read()

    def get(label):
        m = re.search(r"^\s*%s\s*:\s*(\d+)" % label, text, re.M)
        return int(m.group(1)) if m else -1
    print(get("Accepted"), get("Rejected"), get("Lost"))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    a = argv[2:]
    if cmd == "freeport" and len(a) == 1:
        freeport(a[0])
    elif cmd == "users" and len(a) == 2:
        users(int(a[0]), a[1])
    elif cmd == "auth" and len(a) == 4:
        auth(int(a[0]), int(a[1]), int(a[2]), a[3])
    elif cmd == "acct-start" and len(a) == 4:
        acct_start(int(a[0]), int(a[1]), a[2], a[3])
    elif cmd == "acct-interim" and len(a) == 6:
        acct_interim(int(a[0]), int(a[1]), int(a[2]), a[3], a[4], int(a[5]))
    elif cmd == "split" and len(a) == 2:
        split(a[0], int(a[1]))
    elif cmd == "cpu" and len(a) == 2 and a[0] in ("radiusd", "pgtree"):
        cpu(a[0], int(a[1]))
    elif cmd == "busy" and not a:
        busy()
    elif cmd == "run" and len(a) >= 2:
        return run(a[0], a[1:])
    elif cmd == "stats" and len(a) == 1:
        stats(a[0])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
