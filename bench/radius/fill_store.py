#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes an ispbox state (the LMDB environment ispboxd and rlm_isp share) for the RADIUS benchmark.

  fill_store.py fill STATE_DIR N SECRET PB_DIR   one plan, N subscribers and the NAS 127.0.0.1
  fill_store.py count STATE_DIR TABLE            number of records in one table
  fill_store.py sessions STATE_DIR PB_DIR [TAG S M R]
                                                 "TOTAL WITH_TIME EXACT": session records, those with
                                                 a session time (an Interim-Update was recorded),
                                                 and those of TAG holding exactly the counters of
                                                 the last of R rounds of gen.py acct-interim N S M
  fill_store.py nas-secret STATE_DIR PB_DIR IP   the secret of the NAS with that address
  fill_store.py txnid STATE_DIR                  the last committed transaction's id (LMDB counts
                                                 every write transaction)

PB_DIR holds records_pb2.py, generated at run time from store/records.proto:
    protoc --python_out=PB_DIR -I store store/records.proto

The layout is the C++ store's (store/env.cc, store/entities.cc, store/logs.cc), written here
directly because creating 100,000 subscribers one by one through the admin API, each a durable
commit, takes minutes. What must match:
  * one named sub-database per table, names as in env.cc kTableNames (all created, even empty);
  * meta: schema_version = 2 and min_reader_version = 1, each an 8-byte big-endian integer
    (encodeSeq); seq/changes = the last change-log sequence;
  * plans: name -> pb.Plan; subscribers: username -> pb.Subscriber;
    subscribers_by_plan: plan "\\0" username -> ""; nas: name -> pb.Nas; nas_by_ip: ip -> name;
  * changes: encodeSeq(seq) -> pb.Change, one PUT per record written, as putPlan / putSubscriber
    / putNas record them.
run.sh then starts the real ispboxd on the result and reads a subscriber back through the API, so
a drift between this file and the C++ store fails the benchmark instead of skewing it.

