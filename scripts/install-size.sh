#!/usr/bin/env bash
# What installing tma-pay costs: `du -sk node_modules` of empty projects after `npm install` (npm's default peer
# handling: optional peers are not installed), from the registry and a tarball of this package.
#
#   npm run build && bash scripts/install-size.sh              # packs this checkout
#   bash scripts/install-size.sh path/to/tma-pay-0.1.0.tgz      # another build (an older commit's)
#   TMA_PAY_FRONTEND_EXTRA=zustand@5.1.0 bash scripts/install-size.sh old.tgz   # peers an old build needed too
#
# Projects: a server on PostgreSQL (tma-pay alone), a server on PGlite (+ @electric-sql/pglite), a React Mini
# App (+ react, react-dom, @tanstack/react-query, @tma.js/sdk), and that Mini App's peers without tma-pay, so
# tma-pay's own share of a front end is the difference. Peer versions are this repo's devDependencies.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/tma-pay-size.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

tarball=${1:-}
if [[ -z $tarball ]]; then
  [[ -f dist/server.js ]] || { echo 'install-size: no dist/: npm run build first' >&2; exit 1; }
  npm pack --silent --pack-destination "$work" >/dev/null
  tarball=$(ls "$work"/tma-pay-*.tgz)
fi
tarball=$(realpath "$tarball")

version() { node -p "require('./package.json').devDependencies['$1']"; }
peers=(
  "react@$(version react)" "react-dom@$(version react-dom)"
  "@tanstack/react-query@$(version @tanstack/react-query)" "@tma.js/sdk@$(version @tma.js/sdk)"
)
read -r -a extra <<<"${TMA_PAY_FRONTEND_EXTRA:-}"

measure() {
  local name=$1
  shift
  local dir=$work/$name
  mkdir -p "$dir"
  printf '{"name":"size-%s","version":"1.0.0","private":true}\n' "$name" >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null)
  local kb packages
  kb=$(du -sk "$dir/node_modules" | cut -f1)
  packages=$(cd "$dir" && npm ls --all --parseable 2>/dev/null | tail -n +2 | wc -l)
  printf '%-20s %7d KB  %3d packages  npm install %s\n' "$name" "$kb" "$packages" "${*/#$tarball/tma-pay.tgz}"
}

measure server "$tarball"
measure server-pglite "$tarball" "@electric-sql/pglite@$(version @electric-sql/pglite)"
measure mini-app "$tarball" "${peers[@]}" "${extra[@]}"
measure mini-app-peers "${peers[@]}" "${extra[@]}"
