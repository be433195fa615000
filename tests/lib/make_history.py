#!/usr/bin/env python3
"""Build a synthetic pktmon history with known contents, for report tests.

    make_history.py --schema sql/schema.sql --out FILE --scenario NAME [--probes N]

Scenarios:
  basic     20 minutes at 10 probes/s over three sessions: a 60 s outage from
            10:05:00Z (all probes lost forward), a renewal during it, a window
            of 6 % loss and slower RTTs from 10:12 to 10:15, and a second
            renewal at its end
  empty     the schema and no rows
  single    one session with one answered probe
  all-lost  one ICMP session of 600 probes, every one lost
  year      a year at one probe every 10 minutes: weekly sessions, a daily RTT
            cycle and a two-day outage in June
  marks     20 minutes at 10 probes/s, no random loss, every number exact for
            the pixel checks: RTT 20 + 10 u^3 ms (u equidistributed); forward
            loss of 5 % (every 20th probe) from 10:05:00 to 10:07:00, backward
            loss of 30 % (3 in 10) from 10:10:00 to 10:12:00, a renewal at
            10:07:30, no probes from 10:13:20 to 10:13:50; sessions end
            renewed, aborted and stopped
  outlier   one cold-start probe of 500 ms alone at 10:00:00, then ten minutes
            of 1.0-1.2 ms RTTs from 10:00:30
  bulk      --probes N probes in one session, generated inside SQLite (fast)
  foreign   an SQLite file that is not a pktmon history

Imported, build(path, schema, scenario, probes) returns the facts a test
checks against: the range, the outage, every fate count and the exact RTT
percentiles. Times are Unix ns, UTC; the random numbers are seeded.
"""
import argparse
import json
import math
import os
import random
import sqlite3
import sys

NS = 1_000_000_000
MS = 1_000_000
T0 = 1_795_600_800 * NS          # 2026-11-25 10:00:00Z
SERVER = "192.0.2.10:862"

ANSWERED, REORDERED, LATE, LOST_FWD, LOST_BWD, LOST = range(6)


class History:
    """Rows to insert, and the totals that follow from them."""

    def __init__(self):
        self.sessions = []
        self.probes = []
        self.renewals = []

    def session(self, sid, ssid, start, end, reason, interval, mode="stamp-auth",
                renewed_to=None):
        self.sessions.append((sid, SERVER, mode, ssid, "198.51.100.7", 40000 + sid,
                              "192.0.2.10", 862, interval, 64, NS, "kernel-rx",
                              start, end, reason, renewed_to))

    def probe(self, sid, seq, sent, rtt, fate, dups=0):
        self.probes.append((sid, seq, sent, rtt, fate, dups,
                            None if rtt is None else 57))

    def renewal(self, rid, frm, to, at, reason, detail, first_loss, first_reply,
                before, after):
        self.renewals.append((rid, frm, to, at, reason, detail, first_loss,
                              first_reply, before, after))

    def facts(self):
        fates = [0] * 6
        dups = 0
        rtts = []
        for p in self.probes:
            fates[p[4]] += 1
            dups += p[5]
            if p[3] is not None:
                rtts.append(p[3])
        rtts.sort()
        sent = [p[2] for p in self.probes]
        return {
            "first_ns": min(sent) if sent else None,
            "last_ns": max(sent) if sent else None,
            "sent": len(self.probes),
            "fates": fates,
            "duplicates": dups,
            "rtt": rtt_facts(rtts),
            "sessions": len(self.sessions),
            "renewals": len(self.renewals),
        }


def rank(n, q):
    """Nearest rank, 1-based: the definition pktmon-report uses."""
    return min(n, max(1, math.ceil(q * n - 1e-9)))


def rtt_facts(rtts):
    if not rtts:
        return None
    n = len(rtts)
    return {"min": rtts[0], "median": rtts[rank(n, 0.5) - 1],
            "p99": rtts[rank(n, 0.99) - 1], "max": rtts[-1]}


def random_fate(rng, loss):
    x = rng.random()
    if x < loss * 0.4:
        return LOST_FWD
    if x < loss * 0.8:
        return LOST_BWD
    if x < loss:
        return LOST
    if x < loss + 0.002:
        return REORDERED
    if x < loss + 0.0025:
        return LATE
    return ANSWERED


def probe_at(h, rng, sid, seq, t, loss, base_ms):
    fate = random_fate(rng, loss)
    rtt = None
    if fate in (ANSWERED, REORDERED, LATE):
        rtt = int((base_ms + rng.expovariate(1 / 1.5)) * MS)
        if fate == LATE:
            rtt += NS
    h.probe(sid, seq, t, rtt, fate, 1 if rng.random() < 0.001 else 0)


