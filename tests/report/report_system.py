#!/usr/bin/env python3
"""System test of pktmon-report against synthetic histories.

    report_system.py PKTMON_REPORT MAKE_HISTORY_PY SCHEMA_SQL

Builds histories with known contents (tests/lib/make_history.py), runs the
real binary and checks exit codes, messages, JSON totals against the facts
the history was built from, and the PNGs: signature, size, and the colour
of pixels where a known outage must be drawn. Exits 0 when every check
passes, 1 when one fails, 77 (skip) when it cannot run here.
"""
import hashlib
import importlib.util
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
OUTAGE = (0xd7, 0x19, 0x1c)       # graph.h GRAPH_OUTAGE
OUTAGE_BG = (0xf8, 0xd0, 0xd0)    # graph.h GRAPH_OUTAGE_BG
LOST_FWD = (0xe6, 0x55, 0x0d)     # graph_loss.c LOSS_FWD
DIST_BAR = (0x4f, 0x81, 0xbd)     # graph_rtt.c BAR
RENEWED = (0x31, 0x82, 0xbd)      # graph_sessions.c, ended: renewed
PLOT_TOP = 82                     # frame.c TOP
NO_RTT = {"min": None, "median": None, "p99": None, "max": None}
GRAPHS = ["latency.png", "loss.png", "rtt-distribution.png", "sessions.png"]


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


