#!/usr/bin/env bash
# The key of the action's own source: a sha256 over every file a build of aimsgate reads
# (Cargo.toml, Cargo.lock, engine/, policies/), in a stable order. The same commit gives the
# same key, so a cached build is reused exactly when it is the build of this source. Printed as
# the step output `key`.
set -euo pipefail
cd "${GITHUB_ACTION_PATH:?}/.."
sum() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
key=$(
  { printf '%s\n' Cargo.toml Cargo.lock; find engine policies -type f; } \
    | LC_ALL=C sort \
    | while IFS= read -r file; do printf '%s\0' "$file"; sum < "$file"; done \
    | sum | cut -c1-64
)
echo "key=$key" >> "${GITHUB_OUTPUT:?}"
