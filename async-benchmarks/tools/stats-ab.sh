#!/usr/bin/env bash
# Counters on vs off (issue 15): MonoOverhead.asyncMono and asyncMonoMany, JVMs with
# -Dasyncjobs.stats=false and =true interleaved round by round (one fork each, 4 x 1 s warm-up,
# 5 x 1 s measurement), then the on/off ratio per round and its median.
# usage: async-benchmarks/tools/stats-ab.sh [ROUNDS]   (after run.sh or mvn package built the jar)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
rounds=${1:-6}
out=target/stats-ab
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
    for mode in off on; do
        flag=true; [[ $mode == off ]] && flag=false
        # -jvmArgsAppend replaces the benchmark's own, so the backend flag is given again
        "$JAVA_HOME/bin/java" -jar target/benchmarks.jar 'MonoOverhead.asyncMono' -f 1 -wi 4 -w 1 -i 5 -r 1 \
            -jvmArgsAppend "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED -Dasyncjobs.stats=$flag" \
            -rf json -rff "$out/r$r-$mode.json" > "$out/r$r-$mode.log" 2>&1
        echo "round $r $mode done, load $(cut -d' ' -f1 /proc/loadavg)"
    done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
score = lambda r, m: {b["benchmark"].split(".")[-1]: b["primaryMetric"]["score"] for b in json.load(open(f"{out}/r{r}-{m}.json"))}
for bm in ("asyncMono", "asyncMonoMany"):
    off = [score(r, "off")[bm] for r in range(1, rounds + 1)]
    on = [score(r, "on")[bm] for r in range(1, rounds + 1)]
    ratios = [a / b for a, b in zip(on, off)]
    print(f"{bm}: off {[round(x) for x in off]} ns, on {[round(x) for x in on]} ns, "
          f"on/off median {statistics.median(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f})")
PY
