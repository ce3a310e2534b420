#!/usr/bin/env bash
# The soak by hand: builds async-soak (and what it needs) if it is not built yet, then runs
# dev.asyncjobs.soak.Soak with JDK 25 for S seconds and exits with its status.
#
# usage: async-benchmarks/soak.sh [--seconds S] [--backend continuation|virtual-thread|both]
#                                 [--rebuild] [-- extra Soak args, e.g. --seed 42 --drain-seconds 60
#                                 --faults all|none|not_readable,inline_wake,rx_shutdown,mixed_engine]
#   --seconds S   how long to soak (default 60)
#   --backend B   which fibre backend (default continuation); "both" runs the two one after the other
#                 and fails if either fails
#   --rebuild     build even if async-soak's classes are there
#   Soak's --faults picks which of the fault units (each with one right outcome) join the mix:
#                 all (the default, and what CI runs), none, or a comma list
#
# The last line on stdout of each run is the result:
#   soak: jobs=<n> completed=<n> cancelled=<n> failed=<n> lost=0 leaked_fds=0 leaked_threads=0
# (details on stderr). CI runs the same soak through async-soak's SoakTest during `mvn verify`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

seconds=60
backend=continuation
rebuild=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --backend) backend="${2:?--backend needs a value}"; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$backend" in
  continuation|virtual-thread|both) ;;
  *) echo "soak.sh: --backend must be continuation, virtual-thread or both" >&2; exit 2 ;;
esac

if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
java="$JAVA_HOME/bin/java"

cp_file="$root/async-soak/target/soak.classpath"
if [ "$rebuild" = 1 ] || [ ! -d "$root/async-soak/target/classes/dev/asyncjobs/soak" ] || [ ! -s "$cp_file" ]; then
  echo "soak.sh: building async-soak and the modules it needs (no tests)" >&2
  # one reactor build, so the class path points at the sibling modules' fresh jars (nothing installed);
  # every module writes the class path file in turn and async-soak, built last, writes it last
  mvn -B -q -f "$root/pom.xml" -pl async-soak -am package dependency:build-classpath -Dmaven.test.skip=true \
    -Dmaven.javadoc.skip=true -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_file" >&2
fi
classpath="$root/async-soak/target/classes:$(cat "$cp_file")"

run() {
  local b=$1 flags=()
  if [ "$b" = continuation ]; then
    flags=(--add-exports java.base/jdk.internal.vm=ALL-UNNAMED)
  fi
  echo "soak.sh: $b backend, $seconds s" >&2
  "$java" "${flags[@]}" -Xmx1g -cp "$classpath" dev.asyncjobs.soak.Soak --seconds "$seconds" "${extra[@]}"
}

if [ "$backend" = both ]; then
  status=0
  run continuation || status=$?
  run virtual-thread || status=$?
  exit "$status"
fi
run "$backend"
