#!/usr/bin/env bash
# Builds and runs the test suite under a sanitizer, in its own build folder (the normal build is untouched).
#
#   scripts/sanitize.sh address|thread [swift test options, e.g. --filter TensorCoreTests]
#
# address: AddressSanitizer with LeakSanitizer (out-of-bounds, use-after-free, leaks) in .build-asan.
# thread:  ThreadSanitizer (data races in the parallel kernels) in .build-tsan.
# Findings in code outside the project are suppressed by name in scripts/sanitizers/*.supp; leak detection
# stays on. Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer="${1:-}"
shift || true
case "$sanitizer" in
  address) scratch=.build-asan ;;
  thread) scratch=.build-tsan ;;
  *) echo "usage: scripts/sanitize.sh address|thread [swift test options]" >&2; exit 2 ;;
esac

suppressions="$PWD/scripts/sanitizers"
# Any report ends the process with a nonzero status, so the test run fails.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export TSAN_OPTIONS="suppressions=$suppressions/tsan.supp:halt_on_error=1:second_deadlock_stack=1:${TSAN_OPTIONS:-}"
# OpenBLAS's own thread pool is not instrumented and is not what the tests check; the parallel kernels
# bring their own threads.
export OPENBLAS_NUM_THREADS=1

start=$(date +%s)
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | tail -3
built=$(date +%s)
echo "sanitize: $sanitizer build in $(( built - start )) s"
swift test --skip-build --disable-xctest --sanitize="$sanitizer" --scratch-path "$scratch" "$@"
echo "sanitize: $sanitizer tests passed in $(( $(date +%s) - built )) s"
