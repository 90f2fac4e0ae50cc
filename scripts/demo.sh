#!/usr/bin/env bash
# Installs what is missing, builds the optimized tool and runs the demo on its built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product structml
.build/release/structml demo "$@"
