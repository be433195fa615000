"""Helpers shared by the pktmon benchmarks, and the peer runs (irtt) that
more than one of them prints next to pktmon's figures.

A benchmark owns one temporary directory and the processes it starts; both
go away at exit, on an exception and on SIGINT/SIGTERM/SIGHUP. Processes
are stopped one by one by their own pid, never by name.

Figures come from the programs' own reports (JSON, OpenMetrics, the SQLite
history) and from /proc: CPU time from /proc/PID/stat (utime + stime),
memory from /proc/PID/status (VmRSS, VmHWM), kernel UDP drops from
/proc/net/snmp.
"""

import atexit
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH_DIR = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
CLK_TCK = os.sysconf("SC_CLK_TCK")

PROGRAMS = {
    "server": "server/pktmon-server",
    "client": "client/pktmon-client",
    "report": "reports/pktmon-report",
    "gen-history": "bench/gen-history",
    "floor": "bench/floor",
}


def die(msg):
    print(f"{os.path.basename(sys.argv[0])}: {msg}", file=sys.stderr)
    sys.exit(2)


def build_dir():
    return os.environ.get("PKTMON_BUILD", os.path.join(ROOT, "build"))


def program(name, required=True):
    """Path of a built pktmon program, or None if not built and not required."""
    path = os.path.join(build_dir(), PROGRAMS[name])
    if os.access(path, os.X_OK):
        return path
    if required:
        die(f"{path} is not built (run: ninja -C {build_dir()}; "
            "PKTMON_BUILD names another build directory)")
    return None


def tool(name):
    path = shutil.which(name)
    if path is None:
        die(f"{name} is not installed (apt-get install -y {name})")
    return path


class Bench:
    """Temporary directory and child processes, cleaned up at exit."""

    def __init__(self, name):
        self.tmp = tempfile.mkdtemp(prefix=f"pktmon-bench-{name}-")
        self.procs = []
        self.logs = []
        atexit.register(self.cleanup)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig, frame):
        raise SystemExit(128 + sig)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def program(self, name):
        """A private copy of a built program, so a rebuild during the run
        neither breaks it nor mixes two versions in one table."""
        dst = self.path("bin", os.path.basename(PROGRAMS[name]))
        if not os.path.exists(dst):
            os.makedirs(self.path("bin"), exist_ok=True)
            shutil.copy2(program(name), dst)
        return dst

    def spawn(self, args, log=None, stdout=None, **kw):
        """Start args; stderr (and stdout unless given) go to tmp/log."""
        f = open(self.path(log or "spawn.log"), "ab")
        self.logs.append(f)
        p = subprocess.Popen(args, stdout=stdout if stdout is not None else f,
                             stderr=f, stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=10.0):
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in reversed(list(self.procs)):
            self.stop(p, timeout=3.0)
        for f in self.logs:
            f.close()
        self.logs = []
        shutil.rmtree(self.tmp, ignore_errors=True)

    def pki(self):
        d = self.path("pki")
        subprocess.run([os.path.join(ROOT, "scripts", "pktmon-certs"), d],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return d


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    die("no free port")


def _bound(table, port, state):
    want = f":{port:04X}"
    try:
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1].endswith(want) and (state is None or fields[3] == state):
                    return True
    except FileNotFoundError:
        pass
    return False


def wait_bound(port, proto, proc, timeout=10.0):
    """Wait until something listens on port (from /proc/net, no connection)."""
    table, state = ("/proc/net/tcp", "0A") if proto == "tcp" else ("/proc/net/udp", None)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            die(f"{proc.args[0]} exited with status {proc.returncode} at start")
        if _bound(table, port, state):
            return
        time.sleep(0.05)
    die(f"nothing bound {proto} port {port} after {timeout:.0f} s")


def cpu_s(pid):
    """utime + stime of pid in seconds, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kib(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def udp_snmp():
    """Kernel UDP counters (InErrors, RcvbufErrors, SndbufErrors ...)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def tcp_established(port):
    """TCP connections established to local port (/proc/net/tcp, tcp6)."""
    want, n = f":{port:04X}", 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                n += sum(1 for line in f if line.split()[1].endswith(want)
                         and line.split()[3] == "01")
        except FileNotFoundError:
            pass
    return n


def udp_port_drops(port):
    """Receive-buffer drops of the UDP sockets bound to port (/proc/net/udp)."""
    want, drops = f":{port:04X}", 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(want):
                        drops += int(fields[-1])
        except FileNotFoundError:
            pass
    return drops


def metrics(port):
    """OpenMetrics samples of a pktmon --metrics endpoint as {name: value};
    empty (and a note on stderr) if the endpoint does not answer in 10 s."""
    out = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                    timeout=10) as r:
            text = r.read().decode()
    except OSError as e:
        print(f"metrics on port {port}: {e}", file=sys.stderr)
        return out
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def quantile(sorted_values, q):
    """Nearest-rank quantile of an already sorted list (None if empty)."""
    if not sorted_values:
        return None
    i = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[i]


