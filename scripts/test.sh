#!/usr/bin/env bash
# The project's test command (named in README.md), and exactly what CI (.ci/run) runs:
#   1. tools the tests need, from package registries: Microsoft's Python SDK (azure-ai-ml,
#      pinned) for the emulator's wire-compatibility test, actionlint for the workflows;
#   2. lint: rustfmt check, clippy with warnings as errors, actionlint;
#   3. every test of the workspace (unit, integration against the emulator, snapshots).
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
cargo test --workspace --locked
