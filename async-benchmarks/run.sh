#!/usr/bin/env bash
# One-command benchmark run for asyncjobs:
#   1. builds and runs the native OpenSSL ASYNC_JOB baseline (src/main/c/baseline.c, gcc + libcrypto)
#   2. runs the JMH benchmarks (target/benchmarks.jar) if that jar has been built
#   3. merges both into results/latest.json and renders RESULTS.md (tools/MergeResults.java)
#
# usage: async-benchmarks/run.sh [--quick] [--million|--no-million] [-- JMH args...]
#   --quick        fewer iterations everywhere (native ~3 s; JMH -f 1 -wi 2 -i 3 -w 1s -r 1s)
#   --million      also measure native RSS with 1M paused jobs (~5.5 GB, ~15 s). Default: on in
#                  full mode when MemAvailable >= 8 GiB, off in quick mode.
#   --no-million   never run the 1M measurement
#   -- ARGS        passed to JMH after the defaults (e.g. a benchmark regex: -- PauseResume)
# env: JAVA_HOME (used if no temurin-25 is installed and it is JDK >= 21),
#      BASELINE_ARGS (extra flags for target/baseline, e.g. "--settle-us 100")
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

quick=0
million=auto
jmh_extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1 ;;
        --million) million=1 ;;
        --no-million) million=0 ;;
        --) shift; jmh_extra=("$@"); break ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 1 ;;
    esac
    shift
done
mode=$([[ $quick == 1 ]] && echo quick || echo full)

# ---------------------------------------------------------------- JDK
java_major() { # prints the feature version of the java at $1/bin/java, or 0
    local v
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
    echo "${v:-0}" | sed 's/^1\.//'
}
pick_jdk() {
    local d
    if [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
        echo /usr/lib/jvm/temurin-25-jdk-amd64; return
    fi
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" && $(java_major "$JAVA_HOME") -ge 21 ]]; then
        echo "$JAVA_HOME"; return
    fi
    for d in /usr/lib/jvm/*/; do
        d=${d%/}
        if [[ -x "$d/bin/java" && -x "$d/bin/javac" && $(java_major "$d") -ge 21 ]]; then
            echo "$d"; return
        fi
    done
    return 1
}
JAVA_HOME=$(pick_jdk) || { echo "run.sh: no JDK >= 21 found under /usr/lib/jvm" >&2; exit 1; }
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
echo "run.sh: mode=$mode JAVA_HOME=$JAVA_HOME" >&2

mkdir -p target results
start=$(date +%s)

# ---------------------------------------------------------------- native baseline
gcc -O2 -Wall src/main/c/baseline.c -o target/baseline -lcrypto -lpthread

native_args=()
[[ $quick == 1 ]] && native_args+=(--quick)
if [[ $million == auto ]]; then
    avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    if [[ $quick == 0 && ${avail_kb:-0} -ge $((8 * 1024 * 1024)) ]]; then million=1; else million=0; fi
fi
[[ $million == 1 ]] && native_args+=(--million)
# shellcheck disable=SC2206
native_args+=(${BASELINE_ARGS:-})

echo "run.sh: target/baseline ${native_args[*]}" >&2
target/baseline "${native_args[@]}" > target/baseline.jsonl
native_done=$(date +%s)
echo "run.sh: native baseline done in $((native_done - start)) s" >&2

# ---------------------------------------------------------------- JMH (hook)
# The JMH module builds target/benchmarks.jar (mvn -pl async-benchmarks -am package); this
# script only runs it. Benchmarks needing the continuation backend should add
# --add-exports java.base/jdk.internal.vm=ALL-UNNAMED through @Fork(jvmArgsAppend = ...).
rm -f target/jmh.json
if [[ -f target/benchmarks.jar ]]; then
    if [[ $quick == 1 ]]; then
        jmh_opts=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
    else
        jmh_opts=(-f 3 -wi 5 -i 5)
    fi
    echo "run.sh: JMH ${jmh_opts[*]} ${jmh_extra[*]:-}" >&2
    if ! "$JAVA" -jar target/benchmarks.jar "${jmh_opts[@]}" -rf json -rff target/jmh.json \
            ${jmh_extra[@]+"${jmh_extra[@]}"}; then
        echo "run.sh: JMH failed; the report will list its rows as not measured" >&2
    fi
else
    echo "run.sh: target/benchmarks.jar not built; skipping JMH (rows will read 'not measured')" >&2
fi

# ---------------------------------------------------------------- merge + report
# Extra non-JMH Java measurements may drop target/*.metrics.jsonl (same line format as
# target/baseline.jsonl); they are merged too.
metrics_args=(--metrics target/baseline.jsonl)
for f in target/*.metrics.jsonl; do
    [[ -f "$f" ]] && metrics_args+=(--metrics "$f")
done
"$JAVA" tools/MergeResults.java "${metrics_args[@]}" --jmh target/jmh.json \
    --out results/latest.json --md RESULTS.md --mode "$mode"

echo "run.sh: done in $(( $(date +%s) - start )) s -> async-benchmarks/results/latest.json, async-benchmarks/RESULTS.md" >&2