def send_schedule(send_times_ns, interval_ns):
    """How well sends kept to a schedule of one every interval_ns.

    Returns (slots, sends, late, worst_gap_ns): slots is the number of
    deadlines in the span from the first send to the last, sends the number
    of sends (slots - sends were skipped), late the sends that came two or
    more intervals after the previous one (the timer fired more than one
    interval late).
    """
    t = sorted(send_times_ns)
    if len(t) < 2:
        return len(t), len(t), 0, 0
    late, worst = 0, 0
    for a, b in zip(t, t[1:]):
        g = b - a
        worst = max(worst, g)
        late += g >= 2 * interval_ns
    slots = (t[-1] - t[0] + interval_ns // 2) // interval_ns + 1
    return slots, len(t), late, worst


def sample_cpu(launch, duration, pids, tail=1.0):
    """CPU of each pid as a % of one core (None for one that is gone) over
    the steady part of a run started at launch (monotonic) and due to stop
    duration s later: from 1 s after the start to tail s before the stop,
    and at least 2 s after the start. Sleeps until the window closes."""
    sleep_until(launch + 1.0)
    c0 = [cpu_s(p) for p in pids]
    w0 = time.monotonic()
    sleep_until(launch + max(duration - tail, 2.0))
    c1 = [cpu_s(p) for p in pids]
    w = time.monotonic() - w0
    return [None if a is None or z is None else 100.0 * (z - a) / w
            for a, z in zip(c0, c1)]


def summarize(name, rtts_ns, sent, received, send_groups, interval_ns, cpu):
    """One tool's figures. send_groups: lists of send times, one per
    schedule (session); cpu: [client %, server %]."""
    rtts_ns.sort()
    slots = sends = late = worst = 0
    for g in send_groups:
        n, k, m, w = send_schedule(g, interval_ns)
        slots, sends, late, worst = slots + n, sends + k, late + m, max(worst, w)
    lost = sent - received
    return {
        "name": name, "sent": sent, "received": received, "lost": lost,
        "loss_pct": 100.0 * lost / sent if sent else None,
        "median_us": None if not rtts_ns else quantile(rtts_ns, 0.5) / 1e3,
        "p99_us": None if not rtts_ns else quantile(rtts_ns, 0.99) / 1e3,
        "client_cpu": cpu[0], "server_cpu": cpu[1],
        "skipped_pct": 100.0 * max(slots - sends, 0) / slots if slots else None,
        "late_pct": 100.0 * late / sends if sends else None,
        "worst_gap_ms": worst / 1e6,
    }


def _irtt_trip(d):
    """json object_hook: a round trip becomes (rtt_ns or None if lost,
    client send wall ns or None), so a run of millions of trips does not
    keep every nested object."""
    if "seqno" not in d:
        return d
    rtt = d.get("delay", {}).get("rtt") if d.get("lost") == "false" else None
    return rtt, d["timestamps"].get("client", {}).get("send", {}).get("wall")


# How long an irtt client may run past its duration before it is interrupted.
IRTT_OVERRUN = 30.0


def run_irtt(b, rate, duration, size, tail=1.0, overrun=IRTT_OVERRUN):
    """irtt server + client on loopback at rate for duration s, size-octet
    UDP payload (irtt's -l counts its headers in it): (summary, None), or
    (None, what went wrong). CPU as sample_cpu(..., tail). A client not
    done overrun s after its duration is interrupted (irtt then writes the
    JSON of what it did) and the summary says "stopped"."""
    port = free_port()
    interval_ns = 10**9 // rate
    # -i 0 -d 0: no minimum interval and no maximum duration on the server.
    srv = b.spawn([tool("irtt"), "server", "-b", f"127.0.0.1:{port}",
                   "-i", "0", "-d", "0"], log=f"irtt-server-{rate}.log")
    wait_bound(port, "udp", srv)
    out = b.path(f"irtt-{rate}.json")
    snmp0 = udp_snmp()
    launch = time.monotonic()
    cli = b.spawn([tool("irtt"), "client", "-i", f"{interval_ns // 1000}us",
                   "-d", f"{duration}s", "-l", str(size), "-Q", "-o", out,
                   f"127.0.0.1:{port}"], log=f"irtt-client-{rate}.log")
    cpu = sample_cpu(launch, duration, [cli.pid, srv.pid], tail)
    stopped = False
    try:
        cli.wait(max(launch + duration + overrun - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        stopped = True
        b.stop(cli, signal.SIGINT)
    snmp1 = udp_snmp()
    srv_drops = udp_port_drops(port)
    b.stop(srv)
    try:
        with open(out) as f:
            j = json.load(f, object_hook=_irtt_trip)
    except (OSError, ValueError) as e:
        with open(b.path(f"irtt-client-{rate}.log")) as f:
            lines = [line.strip() for line in f if line.strip()]
        return None, (f"irtt client exited with status {cli.returncode}, "
                      f"no JSON ({lines[-1] if lines else e})")
    trips = j["round_trips"]
    st = j["stats"]
    s = summarize("irtt", [t[0] for t in trips if t[0] is not None],
                  st["packets_sent"], st["packets_received"],
                  [[t[1] for t in trips if t[1] is not None]], interval_ns, cpu)
    s["self_timer_miss_pct"] = st.get("timer_miss_percent")
    # The server's count as of the last reply that came back.
    s["server_received"] = st.get("server_packets_received")
    s["srv_drops"] = srv_drops
    s["kernel_rcvbuf"] = snmp1["RcvbufErrors"] - snmp0["RcvbufErrors"]
    s["stopped"] = stopped
    return s, None


def table(header, rows, notes=()):
    """Print rows as an aligned text table."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    width = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(width[i]) if i else c.ljust(width[i])
                        for i, c in enumerate(r)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in width))
    for note in notes:
        print(note)


def cpu_busy(seconds=1.0):
    """Fraction of all CPUs busy over the next few seconds (/proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v) - v[3] - v[4], sum(v)
    b0, t0 = snap()
    time.sleep(seconds)
    b1, t1 = snap()
    return (b1 - b0) / max(t1 - t0, 1)


def host_line():
    """CPUs and how busy they were just before the run."""
    busy = cpu_busy()
    line = f"{os.cpu_count()} CPUs, {100 * busy:.0f} % busy before the run"
    if busy > 0.10:
        line += " (other work is running: figures include its noise)"
    return line


def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
