#!/usr/bin/env bash
# Runs a subset of Tandem's JMH benchmarks and renders the results as results.md (table) and results.svg (chart).
#
#   jmh/run-benchmarks.sh <include-regex> [--quick] [--out DIR] [other JMH options...]
#
#   <include-regex>  JMH benchmark filter, e.g. 'RuntimeBenchmarks|GemmBenchmarks' ('.' runs the whole suite)
#   --quick          -f 1 -wi 1 -i 2 -w 1s -r 1s: a rough look in seconds per benchmark, not a measurement
#   --out DIR        where results.json, results.md and results.svg go (default: jmh/results)
#   anything else    passed to JMH unchanged, e.g. -p gemm=512x512x512 -t 1 -prof gc
#
# Needs JAVA_HOME pointing at a JDK 25. Builds jmh/target/benchmarks.jar when it is missing or older than the
# sources. Benchmarks on a shared or busy machine are noisy: compare numbers from one run, not across runs.
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "run-benchmarks: $*" >&2
    exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar="$repo_root/jmh/target/benchmarks.jar"

# The JDK: JAVA_HOME, never the java on PATH (which may be an older JDK).
[[ -n "${JAVA_HOME:-}" ]] || die "JAVA_HOME is not set; point it at a JDK 25"
java="$JAVA_HOME/bin/java"
[[ -x "$java" && -x "$JAVA_HOME/bin/javac" ]] || die "JAVA_HOME=$JAVA_HOME is not a JDK (no bin/java and bin/javac)"
java_version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
[[ "$java_version" == 25 ]] || die "JAVA_HOME=$JAVA_HOME is Java ${java_version:-unknown}, not a JDK 25"

[[ $# -ge 1 && "$1" != -* ]] || usage
include=$1
shift
out_dir="$repo_root/jmh/results"
jmh_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) jmh_args+=(-f 1 -wi 1 -i 2 -w 1s -r 1s) ;;
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out_dir=$2; shift ;;
        -h|--help) usage ;;
        *) jmh_args+=("$1") ;;
    esac
    shift
done
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

# Rebuild when the jar is missing or any source or pom is newer, so a run never measures stale code.
if [[ ! -f "$jar" ]] || [[ -n "$(find "$repo_root/pom.xml" "$repo_root/jmh/pom.xml" "$repo_root/jmh/src/main" \
        "$repo_root/runtime-core/pom.xml" "$repo_root/runtime-core/src/main" \
        "$repo_root/model-deepseek/pom.xml" "$repo_root/model-deepseek/src/main" -newer "$jar" -print -quit)" ]]; then
    echo "run-benchmarks: building $jar" >&2
    (cd "$repo_root" && mvn -B -ntp -q -pl jmh -am package -DskipTests -Dtandem.jmh.smoke.skip=true) \
        || die "the build failed"
fi

results="$out_dir/results.json"
rm -f "$results"
# From the repository root, so relative paths in parameters (FfmDowncallBenchmarks' emulator) resolve the same
# wherever the script was started. JMH forks inherit these flags; the @Forks add native access too, this covers -f 0.
cd "$repo_root"
"$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "$include" "${jmh_args[@]}" -rf json -rff "$results"
[[ -s "$results" ]] || die "JMH wrote no results to $results"
"$java" -cp "$jar" dev.tandem.jmh.report.ResultsReport "$results" "$out_dir"
