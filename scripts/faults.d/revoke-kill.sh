# Case: SIGKILL of the node while the admin API revokes credentials; restart; finish.
# Invariant: the published Token Status List equals the stored list; every credential the
# admin API answered "revoked" (and every one asked for, once finished) is revoked in it,
# no other is; no status index is used twice, also by credentials issued after the restart.
# shellcheck shell=bash

# issue_some DIR N: N offers from the admin API received by the CLI wallet (3 credentials each).
issue_some() {
  local dir="$1" n="$2" i out uri tx token
  token="$(admin_token "$dir")"
  for i in $(seq 1 "$n"); do
    out="$(api "$dir" POST /issuers/eu/admin/offers -H "Authorization: Bearer $token" \
      -H 'content-type: application/json' \
      -d '{"graduate_id":"VATBE-0123456789/BL-2026-00417"}' | head -n 1)"
    uri="$(echo "$out" | jq -r .offer_uri)"
    tx="$(echo "$out" | jq -r .tx_code)"
    "$bin" wallet receive "$uri" --tx-code "$tx" --data-dir "$work/wallet" \
      --tls-root "$dir/demo/tls/ca.pem" >/dev/null 2>>"$work/wallet.log" || return 1
  done
}

# revoke DIR ID: asks the admin API; appends ID to $work/answered when it answered "revoked".
revoke() {
  local dir="$1" id="$2" out
  out="$(api "$dir" POST "/issuers/eu/admin/credentials/$id/revoke" \
    -H "Authorization: Bearer $(admin_token "$dir")" 2>/dev/null)"
  if [ "$(echo "$out" | tail -n 1)" = 200 ] &&
    [ "$(echo "$out" | head -n 1 | jq -r .status 2>/dev/null)" = revoked ]; then
    echo "$id" >>"$work/answered"
  fi
}

case_revoke_kill() {
  local backend="$1" dir="$work/revoke-node-$1" port offers store_args=() db
  port="$(free_port)"
  if $quick; then offers=6; else offers=15; fi
  : >"$work/answered"
  rm -rf "$work/wallet"
  local name="kill -9 during status updates (SQLite)"
  db="$dir/kakehashi.sqlite"
  if [ "$backend" = postgres ]; then
    name="kill -9 during status updates (PostgreSQL)"
    pg_up || { row "$name" "scripts/pg start" "a server" "PostgreSQL did not start" no; return; }
    pg_reset
    store_args=(--database-url "$pg_url")
    db="$pg_url"
  fi
  serve "$dir" "$port" "${store_args[@]}" || { row "$name" "serve" "node ready" "node did not start" no; return; }
  issue_some "$dir" "$offers" || { row "$name" "issue" "credentials" "issuance failed: $(tail -n 2 "$work/wallet.log")" no; return; }
  if [ "$backend" = postgres ]; then
    pg_query "SELECT id FROM issued_credentials ORDER BY id" >"$work/ids"
  else
    sqlite3 "file:$db?mode=ro" "SELECT id FROM issued_credentials ORDER BY id" >"$work/ids"
  fi
  local total revoke_n third
  total="$(wc -l <"$work/ids")"
  revoke_n=$((total * 2 / 3))
  third=$((revoke_n / 2))
  head -n "$revoke_n" "$work/ids" >"$work/revoke-set"
  # One client revoking them in order; the node is SIGKILLed once a third have been answered,
  # so a request is usually in flight and the rest meet a dead node.
  (for id in $(cat "$work/revoke-set"); do revoke "$dir" "$id"; done) &
  local loop=$!
  track "$loop"
  while [ "$(wc -l <"$work/answered")" -lt "$third" ] && kill -0 "$loop" 2>/dev/null; do sleep 0.01; done
  local before_kill
  before_kill="$(wc -l <"$work/answered")"
  kill -9 "$node_pid"
  { wait "$node_pid"; } 2>/dev/null
  { wait "$loop"; } 2>/dev/null
  local at_kill
  at_kill="$(wc -l <"$work/answered")"
  local in_flight=$((revoke_n - at_kill))
  # Restart on the same data and port; finish what got no answer; issue more.
  serve "$dir" "$port" "${store_args[@]}" || { row "$name" "restart" "node ready" "node did not restart" no; return; }
  for id in $(cat "$work/revoke-set"); do
    grep -qx "$id" "$work/answered" || revoke "$dir" "$id"
  done
  issue_some "$dir" 2 || { row "$name" "issue after restart" "credentials" "issuance failed" no; return; }
  api "$dir" GET /issuers/eu/status/tsl-1 | head -n 1 >"$work/token"
  local report
  report="$(python3 scripts/faults.d/statuslist.py "$work/token" "$db" "$work/revoke-set" "$work/answered" 2>&1)"
  local pass
  pass="$(echo "$report" | python3 -c '
import json, sys
r = json.load(sys.stdin)
ok = (r["published_equals_stored"] and not r["asked_but_not_revoked"]
      and not r["revoked_but_not_asked"] and not r["answered_revoked_but_not_in_list"]
      and r["duplicate_indices"] == 0 and r["distinct_indices"] == r["credentials"])
print("yes" if ok else "no")' 2>/dev/null || echo no)"
  [ "$in_flight" -gt 0 ] || pass=no # the kill must land with revocations unanswered
  kill -9 "$node_pid" 2>/dev/null
  local summary
  summary="$(echo "$report" | python3 -c '
import json, sys
r = json.load(sys.stdin)
n = lambda k: len(r[k])
print("%d credentials, %d revoked in the list; published == stored: %s; asked but not revoked: %d;"
      " revoked but not asked: %d; answered revoked but not in the list: %d; duplicate indices: %d"
      % (r["credentials"], r["revoked_in_list"], r["published_equals_stored"], n("asked_but_not_revoked"),
         n("revoked_but_not_asked"), n("answered_revoked_but_not_in_list"), r["duplicate_indices"]))' 2>/dev/null || echo "$report")"
  row "$name" \
    "\`serve$([ "$backend" = postgres ] && echo ' --database-url')\`; $total credentials issued through the admin API and the CLI wallet; $revoke_n revoked in order by one client, the node SIGKILLed after $before_kill answers ($at_kill answered in all, $in_flight without an answer: in flight or refused); restart on the same data, revoke the unanswered, issue 6 more" \
    "GET /status/tsl-1 equals the stored list; exactly the $revoke_n asked are revoked (all answered \"revoked\" among them), none other; no status index twice" \
    "$summary" \
    "$pass"
}
