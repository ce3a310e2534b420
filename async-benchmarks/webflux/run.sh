#!/usr/bin/env bash
# The WebFlux load benchmark, one command:  async-benchmarks/webflux/run.sh [--quick]
# Builds the service (offline Maven, from this checkout), starts it in one JVM, warms it up, drives
# every mode with wrk (Debian package `wrk`) on loopback, interleaved, and writes
# target/webflux-results.md (the rows for RESULTS.md). Options (environment):
#   SECS=8 ROUNDS=2 WARMUP=8  seconds per cell, rounds, warm-up seconds per mode (two passes)
#   MODES=inline,elastic,vt,loops,eventloop
#   JAVA_OPTS=...             extra JVM flags (e.g. a provider; -Dreactor.netty.native=false for NIO)
#   PROVIDER="JDK (SunEC)"    the label written next to the figures
#   PACED_MS=20               also the mixed test with /sign below saturation: each /sign connection
#                             waits this long between requests, so every mode signs at about one rate
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
SECS="${SECS:-8}" ROUNDS="${ROUNDS:-2}" WARMUP="${WARMUP:-8}"
if [[ "${1:-}" == "--quick" ]]; then SECS=3 ROUNDS=1 WARMUP=2; fi
MODES="${MODES:-inline,elastic,vt,loops,eventloop}"
PORT="${PORT:-18097}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }

cd "$root"
mvn -B -o -q -pl async-benchmarks/webflux -am -DskipTests -Dmaven.javadoc.skip=true \
    package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="$here/target/classes:$(cat "$here/target/classpath.txt")"

log="$here/target/service.log"
"$JAVA_HOME/bin/java" --add-exports java.base/jdk.internal.vm=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
    -Xms512m -Xmx512m ${JAVA_OPTS:-} -cp "$cp" dev.asyncjobs.benchmarks.webflux.SignBench --server.port="$PORT" \
    >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/hello" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.5
done
for m in ${MODES//,/ }; do
    curl -sf "http://127.0.0.1:$PORT/sign/$m" >/dev/null || { echo "/sign/$m failed" >&2; cat "$log" >&2; exit 1; }
done
echo "service up (pid $pid); load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$here/bench.py" --base "http://127.0.0.1:$PORT" --pid "$pid" --secs "$SECS" --rounds "$ROUNDS" \
    --warmup "$WARMUP" --modes "$MODES" --provider "${PROVIDER:-JDK (SunEC)}" --paced-ms "${PACED_MS:-0}" --out "$here/target/webflux-results.md"
