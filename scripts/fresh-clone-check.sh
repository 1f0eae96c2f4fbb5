#!/usr/bin/env bash
# What a new user meets: clone the repository (its committed HEAD) into a temporary directory
# with nothing beside it (no ../shared reference data, no state, no target/), and run the two
# commands of README.md's Quick start exactly as written there. Both must exit 0. Run by .ci/run.
#
# The commands are read from README.md (the ```sh block under "## Quick start"), so the README
# cannot drift from what is checked. CARGO_TARGET_DIR may point at an existing target directory
# to reuse built dependencies (the commands themselves are unchanged).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mapfile -t commands < <(awk '
  /^## Quick start/ { in_section = 1; next }
  in_section && /^## / { exit }
  in_section && /^```sh/ { in_block = 1; next }
  in_section && in_block && /^```/ { exit }
  in_section && in_block && NF { sub(/[[:space:]]+#.*$/, ""); print }
' "$repo/README.md")
if [ "${#commands[@]}" -ne 2 ]; then
  echo "fresh-clone check: expected 2 commands in README.md's Quick start, found ${#commands[@]}" >&2
  exit 1
fi

git clone --quiet --no-hardlinks "$repo" "$tmp/amlctl"
cd "$tmp/amlctl"
if [ -e ../shared ]; then
  echo "fresh-clone check: $tmp/shared exists; the clone must have nothing beside it" >&2
  exit 1
fi
# A new user has none of the project's test switches set.
unset AMLCTL_REFERENCE_DIR AMLCTL_REQUIRE_REFERENCE AMLCTL_SDK_PYTHON
export AMLCTL_IN_FRESH_CLONE_CHECK=1

for cmd in "${commands[@]}"; do
  echo "== fresh clone: $cmd"
  if ! bash -c "$cmd"; then
    echo "fresh-clone check: \`$cmd\` failed in a fresh clone" >&2
    exit 1
  fi
done
echo "== fresh clone: both Quick start commands exit 0"
