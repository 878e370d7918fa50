#!/usr/bin/env bash
# Builds a Pulumi CLI for the engine tests into .tools/pulumi/bin, from Go modules only (the CLI
# installer and `pulumi plugin install` cannot download here):
#   - pulumi:                 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the release matching the
#                             npm @pulumi/pulumi, built in a throw-away wrapper module (pkg/go.mod has
#                             replace directives, so `go install pkg@version` is refused).
#   - pulumi-language-nodejs: the Node language host. Its own module is not served by the module
#                             proxy, so it is built from the last sdk/v3 release that still carried it
#                             inside the sdk module (v3.68.0); the engine speaks to it fine.
#   - pulumi-language-yaml:   the YAML language host (github.com/pulumi/pulumi-yaml), so a program in
#                             another language than TypeScript uses the plugin package (ChinaSite).
#   - pulumi-resource-pulumi-nodejs: a few lines of shell that start @pulumi/pulumi's dynamic-provider
#                             host, as the official wrapper does.
# If a `pulumi` of at least this version is on PATH next to its language host, it is used instead.
# Cached: a second run is a no-op. Prints its cold/warm cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
PULUMI_VERSION=v3.248.0
LANGUAGE_HOST_SDK=v3.68.0
YAML_HOST=v1.25.0
dest="$PWD/.tools/pulumi"
start=$(date +%s)

fail() { echo "pulumi CLI build failed: $*" >&2; exit 1; }

if existing=$(command -v pulumi 2>/dev/null) && [ -x "$(dirname "$existing")/pulumi-language-nodejs" ]; then
  have=$("$existing" version 2>/dev/null | sed 's/^v//')
  if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "${PULUMI_VERSION#v}" "$have" | sort -V | head -n1)" = "${PULUMI_VERSION#v}" ]; then
    echo "using the Pulumi CLI on PATH: $existing ($have)"
    mkdir -p "$dest"; echo "$(dirname "$existing")" > "$dest/bin-dir"
    exit 0
  fi
fi

mkdir -p "$dest/bin" "$dest/build"
if [ "$("$dest/bin/pulumi" version 2>/dev/null)" != "$PULUMI_VERSION" ]; then
  command -v go >/dev/null || fail "no 'go' on PATH"
  echo "building the Pulumi CLI $PULUMI_VERSION from Go modules (a few minutes the first time)"
  work="$dest/build/cli"; rm -rf "$work"; mkdir -p "$work"
  printf 'module cloudfront-china/pulumi-cli\n\ngo 1.25\n' > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$work/tools.go"
  (
    cd "$work"
    # pkg/go.mod's replace directives that point at other modules (its ../sdk one is dropped).
    go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
    GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
    GOFLAGS=-mod=mod go mod tidy
    GOFLAGS=-mod=mod go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$dest/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  ) || fail "go build of github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION"
fi

if [ "$(cat "$dest/language-host.version" 2>/dev/null)" != "$LANGUAGE_HOST_SDK" ] || [ ! -x "$dest/bin/pulumi-language-nodejs" ]; then
  echo "building the Node language host (sdk/v3 $LANGUAGE_HOST_SDK)"
  work="$dest/build/langhost"; rm -rf "$work"; mkdir -p "$work"
  printf 'module cloudfront-china/pulumi-language-nodejs\n\ngo 1.24\n' > "$work/go.mod"
  (
    cd "$work"
    GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/sdk/v3@$LANGUAGE_HOST_SDK"
    GOFLAGS=-mod=mod go build -o "$dest/bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  ) || fail "go build of the Node language host from sdk/v3@$LANGUAGE_HOST_SDK"
  echo "$LANGUAGE_HOST_SDK" > "$dest/language-host.version"
fi

if [ "$(cat "$dest/yaml-host.version" 2>/dev/null)" != "$YAML_HOST" ] || [ ! -x "$dest/bin/pulumi-language-yaml" ]; then
  echo "building the YAML language host ($YAML_HOST)"
  GOFLAGS=-mod=mod GOBIN="$dest/bin" go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_HOST" \
    || fail "go install of github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_HOST"
  echo "$YAML_HOST" > "$dest/yaml-host.version"
fi

cat > "$dest/bin/pulumi-resource-pulumi-nodejs" <<'EOT'
#!/bin/sh
# Started by the engine for dynamic resources: @pulumi/pulumi's dynamic-provider host, resolved from
# the program directory (the engine's working directory), given the engine's address.
host=$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] })') || exit 1
exec node "$host" "$@"
EOT
chmod +x "$dest/bin/pulumi-resource-pulumi-nodejs"
echo "$dest/bin" > "$dest/bin-dir"
echo "Pulumi CLI ready: $("$dest/bin/pulumi" version) ($(( $(date +%s) - start )) s)"
