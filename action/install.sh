#!/usr/bin/env bash
# Installs aimsgate for the action: the release binary for this runner, checked against its
# published sha256; or the build of the action's own source the cache restored; or, when there
# is neither, a build with `cargo install --locked` (its progress shown, in a log group).
# Prints the binary's path as the step output `bin`.
set -euo pipefail

root="${RUNNER_TEMP:-/tmp}/aimsgate"
mkdir -p "$root/bin"

target=""
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  macOS/X64) target=x86_64-apple-darwin ;;
esac

version="${AIMSGATE_VERSION:-}"
version="${version#v}"
installed=""
if [ -n "$version" ] && [ -n "$target" ]; then
  base="${AIMSGATE_DOWNLOAD_URL:-${GITHUB_SERVER_URL:-https://github.com}/${AIMSGATE_ACTION_REPOSITORY:-}/releases/download}"
  asset="aimsgate-v${version}-${target}.tar.gz"
  # The download goes under the runner's temp dir and is removed on every way out, a refused
  # checksum included.
  work=$(mktemp -d "$root/download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if curl --fail --silent --show-error --location --retry 3 -o "$work/$asset" "$base/v${version}/$asset" \
    && curl --fail --silent --show-error --location --retry 3 -o "$work/$asset.sha256" "$base/v${version}/$asset.sha256"; then
    expected=$(awk '{print $1}' "$work/$asset.sha256")
    if command -v sha256sum >/dev/null 2>&1; then
      actual=$(sha256sum "$work/$asset" | awk '{print $1}')
    else
      actual=$(shasum -a 256 "$work/$asset" | awk '{print $1}')
    fi
    if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
      echo "::error title=aimsgate install::$asset does not match its published sha256 (expected ${expected:-nothing}, got $actual); refusing to run it"
      exit 1
    fi
    tar -xzf "$work/$asset" -C "$work"
    install -m 0755 "$work/aimsgate" "$root/bin/aimsgate"
    installed="release v$version ($target), sha256 verified"
  else
    echo "::notice title=aimsgate install::no release binary v$version for $target; building from the action's source"
  fi
  rm -rf "$work"
fi

if [ -z "$installed" ] && [ "${AIMSGATE_CACHED:-}" = "true" ] && [ -x "$root/bin/aimsgate" ]; then
  installed="built from this action's source earlier (restored from the cache)"
fi

if [ -z "$installed" ]; then
  source_dir="${GITHUB_ACTION_PATH:?}/.."
  echo "::group::Building aimsgate from the action's source (a few minutes on a 2-core runner, once: the build is cached)"
  cargo install --locked --path "$source_dir" --root "$root"
  echo "::endgroup::"
  installed="built from source"
fi

"$root/bin/aimsgate" --version
echo "aimsgate installed: $installed"
echo "bin=$root/bin/aimsgate" >> "${GITHUB_OUTPUT:?}"
