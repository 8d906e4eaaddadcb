#!/usr/bin/env bash
# Measurement (not a test): how right the office page counts are, per basis (text estimate,
# file metadata, what the intake does without LibreOffice, LibreOffice) and per format, and how
# often the page finding says "uncertain" instead of deciding. Prints the tables of
# examples/page_accuracy.rs for:
#   1. the generated set with the system's fonts (what the tests' LibreOffice renders with),
#   2. the generated set with Word-metric fonts (Carlito, Caladea, Liberation: what Word shows;
#      fetched with `apt-get download` into var/fonts, used through FONTCONFIG_FILE only),
#   3. the office files of the shared corpus (../shared/corpus or $INTAKE_CORPUS).
#
# Usage: scripts/measure-pages.sh [--no-libreoffice] [--keep]
#   --no-libreoffice  skip the LibreOffice column (about 1.5 s per file)
#   --keep            reuse var/page-corpus* if present instead of generating again
# Needs soffice (libreoffice-writer-nogui), pdfinfo (poppler-utils), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
LO=--libreoffice
KEEP=
for a in "$@"; do
  case "$a" in
    --no-libreoffice) LO= ;;
    --keep) KEEP=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
CORPUS="${INTAKE_CORPUS:-../shared/corpus}"

cargo build --quiet --bin intake --example page_accuracy
BIN=target/debug/examples/page_accuracy

if [ -z "$KEEP" ] || [ ! -f var/page-corpus/MANIFEST.tsv ]; then
  python3 scripts/make-page-corpus.py var/page-corpus
fi

FONTS_CONF="$PWD/var/fonts/fonts.conf"
if [ ! -f "$FONTS_CONF" ]; then
  mkdir -p var/fonts/deb
  (cd var/fonts/deb && apt-get download fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea)
  for d in var/fonts/deb/*.deb; do dpkg -x "$d" var/fonts/root; done
  cat > "$FONTS_CONF" <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>$PWD/var/fonts/root/usr/share/fonts</dir>
  <cachedir>$PWD/var/fonts/cache</cachedir>
</fontconfig>
EOF
fi
if [ -z "$KEEP" ] || [ ! -f var/page-corpus-wf/MANIFEST.tsv ]; then
  FONTCONFIG_FILE="$FONTS_CONF" python3 scripts/make-page-corpus.py var/page-corpus-wf
fi

echo "== 1. generated set, system fonts (var/page-corpus)"
$BIN $LO var/page-corpus/MANIFEST.tsv
echo
echo "== 2. generated set, Word-metric fonts (var/page-corpus-wf)"
FONTCONFIG_FILE="$FONTS_CONF" $BIN $LO var/page-corpus-wf/MANIFEST.tsv
echo
if [ -f "$CORPUS/MANIFEST.tsv" ]; then
  echo "== 3. shared corpus ($CORPUS), office files with a LibreOffice page count"
  $BIN $LO "$CORPUS/MANIFEST.tsv"
else
  echo "== 3. shared corpus not found at $CORPUS (set INTAKE_CORPUS)"
fi