def scenario_basic():
    """Three sessions over 20 minutes; see the module docstring."""
    rng = random.Random(1)
    h = History()
    iv = 100 * MS
    outage = (T0 + 300 * NS, T0 + 360 * NS)
    lossy = (T0 + 720 * NS, T0 + 900 * NS)
    spans = [(1, 4711, T0, T0 + 303 * NS, "renewed", 2),
             (2, 4712, T0 + 303_500 * MS, T0 + 900 * NS, "renewed", 3),
             (3, 4713, T0 + 900_500 * MS, T0 + 1200 * NS, "stopped", None)]
    for sid, ssid, start, end, reason, to in spans:
        h.session(sid, ssid, start, end, reason, iv, renewed_to=to)
        for seq, t in enumerate(range(start, end, iv)):
            if outage[0] <= t < outage[1]:
                h.probe(sid, seq, t, None, LOST_FWD)
            elif lossy[0] <= t < lossy[1]:
                probe_at(h, rng, sid, seq, t, 0.06, 35)
            else:
                probe_at(h, rng, sid, seq, t, 0.005, 20)
    h.renewal(1, 1, 2, T0 + 303 * NS, "consecutive-loss", "30 consecutive losses",
              outage[0], outage[1] + 50 * MS, 100.0, 0.5)
    h.renewal(2, 2, 3, T0 + 900 * NS, "window-loss", "6.1 % lost in the last 1000",
              T0 + 720 * NS, T0 + 900_550 * MS, 6.1, 0.4)
    f = h.facts()
    f["outage"] = [outage[0], outage[1]]
    f["lossy"] = [lossy[0], lossy[1]]
    return h, f


def scenario_single():
    h = History()
    h.session(1, 7, T0, T0 + NS, "stopped", NS)
    h.probe(1, 0, T0, 12_345_678, ANSWERED)
    return h, h.facts()


def scenario_all_lost():
    h = History()
    h.session(1, 0, T0, T0 + 600 * NS, "stopped", NS, mode="icmp")
    for seq in range(600):
        h.probe(1, seq, T0 + seq * NS, None, LOST)
    return h, h.facts()


