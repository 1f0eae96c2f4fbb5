#!/usr/bin/env bash
# The project's test command (named in README.md), and exactly what CI (.ci/run) runs:
#   1. tools the tests need, from package registries: Microsoft's Python SDK (azure-ai-ml,
#      pinned) for the emulator's wire-compatibility test, actionlint for the workflows;
#   2. lint: rustfmt check, clippy with warnings as errors, actionlint;
#   3. every test of the workspace (unit, integration against the emulator, snapshots); every
#      test binary runs even when one fails (--no-fail-fast), so a red run shows all failures.
# Tests that check against the published reference data (REST spec, examples, sample corpus)
# read it from AMLCTL_REFERENCE_DIR, else ../shared/reference; where it is absent they are
# skipped with a line saying so, or fail when AMLCTL_REQUIRE_REFERENCE=1 (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== tools"
eval "$(bash scripts/sdk-venv.sh | grep '^export ')"
export AMLCTL_SDK_PYTHON

echo "== lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
bash scripts/actionlint.sh

echo "== tests"
reference="${AMLCTL_REFERENCE_DIR:-../shared/reference}"
if [ -d "$reference" ]; then
  echo "reference data: $reference"
elif [ "${AMLCTL_REQUIRE_REFERENCE:-}" = 1 ]; then
  echo "reference data: not found at $reference, and AMLCTL_REQUIRE_REFERENCE=1 requires it" >&2
  exit 1
else
  echo "reference data: not found at $reference; the tests that check against it are skipped (set AMLCTL_REFERENCE_DIR)"
fi
cargo test --workspace --locked --no-fail-fast
