#!/usr/bin/env bash
# The project's test command (named in README.md): everything CI checks.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