def scenario_year():
    rng = random.Random(2)
    h = History()
    start = 1_767_225_600 * NS       # 2026-01-01 00:00:00Z
    week, iv = 7 * 86400 * NS, 600 * NS
    outage = (start + 160 * 86400 * NS, start + 162 * 86400 * NS)
    for w in range(52):
        s0, s1 = start + w * week, start + (w + 1) * week - iv
        h.session(w + 1, 100 + w, s0, s1, "renewed" if w < 51 else "stopped", iv,
                  renewed_to=w + 2 if w < 51 else None)
        if w < 51:
            h.renewal(w + 1, w + 1, w + 2, s1, "window-loss", "weekly test",
                      s1 - iv, s1 + iv, 2.0, 0.0)
        for seq, t in enumerate(range(s0, s1, iv)):
            if outage[0] <= t < outage[1]:
                h.probe(w + 1, seq, t, None, LOST_BWD)
                continue
            hour = (t // (3600 * NS)) % 24
            probe_at(h, rng, w + 1, seq, t, 0.01, 30 + 10 * math.sin(hour / 24 * 2 * math.pi))
    f = h.facts()
    f["outage"] = [outage[0], outage[1]]
    return h, f


def golden(n):
    """Fraction n * golden ratio mod 1: equidistributed in [0, 1), no random."""
    return (n * 0.6180339887498949) % 1.0


def scenario_marks():
    """Known stretches at known times; see the module docstring."""
    h = History()
    iv = 100 * MS
    fwd = (T0 + 300 * NS, T0 + 420 * NS)
    bwd = (T0 + 600 * NS, T0 + 720 * NS)
    gap = (T0 + 800 * NS, T0 + 830 * NS)
    renewal = T0 + 450 * NS
    spans = [(1, 801, T0, renewal, "renewed", 2),
             (2, 802, renewal + 500 * MS, gap[0], "aborted", None),
             (3, 803, gap[1], T0 + 1200 * NS, "stopped", None)]
    n = 0
    for sid, ssid, start, end, reason, to in spans:
        h.session(sid, ssid, start, end, reason, iv, renewed_to=to)
        for seq, t in enumerate(range(start, end, iv)):
            n += 1
            if fwd[0] <= t < fwd[1] and seq % 20 == 0:
                h.probe(sid, seq, t, None, LOST_FWD)
            elif bwd[0] <= t < bwd[1] and seq % 10 < 3:
                h.probe(sid, seq, t, None, LOST_BWD)
            else:
                h.probe(sid, seq, t, 20 * MS + int(10 * MS * golden(n) ** 3), ANSWERED)
    h.renewal(1, 1, 2, renewal, "window-loss", "5.0 % lost in the last 1000",
              fwd[0], fwd[1], 5.0, 0.0)
    f = h.facts()
    rtts = sorted(p[3] for p in h.probes if p[3] is not None)
    f["rtt_p95"] = rtts[rank(len(rtts), 0.95) - 1]
    f["fwd"], f["bwd"], f["gap"] = list(fwd), list(bwd), list(gap)
    f["clean"] = [[T0, fwd[0]], [fwd[1], bwd[0]], [bwd[1], gap[0]], [gap[1], T0 + 1200 * NS]]
    f["renewal_ns"] = renewal
    f["spans"] = [[start, end, reason] for _, _, start, end, reason, _ in spans]
    return h, f


def scenario_outlier():
    h = History()
    iv = 100 * MS
    h.session(1, 9, T0, T0 + 630 * NS, "stopped", iv)
    h.probe(1, 0, T0, 500 * MS, ANSWERED)
    for seq, t in enumerate(range(T0 + 30 * NS, T0 + 630 * NS, iv), start=1):
        h.probe(1, seq, t, MS + int(0.2 * MS * golden(seq)), ANSWERED)
    f = h.facts()
    f["outlier_ns"] = T0
    f["steady"] = [T0 + 30 * NS, T0 + 630 * NS]
    return h, f


SCENARIOS = {
    "marks": scenario_marks,
    "outlier": scenario_outlier,
    "basic": scenario_basic,
    "single": scenario_single,
    "all-lost": scenario_all_lost,
    "year": scenario_year,
    "empty": lambda: (History(), History().facts()),
}


def create(path, schema):
    if os.path.exists(path):
        os.unlink(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    with open(schema, encoding="utf-8") as f:
        db.executescript(f.read())
    db.execute("PRAGMA user_version = 1")
    return db


def insert(db, h):
    with db:
        db.executemany("INSERT INTO sessions (id, server, mode, ssid, local_addr, "
                       "local_port, remote_addr, remote_port, interval_ns, size, "
                       "timeout_ns, timestamping, started_ns, ended_ns, end_reason, "
                       "renewed_to) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       h.sessions)
        db.executemany("INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate, "
                       "dups, ttl) VALUES (?,?,?,?,?,?,?)", h.probes)
        db.executemany("INSERT INTO renewals (id, from_session, to_session, "
                       "requested_ns, reason, detail, first_loss_ns, first_reply_ns, "
                       "loss_before_pct, loss_after_pct) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       h.renewals)


def bulk(db, n):
    """n probes at 10 ms, 2 % lost, in one statement: 10 million in ~20 s."""
    db.execute("INSERT INTO sessions (id, server, mode, ssid, interval_ns, size, "
               "timeout_ns, timestamping, started_ns, ended_ns, end_reason) VALUES "
               "(1, ?, 'stamp-auth', 1, 10000000, 64, 1000000000, 'kernel-rx', ?, ?, "
               "'stopped')", (SERVER, T0, T0 + n * 10 * MS))
    # x is a hash of i, not random(): SQLite may evaluate random() once per
    # use of x, and then a probe's fate and its RTT would disagree.
    db.execute("""
        WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?),
        r(i, x) AS (SELECT i, (i * 2654435761) % 4294967296 % 1000 FROM c)
        INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate, dups)
        SELECT 1, i, ? + i * 10000000,
               CASE WHEN x < 20 THEN NULL ELSE 10000000 + (x * x * 37 % 5000000) END,
               CASE WHEN x < 10 THEN 3 WHEN x < 20 THEN 4 WHEN x < 25 THEN 1 ELSE 0 END,
               0 FROM r""", (n - 1, T0))
    db.commit()
    return {"sent": n, "first_ns": T0, "last_ns": T0 + (n - 1) * 10 * MS}


def build(path, schema, scenario, probes=1_000_000):
    if scenario == "foreign":
        if os.path.exists(path):
            os.unlink(path)
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        db.commit()
        db.close()
        return {}
    db = create(path, schema)
    if scenario == "bulk":
        facts = bulk(db, probes)
    else:
        h, facts = SCENARIOS[scenario]()
        insert(db, h)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return facts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scenario", required=True,
                    choices=sorted(SCENARIOS) + ["bulk", "foreign"])
    ap.add_argument("--probes", type=int, default=1_000_000)
    a = ap.parse_args()
    json.dump(build(a.out, a.schema, a.scenario, a.probes), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
