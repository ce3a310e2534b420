#!/usr/bin/env bash
# Where SignBench's CPU goes, per thread group: user and system CPU and voluntary/involuntary
# context switches per request (from /proc/<pid>/task/*/{stat,status}), for each mode in MODES
# (default: elastic eventloop) at C connections (default 512), D seconds per run, two rounds (the
# first after a 10 s warm-up per mode, the second reported too: the JIT may still be at work in the
# first). Also a JFR recording per mode (target/profile/<mode>.jfr, summarise with
# ../tools/jfr-top.sh), and with PERF=1 a `perf record -g` of the event-loop threads in the second
# round (target/profile/<mode>.perf.data; the JVM writes /tmp/perf-<pid>.map for the JIT frames).
# Run run.sh once first (it builds the service and writes target/classpath.txt).
# JAVA_OPTS=-Dbench.provider=accp profiles with the fastest provider.
set -u
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
here="$(cd "$(dirname "$0")" && pwd)"
cp="$here/target/classes:$(cat "$here/target/classpath.txt")"
PORT=18098 C="${C:-512}" D="${D:-10}" MODES="${MODES:-elastic eventloop}"
out="$here/target/profile"; mkdir -p "$out"
"$JAVA_HOME/bin/java" --add-exports java.base/jdk.internal.vm=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
  -Xms512m -Xmx512m -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit ${JAVA_OPTS:-} \
  -cp "$cp" dev.asyncjobs.benchmarks.webflux.SignBench --server.port=$PORT > "$out/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$PORT/hello >/dev/null 2>&1 && break; sleep 0.5; done
for m in $MODES; do wrk -t2 -c"$C" -d10s http://127.0.0.1:$PORT/sign/$m > /dev/null; done

# one line per thread: tid comm utime stime (clock ticks) voluntary involuntary
snap() {
  for t in /proc/$pid/task/*; do
    s=$(cat "$t/stat" 2>/dev/null) || continue
    comm=${s#*(}; comm=${comm%)*}; rest=${s##*) }
    set -- $rest
    echo "${t##*/} ${comm// /_} ${12} ${13} $(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$t/status")"
  done
}
for r in 1 2; do
  for m in $MODES; do
    [ "$r" = 2 ] && "$JAVA_HOME/bin/jcmd" $pid JFR.start name=$m settings=profile > /dev/null
    snap > "$out/$m-$r-before.txt"
    pp=
    if [ "$r" = 2 ] && [ -n "${PERF:-}" ]; then
      tids=$(awk '$2 ~ /^reactor-http/ {print $1}' "$out/$m-$r-before.txt" | paste -sd,)
      perf record -F 2999 -g -t "$tids" -o "$out/$m.perf.data" -- sleep "$D" > /dev/null 2>&1 &
      pp=$!
    fi
    wrk -t2 -c"$C" -d"${D}s" --latency http://127.0.0.1:$PORT/sign/$m > "$out/wrk-$m-$r.txt"
    snap > "$out/$m-$r-after.txt"
    [ -n "$pp" ] && wait $pp
    [ "$r" = 2 ] && "$JAVA_HOME/bin/jcmd" $pid JFR.stop name=$m filename="$out/$m.jfr" > /dev/null
  done
done
kill $pid; wait $pid 2>/dev/null
PYTHONPATH="$here" python3 - "$out" "$C" "$D" $MODES <<'PY'
import os, re, sys
out, conns, secs, modes = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
from bench import GROUPS  # the thread groups by name prefix, as the benchmark reads them (device: its timer too)
tick = 1e6 / os.sysconf("SC_CLK_TCK")
def load(f):
    return {l.split()[0]: l.split()[1:] for l in open(f)}
print(f"/sign at {conns} connections; per request: CPU us (user + system), context switches (voluntary / involuntary)")
for r in ("1", "2"):
    for m in modes:
        b, a = load(f"{out}/{m}-{r}-before.txt"), load(f"{out}/{m}-{r}-after.txt")
        req = int(re.search(r"(\d+) requests in", open(f"{out}/wrk-{m}-{r}.txt").read()).group(1))
        agg = {}
        for tid, (comm, u, s, v, n) in a.items():
            bu, bs, bv, bn = map(int, b.get(tid, [comm, 0, 0, 0, 0])[1:])
            g = next((g for g, prefixes in GROUPS if comm.startswith(prefixes)), "other")
            x = agg.setdefault(g, [0, 0, 0, 0])
            for i, d in enumerate((int(u) - bu, int(s) - bs, int(v) - bv, int(n) - bn)):
                x[i] += d
        total = sum((x[0] + x[1]) * tick for x in agg.values()) / req
        print(f"round {r} {m}: {req / secs:.0f} req/s, {total:.0f} us CPU per request")
        for g, _ in GROUPS + [("other", "")]:
            if g in agg and agg[g][0] + agg[g][1] > 0:
                u, s, v, n = agg[g]
                print(f"   {g:12s} user {u * tick / req:6.1f}  system {s * tick / req:5.1f}  switches {v / req:4.2f} / {n / req:4.2f}")
PY
echo "JFR, wrk outputs and snapshots in $out"
