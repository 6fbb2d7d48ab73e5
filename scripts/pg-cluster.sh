#!/usr/bin/env bash
# A throwaway PostgreSQL server for integration tests.
#
#   bash scripts/pg-cluster.sh start    # prints postgres://postgres@127.0.0.1:PORT/tma_pay_test as its last line
#   bash scripts/pg-cluster.sh stop     # stops it and removes its directory (safe to call twice)
#   bash scripts/pg-cluster.sh bin-dir  # prints the PostgreSQL bin dir it would use; exits 1 if there is none
#
# The cluster lives in a fresh temp dir, listens on 127.0.0.1 only (plus a unix socket inside that dir),
# trusts every local connection and runs with durability off. It never touches Debian's own clusters.
# `start` records the cluster in $TMA_PAY_PG_STATE (default /tmp/tma-pay-pg.state) for `stop`.
# Progress goes to stderr; stdout carries only the URL.
#
# Environment:
#   TMA_PAY_PG_STATE  state file path (default /tmp/tma-pay-pg.state)
#   TMA_PAY_PG_BIN    PostgreSQL bin dir to use instead of the newest /usr/lib/postgresql/*/bin
#   TMA_PAY_PG_TMPDIR where to make the cluster's temp dir (default /dev/shm if it has 2 GiB free, else $TMPDIR or /tmp)
set -euo pipefail

STATE_FILE=${TMA_PAY_PG_STATE:-/tmp/tma-pay-pg.state}
DB_NAME=tma_pay_test
MARKER=.tma-pay-pg-cluster

