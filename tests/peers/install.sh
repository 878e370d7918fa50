#!/usr/bin/env bash
# Installs the real peers the integration tests talk to, into the git-ignored .tools/ folder, from
# the package registries only (the Go module proxy and PyPI). Idempotent: a second run is a no-op.
#   - Pebble (Let's Encrypt's test CA), built from its Go module at a pinned version: Debian's 2.4.0
#     has no ARI and no profiles.
#   - moto in server mode (IAM, Route 53, S3, CloudFront), pinned, in a venv.
#   - A private CA and a TLS certificate for 127.0.0.1 that Pebble serves; Node trusts it through
#     NODE_EXTRA_CA_CERTS, so TLS verification stays on.
#   - The AWS CLI (PyPI's awscli, pinned, in a venv), to run the docs' `aws iam` commands literally
#     against moto (the generated policies created and attached as a user would).
#   - actionlint (Go module), which validates the shipped GitHub Actions workflows.
#   - zizmor, parliament and cloudsplaining (PyPI, pinned, in one venv): the security audits of those
#     workflows and of the shipped and generated IAM policies.
#   - Headless Chromium, Debian's package (system-wide: it needs its shared libraries, which only apt
#     brings), for the HTML report's browser test; puppeteer-core (npm, devDependency) drives it.
# A peer that cannot be installed fails the run with its name: nothing in CI is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="$PWD/.tools"
mkdir -p "$tools/bin"

PEBBLE_VERSION=v2.10.3
MOTO_VERSION=5.2.5
AWSCLI_VERSION=1.46.2
ACTIONLINT_VERSION=v1.7.12
ZIZMOR_VERSION=1.32.0
PARLIAMENT_VERSION=1.6.4
CLOUDSPLAINING_VERSION=0.9.1

fail() { echo "peer install failed: $*" >&2; exit 1; }

if [ ! -x "$tools/bin/pebble" ] || [ ! -x "$tools/bin/pebble-challtestsrv" ] || [ "$(cat "$tools/pebble.version" 2>/dev/null)" != "$PEBBLE_VERSION" ]; then
  command -v go >/dev/null || fail "Pebble needs Go (go install), and no 'go' is on PATH"
  echo "installing Pebble $PEBBLE_VERSION (go install)"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
    "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION" \
    || fail "Pebble $PEBBLE_VERSION: go install of pebble and pebble-challtestsrv failed"
  echo "$PEBBLE_VERSION" > "$tools/pebble.version"
fi

# A pinned PyPI package in a venv of its own under .tools/<name>, reinstalled when its version changes.
#   pip_venv NAME EXECUTABLE VERSION REQUIREMENT
pip_venv() {
  local name=$1 executable=$2 version=$3 requirement=$4
  if [ ! -x "$tools/$name/bin/$executable" ] || [ "$(cat "$tools/$name.version" 2>/dev/null)" != "$version" ]; then
    command -v python3 >/dev/null || fail "$name needs python3, and none is on PATH"
    echo "installing $requirement (venv in .tools/$name)"
    rm -rf "${tools:?}/$name"
    python3 -m venv "$tools/$name" || fail "$name: python3 -m venv failed"
    "$tools/$name/bin/pip" install --quiet --disable-pip-version-check "$requirement" || fail "$name: pip install $requirement failed"
    echo "$version" > "$tools/$name.version"
  fi
}
pip_venv moto moto_server "$MOTO_VERSION" "moto[server]==$MOTO_VERSION"
pip_venv awscli aws "$AWSCLI_VERSION" "awscli==$AWSCLI_VERSION"

if [ ! -x "$tools/bin/actionlint" ] || [ "$(cat "$tools/actionlint.version" 2>/dev/null)" != "$ACTIONLINT_VERSION" ]; then
  command -v go >/dev/null || fail "actionlint needs Go (go install), and no 'go' is on PATH"
  echo "installing actionlint $ACTIONLINT_VERSION (go install)"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
    || fail "actionlint $ACTIONLINT_VERSION: go install failed"
  echo "$ACTIONLINT_VERSION" > "$tools/actionlint.version"
fi

analyzers="zizmor==$ZIZMOR_VERSION parliament==$PARLIAMENT_VERSION cloudsplaining==$CLOUDSPLAINING_VERSION"
if [ ! -x "$tools/analyzers/bin/zizmor" ] || [ "$(cat "$tools/analyzers.version" 2>/dev/null)" != "$analyzers" ]; then
  command -v python3 >/dev/null || fail "the analyzers need python3, and none is on PATH"
  echo "installing $analyzers (venv in .tools/analyzers)"
  rm -rf "$tools/analyzers"
  python3 -m venv "$tools/analyzers" || fail "analyzers: python3 -m venv failed"
  # shellcheck disable=SC2086 # pinned requirements, one per word
  "$tools/analyzers/bin/pip" install --quiet --disable-pip-version-check $analyzers \
    || fail "analyzers: pip install $analyzers failed"
  echo "$analyzers" > "$tools/analyzers.version"
fi

certs="$tools/certs"
if [ ! -s "$certs/pebble.pem" ]; then
  command -v openssl >/dev/null || fail "the Pebble TLS certificate needs openssl"
  echo "generating a local CA and Pebble's TLS certificate for 127.0.0.1"
  mkdir -p "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cloudfront-china test CA" \
    -keyout "$certs/ca.key" -out "$certs/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$certs/pebble.key" -out "$certs/pebble.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$certs/san.ext"
  openssl x509 -req -in "$certs/pebble.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial \
    -days 3650 -extfile "$certs/san.ext" -out "$certs/pebble.pem" 2>/dev/null
fi
if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  elif command -v sudo >/dev/null; then apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
  else fail "chromium: not installed, and its Debian package needs root or sudo (apt-get install chromium)"; fi
  "${apt[@]}" update -qq && "${apt[@]}" install -y -qq chromium >/dev/null || fail "chromium: apt-get install chromium failed"
fi

echo "peers installed: pebble $PEBBLE_VERSION, moto $MOTO_VERSION, awscli $AWSCLI_VERSION, actionlint $ACTIONLINT_VERSION, zizmor $ZIZMOR_VERSION, parliament $PARLIAMENT_VERSION, cloudsplaining $CLOUDSPLAINING_VERSION, $(chromium --version 2>/dev/null)"
