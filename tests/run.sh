#!/usr/bin/env bash
# `npm test`: installs the real peers (Pebble, moto), the Node versions and a Pulumi CLI into .tools/
# if missing, then typecheck, lint, the unit tier on Node 24, and every mocha suite on Node 22
# (unit, component and program under mocks, offline plan, providers against the peers, the README's
# Quickstart and zero-gap rotation under the real engine), in two processes side by side.
# `npm run test:unit` (`tests/run.sh --unit`): the unit tier alone (suites that need no peer, listed in
# tests/mocharc.unit.json), on the Node on PATH, with no install step.
# Nothing is skipped: a peer that cannot be installed or started fails the run and says which.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
unit=false
if [ "${1:-}" = "--unit" ]; then
  unit=true
  shift
fi
# Hermetic: the suite's own Pulumi home and AWS files, never the machine's login or ~/.aws (suites that
# need a backend or credentials set their own; tests/hermetic.test.ts checks this).
mkdir -p .tools/pulumi-home .tools/aws && : > .tools/aws/credentials && : > .tools/aws/config
export PULUMI_HOME="$PWD/.tools/pulumi-home" AWS_SHARED_CREDENTIALS_FILE="$PWD/.tools/aws/credentials" AWS_CONFIG_FILE="$PWD/.tools/aws/config"
unset PULUMI_BACKEND_URL PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
if $unit; then
  echo "== unit tier on Node $(node --version)"
  npx mocha --config tests/mocharc.unit.json "$@"
  echo "npm run test:unit: $(( $(date +%s) - start )) s"
  exit 0
fi

bash tests/peers/install.sh
bash tests/peers/install-node.sh
# The Pulumi CLI builds (minutes on a fresh machine, mostly module downloads) while the checks that
# do not need it run: typecheck, lint, and the unit tier on Node 24.
cli_log=$(mktemp)
bash tests/peers/install-pulumi.sh > "$cli_log" 2>&1 &
cli_build=$!
trap 'kill "$cli_build" 2>/dev/null || true' EXIT
echo "== typecheck"; npm run --silent typecheck
echo "== lint"; npm run --silent lint
tier_logs=()
tiers=()
for major in 24; do
  tier_logs+=("$(mktemp)")
  PATH="$PWD/.tools/node/$major/bin:$PATH" npm run --silent test:unit -- --reporter dot > "${tier_logs[-1]}" 2>&1 &
  tiers+=($!)
done
tier_failed=0
for i in "${!tiers[@]}"; do
  wait "${tiers[$i]}" || tier_failed=1
  cat "${tier_logs[$i]}"
done
cli_status=0
wait "$cli_build" || cli_status=$?
trap - EXIT
cat "$cli_log"
[ "$cli_status" -eq 0 ] || { echo "the Pulumi CLI build failed (exit $cli_status)" >&2; exit 1; }
[ "$tier_failed" -eq 0 ] || { echo "the unit tier failed (above)" >&2; exit 1; }
# Node trusts Pebble's test CA through NODE_EXTRA_CA_CERTS, on top of what the machine already trusts
# there (a proxy's CA for the package registries, say); TLS verification is never switched off.
trust="$PWD/.tools/certs/trust.pem"
cat .tools/certs/ca.pem > "$trust"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ] && [ "$NODE_EXTRA_CA_CERTS" != "$trust" ]; then
  cat "$NODE_EXTRA_CA_CERTS" >> "$trust"
fi
export NODE_EXTRA_CA_CERTS="$trust"
# Node 22 for the whole suite: the tests, the Pulumi language host and the providers it starts.
export PATH="$PWD/.tools/node/22/bin:$PATH" CFCN_SUITE_NODE=22
# Two mocha processes side by side, each with its own peers: seven long suites that wait on npm
# installs and CLI runs much of the time (the README's Quickstart, the package's `pulumi new`, least
# privilege under enforcement, the plugin package, adopting a hand-made site, adding a site, the
# stand-in's watch deployment; tests/mocharc.side.json) beside all the others, so that both end
# at about the same time.
# Their output is printed after the main run's.
echo "== mocha on Node $(node --version)"
side_specs=$(node -p 'require("./tests/mocharc.side.json").spec.map((s) => `--ignore ${s}`).join(" ")')
side_log=$(mktemp)
npx mocha --config tests/mocharc.side.json > "$side_log" 2>&1 &
side=$!
trap 'kill "$side" 2>/dev/null || true' EXIT
main_status=0
# shellcheck disable=SC2086 # one word per --ignore and path
npx mocha $side_specs "$@" || main_status=$?
side_status=0
wait "$side" || side_status=$?
trap - EXIT
echo "== mocha (side by side): $(node -p 'require("./tests/mocharc.side.json").spec.join(", ")')"
cat "$side_log"
[ "$main_status" -eq 0 ] && [ "$side_status" -eq 0 ] || { echo "mocha failed (main exit $main_status, side exit $side_status)" >&2; exit 1; }
echo "npm test: $(( $(date +%s) - start )) s"
