# Case: PostgreSQL stopped and started again under load, at the node level.
# Invariant: during the outage requests fail cleanly (5xx with an OAuth-style JSON `error`
# body, within the pool's 5 s acquire timeout plus 2 s, no panic); the outage outlasts that
# timeout so requests must fail rather than wait; afterwards the same node serves again, not restarted.
# shellcheck shell=bash

# load_loop DIR OUT: admin offers (a write) and the status list (a read), one after the other,
# until $work/stop-load exists; one line per request: phase seconds http_code error.
load_loop() {
  local dir="$1" out="$2" token start end code body kind
  token="$(admin_token "$dir")"
  while [ ! -f "$work/stop-load" ]; do
    for kind in offer status; do
      local phase
      phase="$(cat "$work/phase")" # the phase the request started in
      start=$(date +%s.%N)
      if [ "$kind" = offer ]; then
        body="$(api_timeout=20 api "$dir" POST /issuers/eu/admin/offers -H "Authorization: Bearer $token" \
          -H 'content-type: application/json' -d '{"graduate_id":"VATBE-0123456789/BL-2026-00417"}' 2>/dev/null)"
      else
        body="$(api_timeout=20 api "$dir" GET /issuers/eu/status/tsl-1 2>/dev/null)"
      fi
      end=$(date +%s.%N)
      code="$(echo "$body" | tail -n 1)"
      local err
      err="$(echo "$body" | head -n 1 | jq -r '.error // "-"' 2>/dev/null || echo not-json)"
      [ -n "$err" ] || err=not-json
      printf '%s %s %.2f %s %s\n' "$phase" "$kind" "$(echo "$end - $start" | bc)" "${code:-000}" "$err" >>"$out"
    done
  done
}

case_pg_restart() {
  local name="PostgreSQL restarted under load"
  pg_up || { row "$name" "scripts/pg start" "a server" "PostgreSQL did not start" no; return; }
  pg_reset
  local dir="$work/pg-node" port
  port="$(free_port)"
  serve "$dir" "$port" --database-url "$pg_url" || { row "$name" "serve" "node ready" "node did not start" no; return; }
  local out="$work/load.txt" outage=9
  $quick && outage=7
  rm -f "$work/stop-load" "$out"
  echo before >"$work/phase"
  local loops=() i
  for i in 1 2 3; do
    load_loop "$dir" "$out" &
    loops+=($!)
    track "$!"
  done
  sleep 2
  echo outage >"$work/phase"
  local t0 t1
  t0=$(date +%s)
  pg_halt >/dev/null 2>&1
  sleep "$outage"
  pg_up >/dev/null 2>&1
  t1=$(date +%s)
  echo after >"$work/phase"
  sleep 6
  touch "$work/stop-load"
  for i in "${loops[@]}"; do { wait "$i"; } 2>/dev/null; done
  local alive=no
  kill -0 "$node_pid" 2>/dev/null && alive=yes
  local panics
  panics="$(grep -c -i 'panicked' "$dir.log")"
  # Outage window requests: every answer is 2xx, or 5xx with a JSON error; none over 20 s.
  local report
  report="$(python3 - "$out" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
out = [r for r in rows if r[0] == "outage"]
after = [r for r in rows if r[0] == "after"]
bad = [r for r in out if float(r[2]) > 7.0 or not (r[3].startswith("2") or (r[3].startswith("5") and r[4] not in ("-", "not-json")))]
fails = [r for r in out if r[3].startswith("5")]
codes = sorted({f"{r[3]} {r[4]}" for r in fails})
slowest = max((float(r[2]) for r in out), default=0.0)
# Recovered: the last four requests after the restart all succeeded.
tail_ok = len(after) >= 4 and all(r[3].startswith("2") for r in after[-4:])
first_ok = next((i for i, r in enumerate(after) if r[3].startswith("2")), None)
print(len(out), len(fails), len(bad), "%.2f" % slowest, "yes" if tail_ok else "no",
      len(after), ";".join(codes).replace(" ", "_") or "none")
PY
)"
  local n_out n_fail n_bad slowest recovered n_after codes
  read -r n_out n_fail n_bad slowest recovered n_after codes <<<"$report"
  local pass=no
  if [ "$alive" = yes ] && [ "$panics" = 0 ] && [ "${n_fail:-0}" -gt 0 ] && [ "$n_bad" = 0 ] &&
    [ "$recovered" = yes ]; then
    pass=yes
  fi
  kill -9 "$node_pid" 2>/dev/null
  row "$name" \
    "\`serve --database-url\` under three client loops of admin offers (write) and status-list GETs (read); PostgreSQL stopped (\`pg_ctl stop -m fast\`) for $((t1 - t0)) s, then started again" \
    "outage: only 2xx or 5xx with a JSON \`error\`, each answered within 7 s (5 s pool acquire timeout + 2); no panic; the same process serves 2xx again" \
    "outage: $n_out requests, $n_fail failed as ${codes//_/ }, $n_bad unclean, slowest ${slowest} s; node alive: $alive, panics in log: $panics; after: $n_after requests, last 4 succeeded: $recovered" \
    "$pass"
}
