#!/usr/bin/env bash
# One-command benchmark run for asyncjobs, everything on this machine in one go:
#   0. builds: mvn install of async-core, async-reactor, async-rxjava and this module (benchmarks.jar)
#   1. the native OpenSSL ASYNC_JOB baseline (src/main/c/baseline.c, gcc -O2 + libcrypto)
#   2. the Java measurement programs (fd wake latency vs raw Selector, heap per paused job, ...)
#   3. the JMH benchmarks (baselines such as the naive hand-off and plain Reactor run in the same JMH run)
#   4. merges everything into results/latest.json and renders RESULTS.md (tools/MergeResults.java)
#
# usage: async-benchmarks/run.sh [--quick|--smoke] [--no-build] [--million|--no-million]
#                                [--out-dir DIR] [-- JMH args...]
#   (default)      the full run RESULTS.md quotes: JMH 3 forks x 5 x 1 s, all counts up to 1M (~20 min)
#   --quick        fewer iterations and counts everywhere (under 3 minutes on 2 cores)
#   --smoke        tiny counts, one JMH benchmark, only to check that the pipeline writes valid JSON
#                  (used by RunShSmokeTest); never builds; writes to target/smoke/ unless --out-dir
#   --no-build     use the jar (or BENCH_CLASSPATH) as it is
#   --million      also measure native RSS and round robin with 1M paused jobs (~5.5 GB). Default: on
#                  in full mode when MemAvailable >= 8 GiB, off otherwise
#   --no-million   never run the native 1M measurements
#   --out-dir DIR  write latest.json and RESULTS.md to DIR instead of results/ and .
#   --merge-only   measure nothing: re-render results/latest.json and RESULTS.md from the last run's
#                  target/ files (e.g. after editing analysis.md, which RESULTS.md includes)
#   --profile      record every JMH fork with JFR (-prof jfr) and summarise the hottest frames of
#                  each benchmark into target/jfr/summary.txt (tools/jfr-top.sh)
#   --wait-quiet S wait up to S seconds for the 1-minute load average to drop below half the CPUs
#                  before measuring (the report names the load average either way)
#   -- ARGS        passed to JMH after the defaults (e.g. a benchmark regex: -- PauseResume)
# env: JAVA_HOME (used if no temurin-25 is installed and it is JDK >= 21),
#      BASELINE_ARGS (extra flags for target/baseline, e.g. "--settle-us 100"),
#      BENCH_CLASSPATH (run JMH and the programs from this class path instead of target/benchmarks.jar;
#                       JMH finds its benchmark list in target/classes; implies --no-build)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd)

mode=full
build=1
million=auto
out_dir=
wait_quiet=0
profile=0
merge_only=0
jmh_extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) mode=quick ;;
        --smoke) mode=smoke; build=0 ;;
        --no-build) build=0 ;;
        --million) million=1 ;;
        --no-million) million=0 ;;
        --out-dir) out_dir=$2; shift ;;
        --wait-quiet) wait_quiet=$2; shift ;;
        --profile) profile=1 ;;
        --merge-only) merge_only=1; build=0 ;;
        --) shift; jmh_extra=("$@"); break ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 1 ;;
    esac
    shift
done
[[ -n "${BENCH_CLASSPATH:-}" ]] && build=0

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
CONT_FLAG=--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED
echo "run.sh: mode=$mode JAVA_HOME=$JAVA_HOME" >&2

if [[ $mode == smoke ]]; then
    work=target/smoke
    out_json=${out_dir:-target/smoke}/latest.json
    out_md=${out_dir:-target/smoke}/RESULTS.md
else
    work=target
    out_json=${out_dir:-results}/latest.json
    out_md=${out_dir:-.}/RESULTS.md
fi
mkdir -p "$work" "$(dirname "$out_json")" "$(dirname "$out_md")"

