#!/usr/bin/env python3
"""Drives the WebFlux signing service (SignBench) with wrk and reads CPU per thread group from /proc.

Everything runs side by side against one JVM, interleaved: for every phase and round, each mode
runs once, in an order rotated per round, so a load change on the machine hits every mode alike.
Phases: /sign at 64 and 512 connections, and the mixed test (a cheap GET's latency while /sign is
saturated at 256 connections). Figures: requests/s, latency p50/p99, errors (non-2xx + socket
errors), CPU per request (total and per thread group), live threads. Medians over rounds, with the
spread (min-max).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

MODES = ["inline", "elastic", "vt", "loops", "eventloop"]
GROUPS = [  # (group, comm prefix; /proc truncates names to 15 chars)
    ("event loops", ("reactor-http-",)),
    ("elastic", ("elastic-",)),
    ("vt carriers", ("ForkJoinPool-",)),
    ("job loops", ("asyncjobs-loop-",)),
    ("device", ("bench-device",)),
]
CLK = os.sysconf("SC_CLK_TCK")


def sample(pid):
    """{tid: (comm, cpu seconds)} for the live threads, and the process's total CPU seconds."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        threads[tid] = (comm, (int(fields[11]) + int(fields[12])) / CLK)
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return threads, (int(fields[11]) + int(fields[12])) / CLK


def cpu_delta(before, after):
    """CPU seconds spent between two samples, per thread group, 'other' and 'total'. A thread is
    charged what it spent since the first sample (all of it if it was born in between); what threads
    that ended in between spent shows in the process total only, and is charged to 'other'."""
    (tb, totb), (ta, tota) = before, after
    out = {g: 0.0 for g, _ in GROUPS}
    out["other"] = 0.0
    for tid, (comm, cpu) in ta.items():
        d = cpu - tb.get(tid, (comm, 0.0))[1]
        for g, prefixes in GROUPS:
            if comm.startswith(prefixes):
                out[g] += d
                break
        else:
            out["other"] += d
    out["total"] = tota - totb
    out["other"] += max(0.0, out["total"] - sum(v for k, v in out.items() if k != "total"))
    return out


def parse_wrk(text):
    def dur(v, unit):
        return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]
    r = {}
    m = re.search(r"(\d+) requests in", text)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        r["p" + pct] = dur(m.group(1), m.group(2)) if m else float("nan")
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
        r["timeouts"] = int(m.group(4))
    else:
        r["timeouts"] = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    r["errors"] = errors
    return r


