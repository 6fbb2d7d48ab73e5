#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, skipping what is already there.
#
#   bash scripts/ci-deps.sh
#
# - postgresql: the server binaries scripts/pg-cluster.sh starts a throwaway cluster from
# - chromium:   headless browser for the browser tests (set TMA_PAY_SKIP_CHROMIUM=1 to leave it out)
# - fonts-noto-color-emoji: the ⭐ of Stars prices in browser screenshots
# - bun (npm's @oven/bun-linux-x64, into .tools/): the server smoke test runs under Bun too (linux x64 only;
#   a platform package, so not a devDependency; TMA_PAY_SKIP_BUN=1 leaves it out)
#
# Runs apt-get non-interactively, as root (CI is root) or through sudo.
set -euo pipefail

log() { printf 'ci-deps: %s\n' "$*" >&2; }

# Each dependency: a check that it is usable, and the Debian packages that provide it.
have_postgresql() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && return 0
  done
  return 1
}
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
# Prices are shown as '⭐ 50': without an emoji font, screenshots show an empty box instead of the star.
have_emoji_font() { [[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]]; }

wanted=()
want() {
  local name=$1 check=$2
  shift 2
  if "$check"; then
    log "$name: already installed"
  else
    log "$name: missing"
    wanted+=("$@")
  fi
}

want postgresql have_postgresql postgresql
have_curl() { command -v curl >/dev/null 2>&1; }
# The CLI test runs the curl commands `tma-pay serve` prints, exactly as a user would paste them.
want curl have_curl curl
if [[ ${TMA_PAY_SKIP_CHROMIUM:-} != 1 ]]; then
  want chromium have_chromium chromium
  want fonts-noto-color-emoji have_emoji_font fonts-noto-color-emoji
fi

# Bun from the npm registry, not the system's: one pinned build, found by test/package-install.test.ts.
bun_version=1.4.5
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bun_bin=$repo/.tools/node_modules/@oven/bun-linux-x64/bin/bun
if [[ ${TMA_PAY_SKIP_BUN:-} == 1 ]]; then
  log "bun: skipped (TMA_PAY_SKIP_BUN=1)"
elif [[ $(uname -s)-$(uname -m) != Linux-x86_64 ]]; then
  log "bun: no package for $(uname -s)-$(uname -m) here; put bun on PATH or set TMA_PAY_BUN"
elif [[ -x $bun_bin && $("$bun_bin" --version 2>/dev/null) == "$bun_version" ]]; then
  log "bun: already installed"
else
  log "bun: installing @oven/bun-linux-x64@$bun_version into .tools/"
  npm install --prefix "$repo/.tools" --no-save --no-audit --no-fund --loglevel=error "@oven/bun-linux-x64@$bun_version"
fi

if [[ ${#wanted[@]} -eq 0 ]]; then
  log "nothing to install"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: this script only knows Debian/Ubuntu. Install these yourself: ${wanted[*]}"
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    log "installing needs root and sudo is not available. As root, run:"
    log "  apt-get update && apt-get install -y --no-install-recommends ${wanted[*]}"
    exit 1
  fi
fi

# apt with a wait for the dpkg lock and a few retries for flaky mirrors.
apt() {
  local attempt
  for attempt in 1 2 3; do
    if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; then
      return 0
    fi
    log "apt-get $1 failed (attempt $attempt of 3)"
    sleep $((attempt * 5))
  done
  return 1
}

started=$SECONDS
log "installing: ${wanted[*]}"
apt update -qq
apt install -y -qq --no-install-recommends "${wanted[@]}"
log "installed in $((SECONDS - started))s"
