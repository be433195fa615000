#!/usr/bin/env python3
"""System test of pktmon-report against synthetic histories.

    report_system.py PKTMON_REPORT MAKE_HISTORY_PY SCHEMA_SQL

Builds histories with known contents (tests/lib/make_history.py), runs the
real binary and checks exit codes, messages, JSON totals against the facts
the history was built from, and the PNGs: signature, size, and the colour
of pixels where known things must be drawn (an outage, each loss direction,
the median's loss class, the grey bands, the percentile and renewal lines,
session bars by end reason, a capped latency axis, the message and title of
an image with nothing to plot). The plot rectangle is found from the axis
lines and time is mapped to x the way reports/frame.c does, so the checks do
not hang on exact pixels. Exits 0 when every check passes, 1 when one
fails, 77 (skip) when it cannot run here.
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
WHITE = (0xff, 0xff, 0xff)
AXIS = (0x40, 0x40, 0x40)         # frame.h FRAME_AXIS
GRID = (0xe3, 0xe3, 0xe3)         # frame.h FRAME_GRID
NODATA = (0xe9, 0xe9, 0xe9)       # frame.h FRAME_NODATA, hatched with
NODATA_LINE = (0xc2, 0xc2, 0xc2)  # FRAME_NODATA_LINE (antialiased: never exact)
RENEWAL = (0x1f, 0x3d, 0x99)      # frame.h FRAME_RENEWAL
LOST_BWD = (0x6a, 0x51, 0xa3)     # graph_loss.c LOSS_BWD
LOST_UNK = (0x96, 0x96, 0x96)     # graph_loss.c LOSS_UNK
BAND_MINMAX = (0xdc, 0xdc, 0xdc)  # graph_latency.c BAND_*
BAND_P10_90 = (0xb0, 0xb0, 0xb0)
BAND_P25_75 = (0x88, 0x88, 0x88)
# scale.c loss_classes: the latency median's colour by the bucket's loss
LOSS_CLASS = {"none": (0x1a, 0x98, 0x50), "low": (0x2c, 0x7b, 0xb6),
              "mid": (0xd4, 0xa8, 0x00), "high": (0xf4, 0x6d, 0x00),
              "severe": (0x9e, 0x1a, 0x9e), "total": (0xd7, 0x19, 0x1c)}
MARK = (0xc0, 0x39, 0x2b)         # graph_rtt.c MARK
ENDED = {"renewed": RENEWED,      # graph_sessions.c endings
         "stopped": (0x31, 0xa3, 0x54), "aborted": (0xe6, 0x55, 0x0d)}
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
        self._px = [None] * len(self.rows)

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
                for i in range(bpp):
                    line[i] = (line[i] + prev[i]) & 0xff
                for i in range(bpp, stride):
                    a, b, c = line[i - bpp], prev[i], prev[i - bpp]
                    if a == c:          # flat: the common case, predictor b
                        line[i] = (line[i] + b) & 0xff
                        continue
                    pa, pb, pc = b - c, a - c, a + b - c - c
                    pa, pb, pc = -pa if pa < 0 else pa, -pb if pb < 0 else pb, -pc if pc < 0 else pc
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
            self.rows.append(line)
            prev = line

    def row(self, y):
        """Row y as a list of (r, g, b), decoded once."""
        if self._px[y] is None:
            line, b = self.rows[y], self.bpp
            self._px[y] = list(zip(line[0::b], line[1::b], line[2::b]))
        return self._px[y]

    def pixel(self, x, y):
        return self.row(y)[x]

    def column(self, x, y0, y1):
        return [self.row(y)[x] for y in range(y0, y1)]

    def runs(self, y, color):
        """[start, end) column runs of exactly color on row y."""
        out, start = [], None
        row = self.row(y)
        for x in range(self.width):
            hit = row[x] == color
            if hit and start is None:
                start = x
            elif not hit and start is not None:
                out.append((start, x))
                start = None
        if start is not None:
            out.append((start, self.width))
        return out

    def count(self, color, x0=0, y0=0, x1=None, y1=None):
        """Pixels of exactly color, in the whole image or [x0, x1) x [y0, y1)."""
        x1 = self.width if x1 is None else x1
        y1 = len(self.rows) if y1 is None else y1
        return sum(self.row(y)[x0:x1].count(color) for y in range(y0, y1))

    def count_if(self, pred, x0, y0, x1, y1):
        return sum(1 for y in range(y0, y1) for c in self.row(y)[x0:x1] if pred(c))


def dark(limit):
    """Whether a pixel is darker than limit in every channel: text, not
    white, grid, no-data shading or the outage background."""
    return lambda c: max(c) < limit


def blend_of(color, bgs=(WHITE,), least=0.5):
    """Whether a pixel is color drawn with coverage >= least over one of bgs:
    the 1.5 px dashed lines (renewals, percentiles) cover two columns 75 %
    each, so their exact colour appears nowhere."""
    def pred(c):
        for bg in bgs:
            alphas = [(b - p) / (b - q) for p, q, b in zip(c, color, bg) if abs(b - q) > 40]
            if not alphas:
                continue
            a = sum(alphas) / len(alphas)
            if a >= least and all(abs(p - (a * q + (1 - a) * b)) <= 12
                                  for p, q, b in zip(c, color, bg)):
                return True
        return False
    seen = {}

    def cached(c):
        if c not in seen:
            seen[c] = pred(c)
        return seen[c]
    return cached


class Plot:
    """The plot area of a graph, found from its axis lines (frame_border):
    the bottom axis is the long FRAME_AXIS row, the left axis the long
    FRAME_AXIS column at its left end. Rows top..bottom-1 and columns
    left..right-1 are inside; x(t) maps time like frame_x."""

    def __init__(self, img, facts=None):
        self.img = img
        for y in range(img.height - 1, img.height // 2, -1):
            runs = img.runs(y, AXIS)
            span = max(runs, key=lambda r: r[1] - r[0]) if runs else (0, 0)
            if span[1] - span[0] > img.width // 2:
                break
        else:
            raise Failed("no bottom axis line found")
        self.bottom, self.right = y, span[1]

        def up(x):
            n = 0
            while n < y and img.pixel(x, y - 1 - n) == AXIS:
                n += 1
            return n
        self.left = max(range(span[0], span[0] + 10), key=up)
        self.top = y - up(self.left)
        expect(self.bottom - self.top > img.height // 3,
               "no left axis line found (plot %r)" % ((self.left, self.top),))
        if facts is not None:
            self.t0, self.t1 = time_range(facts)

    @property
    def height(self):
        return self.bottom - self.top

    def x(self, t_ns):
        return self.left + (self.right - self.left) * (t_ns - self.t0) / (self.t1 - self.t0)

    def columns(self, t0, t1, margin=6, avoid=()):
        """Pixel columns well inside [t0, t1), away from the times in avoid."""
        a, b = int(self.x(t0)) + margin, int(self.x(t1)) - margin
        expect(b - a >= 5, "stretch too narrow to check: x %d..%d" % (a, b))
        bad = [self.x(t) for t in avoid]
        return [x for x in range(a, b) if all(abs(x - v) > 4 for v in bad)]

    def col(self, x):
        return self.img.column(x, self.top, self.bottom)

    def line_columns(self, pred, least):
        """Groups of adjacent columns where pred holds for >= least of the
        plot rows: vertical lines. Returns each group's centre x."""
        hits = [x for x in range(self.left + 1, self.right)
                if sum(1 for c in self.col(x) if pred(c)) >= least * self.height]
        groups = []
        for x in hits:
            if groups and x - groups[-1][-1] <= 1:
                groups[-1].append(x)
            else:
                groups.append([x])
        return [sum(g) / len(g) for g in groups]


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
    if path.endswith("sessions.png"):
        # sessions.png is as tall as its rows need (at least 300 px at scale
        # 1), never taller than asked.
        scale = w // 1200 if w >= 2400 else 1
        expect(head[12:16] == b"IHDR" and got[0] == w and min(h, 300 * scale) <= got[1] <= h,
               "%s: expected %d wide and at most %d high, got %dx%d" % (path, w, h, got[0], got[1]))
        return
    expect(head[12:16] == b"IHDR" and got == (w, h),
           "%s: expected %dx%d, got %dx%d" % (path, w, h, got[0], got[1]))


