#!/usr/bin/env bash
# Create .venv-sdk/ with Microsoft's Python SDK for Azure ML (azure-ai-ml, pinned), used by the
# emulator's wire-compatibility test (crates/amlctl-emulator/tests/sdk.rs runs
# tests/sdk/sdk_smoke.py when AMLCTL_SDK_PYTHON points at .venv-sdk/bin/python).
# Packages come from PyPI through pip; nothing else is downloaded. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_PKG="azure-ai-ml==1.35.2"
VENV=".venv-sdk"

if ! "$VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("azure-ai-ml") == "1.35.2"' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SDK_PKG" >&2
fi
"$VENV/bin/python" -c 'import importlib.metadata as m; print("azure-ai-ml", m.version("azure-ai-ml"))' >&2
# stdout is only the export line, so CI can do: eval "$(bash scripts/sdk-venv.sh)"
echo "export AMLCTL_SDK_PYTHON=$PWD/$VENV/bin/python"
