# Case: the SQLite database's filesystem fills up (a small tmpfs, so it needs root; without
# mount rights the case is reported as not run and fails: the binary has no quota switch;
# `SqliteSettings::max_database_bytes` (PRAGMA max_page_count) covers it in the Rust test
# crates/http-issuer/tests/storage_full.rs).
# Invariant: a clear error (the import exits non-zero naming "storage full"; the node answers
# 507 with a JSON error), reads keep working, `PRAGMA integrity_check` is ok, the rows written
# before are intact, and once space is freed the work completes.
# shellcheck shell=bash

mounts=()
small_fs() {
  local dir="$1" size="$2"
  mkdir -p "$dir"
  mount -t tmpfs -o "size=$size" tmpfs "$dir" 2>/dev/null || return 1
  mounts+=("$dir")
}
unmount_all() {
  local m
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  mounts=()
}

case_disk_full() {
  local name="SQLite disk full (bulk import)"
  local n=3000
  $quick || n=10000
  local csv data="$work/full-import"
  csv="$(csv_rows "$n")"
  if ! small_fs "$data" 2m; then
    row "$name" "mount -t tmpfs -o size=2m" "a small filesystem" "cannot mount (not root?): case not run" no
    return
  fi
  local out err code
  out="$("$bin" registrar import "$csv" --university eu --data-dir "$data" 2>"$work/full.err")"
  code=$?
  err="$(tr '\n' ' ' <"$work/full.err" | sed 's/.*Error: //; s/  */ /g' | cut -c1-160)"
  local db="$data/kakehashi.sqlite" integrity1 written
  integrity1="$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')"
  written="$(sqlite3 "file:$db?mode=ro" 'SELECT count(*) FROM credential_offers' 2>&1)"
  local readable
  readable="$(sqlite3 "file:$db?mode=ro" "SELECT count(*) FROM credential_offers o JOIN graduates g ON g.id = o.subject" 2>&1)"
  mount -o remount,size=64m "$data"
  local final offers distinct integrity2
  final="$("$bin" registrar import "$csv" --university eu --data-dir "$data" 2>/dev/null | tr -d ' \n')"
  offers="$(sqlite3 "file:$db?mode=ro" 'SELECT count(*) FROM credential_offers')"
  distinct="$(sqlite3 "file:$db?mode=ro" 'SELECT count(DISTINCT subject) FROM credential_offers')"
  integrity2="$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')"
  local pass=no
  if [ "$code" -ne 0 ] && echo "$err" | grep -q 'storage full' && [ "$integrity1" = "ok " ] &&
    [ "${written:-0}" -gt 0 ] && [ "$readable" = "$written" ] && [ "$offers" = "$n" ] &&
    [ "$distinct" = "$n" ] && [ "$integrity2" = "ok " ]; then
    pass=yes
  fi
  row "$name" \
    "\`registrar import\` of $n rows into a data dir on a 2 MB tmpfs; then the tmpfs grown to 64 MB (\`mount -o remount\`) and the import re-run" \
    "exit non-zero with \"storage full\"; integrity_check ok; the offers written before readable with their graduates; the re-run completes to $n offers, none twice" \
    "exit $code: \`$err\`; integrity ${integrity1% }; $written offers written before, $readable readable with their graduates; re-run \`$final\`: $offers offers, $distinct distinct, integrity ${integrity2% }" \
    "$pass"
  umount "$data" 2>/dev/null

  name="SQLite disk full (node)"
  local dir="$work/full-node" port
  port="$(free_port)"
  if ! small_fs "$dir" 32m; then
    row "$name" "mount tmpfs" "a small filesystem" "cannot mount" no
    return
  fi
  serve "$dir" "$port" || { row "$name" "serve" "node ready" "node did not start" no; unmount_all; return; }
  local token
  token="$(admin_token "$dir")"
  offer() {
    api "$dir" POST /issuers/eu/admin/offers -H "Authorization: Bearer $token" \
      -H 'content-type: application/json' -d '{"graduate_id":"VATBE-0123456789/BL-2026-00417"}'
  }
  offer >/dev/null
  offer >/dev/null
  sqlite3 "file:$dir/kakehashi.sqlite?mode=ro" 'SELECT id FROM credential_offers ORDER BY id' >"$work/before-ids"
  # Fill the filesystem: one filler file takes every free block.
  dd if=/dev/zero of="$dir/filler" bs=64k 2>/dev/null
  local full_answers=() i r
  for i in 1 2 3 4 5; do
    r="$(offer)"
    full_answers+=("$(echo "$r" | tail -n 1) $(echo "$r" | head -n 1 | jq -c '{error, error_description}' 2>/dev/null)")
  done
  local read_code
  read_code="$(api "$dir" GET /issuers/eu/status/tsl-1 | tail -n 1)"
  local alive=no
  kill -0 "$node_pid" 2>/dev/null && alive=yes
  rm -f "$dir/filler"
  r="$(offer)"
  local after_code
  after_code="$(echo "$r" | tail -n 1)"
  kill -9 "$node_pid" 2>/dev/null
  { wait "$node_pid"; } 2>/dev/null
  local integrity kept
  integrity="$(sqlite3 "$dir/kakehashi.sqlite" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')"
  # Every offer that existed before the disk filled is still there, unchanged.
  kept=no
  sqlite3 "file:$dir/kakehashi.sqlite?mode=ro" 'SELECT id FROM credential_offers ORDER BY id' >"$work/after-ids"
  [ "$(comm -23 "$work/before-ids" "$work/after-ids" | wc -l)" = 0 ] && kept=yes
  local distinct_answers
  distinct_answers="$(printf '%s\n' "${full_answers[@]}" | sort -u | tr '\n' ';' | sed 's/;$//')"
  pass=no
  if [ "$alive" = yes ] && ! printf '%s\n' "${full_answers[@]}" | grep -qv '^507 {"error":"server_error","error_description":"storage full"}$' &&
    [ "$read_code" = 200 ] && [ "$after_code" = 201 ] && [ "$integrity" = "ok " ] && [ "$kept" = yes ]; then
    pass=yes
  fi
  row "$name" \
    "\`serve\` with its data dir on a 32 MB tmpfs; two offers made, then the filesystem filled with \`dd\`; 5 admin offers, a status-list GET; filler removed, one more offer; node stopped" \
    "507 with a JSON \`error\` for each write, the status list still served (200), node alive; 201 once space is freed; the offers made before all there; integrity_check ok" \
    "writes: $distinct_answers; read: $read_code; alive: $alive; after freeing: $after_code; earlier offers kept: $kept; integrity ${integrity% }" \
    "$pass"
  unmount_all
}