class Png:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA PNG."""

    def __init__(self, path, rows=None):
        data = open(path, "rb").read()
        expect(data[:8] == b"\x89PNG\r\n\x1a\n", "%s: no PNG signature" % path)
        pos, idat = 8, []
        while pos < len(data):
            n, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + n]
            if kind == b"IHDR":
                self.width, self.height, depth, ctype = struct.unpack(">IIBB", body[:10])
                expect(depth == 8 and ctype in (2, 6), "%s: not 8-bit RGB(A)" % path)
                self.bpp = 3 if ctype == 2 else 4
            elif kind == b"IDAT":
                idat.append(body)
            elif kind == b"IEND":
                break
            pos += 12 + n
        self.raw = zlib.decompress(b"".join(idat))
        self.rows = []
        self._unfilter(self.height if rows is None else min(rows, self.height))

    def _unfilter(self, nrows):
        stride, bpp = self.width * self.bpp, self.bpp
        prev = bytearray(stride)
        for y in range(nrows):
            off = y * (stride + 1)
            ftype, line = self.raw[off], bytearray(self.raw[off + 1:off + 1 + stride])
            if ftype == 1:
                for i in range(bpp, stride):
                    line[i] = (line[i] + line[i - bpp]) & 0xff
            elif ftype == 2:
                line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
            elif ftype == 3:
                for i in range(stride):
                    left = line[i - bpp] if i >= bpp else 0
                    line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
            elif ftype == 4:
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0
                    b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    line[i] = (line[i] + pred) & 0xff
            self.rows.append(line)
            prev = line

    def pixel(self, x, y):
        o = x * self.bpp
        return tuple(self.rows[y][o:o + 3])

    def runs(self, y, color):
        """[start, end) column runs of exactly color on row y."""
        out, start = [], None
        for x in range(self.width):
            hit = self.pixel(x, y) == color
            if hit and start is None:
                start = x
            elif not hit and start is not None:
                out.append((start, x))
                start = None
        if start is not None:
            out.append((start, self.width))
        return out

    def count(self, color):
        return sum(1 for y in range(len(self.rows)) for x in range(self.width)
                   if self.pixel(x, y) == color)


class Env:
    def __init__(self, exe, make_history, schema, tmp):
        self.exe, self.schema, self.tmp = exe, schema, tmp
        spec = importlib.util.spec_from_file_location("make_history", make_history)
        self.mh = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.mh)
        self.facts = {}

    def history(self, scenario):
        path = os.path.join(self.tmp, scenario + ".db")
        if scenario not in self.facts:
            self.facts[scenario] = self.mh.build(path, self.schema, scenario)
        return path

    def run(self, *args):
        p = subprocess.run([self.exe] + list(args), capture_output=True, text=True,
                           timeout=120)
        return p.returncode, p.stdout, p.stderr

    def outdir(self, name):
        d = os.path.join(self.tmp, "out-" + name)
        os.makedirs(d, exist_ok=True)
        return d

    def png(self, scenario, *extra):
        """Run png for a scenario; check exit, printed paths and each image."""
        out = self.outdir(scenario + "".join(extra).replace("-", ""))
        rc, stdout, stderr = self.run("--db", self.history(scenario), "--out", out, *extra)
        expect(rc == 0, "%s: exit %d, stderr %r" % (scenario, rc, stderr))
        paths = stdout.split()
        expect(paths == [os.path.join(out, g) for g in GRAPHS],
               "%s: expected the four paths, got %r" % (scenario, paths))
        leftovers = [f for f in os.listdir(out) if f.startswith(".")]
        expect(not leftovers, "%s: temporary files left: %r" % (scenario, leftovers))
        return out


def check_image_size(path, w, h):
    with open(path, "rb") as f:
        head = f.read(24)
    expect(head[:8] == b"\x89PNG\r\n\x1a\n", "%s: no PNG signature" % path)
    got = struct.unpack(">II", head[16:24])
    expect(head[12:16] == b"IHDR" and got == (w, h),
           "%s: expected %dx%d, got %dx%d" % (path, w, h, got[0], got[1]))


def x_of(env, scenario, t_ns, width=1200, left=70, right=28):
    f = env.facts[scenario]
    t0, t1 = f["first_ns"], f["last_ns"] + 1
    # The report pads the data's extent by 2 % each side (reports/report.c).
    pad = (t1 - t0) // 50
    t0, t1 = t0 - pad, t1 + pad
    return left + (width - left - right) * (t_ns - t0) / (t1 - t0)


def t_basic_images(env):
    out = env.png("basic")
    for g in GRAPHS:
        check_image_size(os.path.join(out, g), 1200, 600)


def t_basic_outage_in_loss_png(env):
    out = env.png("basic")
    img = Png(os.path.join(out, "loss.png"), rows=541)
    o0, o1 = env.facts["basic"]["outage"]
    want0, want1 = x_of(env, "basic", o0), x_of(env, "basic", o1)
    runs = [r for r in img.runs(300, OUTAGE) if r[1] - r[0] > 10]
    expect(len(runs) == 1, "loss.png: expected one outage band across row 300, got %r" % runs)
    a, b = runs[0]
    expect(abs(a - want0) <= 8 and abs(b - want1) <= 8,
           "loss.png: outage drawn over x %d..%d, expected about %.0f..%.0f" %
           (a, b, want0, want1))
    mid = int((want0 + want1) / 2)
    for y in (PLOT_TOP + 2, 300, 540):
        expect(img.pixel(mid, y) == OUTAGE,
               "loss.png: outage not solid at (%d, %d): %r" % (mid, y, img.pixel(mid, y)))
    # The 6 % loss window after 10:12 shows forward loss.
    l0 = x_of(env, "basic", env.facts["basic"]["lossy"][0])
    fwd = [x for y in range(200, 301) for x in range(int(l0), int(l0) + 150)
           if img.pixel(x, y) == LOST_FWD]
    expect(fwd, "loss.png: no forward loss drawn in the lossy window")


def t_basic_outage_in_latency_png(env):
    out = env.png("basic")
    img = Png(os.path.join(out, "latency.png"), rows=301)
    o0, o1 = env.facts["basic"]["outage"]
    mid = int((x_of(env, "basic", o0) + x_of(env, "basic", o1)) / 2)
    expect(img.pixel(mid, PLOT_TOP + 4) == OUTAGE,
           "latency.png: no red band at the top of the outage: %r" % (img.pixel(mid, PLOT_TOP + 4),))
    expect(img.pixel(mid, 300) == OUTAGE_BG,
           "latency.png: outage column not shaded: %r" % (img.pixel(mid, 300),))


def t_basic_distribution_and_sessions(env):
    out = env.png("basic")
    dist = Png(os.path.join(out, "rtt-distribution.png"))
    expect(dist.count(DIST_BAR) > 2000, "rtt-distribution.png: no histogram bars")
    sess = Png(os.path.join(out, "sessions.png"))
    expect(sess.count(RENEWED) > 1000, "sessions.png: no bars of renewed sessions")
    expect(sess.count(OUTAGE_BG) > 1000, "sessions.png: the outage is not shown")


def t_scale_2(env):
    out = env.png("basic", "--scale", "2")
    for g in GRAPHS:
        check_image_size(os.path.join(out, g), 2400, 1200)


def t_width_height(env):
    out = env.png("basic", "--width", "800", "--height", "400")
    for g in GRAPHS:
        check_image_size(os.path.join(out, g), 800, 400)


def t_json_totals_match_history(env):
    rc, stdout, stderr = env.run("--db", env.history("basic"), "summary", "--json")
    expect(rc == 0, "summary --json: exit %d: %s" % (rc, stderr))
    j = json.loads(stdout)
    f = env.facts["basic"]
    fates = f["fates"]
    want = {
        "sent": f["sent"], "received": fates[0] + fates[1] + fates[2],
        "lost": fates[3] + fates[4] + fates[5], "lost_forward": fates[3],
        "lost_backward": fates[4], "lost_unknown": fates[5],
        "duplicates": f["duplicates"], "reordered": fates[1], "late": fates[2],
        "rtt_ns": f["rtt"], "sessions": f["sessions"], "renewals": f["renewals"],
        "version": 1,
    }
    for k, v in want.items():
        expect(j.get(k) == v, "summary --json: %s expected %r, got %r" % (k, v, j.get(k)))
    expect(isinstance(j.get("pktmon_version"), str), "summary --json: no pktmon_version")
    expect(len(j["per_session"]) == 3, "summary --json: expected 3 sessions")


def t_png_json(env):
    out = env.outdir("pngjson")
    rc, stdout, _ = env.run("--db", env.history("basic"), "--out", out, "--json")
    j = json.loads(stdout)
    expect(rc == 0 and j["sent"] == env.facts["basic"]["sent"] and len(j["files"]) == 4,
           "png --json: expected the totals and four files")


def t_range_filter(env):
    db = env.history("basic")
    o0, o1 = env.facts["basic"]["outage"]
    with sqlite3.connect(db) as c:
        n = c.execute("SELECT count(*) FROM probes WHERE sent_ns >= ? AND sent_ns < ?",
                      (o0, o1)).fetchone()[0]
    rc, stdout, _ = env.run("--db", db, "summary", "--json",
                            "--since", str(o0 // 10**9), "--until", str(o1 // 10**9))
    j = json.loads(stdout)
    expect(rc == 0 and n > 500 and j["sent"] == n and j["lost_forward"] == n and
           j["rtt_ns"] == NO_RTT,
           "summary over the outage: expected %d probes all lost forward, got %r" %
           (n, {k: j.get(k) for k in ("sent", "lost_forward", "rtt_ns")}))
    rc, stdout, _ = env.run("--db", env.history("basic"), "summary", "--json",
                            "--session", "2")
    j = json.loads(stdout)
    expect(rc == 0 and j["sessions"] == 1 and len(j["per_session"]) == 1,
           "--session 2: expected one session")


def t_events(env):
    rc, stdout, stderr = env.run("--db", env.history("basic"), "events", "--json")
    expect(rc == 0, "events --json: exit %d: %s" % (rc, stderr))
    j = json.loads(stdout)
    o0, o1 = env.facts["basic"]["outage"]
    outages = [e for e in j["episodes"] if e["outage"]]
    expect(len(outages) == 1, "events: expected one outage, got %d" % len(outages))
    e = outages[0]
    expect(e["outage"]["start_ns"] == o0 and o1 - 10**8 <= e["outage"]["end_ns"] < o1,
           "events: outage %r, expected %d..%d" % (e["outage"], o0, o1))
    expect(e["renewals"] == [1], "events: outage should name renewal 1, got %r" % e["renewals"])
    expect(len(j["renewals"]) == 2, "events: expected 2 renewals")
    rc, stdout, _ = env.run("--db", env.history("basic"), "events")
    expect(rc == 0 and "consecutive-loss" in stdout, "events: text table lacks the renewal")


def t_export(env):
    db, f = env.history("basic"), env.facts["basic"]
    rc, stdout, _ = env.run("--db", db, "export")
    lines = stdout.splitlines()
    expect(rc == 0 and lines[0].startswith("session_id,seq,sent_ns,rtt_ns,fate")
           and len(lines) == f["sent"] + 1, "export csv: expected a header and %d rows" % f["sent"])
    rc, stdout, _ = env.run("--db", db, "export", "--format", "json")
    rows = json.loads(stdout)
    expect(rc == 0 and len(rows) == f["sent"], "export json: expected %d rows" % f["sent"])
    lost = sum(1 for r in rows if r["rtt_ns"] is None)
    expect(lost == sum(f["fates"][3:]), "export json: lost rows have a null rtt_ns")


def t_empty_history(env):
    out = env.png("empty")
    for g in GRAPHS:
        check_image_size(os.path.join(out, g), 1200, 600)
    rc, stdout, _ = env.run("--db", env.history("empty"), "summary", "--json")
    j = json.loads(stdout)
    expect(rc == 0 and j["sent"] == 0 and j["rtt_ns"] == NO_RTT, "empty summary: %r" % j)


def t_single_all_lost_year(env):
    for s in ("single", "all-lost", "year"):
        out = env.png(s)
        for g in GRAPHS:
            check_image_size(os.path.join(out, g), 1200, 600)
    loss = Png(os.path.join(env.outdir("all-lost"), "loss.png"), rows=301)
    expect(len([x for x in range(100, 1100) if loss.pixel(x, 300) == OUTAGE]) > 900,
           "all-lost: loss.png is not one solid outage")
    year = Png(os.path.join(env.outdir("year"), "loss.png"), rows=301)
    o0, o1 = env.facts["year"]["outage"]
    mid = x_of(env, "year", (o0 + o1) // 2)
    hits = [x for x in range(int(mid) - 6, int(mid) + 7) if year.pixel(x, 300) == OUTAGE]
    expect(hits, "year: the two-day outage is not drawn near x %.0f" % mid)


def t_missing_db(env):
    path = os.path.join(env.tmp, "no-such.db")
    rc, _, stderr = env.run("--db", path, "summary")
    expect(rc == 4, "missing db: expected exit 4, got %d" % rc)
    expect(path in stderr and len(stderr.strip().splitlines()) == 1,
           "missing db: expected one line naming the file, got %r" % stderr)
    expect(not os.path.exists(path), "missing db: the report created the file")


def t_not_a_history(env):
    path = env.history("foreign")
    rc, _, stderr = env.run("--db", path, "summary")
    expect(rc == 4 and path in stderr, "foreign db: expected exit 4 naming it, got %d %r" % (rc, stderr))
    junk = os.path.join(env.tmp, "junk.db")
    with open(junk, "wb") as f:
        f.write(b"this is not sqlite" * 100)
    rc, _, stderr = env.run("--db", junk, "summary")
    expect(rc == 4 and junk in stderr, "junk file: expected exit 4 naming it, got %d %r" % (rc, stderr))
    # A history cut short: exit 4, and no image appears, whole or partial.
    cut = os.path.join(env.tmp, "cut.db")
    with open(env.history("basic"), "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[:len(data) // 2])
    out = env.outdir("cut")
    rc, _, stderr = env.run("--db", cut, "--out", out)
    expect(rc == 4 and cut in stderr and not os.listdir(out),
           "truncated db: expected exit 4, no files; got %d %r %r" % (rc, stderr, os.listdir(out)))


def t_usage_errors(env):
    db = env.history("basic")
    cases = [
        (["--db", db, "--since", "yesterday"], "--since"),
        (["--db", db, "--until", "12x"], "--until"),
        (["--db", db, "--since", "now", "--until", "-1d", "summary"], "--since"),
        (["--db", db, "--scale", "9"], "--scale"),
        (["--db", db, "--width", "wide"], "--width"),
        (["--db", db, "--bogus"], "--bogus"),
        (["--db", db, "frobnicate"], "frobnicate"),
        (["--db", db, "export", "--format", "xml"], "--format"),
        (["--db", db, "--server", "no-port"], "--server"),
        (["summary"], "--db"),
        (["--db", db], "--out"),
    ]
    for args, name in cases:
        rc, _, stderr = env.run(*args)
        expect(rc == 2 and name in stderr and len(stderr.strip().splitlines()) == 1,
               "%r: expected exit 2 and one line naming %s, got %d %r" % (args, name, rc, stderr))
    rc, stdout, _ = env.run("--help")
    expect(rc == 0 and "export" in stdout and "--since" in stdout, "--help")


def t_read_only_and_writer_not_blocked(env):
    db = env.history("basic")
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    # A writer mid-transaction: WAL readers see the last commit and do not wait.
    w = sqlite3.connect(db, timeout=0.1)
    w.execute("BEGIN IMMEDIATE")
    w.execute("INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate) VALUES (3, 999999, ?, 1, 0)",
              (env.facts["basic"]["last_ns"] - 1,))
    rc, stdout, stderr = env.run("--db", db, "summary", "--json")
    w.rollback()
    w.close()
    expect(rc == 0 and json.loads(stdout)["sent"] == env.facts["basic"]["sent"],
           "report beside an open write transaction: exit %d %r" % (rc, stderr))
    after = hashlib.sha256(open(db, "rb").read()).hexdigest()
    expect(before == after, "the report changed the history file")


TESTS = [
    t_basic_images, t_basic_outage_in_loss_png, t_basic_outage_in_latency_png,
    t_basic_distribution_and_sessions, t_scale_2, t_width_height,
    t_json_totals_match_history, t_png_json, t_range_filter, t_events, t_export,
    t_empty_history, t_single_all_lost_year, t_missing_db, t_not_a_history,
    t_usage_errors, t_read_only_and_writer_not_blocked,
]


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    exe, make_history, schema = sys.argv[1:4]
    if not os.access(exe, os.X_OK):
        print("skip: %s is not built" % exe)
        return SKIP
    failed = 0
    with tempfile.TemporaryDirectory(prefix="pktmon-report-") as tmp:
        env = Env(exe, make_history, schema, tmp)
        for t in TESTS:
            try:
                t(env)
                print("ok - %s" % t.__name__)
            except (Failed, ValueError, KeyError, subprocess.TimeoutExpired) as e:
                failed += 1
                print("not ok - %s: %s" % (t.__name__, e))
    print("%d passed, %d failed" % (len(TESTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
