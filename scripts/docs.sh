#!/usr/bin/env bash
# Builds the DocC catalog of every library module offline with the toolchain's docc, warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(TensorCore TensorFiles Monarch StateSpaces ProbabilityMaps NN Pretrained Distributed)
# The dump also tries the test modules and fails when they are not built yet; what counts is that every
# library module's graph is there, which the loop checks.
swift package dump-symbol-graph --minimum-access-level public >.build/dump-symbol-graph.log 2>&1 || true
graphs=$(find .build -type d -name symbolgraph | head -n 1)
mkdir -p .build/docs
for module in "${modules[@]}"; do
  if [[ -z "$graphs" || ! -f "$graphs/$module.symbols.json" ]]; then
    cat .build/dump-symbol-graph.log >&2
    echo "docs: no symbol graph for $module" >&2
    exit 1
  fi
  staging=".build/docc-symbols/$module"
  rm -rf "$staging" && mkdir -p "$staging"
  cp "$graphs/$module.symbols.json" "$staging/"
  find "$graphs" -name "$module@*.symbols.json" -exec cp {} "$staging/" \;
  rm -rf ".build/docs/$module.doccarchive"
  if ! docc convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$staging" \
    --fallback-display-name "$module" --fallback-bundle-identifier "org.structuredml.$module" \
    --output-path ".build/docs/$module.doccarchive" --warnings-as-errors >".build/docs/$module.log" 2>&1; then
    cat ".build/docs/$module.log" >&2
    echo "docs: $module has documentation warnings or errors" >&2
    exit 1
  fi
  echo "docs: $module built without warnings"
done
