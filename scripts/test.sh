#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite and the documentation build (warnings as errors),
# then the robustness checks: every fuzzer for a short budget, the suite under AddressSanitizer (with
# LeakSanitizer) and the suites of every parallel and C kernel under ThreadSanitizer. Set FUZZ_SECONDS to change
# the budget per fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch-models.sh
# Kernels that parallelize themselves expect a single-threaded BLAS unless they ask for more.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
swift build --build-tests
swift test --skip-build --disable-xctest   # every test is written with Swift Testing
scripts/docs.sh
scripts/fuzz.sh --time "${FUZZ_SECONDS:-45}"
# Under the sanitizers the tests that assert linear running time against a wall-clock bound are skipped:
# instrumentation slows them by a factor that has nothing to do with their complexity.
scripts/sanitize.sh address --skip "TakeLinearTime|InLinearTime"
scripts/sanitize.sh thread --filter "TensorCoreTests|MonarchTests|StateSpacesTests|ProbabilityMapsTests|NNTests" \
  --skip "TakeLinearTime|InLinearTime"
