# Case: SIGKILL during the registrar bulk CSV import, then re-run to completion.
# Invariant: exactly N offers and N graduates (none twice), the import job finished, the
# database intact after every kill, and a further run issues nothing.
# shellcheck shell=bash

# count_sql BACKEND SQL
count_sql() {
  if [ "$1" = sqlite ]; then
    sqlite3 "file:$data/kakehashi.sqlite?mode=ro" "$2" 2>/dev/null
  else
    pg_query "$2"
  fi
}

case_import_kill() {
  local backend="$1" n points target
  if $quick; then n=3000; points=(0.5 2); else n=10000; points=(0.5 2 5 12); fi
  local csv
  csv="$(csv_rows "$n")"
  data="$work/import-$backend"
  rm -rf "$data"
  if [ "$backend" = sqlite ]; then
    target=(--data-dir "$data")
  else
    pg_up || { row "kill -9 during bulk import (PostgreSQL)" "scripts/pg start" "a server" "PostgreSQL did not start" no; return; }
    pg_reset
    target=(--database-url "$pg_url")
  fi
  local seen=() mid=0 intact=yes p count dup
  for p in "${points[@]}"; do
    "$bin" registrar import "$csv" --university eu "${target[@]}" >/dev/null 2>"$work/import.err" &
    local pid=$!
    track "$pid"
    sleep "$p"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    count="$(count_sql "$backend" "SELECT count(*) FROM credential_offers")"
    if [ "$backend" = sqlite ] && [ ! -f "$data/kakehashi.sqlite" ]; then
      seen+=("${p}s→no database yet")
    else
      seen+=("${p}s→${count:-0 (no tables yet)}")
    fi
    if [ -n "$count" ] && [ "$count" -gt 0 ] && [ "$count" -lt "$n" ]; then mid=$((mid + 1)); fi
    # Killed before the database file existed (start-up on a busy machine): nothing to check.
    if [ "$backend" = sqlite ] && [ -f "$data/kakehashi.sqlite" ]; then
      local check
      check="$(sqlite3 "$data/kakehashi.sqlite" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')"
      [ "$check" = "ok " ] || intact="no ($check)"
    fi
  done
  local final again
  final="$("$bin" registrar import "$csv" --university eu "${target[@]}" 2>/dev/null | tr -d ' \n')"
  local offers distinct graduates job
  offers="$(count_sql "$backend" "SELECT count(*) FROM credential_offers")"
  distinct="$(count_sql "$backend" "SELECT count(DISTINCT subject) FROM credential_offers")"
  graduates="$(count_sql "$backend" "SELECT count(*) FROM graduates")"
  job="$(count_sql "$backend" "SELECT rows_done || '/' || rows_total || CASE WHEN finished_at IS NULL THEN ' open' ELSE ' finished' END FROM import_jobs")"
  again="$("$bin" registrar import "$csv" --university eu "${target[@]}" 2>/dev/null | tr -d ' \n')"
  local again_issued
  again_issued="$(echo "$again" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issued"])' 2>/dev/null)"
  local pass=no
  if [ "$mid" -gt 0 ] && [ "$intact" = yes ] && [ "$offers" = "$n" ] && [ "$distinct" = "$n" ] &&
    [ "$graduates" = "$n" ] && [ "$job" = "$n/$n finished" ] && [ "$again_issued" = 0 ]; then
    pass=yes
  fi
  local name="kill -9 during bulk import (SQLite)"
  [ "$backend" = postgres ] && name="kill -9 during bulk import (PostgreSQL)"
  row "$name" \
    "\`registrar import\` of $n rows killed with SIGKILL after ${points[*]} s (offers at each kill: ${seen[*]}), then run to completion and once more" \
    "$n offers for $n distinct graduates, $n graduates, job $n/$n finished$([ "$backend" = sqlite ] && echo ', integrity_check ok after every kill'); further run issues 0" \
    "$offers offers, $distinct distinct, $graduates graduates, job $job$([ "$backend" = sqlite ] && echo ", integrity_check ok after every kill: $intact"); kills mid-way: $mid; completion run \`$final\`; further run issued $again_issued" \
    "$pass"
}
