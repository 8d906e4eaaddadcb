#!/bin/sh
# Installs the Debian packages the tests need: Dovecot (IMAP), LibreOffice Writer (exact page
# counts of Word/ODT files),
# Python aiosmtpd (SMTP sink), PostgreSQL, poppler-utils (pdfinfo for page counts, pdftoppm
# for OCR), openssl (self-signed test certificates), Tesseract with its Dutch model and
# orientation detection (OCR of scans and photos), libheif's tools (heif-convert reads iPhone
# photos; the tests make one with heif-enc), Chromium (the staff workspace's browser tests) and
# Node.js with npm when no node is installed. Idempotent: installs only what is missing, quietly.
# Needs root (or sudo) on Debian/Ubuntu.
set -eu

packages="dovecot-imapd python3-aiosmtpd postgresql poppler-utils openssl libreoffice-writer-nogui
    chromium tesseract-ocr tesseract-ocr-nld tesseract-ocr-osd libheif-examples"
# Node.js from any source will do (tests/web runs on node 18 or later).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages="$packages nodejs npm"
fi
missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "test dependencies already installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" != "0" ]; then
    sudo="sudo"
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The packages' own services are not needed (the tests start private instances); where
# policy-rc.d forbids starting them, apt still succeeds.
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "test dependencies installed"