def time_range(f):
    """The range the report draws without --since/--until (report.c
    pad_range): the data's, 2 % wider each side, or 10 s about its middle."""
    t0, t1 = f["first_ns"], f["last_ns"] + 1
    if t1 - t0 >= 10 * 10**9:
        return t0 - (t1 - t0) // 50, t1 + (t1 - t0) // 50
    mid = t0 // 2 + t1 // 2
    return mid - 5 * 10**9, mid + 5 * 10**9


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
    img = Png(os.path.join(out, "loss.png"))
    pl = Plot(img)
    o0, o1 = env.facts["basic"]["outage"]
    want0, want1 = x_of(env, "basic", o0), x_of(env, "basic", o1)
    # Every slot of the outage was lost forward: full height in that colour,
    # marked red in the lane above the 100 % line.
    y = (pl.top + pl.bottom) // 2
    runs = [r for r in img.runs(y, LOST_FWD) if r[1] - r[0] > 10]
    expect(len(runs) == 1, "loss.png: expected one outage bar across row %d, got %r" % (y, runs))
    a, b = runs[0]
    expect(abs(a - want0) <= 8 and abs(b - want1) <= 8,
           "loss.png: outage drawn over x %d..%d, expected about %.0f..%.0f" %
           (a, b, want0, want1))
    mid = int((want0 + want1) / 2)
    for y in (pl.top, y, pl.bottom - 1):
        expect(img.pixel(mid, y) == LOST_FWD,
               "loss.png: outage not solid at (%d, %d): %r" % (mid, y, img.pixel(mid, y)))
    expect(img.pixel(mid, pl.top - 7) == OUTAGE,
           "loss.png: no red outage mark above the outage: %r" % (img.pixel(mid, pl.top - 7),))
    # The 6 % loss window after 10:12 shows forward loss.
    l0 = x_of(env, "basic", env.facts["basic"]["lossy"][0])
    fwd = [x for y in range(pl.bottom - 60, pl.bottom) for x in range(int(l0), int(l0) + 150)
           if img.pixel(x, y) == LOST_FWD]
    expect(fwd, "loss.png: no forward loss drawn in the lossy window")