merge() {
    local metrics_args=(--metrics "$work/baseline.jsonl") f
    for f in "$work"/*.metrics.jsonl; do
        [[ -f "$f" ]] && metrics_args+=(--metrics "$f")
    done
    local m=$mode
    [[ $merge_only == 1 && -f "$work/mode" ]] && m=$(cat "$work/mode")
    "$JAVA" tools/MergeResults.java "${metrics_args[@]}" --jmh "$work/jmh.json" \
        --out "$out_json" --md "$out_md" --mode "$m" --analysis analysis.md
}
if [[ $merge_only == 1 ]]; then
    merge
    exit 0
fi
rm -f "$work"/*.metrics.jsonl "$work/jmh.json" "$work/baseline.jsonl"
echo "$mode" > "$work/mode"
# ---------------------------------------------------------------- build
if [[ $build == 1 ]]; then
    echo "run.sh: building (mvn -B -q -DskipTests install -pl async-core,async-reactor,async-rxjava,async-benchmarks -am)" >&2
    (cd .. && MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}" \
        mvn -B -q -DskipTests install -pl async-core,async-reactor,async-rxjava,async-benchmarks -am)
fi
# ---------------------------------------------------------------- measure
if [[ $wait_quiet -gt 0 ]]; then
    cpus=$(nproc)
    until awk -v c="$cpus" '{ exit !($1 < c / 2) }' /proc/loadavg; do
        if [[ $(( $(date +%s) - ${quiet_start:=$(date +%s)} )) -ge $wait_quiet ]]; then
            echo "run.sh: still busy after $wait_quiet s (load $(cut -d' ' -f1-3 /proc/loadavg)); measuring anyway" >&2
            break
        fi
        sleep 10
    done
fi
start=$(date +%s)
env_file="$work/env.metrics.jsonl"
printf '{"type":"env","loadavg_start":"%s"}\n' "$(cut -d' ' -f1-3 /proc/loadavg)" > "$env_file"

if [[ -n "${BENCH_CLASSPATH:-}" ]]; then
    cp=$BENCH_CLASSPATH
elif [[ -f target/benchmarks.jar ]]; then
    cp=target/benchmarks.jar
else
    cp=
    echo "run.sh: target/benchmarks.jar not built (run without --no-build); Java rows will read 'not measured'" >&2
fi
failed=()

# ---------------------------------------------------------------- native baseline
gcc -O2 -Wall src/main/c/baseline.c -o "$work/baseline" -lcrypto -lpthread

native_args=()
case $mode in
    quick) native_args+=(--quick) ;;
    smoke) native_args+=(--smoke) ;;
esac
if [[ $million == auto ]]; then
    avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    if [[ $mode == full && ${avail_kb:-0} -ge $((8 * 1024 * 1024)) ]]; then million=1; else million=0; fi
fi
[[ $million == 1 ]] && native_args+=(--million)
# shellcheck disable=SC2206
native_args+=(${BASELINE_ARGS:-})

echo "run.sh: $work/baseline ${native_args[*]}" >&2
"$work/baseline" "${native_args[@]}" > "$work/baseline.jsonl"
echo "run.sh: native baseline done in $(( $(date +%s) - start )) s" >&2

# ---------------------------------------------------------------- Java measurement programs
# Each writes metrics lines (the native baseline's format) to $work/NAME.metrics.jsonl.
program() { # program OUT_NAME JVM_ARGS... -- CLASS ARGS...
    local name=$1; shift
    local jvm=()
    while [[ $1 != -- ]]; do jvm+=("$1"); shift; done
    shift
    local cls=$1; shift
    echo "run.sh: $cls $* ${jvm[*]:-}" >&2
    if ! "$JAVA" ${jvm[@]+"${jvm[@]}"} -cp "$cp" "dev.asyncjobs.benchmarks.$cls" "$@" \
            --out "$work/$name.metrics.jsonl"; then
        echo "run.sh: $cls $* failed; its rows will read 'not measured'" >&2
        failed+=("$cls $*")
    fi
}

if [[ -n "$cp" ]]; then
    case $mode in
        full)  fd=(--rounds 5 --samples 4000 --warmup 5000); vtfd=(--rounds 3 --samples 2000 --warmup 3000) ;;
        quick) fd=(--rounds 2 --samples 1500 --warmup 3000); vtfd=(--rounds 1 --samples 1000 --warmup 1000) ;;
        smoke) fd=(--rounds 1 --samples 50 --warmup 50); vtfd=() ;;
    esac
    program fdwake "$CONT_FLAG" -- FdWakeLatency "${fd[@]}"
    [[ ${#vtfd[@]} -gt 0 ]] && program fdwake-vt -- FdWakeLatency --modes loop "${vtfd[@]}"

    # heap per paused job: a fresh JVM per count, as the native baseline forks per count
    mem() { program memory "$@"; }
    heap=(-Xmx6g -Xms1g)
    case $mode in
        full)
            for n in 1000 10000 100000 1000000; do mem "$CONT_FLAG" "${heap[@]}" -- PausedJobMemory --kind job --jobs $n; done
            for n in 1000 10000 100000; do mem "$CONT_FLAG" "${heap[@]}" -- PausedJobMemory --kind ctx --jobs $n; done
            for n in 1000 10000 100000; do mem "$CONT_FLAG" "${heap[@]}" -- PausedJobMemory --kind loop --jobs $n; done
            for n in 1000 10000 100000; do mem "${heap[@]}" -- PausedJobMemory --kind job --jobs $n --rounds 1; done
            ;;
        quick)
            mem "$CONT_FLAG" "${heap[@]}" -- PausedJobMemory --kind job --jobs 100000 --rounds 2
            mem "$CONT_FLAG" "${heap[@]}" -- PausedJobMemory --kind loop --jobs 100000 --rounds 1 --warmup 20000
            mem "${heap[@]}" -- PausedJobMemory --kind job --jobs 100000 --rounds 1 --warmup 2000
            ;;
        smoke)
            mem "$CONT_FLAG" -- PausedJobMemory --kind job --jobs 1000 --rounds 1 --warmup 1000
            ;;
    esac

    # 10,000 paused Monos (heap, all complete, no fd left) and crypto at 10,000 concurrent requests
    case $mode in
        full)  monos=(--rounds 3); crypto=(--rounds 3) ;;
        quick) monos=(--rounds 1); crypto=(--rounds 1) ;;
        smoke) monos=(); crypto=() ;;
    esac
    if [[ ${#monos[@]} -gt 0 ]]; then
        program monos "$CONT_FLAG" -- PausedMonos "${monos[@]}"
        # a fixed, pre-touched heap: a heap that grows during a round faults in fresh pages under
        # the AES requests (16 KiB each), 2-4 faults per request, 5-20x slower rounds (RESULTS.md)
        fixed_heap=(-Xms2g -Xmx2g -XX:+AlwaysPreTouch)
        program crypto "$CONT_FLAG" "${fixed_heap[@]}" -- CryptoConcurrency --op ecdsa-p256-sign "${crypto[@]}"
        program crypto "$CONT_FLAG" "${fixed_heap[@]}" -- CryptoConcurrency --op aes-gcm-16k "${crypto[@]}"
    fi
fi

# ---------------------------------------------------------------- JMH
if [[ -n "$cp" ]]; then
    case $mode in
        full)  jmh_opts=(-f 3 -wi 5 -i 5 -w 1s -r 1s) ;;
        quick) jmh_opts=(-f 1 -wi 1 -i 2 -w 1s -r 1s -p jobs=1000,10000,100000) ;;
        smoke) jmh_opts=(-f 1 -wi 0 -i 1 -w 100ms -r 100ms PauseResumeContinuation) ;;
    esac
    if [[ $profile == 1 ]]; then
        rm -rf "$work/jfr"
        jmh_opts+=(-prof "jfr:dir=$work/jfr")
    fi
    printf '{"type":"env","jmh_options":"%s"}\n' "${jmh_opts[*]} ${jmh_extra[*]:-}" >> "$env_file"
    echo "run.sh: JMH ${jmh_opts[*]} ${jmh_extra[*]:-}" >&2
    if ! "$JAVA" -cp "$cp" org.openjdk.jmh.Main "${jmh_opts[@]}" -rf json -rff "$work/jmh.json" \
            ${jmh_extra[@]+"${jmh_extra[@]}"} > "$work/jmh.log" 2>&1; then
        echo "run.sh: JMH failed (see $work/jmh.log); its rows will read 'not measured'" >&2
        failed+=("JMH")
    fi
    grep -E '^(Benchmark|[A-Z][A-Za-z]+\.[a-zA-Z]+ )' "$work/jmh.log" >&2 || true
    if [[ $profile == 1 && -d "$work/jfr" ]]; then
        : > "$work/jfr/summary.txt"
        for f in "$work"/jfr/*/profile.jfr; do
            [[ -f "$f" ]] && tools/jfr-top.sh "$f" 15 >> "$work/jfr/summary.txt" 2>&1
        done
        echo "run.sh: JFR summaries in $work/jfr/summary.txt" >&2
    fi
fi

# ---------------------------------------------------------------- merge + report
printf '{"type":"env","loadavg_end":"%s","wall_seconds":%d}\n' "$(cut -d' ' -f1-3 /proc/loadavg)" \
    $(( $(date +%s) - start )) >> "$env_file"
merge

echo "run.sh: done in $(( $(date +%s) - start )) s -> $(realpath "$out_json"), $(realpath "$out_md")" >&2
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "run.sh: failed parts: ${failed[*]}" >&2
    [[ $mode == smoke ]] && exit 1
fi
exit 0