def wrk(url, conns, secs, threads=2, script=None):
    cmd = ["wrk", f"-t{min(threads, conns)}", f"-c{conns}", f"-d{secs}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_sign(base, pid, mode, conns, secs):
    before = sample(pid)
    p = wrk(f"{base}/sign/{mode}", conns, secs)
    text, _ = p.communicate()
    after = sample(pid)
    r = parse_wrk(text)
    r["threads"] = len(after[0])
    ok = max(1, r["requests"] - r["errors"])
    r["cpu_us"] = {g: v * 1e6 / ok for g, v in cpu_delta(before, after).items()}
    return r


def pace_script(ms):
    """A wrk script whose connections each wait ms between a response and their next request (wrk's
    delay() hook): /sign then runs below saturation, at about the same rate whatever the mode."""
    path = f"/tmp/asyncjobs-wrk-pace-{ms}.lua"
    with open(path, "w") as f:
        f.write(f"function delay()\n  return {ms}\nend\n")
    return path


def run_mixed(base, pid, mode, secs, pace_ms=0):
    before = sample(pid)
    sign = wrk(f"{base}/sign/{mode}", 256, secs, script=pace_script(pace_ms) if pace_ms else None)
    time.sleep(1.0)  # /sign saturates first
    get = wrk(f"{base}/hello", 4, max(1, secs - 2), threads=1)
    gtext, _ = get.communicate()
    stext, _ = sign.communicate()
    after = sample(pid)
    nthreads = len(after[0])
    s, g = parse_wrk(stext), parse_wrk(gtext)
    return {"rps": s["rps"], "errors": s["errors"] + g["errors"], "get_p50": g["p50"], "get_p99": g["p99"],
            "get_rps": g["rps"], "threads": nthreads,
            "cpu_us": {k: v * 1e6 / max(1, s["requests"] - s["errors"]) for k, v in cpu_delta(before, after).items()}}


def table_head(lines, title, cols):
    """Appends a table's title and header rows (markdown)."""
    lines += [title, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def med(xs):
    return statistics.median(xs)


def ratio(a, b):
    return a / b if b else float("nan")


def spread(xs, fmt="{:.0f}"):
    return (fmt.format(min(xs)) + "-" + fmt.format(max(xs))) if len(xs) > 1 else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--secs", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--provider", default="JDK (SunEC)")
    ap.add_argument("--paced-ms", type=int, default=0,
                    help="also run the mixed test with each /sign connection waiting this long between requests")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    modes = a.modes.split(",")

    # warm-up: every mode (the JIT, the pools, the scheduler threads), not measured, in two passes:
    # after one pass of 10 s per mode the compiler threads were still busy, and boundedElastic's
    # throughput rose 7-93% (median 25%) over the next minute, asyncjobs' less (12 JVMs, JDK provider)
    for _ in range(2):
        for m in modes:
            wrk(f"{a.base}/sign/{m}", 64, a.warmup).communicate()
        wrk(f"{a.base}/hello", 16, a.warmup).communicate()

    phases = ("c64", "c512", "mixed") + (("paced",) if a.paced_ms else ())
    res = {(ph, m): [] for ph in phases for m in modes}
    for ph in phases:
        for rnd in range(a.rounds):
            order = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
            for m in order:
                if ph in ("mixed", "paced"):
                    r = run_mixed(a.base, a.pid, m, a.secs, a.paced_ms if ph == "paced" else 0)
                else:
                    r = run_sign(a.base, a.pid, m, 64 if ph == "c64" else 512, a.secs)
                res[(ph, m)].append(r)
                print(f"  {ph} round {rnd + 1} {m}: {r.get('rps', 0):.0f}/s errors {r['errors']}", file=sys.stderr)

    load = open("/proc/loadavg").read().split()[:3]
    lines = []
    lines.append(f"Provider: {a.provider}; {os.cpu_count()} cores; wrk on loopback; {a.rounds} rounds x {a.secs} s "
                 f"per cell, interleaved; load average at the end {' '.join(load)}.")
    lines.append("")
    for ph, title, conns in (("c64", "/sign, 64 connections", 64), ("c512", "/sign, 512 connections", 512)):
        table_head(lines, f"**{title}** (median of rounds; spread min-max)",
                   ["mode", "req/s", "p50 ms", "p99 ms", "errors", "CPU us/req total"] + [g for g, _ in GROUPS]
                   + ["other", "threads"])
        for m in modes:
            rs = res[(ph, m)]
            rps = [r["rps"] for r in rs]
            cpu = lambda g: med([r["cpu_us"][g] for r in rs])
            lines.append(f"| {m} | {med(rps):.0f} ({spread(rps)}) | {med([r['p50'] for r in rs]):.1f} | "
                         f"{med([r['p99'] for r in rs]):.1f} | {sum(r['errors'] for r in rs)} | "
                         f"{cpu('total'):.0f} ({spread([r['cpu_us']['total'] for r in rs])}) | "
                         + " | ".join(f"{cpu(g):.0f}" for g, _ in GROUPS) + f" | {cpu('other'):.0f} | "
                         f"{max(r['threads'] for r in rs)} |")
        lines.append("")
    for ph in phases[2:]:
        table_head(lines, "**Mixed: GET /hello (4 connections) while /sign is saturated at 256 connections**"
                   if ph == "mixed" else
                   f"**Paced: the same, each /sign connection waiting {a.paced_ms} ms between requests**",
                   ["mode", "GET p50 ms", "GET p99 ms", "GET req/s", "/sign req/s", "errors", "CPU us/sign total",
                    "threads"])
        for m in modes:
            rs = res[(ph, m)]
            lines.append(f"| {m} | {med([r['get_p50'] for r in rs]):.2f} ({spread([r['get_p50'] for r in rs], '{:.2f}')}) | "
                         f"{med([r['get_p99'] for r in rs]):.2f} | {med([r['get_rps'] for r in rs]):.0f} | "
                         f"{med([r['rps'] for r in rs]):.0f} | {sum(r['errors'] for r in rs)} | "
                         f"{med([r['cpu_us']['total'] for r in rs]):.0f} | {max(r['threads'] for r in rs)} |")
        lines.append("")
    if "eventloop" in modes and "elastic" in modes:
        def m_(ph, mode, key):
            return med([r[key] for r in res[(ph, mode)]])
        def c_(ph, mode):
            return med([r["cpu_us"]["total"] for r in res[(ph, mode)]])
        lines.append("**Targets** (asyncjobs on the event loops vs boundedElastic, same provider):")
        lines.append("")
        for ph in ("c64", "c512"):
            lines.append(f"- {ph}: /sign throughput {ratio(m_(ph, 'eventloop', 'rps'), m_(ph, 'elastic', 'rps')):.2f}x "
                         f"(target >= 1.0x); CPU/request {ratio(c_(ph, 'eventloop'), c_(ph, 'elastic')):.2f}x (target <= 1.0x)")
        lines.append(f"- mixed: GET p50 {ratio(m_('mixed', 'eventloop', 'get_p50'), m_('mixed', 'elastic', 'get_p50')):.3f}x "
                     f"boundedElastic (target <= 0.1x); GET p99 {m_('mixed', 'eventloop', 'get_p99'):.2f} ms vs "
                     f"{m_('mixed', 'vt', 'get_p99') if 'vt' in modes else float('nan'):.2f} ms on virtual threads "
                     f"(target: no worse)")
        if "vt" in modes:
            lines.append(f"- /sign p99 at 512 connections: {m_('c512', 'eventloop', 'p99'):.1f} ms = "
                         f"{ratio(m_('c512', 'eventloop', 'p99'), m_('c512', 'vt', 'p99')):.2f}x the virtual-thread figure "
                         f"(target <= 0.2x), errors {sum(r['errors'] for r in res[('c512', 'eventloop')])} (target 0); "
                         # Little's law: 512 connections always busy, so the mean latency is 512 / throughput,
                         # and a p99 is at least the mean
                         f"the mean latency at that throughput is {512e3 / m_('c512', 'eventloop', 'rps'):.1f} ms "
                         f"(512 / req/s, a floor for any p99), 0.2x is {0.2 * m_('c512', 'vt', 'p99'):.1f} ms")
        lines.append("")
    text = "\n".join(lines)
    with open(a.out, "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