log() { printf 'pg-cluster: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The newest PostgreSQL bin dir: $TMA_PAY_PG_BIN, else Debian's /usr/lib/postgresql/<major>/bin,
# else whatever initdb is on PATH (Homebrew, other distros).
find_bin_dir() {
  local dir
  if [[ -n ${TMA_PAY_PG_BIN:-} ]]; then
    [[ -x $TMA_PAY_PG_BIN/initdb ]] || return 1
    printf '%s\n' "$TMA_PAY_PG_BIN"
    return 0
  fi
  dir=$(
    for d in /usr/lib/postgresql/*/bin; do
      [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] && printf '%s\n' "$d"
    done | sort -V | tail -n 1
  )
  if [[ -z $dir ]] && command -v initdb >/dev/null 2>&1; then
    dir=$(dirname "$(readlink -f "$(command -v initdb)")")
  fi
  [[ -n $dir ]] || return 1
  printf '%s\n' "$dir"
}

# The server refuses to run as root: as root, run server-side tools as `postgres`; otherwise as ourselves.
run_as_owner() {
  if [[ $OWNER == "$(id -un)" ]]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$OWNER" -- "$@"
  else
    su "$OWNER" -s /bin/bash -c "$(printf '%q ' "$@")"
  fi
}

pick_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 ||
      die "running as root but there is no 'postgres' user to run the server as (install Debian's postgresql package: bash scripts/ci-deps.sh)"
    OWNER=postgres
  else
    OWNER=$(id -un)
  fi
}

# Is something accepting connections on 127.0.0.1:$1?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" || {
      printf '%s\n' "$port"
      return 0
    }
  done
  return 1
}

# Where the cluster's temp dir goes: $TMA_PAY_PG_TMPDIR, else /dev/shm when it is a roomy tmpfs (creating
# a database copies ~300 files, which is 30x faster there than on some VM disks), else $TMPDIR or /tmp.
pick_base_dir() {
  local avail_kb
  if [[ -n ${TMA_PAY_PG_TMPDIR:-} ]]; then
    printf '%s\n' "$TMA_PAY_PG_TMPDIR"
    return 0
  fi
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    avail_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
    if [[ ${avail_kb:-0} =~ ^[0-9]+$ && $avail_kb -ge $((2 * 1024 * 1024)) ]]; then
      printf '%s\n' /dev/shm
      return 0
    fi
  fi
  printf '%s\n' "${TMPDIR:-/tmp}"
}

# Reads key=value lines from the state file without executing it (it lives in a shared /tmp).
read_state() {
  S_DIR='' S_PORT='' S_BIN='' S_OWNER=''
  local key value
  while IFS='=' read -r key value; do
    case $key in
      dir) S_DIR=$value ;;
      port) S_PORT=$value ;;
      bin) S_BIN=$value ;;
      owner) S_OWNER=$value ;;
    esac
  done <"$STATE_FILE"
}

write_state() {
  local tmp
  tmp=$(mktemp "$STATE_FILE.XXXXXX")
  printf 'dir=%s\nport=%s\nbin=%s\nowner=%s\n' "$1" "$2" "$3" "$OWNER" >"$tmp"
  mv -f "$tmp" "$STATE_FILE"
}

# Only directories this script made (marker file inside) are ever deleted.
remove_cluster_dir() {
  local dir=$1
  [[ -n $dir && -d $dir ]] || return 0
  if [[ ! -e $dir/$MARKER ]]; then
    log "not removing $dir: it has no $MARKER marker"
    return 0
  fi
  rm -rf -- "$dir"
}

cmd_stop() {
  if [[ ! -f $STATE_FILE ]]; then
    log "no cluster recorded in $STATE_FILE; nothing to stop"
    return 0
  fi
  read_state
  if [[ -n $S_DIR && -f $S_DIR/data/postmaster.pid ]]; then
    OWNER=${S_OWNER:-$(id -un)}
    if [[ -n $S_BIN && -x $S_BIN/pg_ctl ]]; then
      log "stopping the server on port ${S_PORT:-?} ($S_DIR)"
      (cd "$S_DIR" && run_as_owner "$S_BIN/pg_ctl" stop -D "$S_DIR/data" -m fast -w -t 30 >&2) ||
        (cd "$S_DIR" && run_as_owner "$S_BIN/pg_ctl" stop -D "$S_DIR/data" -m immediate -w -t 30 >&2) ||
        log "pg_ctl stop failed; removing the directory anyway"
    else
      log "pg_ctl not found at '$S_BIN'; cannot stop the server cleanly"
    fi
  fi
  remove_cluster_dir "$S_DIR"
  rm -f -- "$STATE_FILE"
  log "stopped"
}

START_OK=0
START_DIR=''
on_start_exit() {
  local rc=$?
  [[ $START_OK -eq 1 ]] && return 0
  log "start failed (exit $rc); cleaning up"
  if [[ -s $START_DIR/server.log ]]; then
    log "last lines of the server log:"
    tail -n 30 "$START_DIR/server.log" >&2 || true
  fi
  if [[ -f $STATE_FILE ]]; then
    cmd_stop || true
  else
    remove_cluster_dir "$START_DIR"
  fi
  exit "$rc"
}

cmd_start() {
  local bin base dir state_dir port started=0 attempt url
  bin=$(find_bin_dir) ||
    die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); install them with: bash scripts/ci-deps.sh"
  pick_owner

  if [[ -f $STATE_FILE ]]; then
    read_state
    if [[ -n $S_DIR && -f $S_DIR/data/postmaster.pid && -n $S_PORT ]] && port_in_use "$S_PORT"; then
      die "a cluster is already running (port $S_PORT, $S_DIR); run 'bash scripts/pg-cluster.sh stop' first or set TMA_PAY_PG_STATE"
    fi
    log "cleaning up a stale cluster recorded in $STATE_FILE"
    cmd_stop
  fi

  state_dir=$(dirname "$STATE_FILE")
  [[ -d $state_dir && -w $state_dir ]] || die "cannot write the state file $STATE_FILE (TMA_PAY_PG_STATE)"

  base=$(pick_base_dir)
  dir=$(mktemp -d "${base%/}/tma-pay-pg.XXXXXX")
  START_DIR=$dir
  trap on_start_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  touch "$dir/$MARKER"
  mkdir "$dir/sock"
  # The owner must be able to reach the dir, so fall back to /tmp when the base dir is private.
  if [[ $OWNER != "$(id -un)" ]]; then
    chown -R "$OWNER" "$dir"
    if ! run_as_owner test -w "$dir"; then
      rm -rf -- "$dir"
      dir=$(mktemp -d /tmp/tma-pay-pg.XXXXXX)
      START_DIR=$dir
      touch "$dir/$MARKER"
      mkdir "$dir/sock"
      chown -R "$OWNER" "$dir"
    fi
  fi
  # Record the cluster before the server exists, so `stop` can always clean up.
  write_state "$dir" '' "$bin"

  log "$("$bin/postgres" --version) from $bin, running as $OWNER, in $dir"
  (cd "$dir" && run_as_owner "$bin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1) || {
    cat "$dir/initdb.log" >&2
    false
  }

  cat >>"$dir/data/postgresql.conf" <<EOF

# tma-pay throwaway test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

  # The port is chosen free but may be taken before the server binds it: retry on another one.
  for attempt in 1 2 3 4 5; do
    port=$(random_port) || die "no free loopback port found"
    write_state "$dir" "$port" "$bin"
    if (cd "$dir" && run_as_owner "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 60 >&2); then
      started=1
      break
    fi
    if grep -qiE 'could not bind|address already in use|could not create any TCP/IP sockets' "$dir/server.log" 2>/dev/null; then
      log "port $port was taken (attempt $attempt); trying another"
      : >"$dir/server.log"
      continue
    fi
    false
  done
  [[ $started -eq 1 ]] || false

  for _ in $(seq 1 100); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && break
    sleep 0.1
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres

  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE $DB_NAME" >&2
  START_OK=1

  url="postgres://postgres@127.0.0.1:$port/$DB_NAME"
  log "ready: $url"
  printf '%s\n' "$url"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  bin-dir) find_bin_dir ;;
  *)
    echo "usage: $0 start|stop|bin-dir" >&2
    exit 2
    ;;
esac
