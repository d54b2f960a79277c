# Shared helpers of scripts/faults (sourced). Processes started here are tracked by pid and
# stopped by pid at the end; nothing is killed by name.
# shellcheck shell=bash

started_pids=()
track() { started_pids+=("$1"); }

# Our own throw-away PostgreSQL cluster (never the shared one of the test suites: the
# pg-restart case halts it, the import cases reset its schema).
pg_dir="$work/pg"
pg_started=false
pg_env() {
  KAKEHASHI_PG_DIR="$pg_dir" KAKEHASHI_PG_PORT="${KAKEHASHI_FAULTS_PG_PORT:-55329}" "$@"
}
pg_up() {
  local exports
  exports="$(pg_env scripts/pg start)" || return 1
  eval "$exports"
  pg_url="$KAKEHASHI_TEST_DATABASE_URL"
  pg_started=true
}
pg_halt() { pg_env scripts/pg halt; }
# Empties the database (a fresh schema) so each case starts from nothing.
pg_reset() {
  psql -q "$pg_url" -v ON_ERROR_STOP=1 -c 'DROP SCHEMA IF EXISTS public CASCADE' \
    -c 'CREATE SCHEMA public' >/dev/null 2>&1
}
pg_query() { psql -qtAX "$pg_url" -c "$1" 2>/dev/null; }

cleanup_all() {
  local p
  for p in "${started_pids[@]}"; do
    kill -9 "$p" 2>/dev/null
    { wait "$p"; } 2>/dev/null
  done
  started_pids=()
  if declare -F unmount_all >/dev/null; then unmount_all; fi
  if $pg_started; then pg_env scripts/pg stop >/dev/null 2>&1; pg_started=false; fi
}
trap cleanup_all EXIT

# A free loopback TCP port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The registrar CSV of scripts/csv-10k with N rows, into $work/csv; prints its path.
csv_rows() {
  local n="$1"
  scripts/csv-10k --rows "$n" --out "$work/csv" 2>/dev/null
  echo "$work/csv/graduates-$n.csv"
}

# serve DATA_DIR PORT [args...]: starts `kakehashi serve` in the background (log in
# DATA_DIR.log), sets $node_pid and $node_url, and waits for /readyz (up to 120 s; another
# path with wait_for=/healthz).
serve() {
  local dir="$1" port="$2"
  shift 2
  mkdir -p "$dir"
  KAKEHASHI_PUBLIC_URL="https://localhost:$port" \
    "$bin" serve --data-dir "$dir" --listen "127.0.0.1:$port" "$@" >>"$dir.log" 2>&1 &
  node_pid=$!
  track "$node_pid"
  node_url="https://localhost:$port"
  local i
  for i in $(seq 1 240); do
    if [ -f "$dir/demo/tls/ca.pem" ] &&
      curl -fsS --max-time 2 --cacert "$dir/demo/tls/ca.pem" "$node_url${wait_for:-/readyz}" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$node_pid" 2>/dev/null || { say "node exited: $(tail -n 3 "$dir.log")"; return 1; }
    sleep 0.5
  done
  say "node not ready: $(curl -sS --cacert "$dir/demo/tls/ca.pem" "$node_url/readyz" 2>&1)"
  return 1
}

# https request to the node with its demo CA: api DIR METHOD PATH [curl args...]; prints
# the body then a last line with the HTTP status.
api() {
  local dir="$1" method="$2" path="$3"
  shift 3
  curl -sS --max-time "${api_timeout:-15}" --cacert "$dir/demo/tls/ca.pem" -X "$method" \
    -w '\n%{http_code}' "$@" "$node_url$path"
}
admin_token() { tr -d '\n' <"$1/demo/admin-token"; }
