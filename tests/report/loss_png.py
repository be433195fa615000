#!/usr/bin/env python3
"""loss.png read the way someone paged at night reads it.

    loss_png.py PKTMON_REPORT MAKE_HISTORY_PY SCHEMA_SQL

One generated history holds, at 20 slots a second: a 100 % outage whose
slots were lost forward, backward, in an unknown direction and not sent at
all (fate 6), a stretch of exactly 1 % backward loss, a gap where nothing
ran, and slots with fate codes this report does not know. The checks read
pixel columns of the PNG (stdlib PNG decoding, shared with
report_system.py):
- the y axis is fixed at 0-100 % on a square-root scale: the outage reaches
  the 100 % line, and the 1 % bars stand sqrt(1 %) = 10 % of the plot high,
  well clear of the axis;
- every direction of the outage is drawn inside it, at least 3 px each,
  stacked so that each boundary reads true against the axis, and the
  outage is marked in red above the 100 % line;
- not-sent slots have their own colour and legend entry, and count as loss
  (summary --json);
- the gap inside the history is hatched grey, while the time before the
  first slot and after the last is white with a "no history" label;
- unknown fate codes are drawn and counted as loss of unknown direction.
Exits 0 when every check passes, 1 when one fails, 77 when it cannot run.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77
NS, MS = 10**9, 10**6
UNSENT = 6
LOST_UNSENT = (0x35, 0x97, 0x8f)        # graph_loss.c LOSS_UNSENT
NODATA_LINE = (0xc2, 0xc2, 0xc2)        # frame.h FRAME_NODATA_LINE

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("report_system",
                                              os.path.join(HERE, "report_system.py"))
rs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rs)
expect, Failed, Png, Plot = rs.expect, rs.Failed, rs.Png, rs.Plot
LOSS = {"forward": rs.LOST_FWD, "backward": rs.LOST_BWD, "unknown": rs.LOST_UNK,
        "not sent": LOST_UNSENT}


def build(mh, path, schema):
    """The history and the facts the checks need. Buckets are 5 s wide
    (the report's choice for 20 minutes at 1200 px): 100 slots each."""
    t0, iv = mh.T0, 50 * MS
    f = {"outage": (t0 + 300 * NS, t0 + 360 * NS),
         "one_pct": (t0 + 480 * NS, t0 + 660 * NS),
         "gap": (t0 + 870 * NS, t0 + 930 * NS),
         "first": t0, "last": t0 + 1200 * NS - iv, "lost": 0, "unsent": 0,
         "odd_codes": 0}
    h = mh.History()
    h.session(1, 21, t0, f["gap"][0], "aborted", iv)
    h.session(2, 22, f["gap"][1], t0 + 1200 * NS, "stopped", iv)
    seq = {1: 0, 2: 0}
    # The outage, ten slots at a time: 5 forward, 2 backward, 1 unknown, 2 not sent.
    outage_fates = [3, 3, 3, 3, 3, 4, 4, 5, UNSENT, UNSENT]
    for k, t in enumerate(range(t0, t0 + 1200 * NS, iv)):
        if f["gap"][0] <= t < f["gap"][1]:
            continue
        sid = 1 if t < f["gap"][0] else 2
        s, seq[sid] = seq[sid], seq[sid] + 1
        if f["outage"][0] <= t < f["outage"][1]:
            fate = outage_fates[k % 10]
        elif f["one_pct"][0] <= t < f["one_pct"][1] and k % 100 == 37:
            fate = 4
        elif t0 + 1000 * NS <= t < t0 + 1010 * NS and k % 50 == 0:
            fate = (9, -3)[k % 2]           # codes no client writes (yet)
            f["odd_codes"] += 1
        else:
            h.probe(sid, s, t, 20 * MS + k % 7 * MS, 0)
            continue
        h.probe(sid, s, t, None, fate)
        f["lost"] += 1
        f["unsent"] += fate == UNSENT
    db = mh.create(path, schema)
    mh.insert(db, h)
    db.close()
    return f


def report(exe, db, out, *extra):
    p = subprocess.run([exe, "--db", db, "--out", out] + list(extra),
                       capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, "png: exit %d, stderr %r" % (p.returncode, p.stderr))
    return Png(os.path.join(out, "loss.png"))


def bar(pl, x):
    """Top row of the loss bar in column x (None without one), and the
    lengths of the runs of each loss colour in it."""
    col = pl.col(x)
    ys = [y for y, c in enumerate(col) if c in LOSS.values()]
    runs = {name: sum(1 for c in col if c == rgb) for name, rgb in LOSS.items()}
    return (pl.top + ys[0] if ys else None), runs


def columns(pl, a, b, margin=4):
    return range(int(pl.x(a)) + margin, int(pl.x(b)) - margin)


def t_outage_and_one_percent(env):
    img = env.image()
    pl, f = Plot(img), env.f
    pl.t0, pl.t1 = env.range
    h = pl.bottom - pl.top
    for x in columns(pl, *f["outage"]):
        top, runs = bar(pl, x)
        expect(top is not None and top - pl.top <= 1,
               "outage column x %d: bar top at row %r, expected the 100 %% line at %d"
               % (x, top, pl.top))
        thin = [n for n, px in runs.items() if px < 3]
        expect(not thin, "outage column x %d: direction(s) %s drawn in fewer than 3 px: %r"
               % (x, thin, runs))
        expect(img.pixel(x, pl.top - 7) == rs.OUTAGE,
               "outage column x %d: no red outage mark above the 100 %% line" % x)
    # The stack is cumulative on the axis: forward, half the outage's
    # slots, ends where the axis says 50 %, sqrt(0.5) of the way up.
    _, runs = bar(pl, int(pl.x(sum(f["outage"]) / 2)))
    expect(abs(runs["forward"] - h * 0.5 ** 0.5) <= 3,
           "outage: forward is 50 %% of its slots, drawn %d px high; the axis has "
           "50 %% at %.0f px" % (runs["forward"], h * 0.5 ** 0.5))
    heights = []
    for x in columns(pl, *f["one_pct"]):
        top, runs = bar(pl, x)
        expect(top is not None and runs["backward"] > 0,
               "1 %% loss: column x %d has no backward-loss bar" % x)
        heights.append(pl.bottom - top)
    mid = sorted(heights)[len(heights) // 2]
    expect(abs(mid / h - 0.10) <= 0.015 and mid >= 20,
           "1 %% loss: bars %d px of a %d px plot (%.3f), expected sqrt(0.01) = 0.10"
           % (mid, h, mid / h))
    for a, b in ((f["first"] + 10 * NS, f["outage"][0]),
                 (f["outage"][1], f["one_pct"][0])):
        hit = [x for x in columns(pl, a, b) if bar(pl, x)[0] is not None]
        expect(not hit, "loss drawn where none was: x %r" % hit[:5])
    legend = img.count(LOST_UNSENT, 0, 0, img.width, pl.top - 16)
    expect(legend >= 100, "no legend entry in the not-sent colour (%d px)" % legend)


def hatched(c):
    return c[0] == c[1] == c[2] and NODATA_LINE[0] <= c[0] <= rs.NODATA[0]


def t_gap_and_no_history(env):
    img = env.image("--since", str((env.f["first"] - 300 * NS) // NS),
                    "--until", str((env.f["last"] + 300 * NS) // NS))
    pl, f = Plot(img), env.f
    pl.t0, pl.t1 = f["first"] - 300 * NS, f["last"] + 300 * NS
    for x in columns(pl, *f["gap"]):
        col = pl.col(x)
        if col.count(rs.GRID) > len(col) // 2:
            continue                    # a time grid line crosses the band
        share = sum(1 for c in col if hatched(c)) / len(col)
        # The lines are 1 px diagonals: antialiased, nowhere exactly their colour.
        lines = sum(1 for c in col if hatched(c) and c[0] < 0xd8)
        expect(share > 0.9 and lines > 10,
               "gap inside the history at x %d: %.0f %% hatch grey, %d line px; expected "
               "a hatched band" % (x, 100 * share, lines))
    label = (pl.top + pl.height // 4 - 10, pl.top + pl.height // 4 + 10)
    for a, b in ((pl.t0, f["first"]), (f["last"] + 5 * NS, pl.t1)):
        xs = columns(pl, a, b)
        # Away from the label, whose antialiased text has every grey.
        grey = sum(1 for x in xs for y, c in enumerate(pl.col(x), pl.top)
                   if hatched(c) and c != rs.GRID and not label[0] <= y < label[1])
        expect(grey == 0, "no history at x %d..%d: %d px of gap hatching, expected white"
               % (xs[0], xs[-1], grey))
        text = img.count_if(rs.dark(0x90), xs[0], pl.top, xs[-1], pl.bottom - 2)
        expect(text > 60, "no history at x %d..%d: no 'no history' label (%d px of text)"
               % (xs[0], xs[-1], text))


def t_unknown_codes_and_unsent_are_loss(env):
    f = env.f
    p = subprocess.run([env.exe, "--db", env.db, "--json", "summary"],
                       capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, "summary: exit %d, stderr %r" % (p.returncode, p.stderr))
    j = json.loads(p.stdout)
    expect(j["lost"] == f["lost"],
           "summary: %d lost, expected %d (unsent and unknown codes are loss)"
           % (j["lost"], f["lost"]))
    unknown = 60 * 20 // 10 + f["odd_codes"]
    expect(j["lost_unknown"] == unknown,
           "summary: %d lost in an unknown direction, expected %d (the outage's "
           "and the %d slots of unknown codes)" % (j["lost_unknown"], unknown,
                                                   f["odd_codes"]))
    img = env.image()
    pl = Plot(img)
    pl.t0, pl.t1 = env.range
    xs = columns(pl, f["first"] + 1000 * NS, f["first"] + 1010 * NS)
    unk = [x for x in xs if bar(pl, x)[1]["unknown"] > 0]
    expect(len(unk) >= len(xs) // 2,
           "unknown fate codes not drawn as direction unknown (%d of %d columns)"
           % (len(unk), len(xs)))


class Env:
    def __init__(self, exe, mh, schema, tmp):
        self.exe, self.tmp = exe, tmp
        self.db = os.path.join(tmp, "loss.db")
        self.f = build(mh, self.db, schema)
        # The range the report draws by itself: the data's, 2 % wider each side.
        t0, t1 = self.f["first"], self.f["last"] + 1
        self.range = (t0 - (t1 - t0) // 50, t1 + (t1 - t0) // 50)
        self.n = 0

    def image(self, *extra):
        self.n += 1
        out = os.path.join(self.tmp, "out%d" % self.n)
        os.makedirs(out)
        return report(self.exe, self.db, out, *extra)


TESTS = [t_outage_and_one_percent, t_gap_and_no_history,
         t_unknown_codes_and_unsent_are_loss]


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    exe, make_history, schema = sys.argv[1:4]
    if not os.access(exe, os.X_OK):
        print("skip: %s is not built" % exe)
        return SKIP
    s = importlib.util.spec_from_file_location("make_history", make_history)
    mh = importlib.util.module_from_spec(s)
    s.loader.exec_module(mh)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="pktmon-loss-") as tmp:
        env = Env(exe, mh, schema, tmp)
        for t in TESTS:
            try:
                t(env)
                print("ok - %s" % t.__name__)
            except (Failed, ValueError, KeyError, IndexError,
                    subprocess.TimeoutExpired) as e:
                failed += 1
                print("not ok - %s: %s" % (t.__name__, e))
    print("%d passed, %d failed" % (len(TESTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
