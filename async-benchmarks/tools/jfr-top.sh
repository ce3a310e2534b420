#!/usr/bin/env bash
# Summarises a JFR recording's CPU samples: the hottest frames (self time: the top frame of each
# jdk.ExecutionSample) and the hottest frames of asyncjobs' own code (the first dev.asyncjobs frame
# of each sample, excluding the benchmarks), each with its share of all samples.
#
# usage: tools/jfr-top.sh RECORDING.jfr [N]
#   e.g. after run.sh --profile:  for f in target/jfr/*/profile.jfr; do tools/jfr-top.sh "$f" 15; done
set -euo pipefail
f=$1
n=${2:-20}
JFR=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jfr
[[ -x $JFR ]] || JFR=jfr
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$JFR" print --events jdk.ExecutionSample "$f" > "$tmp"
total=$(grep -c 'jdk.ExecutionSample' "$tmp" || true)
echo "== $f: $total CPU samples"
echo "-- self (top frame)"
grep -A1 'stackTrace = \[' "$tmp" | grep -v 'stackTrace\|^--' | sed 's/line:.*//' | awk '{$1=$1};1' \
    | sort | uniq -c | sort -rn | head -"$n" | awk -v t="$total" '{ printf "%5.1f%%  %s\n", 100*$1/t, substr($0, index($0,$2)) }'
echo "-- first asyncjobs frame (core/adapters, not the benchmark)"
awk '/stackTrace = \[/ { inst=1; found=0; next }
     inst && /^[[:space:]]*\]/ { inst=0; next }
     inst && !found && /dev\.asyncjobs\./ && !/dev\.asyncjobs\.benchmarks\./ { sub(/line:.*/, ""); gsub(/^[ \t]+|[ \t]+$/, ""); print; found=1 }' "$tmp" \
    | sort | uniq -c | sort -rn | head -"$n" | awk -v t="$total" '{ printf "%5.1f%%  %s\n", 100*$1/t, substr($0, index($0,$2)) }'
