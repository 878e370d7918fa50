#!/usr/bin/env bash
# `npm test`: installs the real peers (Pebble, moto) and builds a Pulumi CLI into .tools/ if missing,
# then typecheck, lint, and every mocha suite (unit, component and program under mocks, offline plan,
# providers against the peers, zero-gap rotation under the real engine).
# Nothing is skipped: a peer that cannot be installed or started fails the run and says which.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash tests/peers/install.sh
bash tests/peers/install-pulumi.sh
echo "== typecheck"; npm run --silent typecheck
echo "== lint"; npm run --silent lint
# Node trusts Pebble's test CA through NODE_EXTRA_CA_CERTS; TLS verification is never switched off.
export NODE_EXTRA_CA_CERTS="$PWD/.tools/certs/ca.pem"
echo "== mocha"; npx mocha "$@"
echo "npm test: $(( $(date +%s) - start )) s"
