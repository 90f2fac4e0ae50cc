#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite and the documentation build (warnings as errors),
# then the robustness checks: every fuzzer for a short budget (scripts/sanitize.sh runs the suite under
# AddressSanitizer or ThreadSanitizer separately). Set FUZZ_SECONDS to change the budget per fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Kernels that parallelize themselves expect a single-threaded BLAS unless they ask for more.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
swift build --build-tests
swift test --skip-build --disable-xctest   # every test is written with Swift Testing
scripts/docs.sh
scripts/fuzz.sh --time "${FUZZ_SECONDS:-45}"
