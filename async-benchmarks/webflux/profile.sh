#!/usr/bin/env bash
# JFR profile of SignBench under wrk: /sign/eventloop and /sign/elastic at 512 connections.
# Run run.sh once first (it builds the service and writes target/classpath.txt). Writes
# target/profile/{eventloop,elastic}.jfr (summarise with ../tools/jfr-top.sh), the wrk outputs, and
# the context switches of all the service's threads before/after each run (ctxsum-*.txt).
# JAVA_OPTS=-Dbench.provider=accp profiles with the fastest provider.
set -u
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
here="$(cd "$(dirname "$0")" && pwd)"
cp="$here/target/classes:$(cat $here/target/classpath.txt)"
PORT=18098
out="$here/target/profile"; mkdir -p "$out"
$JAVA_HOME/bin/java --add-exports java.base/jdk.internal.vm=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
  -Xms512m -Xmx512m ${JAVA_OPTS:-} \
  -cp "$cp" dev.asyncjobs.benchmarks.webflux.SignBench --server.port=$PORT > $out/service.log 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$PORT/hello >/dev/null 2>&1 && break; sleep 0.5; done
wrk -t2 -c512 -d10s http://127.0.0.1:$PORT/sign/eventloop > /dev/null
wrk -t2 -c512 -d10s http://127.0.0.1:$PORT/sign/elastic > /dev/null
for m in eventloop elastic; do
  $JAVA_HOME/bin/jcmd $pid JFR.start name=$m settings=profile > /dev/null
  grep -E "^(ctxt|voluntary|nonvoluntary)" /proc/$pid/status > $out/ctx-$m-before.txt
  cat /proc/$pid/task/*/status | awk '/voluntary_ctxt_switches/ {s+=$2} END {print s}' > $out/ctxsum-$m-before.txt
  wrk -t2 -c512 -d20s --latency http://127.0.0.1:$PORT/sign/$m > $out/wrk-$m.txt
  cat /proc/$pid/task/*/status | awk '/voluntary_ctxt_switches/ {s+=$2} END {print s}' > $out/ctxsum-$m-after.txt
  $JAVA_HOME/bin/jcmd $pid JFR.stop name=$m filename=$out/$m.jfr > /dev/null
done
kill $pid; wait $pid
echo "done: $out"
