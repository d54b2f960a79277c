# Case: the trusted lists go stale under a running verifier node.
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
  before="$(present)"
  echo "+31d" >"$clockfile"
  after="$(present)"
  kill -9 "$node_pid" 2>/dev/null
  wait "$node_pid" 2>/dev/null
  bin="$real_bin"
  local b_status a_status a_verified a_check a_error
  b_status="$(echo "$before" | jq -r .status)"
  a_status="$(echo "$after" | jq -r .status)"
  a_verified="$(echo "$after" | jq -r .verified)"
  a_check="$(echo "$after" | jq -r .check)"
  a_error="$(echo "$after" | jq -r .error | grep -o 'is stale (NextUpdate [^)]*)' | head -n 1)"
  local pass=no
  if [ "$b_status" = verified ] && [ "$a_status" != verified ] && [ "$a_verified" = false ] &&
    [ "$a_check" = trusted_list_stale ] && [ -n "$a_error" ]; then
    pass=yes
  fi
  row "$name" \
    "\`serve\` under libfaketime; an EU diploma received by the CLI wallet and presented to the JP verifier; then the node's (and wallet's) clock moved 31 days ahead, past the NextUpdate of the lists the node loaded and serves, and presented again" \
    "before: verified; after: not verified, failed check \`trusted_list_stale\`, the reason naming the NextUpdate" \
    "before: $b_status; after: status $a_status, verified $a_verified, check \`$a_check\`: \"… signer pinned ${a_error:-(no reason)}\"" \
    "$pass"
}
