#!/usr/bin/env bash
# Times `xmlsec1 --verify` (Debian package xmlsec1, OpenSSL backend) and kakehashi-trust on the
# same 17 files in the same run: the EU LOTL seq 248 and the 16 national lists it points to.
# xmlsec1 checks the signature only (no anchoring, no wrapping check, one process per file);
# kakehashi-trust also parses the whole list, checks the structure and anchors each national
# list in the LOTL. Prints both times per set and the ratio.
#
#   crates/trust/benches/xmlsec1-compare.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds="${1:-5}"
dir=crates/trust/testdata/trusted-lists
files=("$dir/lotl/EU-LOTL-seq248.xml")
for t in AT BE CY DK EL FI HR IE IS LI LU LV MT NO SE UK; do files+=("$dir/tl/$t.xml"); done
command -v xmlsec1 >/dev/null || { echo "xmlsec1 missing: apt-get install xmlsec1" >&2; exit 1; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kakehashi-target}"
cargo build --release -q -p kakehashi-trust --example verify-set

start=$(date +%s%N)
for ((r = 0; r < rounds; r++)); do
  for f in "${files[@]}"; do
    out=$(xmlsec1 --verify --insecure \
      --id-attr:Id 'http://uri.etsi.org/02231/v2#:TrustServiceStatusList' \
      --id-attr:Id 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties' "$f" 2>&1)
    [[ "$out" == OK* ]] || { echo "xmlsec1 failed on $f: $out" >&2; exit 1; }
  done
done
end=$(date +%s%N)
xmlsec_ms=$(awk -v s="$start" -v e="$end" -v r="$rounds" 'BEGIN { printf "%.1f", (e - s) / 1e6 / r }')
rust_ms=$("$CARGO_TARGET_DIR/release/examples/verify-set" "$rounds")
echo "files per set:          ${#files[@]}"
echo "xmlsec1 --verify:       ${xmlsec_ms} ms per set (process per file)"
echo "kakehashi-trust:        ${rust_ms} ms per set (parse + verify + anchor, in process)"
awk -v x="$xmlsec_ms" -v k="$rust_ms" 'BEGIN { printf "ratio xmlsec1/kakehashi: %.1fx\n", x / k }'
