#!/usr/bin/env bash
# The full test run (`npm test`): lint, typecheck, then the vitest suites against a real PostgreSQL.
#
#   npm test                       # everything
#   npm test -- test/foo.test.ts   # extra args go to the main vitest run
#
# Unless TMA_PAY_TEST_DATABASE_URL is set, a throwaway PostgreSQL cluster is started for the run
# (scripts/pg-cluster.sh) and stopped on exit, failure or Ctrl-C.
# Every step runs even when an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

if [[ -t 1 ]]; then
  section() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
else
  section() { printf '\n=== %s ===\n' "$*"; }
fi
note() { printf 'test.sh: %s\n' "$*" >&2; }

failed=()
step() {
  local name=$1
  shift
  section "$name"
  if "$@"; then
    return 0
  fi
  note "FAILED: $name"
  failed+=("$name")
  return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/tma-pay-test.XXXXXX")
pg_started=0
stop_pg() {
  if [[ $pg_started -eq 1 ]]; then
    pg_started=0
    section 'Stopping PostgreSQL'
    bash scripts/pg-cluster.sh stop || true
  fi
}
cleanup() {
  local rc=$?
  stop_pg
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

step 'Lint (biome)' npx biome check .
step 'Typecheck (tsc)' npx tsc -p tsconfig.json --noEmit
step 'Bundle size (min+gzip: typical app 5120 B, everything 6144 B)' node scripts/size.mjs

section 'PostgreSQL'
if [[ -n ${TMA_PAY_TEST_DATABASE_URL:-} ]]; then
  note "using TMA_PAY_TEST_DATABASE_URL from the environment"
elif bash scripts/pg-cluster.sh bin-dir >/dev/null 2>&1; then
  # A state file of our own, so parallel runs and a developer's own cluster don't collide.
  export TMA_PAY_PG_STATE=$work/pg.state
  pg_started=1
  if url=$(bash scripts/pg-cluster.sh start); then
    export TMA_PAY_TEST_DATABASE_URL=${url##*$'\n'}
    note "TMA_PAY_TEST_DATABASE_URL=$TMA_PAY_TEST_DATABASE_URL"
  else
    note "FAILED: could not start a PostgreSQL cluster (see above)"
    failed+=('PostgreSQL start')
  fi
elif [[ -n ${CI:-} ]]; then
  note "ERROR: PostgreSQL server binaries not found, and in CI the PostgreSQL tests must run."
  note "       Install them first: bash scripts/ci-deps.sh (.ci/run does this)."
  exit 1
else
  note "WARNING: PostgreSQL server binaries not found: the PostgreSQL tests will fail."
  note "         Install them with: bash scripts/ci-deps.sh"
  note "         (or point TMA_PAY_TEST_DATABASE_URL at a server you can create databases on)."
fi

# The main run records what it saw; the conformance check then reads the recordings.
TMA_PAY_RECORD_DIR=$work/records
mkdir -p "$TMA_PAY_RECORD_DIR"
export TMA_PAY_RECORD_DIR

step 'Tests (vitest)' npx vitest run --exclude test/conformance.test.ts --reporter=default --reporter=json --outputFile.json="$work/main.json" "$@"
step 'Conformance (vitest)' npx vitest run test/conformance.test.ts --reporter=default --reporter=json --outputFile.json="$work/conformance.json"

stop_pg

section 'Summary'
# One plain closing line over both runs, counted from vitest's JSON reports.
node -e '
  let passed = 0, failed = 0
  for (const file of process.argv.slice(1)) {
    try {
      const report = JSON.parse(require("fs").readFileSync(file, "utf8"))
      passed += report.numPassedTests
      failed += report.numFailedTests
    } catch { failed += 1 }
  }
  console.log(`tests: ${passed} passed, ${failed} failed`)
' "$work/main.json" "$work/conformance.json"
if [[ ${#failed[@]} -gt 0 ]]; then
  note 'failed steps:'
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
note 'all steps passed'