Subscriber i is user%06d with password pw%06d (as gen.py), on plan "bench-20m": 20 Mbit/s down,
10 Mbit/s up, so rlm_isp answers Mikrotik-Rate-Limit = "10M/20M" like the references.
"""
import os
import struct
import sys
import time

import lmdb  # Debian: python3-lmdb

# store/env.cc kTableNames, in order.
TABLES = ["meta", "plans", "subscribers", "subscribers_by_plan", "subscribers_by_ip", "nas",
          "nas_by_ip", "tokens", "audit", "changes", "sessions", "sessions_by_user",
          "session_history", "usage", "postauth", "pools", "leases", "leases_by_user"]
SCHEMA_VERSION = 2      # Env::kSchemaVersion
MIN_READER_VERSION = 1  # Env::kMinReaderVersion
MAP_SIZE = 4 << 30      # EnvOptions::map_size_bytes
MAX_DBS = len(TABLES) + 4
MAX_READERS = 512
PLAN = "bench-20m"
NAS_NAME = "bench-nas"
NAS_IP = "127.0.0.1"
BATCH = 10000


def seq(n):
    return struct.pack(">Q", n)


def open_env(state_dir, readonly=False):
    return lmdb.open(state_dir, map_size=MAP_SIZE, max_dbs=MAX_DBS, max_readers=MAX_READERS,
                     subdir=True, readonly=readonly, create=not readonly, mode=0o660)


def fill(state_dir, n, secret, pb_dir):
    pb = load_pb(pb_dir)
    if os.path.exists(os.path.join(state_dir, "data.mdb")):
        sys.exit("fill_store: %s already holds a state" % state_dir)
    os.makedirs(state_dir, exist_ok=True)
    env = open_env(state_dir)
    dbs = {}
    with env.begin(write=True) as txn:
        for name in TABLES:
            dbs[name] = env.open_db(name.encode(), txn=txn, create=True)
    now = int(time.time())
    now_ms = now * 1000
    change_seq = 0

    def change(txn, entity, key):
        nonlocal change_seq
        change_seq += 1
        c = pb.Change(entity=entity, key=key, op=pb.PUT, at_ms=now_ms)
        txn.put(seq(change_seq), c.SerializeToString(), db=dbs["changes"])

    with env.begin(write=True) as txn:
        txn.put(b"schema_version", seq(SCHEMA_VERSION), db=dbs["meta"])
        txn.put(b"min_reader_version", seq(MIN_READER_VERSION), db=dbs["meta"])
        plan = pb.Plan(name=PLAN, description="RADIUS benchmark plan", download_bps=20000000,
                       upload_bps=10000000, acct_interim_interval_s=300, created_at=now,
                       updated_at=now)
        txn.put(PLAN.encode(), plan.SerializeToString(), db=dbs["plans"])
        change(txn, pb.PLAN, PLAN)
        nas = pb.Nas(name=NAS_NAME, ip=NAS_IP, secret=secret, vendor="mikrotik",
                     description="RADIUS benchmark client", created_at=now, updated_at=now)
        txn.put(NAS_NAME.encode(), nas.SerializeToString(), db=dbs["nas"])
        txn.put(NAS_IP.encode(), NAS_NAME.encode(), db=dbs["nas_by_ip"])
        change(txn, pb.NAS, NAS_NAME)
    sub = pb.Subscriber()
    for start in range(0, n, BATCH):
        with env.begin(write=True) as txn:
            for i in range(start, min(n, start + BATCH)):
                name = "user%06d" % i
                sub.Clear()
                # Subscriber's text fields are bytes (store/records.proto says why).
                sub.username = name.encode()
                sub.password = b"pw%06d" % i
                sub.plan = PLAN.encode()
                sub.status = pb.ACTIVE
                sub.simultaneous_use = 1
                sub.full_name = b"Customer %d" % i
                sub.external_id = b"CUST-%d" % (100000 + i)
                sub.created_at = now
                sub.updated_at = now
                txn.put(name.encode(), sub.SerializeToString(), db=dbs["subscribers"])
                txn.put(PLAN.encode() + b"\0" + name.encode(), b"", db=dbs["subscribers_by_plan"])
                change(txn, pb.SUBSCRIBER, name)
    with env.begin(write=True) as txn:
        txn.put(b"seq/changes", seq(change_seq), db=dbs["meta"])
    env.sync(True)
    env.close()


def count(state_dir, table):
    if table not in TABLES:
        sys.exit("fill_store: no table %s" % table)
    env = open_env(state_dir, readonly=True)
    with env.begin() as txn:
        db = env.open_db(table.encode(), txn=txn, create=False)
        print(txn.stat(db)["entries"])
    env.close()


def load_pb(pb_dir):
    sys.path.insert(0, pb_dir)
    import records_pb2  # noqa: E402 (generated at run time)
    return records_pb2


def sessions(state_dir, pb_dir, tag=None, s=0, m=0, rounds=0):
    pb = load_pb(pb_dir)
    env = open_env(state_dir, readonly=True)
    total = with_time = exact = 0
    per_round = (m + s - 1) // s if s else 0
    prefix = "%s-" % tag if tag else None
    rec = pb.Session()
    with env.begin() as txn:
        db = env.open_db(b"sessions", txn=txn, create=False)
        for _, value in txn.cursor(db=db):
            rec.ParseFromString(value)
            total += 1
            with_time += rec.session_time > 0
            sid = rec.acct_session_id.decode("latin-1")  # bytes: as the NAS sent it
            if prefix and sid.startswith(prefix):
                j = int(sid[len(prefix):], 16)
                if j < m:  # updated: gen.py acct-interim's last step for session j
                    step = 1 + (rounds - 1) * per_round + (m - 1 - j) // s
                    exact += (rec.session_time == 300 * step and
                              rec.input_octets == 1000000 * step + j and
                              rec.output_octets == 9000000 * step + j)
    env.close()
    print(total, with_time, exact)


def nas_secret(state_dir, pb_dir, ip):
    pb = load_pb(pb_dir)
    env = open_env(state_dir, readonly=True)
    with env.begin() as txn:
        name = txn.get(ip.encode(), db=env.open_db(b"nas_by_ip", txn=txn, create=False))
        if name is None:
            sys.exit("fill_store: no NAS with address %s in %s" % (ip, state_dir))
        nas = pb.Nas()
        nas.ParseFromString(txn.get(name, db=env.open_db(b"nas", txn=txn, create=False)))
    env.close()
    print(nas.secret)


def txnid(state_dir):
    env = open_env(state_dir, readonly=True)
    print(env.info()["last_txnid"])
    env.close()


def main(argv):
    if len(argv) == 6 and argv[1] == "fill":
        fill(argv[2], int(argv[3]), argv[4], argv[5])
    elif len(argv) == 4 and argv[1] == "count":
        count(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "sessions":
        sessions(argv[2], argv[3])
    elif len(argv) == 8 and argv[1] == "sessions":
        sessions(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), int(argv[7]))
    elif len(argv) == 3 and argv[1] == "txnid":
        txnid(argv[2])
    elif len(argv) == 5 and argv[1] == "nas-secret":
        nas_secret(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
