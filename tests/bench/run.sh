#!/usr/bin/env bash
# `npm run bench`: installs the peers (Pebble, moto) and the comparison clients (certbot and lego from
# Debian's packages), then runs tests/bench/bench.ts. Prints a table; writes .tools/bench/result.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/peers/install.sh
bash tests/peers/install-pulumi.sh
if ! command -v certbot >/dev/null || ! command -v lego >/dev/null; then
  echo "installing certbot and lego (Debian packages)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq certbot lego >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq certbot lego >/dev/null; fi
fi
export NODE_EXTRA_CA_CERTS="$PWD/.tools/certs/ca.pem"
exec npx ts-node --transpile-only tests/bench/bench.ts "$@"
