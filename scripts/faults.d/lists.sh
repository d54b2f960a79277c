# Cases: the trusted lists go stale under a running verifier node; the lists are unreachable.
# The node runs under libfaketime (Debian `faketime`) with its clock read from a file, so the
# same process is moved 31 days ahead, past the NextUpdate (start + 30 days) of the lists it
# loaded at start and still serves; the CLI wallet presents under the same clock.
# Invariant: before, the credential verifies; after, the verifier fails closed: not
# verified, with the failed check `trusted_list_stale` and the NextUpdate in the reason.
# shellcheck shell=bash

case_lists() {
  local name="trusted lists stale (past NextUpdate)"
  local lib
  lib="$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)"
  if [ -z "$lib" ]; then
    row "$name" "libfaketime" "installed" "faketime not available: case not run" no
    return
  fi
  local clockfile="$work/faketime"
  echo "+0" >"$clockfile"
  local ft=(env LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$clockfile" FAKETIME_NO_CACHE=1
    FAKETIME_DONT_FAKE_MONOTONIC=1)
  local dir="$work/lists-node" port
  port="$(free_port)"
  local real_bin="$bin"
  # serve() runs "$bin" as one word; run the node under faketime through a wrapper instead.
  bin="$work/kakehashi-faketime"
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${ft[*]}" "$real_bin" >"$bin"
  chmod +x "$bin"
  if ! serve "$dir" "$port"; then
    bin="$real_bin"
    row "$name" "serve" "node ready" "node did not start" no
    return
  fi
  local wallet=(--data-dir "$work/lists-wallet" --tls-root "$dir/demo/tls/ca.pem"
    --verifier-anchor "$dir/demo/pki/access-ca.pem")
  local token offer
  token="$(admin_token "$dir")"
  offer="$(api "$dir" POST /issuers/eu/admin/offers -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"graduate_id":"VATBE-0123456789/BL-2026-00417"}' | head -n 1)"
  "$bin" wallet receive "$(echo "$offer" | jq -r .offer_uri)" --tx-code "$(echo "$offer" | jq -r .tx_code)" \
    --data-dir "$work/lists-wallet" --tls-root "$dir/demo/tls/ca.pem" >/dev/null 2>&1
  # present: a session at the Japanese verifier, the wallet consents; prints status and check.
  present() {
    local session
    session="$(api "$dir" POST /verifiers/jp/verifier/sessions -H 'content-type: application/json' \
      -d '{"template":"masters-admission"}' | head -n 1)"
    "$bin" wallet present "$(echo "$session" | jq -r .request_uri)" --yes "${wallet[@]}" >/dev/null 2>&1
    curl -sS --max-time 15 --cacert "$dir/demo/tls/ca.pem" "$(echo "$session" | jq -r .status_url)" |
      jq -c '{status, verified: .result.verified, check: .result.credentials[0].check, error: .result.credentials[0].error}'
  }
  local before after
  # Lists unreachable: a node of the issuer and verifier roles only, so its list locations
  # (its own /tsl, served by the registry role) answer 404.
  local udir="$work/lists-unreachable" uport
  uport="$(free_port)"
  local main_pid="$node_pid" main_url="$node_url"
  if wait_for=/healthz serve "$udir" "$uport" --role issuer --role verifier; then
    local uready ugot
    uready="$(api "$udir" GET /readyz | head -n 1)"
    local token_u
    token_u="$(admin_token "$udir")"
    offer="$(api "$udir" POST /issuers/eu/admin/offers -H "Authorization: Bearer $token_u" \
      -H 'content-type: application/json' -d '{"graduate_id":"VATBE-0123456789/BL-2026-00417"}' | head -n 1)"
    "$bin" wallet receive "$(echo "$offer" | jq -r .offer_uri)" --tx-code "$(echo "$offer" | jq -r .tx_code)" \
      --data-dir "$work/lists-wallet-u" --tls-root "$udir/demo/tls/ca.pem" >/dev/null 2>&1
    local wallet_main=("${wallet[@]}")
    wallet=(--data-dir "$work/lists-wallet-u" --tls-root "$udir/demo/tls/ca.pem"
      --verifier-anchor "$udir/demo/pki/access-ca.pem")
    local dir_main="$dir"
    dir="$udir"
    ugot="$(present)"
    dir="$dir_main"
    wallet=("${wallet_main[@]}")
    kill -9 "$node_pid" 2>/dev/null
    { wait "$node_pid"; } 2>/dev/null
    local u_status u_verified u_check u_error upass=no
    u_status="$(echo "$ugot" | jq -r .status)"
    u_verified="$(echo "$ugot" | jq -r .verified)"
    u_check="$(echo "$ugot" | jq -r .check)"
    u_error="$(echo "$ugot" | jq -r .error)"
    if [ "$u_status" != verified ] && [ "$u_verified" = false ] && [ "$u_check" = trust ] &&
      echo "$u_error" | grep -q 'no anchored trusted list' && [ "$uready" != ready ]; then
      upass=yes
    fi
    row "trusted lists unreachable" \
      "\`serve --role issuer --role verifier\` (no registry role: the list locations answer 404); an EU diploma received and presented to the JP verifier" \
      "/readyz not ready with the reason; the presentation not verified, failed check \`trust\` saying no trusted list was loaded" \
      "/readyz: \"$uready\"; status $u_status, verified $u_verified, check \`$u_check\`: \"$u_error\"" \
      "$upass"
  else
    row "trusted lists unreachable" "serve --role issuer --role verifier" "node up" "node did not start" no
  fi
  node_pid="$main_pid"
  node_url="$main_url"
  before="$(present)"
  local bready aready
  bready="$(api "$dir" GET /readyz | tr '\n' ' ')"
  echo "+31d" >"$clockfile"
  after="$(present)"
  aready="$(api "$dir" GET /readyz | tr '\n' ' ')"
  kill -9 "$node_pid" 2>/dev/null
  { wait "$node_pid"; } 2>/dev/null
  bin="$real_bin"
  local b_status a_status a_verified a_check a_error
  b_status="$(echo "$before" | jq -r .status)"
  a_status="$(echo "$after" | jq -r .status)"
  a_verified="$(echo "$after" | jq -r .verified)"
  a_check="$(echo "$after" | jq -r .check)"
  a_error="$(echo "$after" | jq -r .error | grep -o 'is stale (NextUpdate [^)]*)' | head -n 1)"
  local pass=no
  if [ "$b_status" = verified ] && [ "$a_status" != verified ] && [ "$a_verified" = false ] &&
    [ "$a_check" = trusted_list_stale ] && [ -n "$a_error" ] &&
    [[ "$bready" == "ready 200"* ]] && [[ "$aready" == *stale*503* ]]; then
    pass=yes
  fi
  row "$name" \
    "\`serve\` under libfaketime; an EU diploma received by the CLI wallet and presented to the JP verifier; then the node's (and wallet's) clock moved 31 days ahead, past the NextUpdate of the lists the node loaded and serves, and presented again" \
    "before: verified, /readyz 200; after: not verified, failed check \`trusted_list_stale\`, the reason naming the NextUpdate, and /readyz 503 naming the stale list" \
    "before: $b_status, /readyz \"$bready\"; after: status $a_status, verified $a_verified, check \`$a_check\`: \"… signer pinned ${a_error:-(no reason)}\"; /readyz \"$aready\"" \
    "$pass"
}