def t_basic_outage_in_latency_png(env):
    out = env.png("basic")
    img = Png(os.path.join(out, "latency.png"))
    top = Plot(img).top
    o0, o1 = env.facts["basic"]["outage"]
    mid = int((x_of(env, "basic", o0) + x_of(env, "basic", o1)) / 2)
    expect(img.pixel(mid, top + 4) == OUTAGE,
           "latency.png: no red band at the top of the outage: %r" % (img.pixel(mid, top + 4),))
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
    expect(rc == 0 and lines[0].startswith("session_id,seq,sent_ns,sent_utc,rtt_ns,fate")
           and len(lines) == f["sent"] + 1, "export csv: expected a header and %d rows" % f["sent"])
    # The ISO 8601 column says the same instant as the nanoseconds.
    import datetime
    ns, utc = int(lines[1].split(",")[2]), lines[1].split(",")[3]
    want = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S") + ".%09dZ" % (ns % 10**9)
    expect(utc == want, "export csv: sent_utc %s for sent_ns %d, expected %s" % (utc, ns, want))
    rc, stdout, _ = env.run("--db", db, "export", "--format", "json")
    rows = [json.loads(l) for l in stdout.splitlines()]
    expect(rc == 0 and len(rows) == f["sent"], "export json (NDJSON): expected %d rows" % f["sent"])
    expect(all(r["sent"].endswith("Z") for r in rows), "export json: an ISO 8601 'sent' in every row")
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
    # ICMP: every slot lost, direction unknown, all of it an outage.
    loss = Png(os.path.join(env.outdir("all-lost"), "loss.png"))
    top = Plot(loss).top
    expect(len([x for x in range(100, 1100) if loss.pixel(x, 300) == LOST_UNK]) > 900,
           "all-lost: loss.png is not one full-height bar of loss in an unknown direction")
    expect(len([x for x in range(100, 1100) if loss.pixel(x, top - 7) == OUTAGE]) > 900,
           "all-lost: loss.png does not mark it all as an outage")
    year = Png(os.path.join(env.outdir("year"), "loss.png"))
    top = Plot(year).top
    o0, o1 = env.facts["year"]["outage"]
    mid = x_of(env, "year", (o0 + o1) // 2)
    xs = range(int(mid) - 6, int(mid) + 7)
    expect([x for x in xs if year.pixel(x, 300) == LOST_BWD] and
           [x for x in xs if year.pixel(x, top - 7) == OUTAGE],
           "year: the two-day backward outage is not drawn near x %.0f" % mid)


def share(cols, pred):
    """The share of columns (lists of pixels) where pred holds for some pixel."""
    return sum(1 for c in cols if any(pred(px) for px in c)) / len(cols)


def has(color):
    return lambda px: px == color


def hatched(c):
    """A pixel of the hatched no-probes band: its grey, its lines or a blend."""
    return c[0] == c[1] == c[2] and NODATA_LINE[0] <= c[0] <= NODATA[0]


def check_title(img, path):
    """The bold title and the subtitle above the legend are there."""
    title = img.count_if(dark(0x70), 0, 6, img.width, 31)
    sub = img.count_if(dark(0x70), 0, 32, img.width, 50)
    expect(title > 500 and sub > 300,
           "%s: no title text in the top strip (%d and %d dark pixels)" % (path, title, sub))


def check_message(img, plot, path):
    """A message across the middle of the plot: grey text pixels where a
    blank frame has only white, grid and no-data shading."""
    cx, cy = (plot.left + plot.right) // 2, (plot.top + plot.bottom) // 2
    n = img.count_if(dark(0xc8), cx - 180, cy - 14, cx + 180, cy + 14)
    expect(n > 600, "%s: no message in the middle of the plot (%d text pixels)" % (path, n))


def t_empty_images_not_blank(env):
    out = env.png("empty")
    for g in GRAPHS:
        path = os.path.join(out, g)
        img = Png(path)
        check_title(img, path)
        check_message(img, Plot(img), path)


def t_single_probe_images(env):
    out, f = env.png("single"), env.facts["single"]
    t = f["first_ns"]
    imgs = {g: Png(os.path.join(out, g)) for g in GRAPHS}
    for g, img in imgs.items():
        check_title(img, "single: " + g)
    img = imgs["latency.png"]
    pl = Plot(img, f)
    cols = [pl.col(x) for x in pl.columns(t, t + 10**9, margin=3)]
    expect(share(cols, has(LOSS_CLASS["none"])) > 0.9,
           "single: latency.png has no 0 %%-loss median at the probe (x %.0f)" % pl.x(t))
    # Before and after the only slot there is no history: white, not the
    # hatching of a gap in it.
    img = imgs["loss.png"]
    pl = Plot(img, f)
    before = pl.col(int(pl.x(t - 3 * 10**9)))
    at = pl.col(int(pl.x(t + 5 * 10**8)))
    expect(before.count(WHITE) > 0.8 * len(before) and NODATA not in before + at,
           "single: loss.png should leave the time outside the history white")
    img = imgs["rtt-distribution.png"]
    pl = Plot(img)
    expect(img.count(DIST_BAR) > 500, "single: rtt-distribution.png has no bar")
    lines = pl.line_columns(blend_of(MARK, (WHITE, DIST_BAR, GRID)), 0.35)
    expect(len(lines) == 1, "single: expected the three percentiles on one line, got x %r" % lines)
    img = imgs["sessions.png"]
    pl = Plot(img, f)
    n = pl.col(int(pl.x(t + 5 * 10**8))).count(ENDED["stopped"])
    expect(n >= 15, "single: sessions.png has no bar of the stopped session (%d px)" % n)


def t_all_lost_messages(env):
    out = env.png("all-lost")
    for g in ("latency.png", "rtt-distribution.png"):
        path = os.path.join(out, g)
        img = Png(path)
        check_title(img, path)
        check_message(img, Plot(img), path)


def t_marks_latency_median_and_bands(env):
    out, f = env.png("marks"), env.facts["marks"]
    img = Png(os.path.join(out, "latency.png"))
    pl = Plot(img, f)
    avoid = [f["renewal_ns"]]
    stretches = [("clean", a, b, "none") for a, b in f["clean"]] + \
        [("5 % forward loss", f["fwd"][0], f["fwd"][1], "mid"),
         ("30 % backward loss", f["bwd"][0], f["bwd"][1], "high")]
    for name, a, b, cls in stretches:
        cols = [pl.col(x) for x in pl.columns(a, b, avoid=avoid)]
        got = share(cols, has(LOSS_CLASS[cls]))
        expect(got > 0.9, "latency.png: median in the %s stretch at x %.0f..%.0f is the "
               "%s-loss colour in %.0f %% of columns" % (name, pl.x(a), pl.x(b), cls, 100 * got))
        wrong = [k for k, c in LOSS_CLASS.items() if k != cls and share(cols, has(c)) > 0]
        expect(not wrong, "latency.png: %s stretch has medians of loss class %r" % (name, wrong))
    # The bands nest: min-max outside 10-90 % outside 25-75 %, the median inside.
    a, b = f["clean"][0]
    bad = 0
    xs = pl.columns(a, b, avoid=avoid)
    for x in xs:
        col = pl.col(x)
        ys = {k: [y for y, px in enumerate(col) if px == c] for k, c in
              (("minmax", BAND_MINMAX), ("p10", BAND_P10_90), ("p25", BAND_P25_75),
               ("median", LOSS_CLASS["none"]))}
        if any(not v for v in ys.values()) or not (
                min(ys["minmax"]) < min(ys["p10"]) < min(ys["p25"]) <= min(ys["median"]) and
                max(ys["median"]) <= max(ys["p25"]) + 1 < max(ys["p10"]) + 1 <= max(ys["minmax"]) + 1):
            bad += 1
    expect(bad <= len(xs) // 10,
           "latency.png: the grey bands are missing or out of order in %d of %d columns" %
           (bad, len(xs)))
    g0, g1 = f["gap"]
    col = pl.col(int(pl.x((g0 + g1) // 2)))
    expect(sum(1 for c in col if hatched(c)) > 0.8 * len(col),
           "latency.png: the time without probes is not hatched")


def t_marks_loss_directions(env):
    out, f = env.png("marks"), env.facts["marks"]
    img = Png(os.path.join(out, "loss.png"))
    pl = Plot(img, f)
    avoid = [f["renewal_ns"]]
    heights = {}
    for name, (a, b), color, other in (("forward", f["fwd"], LOST_FWD, LOST_BWD),
                                       ("backward", f["bwd"], LOST_BWD, LOST_FWD)):
        cols = [pl.col(x) for x in pl.columns(a, b, avoid=avoid)]
        got = share(cols, has(color))
        expect(got > 0.9, "loss.png: %s loss at x %.0f..%.0f not drawn in the %s colour "
               "(%.0f %% of columns)" % (name, pl.x(a), pl.x(b), name, 100 * got))
        expect(share(cols, has(other)) == 0 and share(cols, has(LOST_UNK)) == 0,
               "loss.png: %s-only loss drawn in another direction's colour" % name)
        h = sorted(c.count(color) for c in cols)
        heights[name] = h[len(h) // 2]
        # The episode starts and ends on bucket edges: so must its bars.
        row = [x for x, c in enumerate(img.row(pl.bottom - 2)) if c == color]
        expect(row and abs(row[0] - pl.x(a)) <= 2 and abs(row[-1] + 1 - pl.x(b)) <= 2,
               "loss.png: %s loss drawn over x %s..%s, expected %.0f..%.0f" %
               (name, row[0] if row else "-", row[-1] + 1 if row else "-", pl.x(a), pl.x(b)))
    # 30 % against 4-6 % on the square-root axis: sqrt(30 / 6) to sqrt(30 / 4).
    ratio = heights["backward"] / max(heights["forward"], 1)
    expect(2.1 <= ratio <= 2.9, "loss.png: backward bars %d px, forward %d px: not "
           "sqrt(30 %%) : sqrt(5 %%)" % (heights["backward"], heights["forward"]))
    for a, b in f["clean"]:
        cols = [pl.col(x) for x in pl.columns(a, b, avoid=avoid)]
        expect(not any(share(cols, has(c)) for c in (LOST_FWD, LOST_BWD, LOST_UNK, OUTAGE)),
               "loss.png: loss drawn in the clean stretch at x %.0f..%.0f" % (pl.x(a), pl.x(b)))
    lines = pl.line_columns(blend_of(RENEWAL), 0.35)
    want = pl.x(f["renewal_ns"])
    expect(len(lines) == 1 and abs(lines[0] - want) <= 2,
           "loss.png: expected the renewal's dashed line at x %.0f, found lines at %r" % (want, lines))


def t_marks_percentile_lines(env):
    out, f = env.png("marks"), env.facts["marks"]
    img = Png(os.path.join(out, "rtt-distribution.png"))
    pl = Plot(img)
    mark = blend_of(MARK, (WHITE, DIST_BAR, GRID))
    lines = pl.line_columns(mark, 0.35)
    expect(len(lines) == 3, "rtt-distribution.png: expected 3 percentile lines, got x %r" % lines)
    for x in lines:
        n = sum(1 for c in pl.col(int(x)) if mark(c))
        expect(n < 0.85 * pl.height, "rtt-distribution.png: the line at x %.0f is not dashed" % x)
    # Which line is which: label k (median, p95, p99) is on row k, starting
    # 4 px right of its line or, near the right edge, ending 4 px left of it.
    named = {}
    for k in range(3):
        y0 = pl.top + 6 + 18 * k
        for x in lines:
            beside = img.count_if(mark, int(x) + 3, y0, int(x) + 16, y0 + 14) + \
                img.count_if(mark, int(x) - 15, y0, int(x) - 2, y0 + 14)
            if beside > 10:
                named.setdefault(k, []).append(x)
    expect(all(len(named.get(k, [])) == 1 for k in range(3)),
           "rtt-distribution.png: cannot tell the median, p95 and p99 lines apart: %r" % named)
    med, p95, p99 = (named[k][0] for k in range(3))
    expect(med < p95 < p99, "rtt-distribution.png: median, p95, p99 at x %.0f, %.0f, %.0f" %
           (med, p95, p99))
    # x is linear in ms, so the gaps between the lines are those between the values.
    r = f["rtt"]
    want = (f["rtt_p95"] - r["median"]) / (r["p99"] - r["median"])
    got = (p95 - med) / (p99 - med)
    expect(abs(got - want) < 0.03, "rtt-distribution.png: lines at x %.0f, %.0f, %.0f do not "
           "stand for %d, %d, %d ns" % (med, p95, p99, r["median"], f["rtt_p95"], r["p99"]))


def t_marks_sessions(env):
    out, f = env.png("marks"), env.facts["marks"]
    img = Png(os.path.join(out, "sessions.png"))
    pl = Plot(img, f)
    for start, end, reason in f["spans"]:
        x = int(pl.x((start + end) // 2))
        col = pl.col(x)
        ys = [y for y, c in enumerate(col) if c == ENDED[reason]]
        expect(len(ys) >= 15, "sessions.png: no %s-coloured bar at x %d" % (reason, x))
        wrong = [k for k, c in ENDED.items() if k != reason and c in col]
        expect(not wrong, "sessions.png: the %s session is drawn in the colour of %r" % (reason, wrong))
        y = pl.top + ys[len(ys) // 2]
        a, b = max((r for r in img.runs(y, ENDED[reason]) if r[0] <= x < r[1]),
                   key=lambda r: r[1] - r[0])
        expect(abs(a - pl.x(start)) <= 3 and abs(b - pl.x(end)) <= 3,
               "sessions.png: the %s session drawn over x %d..%d, expected %.0f..%.0f" %
               (reason, a, b, pl.x(start), pl.x(end)))
    lines = pl.line_columns(blend_of(RENEWAL), 0.35)
    want = pl.x(f["renewal_ns"])
    expect(len(lines) == 1 and abs(lines[0] - want) <= 2,
           "sessions.png: expected the renewal's dashed line at x %.0f, found lines at %r" %
           (want, lines))


def t_latency_axis_capped(env):
    """One 500 ms probe alone in its bucket must not scale the axis: the
    1.1 ms median stays well clear of the bottom, and a note says what is off."""
    out, f = env.png("outlier"), env.facts["outlier"]
    img = Png(os.path.join(out, "latency.png"))
    pl = Plot(img, f)
    ys = [y for x in pl.columns(*f["steady"]) for y, c in enumerate(pl.col(x))
          if c == LOSS_CLASS["none"]]
    expect(ys, "outlier: latency.png has no median line")
    above = 1 - sorted(ys)[len(ys) // 2] / pl.height
    expect(above > 0.25, "outlier: the median sits %.0f %% up the plot: the axis follows "
           "the 500 ms outlier" % (100 * above))
    note = img.count_if(dark(0x90), pl.right - 260, pl.top + 2, pl.right - 2, pl.top + 20)
    expect(note > 40, "outlier: latency.png does not say that RTTs are off the axis")


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
        (["--db", db, "--tz", "5"], "--tz"),
        (["--db", db, "--tz", "+25:00"], "--tz"),
        (["summary"], "--db"),
        (["--db", db], "--out"),
    ]
    for args, name in cases:
        rc, _, stderr = env.run(*args)
        expect(rc == 2 and name in stderr and len(stderr.strip().splitlines()) == 1,
               "%r: expected exit 2 and one line naming %s, got %d %r" % (args, name, rc, stderr))
    rc, stdout, _ = env.run("--help")
    expect(rc == 0 and "export" in stdout and "--since" in stdout, "--help")
    # --tz: the time axis in another clock draws other labels (so other
    # pixels) over the same data; UTC is the default.
    outs = {}
    for tz in ("UTC", "+05:30"):
        out = env.outdir("tz" + tz.replace(":", "").replace("+", "p"))
        rc, _, stderr = env.run("--db", db, "--out", out, "--tz", tz)
        expect(rc == 0, "--tz %s: expected exit 0, got %d %r" % (tz, rc, stderr))
        outs[tz] = hashlib.sha256(open(os.path.join(out, "loss.png"), "rb").read()).hexdigest()
    default = env.outdir("tzdefault")
    env.run("--db", db, "--out", default)
    expect(outs["UTC"] == hashlib.sha256(open(os.path.join(default, "loss.png"), "rb").read()).hexdigest(),
           "--tz UTC: expected the default graph")
    expect(outs["UTC"] != outs["+05:30"], "--tz +05:30: expected other time labels than UTC")
    # A server the history does not have: the line lists the ones it has.
    rc, _, stderr = env.run("--db", db, "--server", "192.0.2.99:4000", "summary")
    expect(rc == 2 and "192.0.2.99:4000" in stderr and "its servers:" in stderr and
           len(stderr.strip().splitlines()) == 1,
           "--server not in the history: expected exit 2 and one line listing its servers, "
           "got %d %r" % (rc, stderr))
    # A range after the history: said, with where the history ends.
    rc, _, stderr = env.run("--db", db, "--since", "2100-01-01T00:00Z", "--until",
                            "2100-01-02T00:00Z", "summary")
    expect("after the end of the history" in stderr,
           "--since after the history: expected it said, got %d %r" % (rc, stderr))


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
    t_empty_history, t_single_all_lost_year, t_empty_images_not_blank,
    t_single_probe_images, t_all_lost_messages, t_marks_latency_median_and_bands,
    t_marks_loss_directions, t_marks_percentile_lines, t_marks_sessions,
    t_latency_axis_capped, t_missing_db, t_not_a_history,
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
