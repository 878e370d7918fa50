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
# Hermetic: the suite's own Pulumi home and AWS files, never the machine's login or ~/.aws (suites that
# need a backend or credentials set their own; tests/hermetic.test.ts checks this).
mkdir -p .tools/pulumi-home .tools/aws && : > .tools/aws/credentials && : > .tools/aws/config
export PULUMI_HOME="$PWD/.tools/pulumi-home" AWS_SHARED_CREDENTIALS_FILE="$PWD/.tools/aws/credentials" AWS_CONFIG_FILE="$PWD/.tools/aws/config"
unset PULUMI_BACKEND_URL PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
# Node trusts Pebble's test CA through NODE_EXTRA_CA_CERTS; TLS verification is never switched off.
export NODE_EXTRA_CA_CERTS="$PWD/.tools/certs/ca.pem"
echo "== mocha"; npx mocha "$@"
echo "npm test: $(( $(date +%s) - start )) s"
