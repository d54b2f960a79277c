# Shared helpers for scripts: install Debian packages only when something is missing.
# shellcheck shell=bash

# Packages the test suites need. Extend here, not in individual scripts.
# fonts-ipaexfont-gothic: the Japanese+Latin font of the PDF reports; poppler-utils: pdftotext in tests.
# postgresql: the throw-away server of the storage tests (scripts/pg).
# chromium, fonts-noto-cjk: the browser of the page tests and Japanese glyphs for it (scripts/e2e).
# sqlite3, faketime: store checks and a node clock moved past NextUpdate (scripts/faults).
# softhsm2: the PKCS#11 module the HSM signer is tested against (crates/crypto-pkcs11).
KAKEHASHI_APT_PACKAGES=(pkg-config fonts-ipaexfont-gothic poppler-utils postgresql chromium fonts-noto-cjk sqlite3 faketime softhsm2)

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root or install them)" >&2
    return 1
  fi
  if [ $apt_updated -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_system_packages() {
  apt_install "${KAKEHASHI_APT_PACKAGES[@]}"
}
