#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: Chromium (browser tests),
# poppler (PDF to PNG/text), Pango and fonts (WeasyPrint letters: DejaVu, and Noto for the
# six UN languages' scripts, Arabic and Chinese included), ewf-tools (E01 test images), Go
# and its x/mod sources (the signed-note cross-check, built offline). Only what is missing.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v age >/dev/null || missing+=(age)
command -v ewfacquire >/dev/null || missing+=(ewf-tools)
command -v jq >/dev/null || missing+=(jq)
command -v go >/dev/null || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod ] || missing+=(golang-golang-x-mod-dev)
ldconfig -p | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# Noto Sans (Latin, Cyrillic) and Noto Naskh/Sans Arabic; Noto Sans CJK SC (Chinese).
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || missing+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
