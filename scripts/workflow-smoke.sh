#!/usr/bin/env bash
# Run the amlctl steps of .github/workflows/amlctl-{plan,apply,drift}.yml with the real amlctl
# binary against an emulator, in a throwaway git repo (a fake `az` hands out the token the
# workflows' `--auth azure-cli` asks for). The steps are read from the workflow files, so this
# exercises exactly what GitHub would run. The same test runs as part of `scripts/test.sh`
# (cargo test --workspace); this script runs just the workflow tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --test config_workflows -- --nocapture "$@"
