#!/usr/bin/env bash
# Builds the fuzzers in Fuzz/ with libFuzzer and AddressSanitizer and runs each for a chosen time.
#
#   scripts/fuzz.sh [--time SECONDS] [FUZZER...]     (default: 60 s each, every fuzzer)
#
# Each fuzzer starts from its committed seeds (Fuzz/Corpus/FUZZER) and the regression inputs
# (Fuzz/Regressions/FUZZER); what it discovers goes to .build-fuzz/corpus/FUZZER, which later runs reuse.
# Any crash, leak, timeout (10 s per input) or out-of-memory (2 GiB) stops the run with a nonzero status
# and leaves the input in .build-fuzz/findings/FUZZER/. Reproduce one with
#   .build-fuzz/debug/FUZZER .build-fuzz/findings/FUZZER/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
fuzzers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --time=*) seconds="${1#--time=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) fuzzers+=("$1"); shift ;;
  esac
done
all=(FuzzNPY FuzzSafetensors FuzzMonarchFactors FuzzArguments FuzzRunConfiguration FuzzPEFTAdapter)
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=("${all[@]}")

scratch="$PWD/.build-fuzz"
start=$(date +%s)
# `--sanitize=fuzzer` makes SwiftPM leave `main` to libFuzzer. Swift then gets one combined
# -sanitize=fuzzer,address, placed last: as two flags (what `--sanitize=fuzzer --sanitize=address` passes, in
# no fixed order) the later replaces the earlier, and with address last the Swift code has no coverage
# counters. C code gets -fsanitize=fuzzer-no-link,address. Linked with lld (gold warns about every
# sanitizer-local symbol).
(cd Fuzz && swift build --scratch-path "$scratch" --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
  -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld 2>&1 | tail -3)
echo "fuzz: built in $(( $(date +%s) - start )) s"

# Leaks are reported; the Swift runtime's own backtracer is off so that libFuzzer's handler saves the input.
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export SWIFT_BACKTRACE=enable=no
export OPENBLAS_NUM_THREADS=1

status=0
for fuzzer in "${fuzzers[@]}"; do
  corpus="$scratch/corpus/$fuzzer"
  findings="$scratch/findings/$fuzzer"
  mkdir -p "$corpus" "$findings"
  seeds=("Fuzz/Corpus/$fuzzer")
  [ -d "Fuzz/Regressions/$fuzzer" ] && seeds+=("Fuzz/Regressions/$fuzzer")
  log="$scratch/$fuzzer.log"
  echo "fuzz: $fuzzer for $seconds s"
  if "$scratch/debug/$fuzzer" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$findings/" >"$log" 2>&1 && ! grep -q "no interesting inputs were found" "$log"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    coverage=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, features \2, corpus \3/')
    echo "fuzz: $fuzzer passed: $runs runs, $speed exec/s, $coverage"
  else
    status=1
    echo "fuzz: $fuzzer FOUND A PROBLEM; input kept in $findings/, log $log:" >&2
    grep -E "no interesting inputs|ERROR|SUMMARY|Fatal error|fuzz property|Test unit written|timeout|out-of-memory" "$log" | head -20 >&2
  fi
done
exit $status
